"""One grammar for Slack's /interview and Feishu's @bot, in English or Chinese."""

from __future__ import annotations

import pytest

from bot.commands import parse


@pytest.mark.parametrize(
    "text, name, args, language",
    [
        ("report latest", "report", ["latest"], "en"),
        ("报告 最新", "report", ["最新"], "zh"),
        ("报告最新", "report", ["最新"], "zh"),
        ("<@U0BOT> list 5", "list", ["5"], "en"),
        ("@_user_1 搜索 幂等性 Redis", "search", ["幂等性", "Redis"], "zh"),
        ("candidate Jane Doe", "candidate", ["Jane", "Doe"], "en"),
        ("候选人 张三", "candidate", ["张三"], "zh"),
        ("岗位 backend", "profile", ["backend"], "zh"),
        ("delete abc123", "delete", ["abc123"], "en"),
        ("", "help", [], "zh"),
        ("帮助", "help", [], "zh"),
        ("dance", "unknown", ["dance"], "en"),
    ],
)
def test_parse(text, name, args, language):
    cmd = parse(text)
    assert (cmd.name, cmd.args, cmd.language) == (name, args, language)


def test_an_explicit_language_setting_wins():
    assert parse("report latest", "zh").language == "zh"
    assert parse("报告", "en").language == "en"


def test_rest_keeps_the_words_for_names_and_searches():
    assert parse("candidate Jane Doe").rest == "Jane Doe"
