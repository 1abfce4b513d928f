"""Mandarin transcripts read the way people write: spoken numbers as digits where a reader expects
digits, idioms and counts left alone, full-width punctuation, Latin words set apart."""

from __future__ import annotations

import pytest

from asr_engine.textnorm import normalize_zh, parse_int


@pytest.mark.parametrize(
    "spoken, written",
    [
        ("百分之三十", "30%"),
        ("点击率提升了百分之八点五", "点击率提升了 8.5%"),
        ("百分之30的用户", "30% 的用户"),
        ("每秒两万个请求", "每秒 2 万个请求"),
        ("每秒的写入量大概是一万五千条", "每秒的写入量大概是 1.5 万条"),
        ("从八百毫秒降到了一百二十毫秒", "从 800 毫秒降到了 120 毫秒"),
        ("首屏一点二秒", "首屏 1.2 秒"),
        ("两百多个节点", "200 多个节点"),
        ("队列长度是一千", "队列长度是 1000"),
        ("超时时间是三秒", "超时时间是 3 秒"),
        ("快了五倍", "快了 5 倍"),
        ("十分钟", "10 分钟"),
        ("年薪四十万左右", "年薪 40 万左右"),
        ("两亿条日志", "2 亿条日志"),
    ],
)
def test_numbers_a_reader_writes_in_digits(spoken, written):
    assert normalize_zh(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "一主三从",
        "一致性",
        "十分重要",
        "千万不要",
        "万一失败了",
        "做了三年后端",
        "五个人的小组",
        "重试两次",
        "第一个项目",
        "有一点问题",
        "统一的接口",
        "一起讨论",
        "打了个十字",
    ],
)
def test_counts_and_idioms_keep_their_characters(text):
    assert normalize_zh(text) == text


def test_punctuation_becomes_full_width_after_chinese():
    assert normalize_zh("我们用 Redis 做缓存, 然后 也做了优化.") == "我们用 Redis 做缓存，然后，也做了优化。"
    assert normalize_zh("你们怎么做的?") == "你们怎么做的？"
    assert normalize_zh("Node.js 和 1.5 版本") == "Node.js 和 1.5 版本"  # Latin and decimals keep their dot


def test_latin_and_digits_are_set_apart_from_chinese():
    assert normalize_zh("我们用Redis做缓存") == "我们用 Redis 做缓存"
    assert normalize_zh("P99从800ms降到200ms") == "P99 从 800ms 降到 200ms"


@pytest.mark.parametrize(
    "text",
    ["百分之三十", "每秒两万个请求，延迟一百二十毫秒。", "我们用Redis做缓存, 然后 也做了优化.", "一万五千条"],
)
def test_normalising_twice_changes_nothing(text):
    once = normalize_zh(text)
    assert normalize_zh(once) == once


def test_chinese_integers():
    assert parse_int("三万二千五百") == 32500
    assert parse_int("十六") == 16
    assert parse_int("两百") == 200
    assert parse_int("一二") is None  # two digits in a row: a list, not a number
