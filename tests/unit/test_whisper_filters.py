"""Whisper's invented text is dropped segment by segment, real speech is kept (no model needed)."""

from __future__ import annotations

from types import SimpleNamespace as NS

from asr_engine.backends.whisper import invented_tail, plausible


def seg(no_speech: float, probs: list[float]) -> NS:
    return NS(no_speech_prob=no_speech, words=[NS(probability=p) for p in probs])


def test_a_doubted_low_confidence_tail_is_invented():
    # measured on the dev set with a prompt: "今天我们的设计" after the speech ended
    assert invented_tail(seg(0.49, [0.3, 0.2, 0.1, 0.4, 0.2, 0.2]))


def test_real_speech_is_kept_even_when_a_word_is_unsure():
    assert not invented_tail(seg(0.01, [0.9, 0.05, 0.95, 0.9]))  # one misheard word, clearly speech
    assert not invented_tail(seg(0.6, [0.9, 0.8, 0.85]))  # quiet but confidently recognised
    assert not invented_tail(seg(0.6, []))  # no word times: nothing to judge by


def test_impossible_rates_and_loops_are_not_plausible():
    assert not plausible("请问" + "问" * 200, 0.5)
    assert plausible("我们用 Redis 做缓存", 2.0)
