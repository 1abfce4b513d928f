"""Whisper's live-caption decode keeps a looping greedy decode to one copy of the phrase, and encodes a window
with its audio whole (no model needed)."""

from __future__ import annotations

import numpy as np

from asr_engine.backends.whisper_window import (
    BEAM_TAIL_FRAMES,
    MAX_FRAMES,
    TAIL_FRAMES,
    before_loop,
    encode_window,
)
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


class Encoder:
    """Whisper's parts that encode_window uses: 100 mel frames per second, an encoder that keeps its input."""

    def __init__(self) -> None:
        self.feature_extractor = lambda samples: np.ones((80, len(samples) // 160 + 1), dtype=np.float32)
        self.model = self
        self.encoded: np.ndarray | None = None

    def encode(self, features):
        self.encoded = np.asarray(features)
        return self.encoded


def test_a_careful_decode_pads_a_long_window_less_rather_than_dropping_its_audio():
    model = Encoder()
    for seconds, tail in ((25.0, BEAM_TAIL_FRAMES), (8.0, BEAM_TAIL_FRAMES), (8.0, TAIL_FRAMES)):
        _encoded, frames = encode_window(model, np.zeros(int(seconds * 16000), dtype=np.float32), tail)
        assert frames == int(seconds * 100)  # every second of the window is heard
        assert model.encoded.shape[-1] <= MAX_FRAMES  # Whisper's 30 s frame is the most it takes
        assert model.encoded[0, :, :frames].all() and not model.encoded[0, :, frames:].any()  # then silence
    assert model.encoded.shape[-1] >= 800 + TAIL_FRAMES
