"""Live follow-up hints: the analysis's follow-up rules on a final caption, else a number said without
what it counts; at most one per 30 s of stream time."""

from __future__ import annotations

from asr_engine.streaming import StreamEvent
from bot.live import Hints


def final(text: str, start: float) -> StreamEvent:
    return StreamEvent("final", text, start, start + 2.0)


def test_a_vague_claim_gets_a_hint_anchored_to_it_and_hints_are_rate_limited():
    hints = Hints("zh")
    hint = hints.check(final("我做了性能优化，效果挺好的", 3.0))
    assert hint and hint["type"] == "hint" and "数据" in hint["question"]
    assert hint["anchor"] == {"text": "我做了性能优化，效果挺好的", "start": 3.0}
    assert hints.check(final("延迟降到了200", 20.0)) is None  # within 30 s of the last hint
    later = hints.check(final("延迟降到了200", 40.0))
    assert later and "200" in later["question"]


def test_numbers_with_their_unit_and_plain_talk_give_no_hint():
    hints = Hints(None)
    assert hints.check(final("我们的订单系统每天处理100万笔交易", 1.0)) is None
    assert hints.check(final("p99 latency went down to 200 ms", 1.0)) is None
    assert hints.check(final("我负责后端的服务", 1.0)) is None
    english = hints.check(final("we got it down to 300", 1.0))
    assert english and english["question"].startswith("You said")
