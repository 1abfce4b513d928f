"""Interviewer coaching in words: the private note names the figures and the flagged questions with a
lawful alternative; the 30-day trend sets the caller's averages against the team's median."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import coaching

NOW = datetime(2026, 12, 6, tzinfo=UTC)
FLAG = {
    "category": "age",
    "quote": "你今年多大了？",
    "start": 61.0,
    "rule": "EEOC: pre-employment inquiries (age, ADEA)",
    "reason": "询问年龄可能构成年龄歧视，依据：EEOC: pre-employment inquiries (age, ADEA)。",
    "alternative": "问候选人能否满足岗位要求，不问年龄。",
}


def block(talk: float, questions: int, flags: int = 0) -> dict:
    return {"talk_share": talk, "questions": questions, "open_questions": 1, "flags": [FLAG] * flags}


def test_the_private_note_gives_figures_flags_and_a_lawful_alternative():
    title, lines = coaching.private_note(
        "张伟 一面", {**block(0.62, 5, 1), "interruptions": None}, "zh", "https://x/i/1/t"
    )
    text = "\n".join(lines)
    assert "仅你可见" in title and "面试官说话占比: 62%" in text and "打断次数" not in text  # null: not shown
    assert "[01:01] “你今年多大了？”" in text and "可以改问：问候选人能否满足岗位要求" in text
    assert "https://x/i/1/t" in text and "不进入候选人评分" in text


def test_the_trend_compares_the_last_30_days_with_the_team_median():
    def row(who, days_ago, b):
        return {"person": who, "created_at": (NOW - timedelta(days=days_ago)).isoformat(), "interviewer": b}

    rows = [
        row("U1", 1, block(0.6, 4, 1)),
        row("U1", 2, block(0.4, 6)),
        row("U1", 45, block(0.9, 1, 3)),  # older than 30 days: left out
        row("U2", 3, block(0.3, 8)),
        row("U3", 4, block(0.2, 10)),
        row("U4", 5, block(0.5, 9)),
    ]
    t = coaching.trend(rows, "U1", NOW)
    assert t["interviews"] == 2
    assert (
        abs(t["you"]["talk_share"] - 0.5) < 1e-9 and t["you"]["questions"] == 5 and t["you"]["flags"] == 0.5
    )
    # the others' median (U2, U3, U4): the caller is left out
    assert abs(t["team"]["talk_share"] - 0.3) < 1e-9 and t["team"]["questions"] == 9
    text = "\n".join(coaching.trend_lines(t, "en"))
    assert "Your 2 interviews" in text and "your share of the talking: 50% (team 30%)" in text
    assert coaching.trend([], "U1", NOW)["interviews"] == 0
    two = coaching.trend(rows[:4], "U1", NOW)  # two colleagues only: no median that would give one away
    assert two["team"]["questions"] is None and "(team –)" in "\n".join(coaching.trend_lines(two, "en"))


def test_the_interviewer_is_the_named_user_else_the_uploader_unless_a_name_says_otherwise():
    uploaded = {"uploader": "U1", "interviewer": None, "interviewer_user": None}
    assert coaching.recipient(uploaded) == "U1"
    assert coaching.recipient({**uploaded, "interviewer_user": "U2"}) == "U2"
    free_text = {**uploaded, "interviewer": "王伟"}  # no platform user to reach: not the uploader either
    assert coaching.recipient(free_text) is None and coaching.interviewer_key(free_text) == "name:王伟"


def test_an_upload_message_names_a_platform_user_a_free_text_name_or_no_one():
    from handlers.platform import Interviewer, interviewer_line
    from handlers.slack.app import mention

    def named(text: str) -> Interviewer | None:
        return interviewer_line(text, mention, {"UBOT"})

    assert named("张三 一面\ninterviewer: <@U123ABC>") == Interviewer("U123ABC")
    assert named("面试官：<@U9|wang>") == Interviewer("U9", "wang")
    assert named("<@UBOT> Interviewer: 王伟") == Interviewer(name="王伟")
    assert named("interviewer: <@UBOT>") is None  # the bot itself interviews no one
    assert named("the interviewer was great") is None and named("interviewer:") is None
