"""Homophone ASR errors in technical terms are repaired by sound, shown with the original, and text that
is already right is never changed."""

from __future__ import annotations

import pytest

from bot.analysis import analyze, transcript_from_text
from bot.analysis.terms import TermCorrector


@pytest.mark.parametrize(
    "heard, meant",
    [
        ("支付接口的秘等性怎么保证", "幂等性"),
        ("支付接口的密等性怎么保证", "幂等性"),
        ("支付接口的你等性怎么保证", "幂等性"),  # one initial off (n/m), with technical context
        ("现成齿的核心现成数根据压测来调", "线程池"),
        ("现成齿的核心现成数根据压测来调", "核心线程数"),
        ("我们用消息对列做削峰", "消息队列"),
        ("请求号作秘等见", "幂等键"),
        ("我们做了分库分彪，用了读写分离", "分库分表"),
        ("这里有个死所的问题，数据库事务互相等待", "死锁"),
        ("我住到了订单系统的重构", "主导"),  # a leadership claim the ASR almost lost
    ],
)
def test_homophones_are_repaired(heard, meant):
    fixed, fixes = TermCorrector().correct(heard)
    assert meant in fixed, fixed
    assert fixes and all(f.original != f.corrected for f in fixes)


@pytest.mark.parametrize(
    "correct",
    [
        "我们用现成的线程池",  # 现成 is a real word here
        "这个学校的学风很好",
        "这个借口不成立",
        "他去食堂买实物",
        "幂等性和线程池都没问题",
        "我们用 Redis 做缓存，Kafka 做削峰",
        "今天天气不错，我们聊聊项目吧",
        "我住到了公司附近",  # an everyday verb needs a technical term in its own clause
    ],
)
def test_correct_text_is_never_changed(correct):
    fixed, fixes = TermCorrector().correct(correct, context="数据库 线程池 缓存")
    assert fixed == correct and fixes == []


def test_two_syllable_terms_need_technical_context():
    corrector = TermCorrector()
    assert corrector.correct("我们的顶单很多")[0] == "我们的顶单很多"  # no context: leave it
    assert corrector.correct("我们的顶单系统", context="数据库做了分库分表")[0] == "我们的订单系统"


def test_team_hotwords_extend_the_lexicon():
    fixed, _ = TermCorrector(["灰度网关"]).correct("我们上线了回度网关")
    assert fixed == "我们上线了灰度网关"


def test_corrections_are_reported_with_original_and_time():
    transcript, roles = transcript_from_text("[00:10.0] interviewer: 支付接口的秘等性是怎么保证的？")
    d = analyze(transcript, known_roles=roles).to_dict()
    seg = d["segments"][0]
    assert d["corrections"] == [
        {"original": "秘等性", "corrected": "幂等性", "start": pytest.approx(11.0, abs=1.0)}
    ]
    assert seg["start"] <= d["corrections"][0]["start"] <= seg["end"]
    assert seg["original_text"] == "支付接口的秘等性是怎么保证的？"
    assert "corrected" in seg["flags"]
