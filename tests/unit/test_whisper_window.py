"""Whisper's live-caption decode keeps a looping greedy decode to one copy of the phrase (no model needed)."""

from __future__ import annotations

from asr_engine.backends.whisper_window import before_loop
from asr_engine.types import Word


def chars(text: str) -> list[Word]:
    return [Word(i * 0.2, i * 0.2 + 0.2, c) for i, c in enumerate(text)]


def spelled(words: list[Word]) -> str:
    return "".join(w.text for w in words)


def test_a_phrase_said_three_times_in_a_row_is_kept_once():
    looped = chars("用唯一的请求号做幂等，写入之前先查，写入之前先查，写入之前先查，写入之前")
    assert spelled(before_loop(looped)) == "用唯一的请求号做幂等，写入之前先查"


def test_real_repeats_are_kept():
    for text in ("好好好学习", "每天 100 万，每天 100 万笔交易", "we did it, we did it"):
        assert spelled(before_loop(chars(text))) == text
