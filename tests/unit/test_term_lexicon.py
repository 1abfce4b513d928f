"""The term lexicon (>= 2,000 terms with pinyin) and the corrector built on it: misheard terms are
restored by sound, Latin terms spelled out in characters come back, and correct text never changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypinyin import Style, lazy_pinyin

from asr_engine.textnorm import normalize_zh
from bot.analysis import lexicon
from bot.analysis.terms import TermCorrector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corrector() -> TermCorrector:
    return TermCorrector()


def test_the_lexicon_is_large_unique_and_has_the_terms_interviews_need():
    terms = lexicon.load()
    assert len(terms) >= 2000
    texts = [t.text for t in terms]
    assert len(set(texts)) == len(texts)
    assert {t.kind for t in terms} <= {"zh", "context", "clause", "en", "mixed"}
    for term in ("削峰", "幂等", "熔断", "分库分表", "每秒", "Redis", "Kafka", "QPS"):
        assert term in texts, term


def test_pinyin_column_is_the_terms_reading():
    for t in lexicon.load():
        if t.kind in ("zh", "context", "clause"):
            assert t.pinyin == (tuple(lazy_pinyin(t.text, style=Style.NORMAL)),), t.text


@pytest.mark.parametrize(
    "heard, context, meant",
    [
        ("支付接口的秘等性怎么保证", "", "支付接口的幂等性怎么保证"),
        ("高峰期美描能处理 2 万个请求", "消息队列", "高峰期每秒能处理 2 万个请求"),
        ("现成齿的核心现成数是根据压测结果来调的", "", "线程池的核心线程数是根据压测结果来调的"),
        ("大概是处理七核树的 2 倍", "线程池", "大概是处理器核数的 2 倍"),
        ("我们用瑞迪斯做缓存", "", "我们用 Redis 做缓存"),
        ("消息队列我们用的是卡夫卡", "", "消息队列我们用的是 Kafka"),
        ("我们在网关层做了限流和熔段", "", "我们在网关层做了限流和熔断"),
    ],
)
def test_misheard_terms_are_restored(corrector, heard, context, meant):
    fixed, fixes = corrector.correct(heard, context)
    assert fixed == meant
    assert fixes and all(f.original != f.corrected for f in fixes)
    for f in fixes:  # each fix points at its corrected text, for the report's "original -> corrected"
        assert fixed[f.offset : f.offset + len(f.corrected)] == f.corrected


EVERYDAY = [
    "我们的响应时间很快",
    "响应时间在 50 毫秒以内",
    "我们用现成的线程池",
    "现成的方案不太适合我们",
    "我喜欢读卡夫卡的小说",
    "这个学校的学风很好",
    "我住到了公司附近",
    "他的事业心很强",
    "我们每周开一次例会",
    "这件事情我们做得还不够好",
    "我觉得沟通是最重要的",
    "今天天气不错，我们聊聊项目吧",
    "主要是想做更有挑战的事情",
    "我会先听他的理由，然后拿数据说话",
    "我的期望薪资是可以商量的",
    "工期只有两个月，压力挺大的",
]


@pytest.mark.parametrize("text", EVERYDAY)
def test_correct_everyday_text_never_changes(corrector, text):
    assert corrector.correct(text, context="数据库 线程池 缓存") == (text, [])


def test_no_false_corrections_on_any_dev_set_reference_or_sample_script(corrector):
    """The false-correction rate on correct text is measured on every reference we have: it must be 0."""
    texts = [m["text"] for m in json.loads((ROOT / "bench/devset/manifest.json").read_text())]
    for script in (ROOT / "tests/fixtures").glob("*.script.json"):
        texts += [u["text"] for u in json.loads(script.read_text())]
    changed = []
    for text in {normalize_zh(t) for t in texts}:
        fixed, _ = corrector.correct(text, context="数据库 线程池 缓存")
        if fixed != text:
            changed.append(f"{text} -> {fixed}")
    assert changed == []


def test_keywords_find_lexicon_terms_in_order(corrector):
    assert corrector.keywords("我们用 Kafka 做削峰，Redis 做分布式锁", "zh") == [
        "Kafka",
        "削峰",
        "Redis",
        "分布式锁",
    ]


def test_two_syllable_terms_need_the_same_sound_not_a_fuzzy_one(corrector):
    # 早平 (a misheard 早停) sounds like 招聘 only with z/zh and in/ing blurred: no fix beats a wrong one
    assert (
        corrector.correct("我们是通过正则化和早平来解决的", "过拟合")[0] == "我们是通过正则化和早平来解决的"
    )
    assert corrector.correct("缓存穿透我们是用不浓过滤器来解决的")[0] == "缓存穿透我们是用布隆过滤器来解决的"
