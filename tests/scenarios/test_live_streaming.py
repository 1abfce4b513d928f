"""Streaming with real Whisper (CPU, base) on the Mandarin fixture, fed as a microphone would feed it."""

from __future__ import annotations

import numpy as np
import pytest
from audiotools import cer
from helpers import FIXTURES, run_together

from asr_engine.audio import SAMPLE_RATE
from asr_engine.streaming import StreamEvent, StreamOptions, open_session

pytestmark = pytest.mark.slow


def test_whisper_streaming_gives_stable_monotonic_finals(whisper_engine, zh_samples):
    reference = (FIXTURES / "zh_short.txt").read_text(encoding="utf-8").strip()
    pause = np.zeros(SAMPLE_RATE, dtype=np.float32)
    audio = np.concatenate([zh_samples, pause, zh_samples, pause])
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    session = open_session(whisper_engine.backend, StreamOptions(language="zh"))
    events: list[StreamEvent] = []
    frame = 2 * SAMPLE_RATE // 10  # 100 ms of int16
    for i in range(0, len(pcm), frame):
        events += session.feed(pcm[i : i + frame])
    before_end = [e for e in events if e.type == "final"]
    events += session.finish()
    finals = [e for e in events if e.type == "final"]
    assert before_end, "the pause between the two sentences ends the first one before the stream ends"
    assert any(e.type == "partial" for e in events)
    for a, b in zip(finals, finals[1:]):
        assert a.start <= a.end <= b.start <= b.end
    assert finals[-1].end <= len(audio) / SAMPLE_RATE + 0.01
    assert cer(reference * 2, "".join(e.text for e in finals)) < 0.35
    assert session.decoded_s < 12 * len(audio) / SAMPLE_RATE


def test_two_streams_at_once_on_two_replicas_each_get_their_own_captions(data_dir, zh_samples):
    from asr_engine import Engine, EngineConfig

    backend = Engine(EngineConfig(engine="whisper", data_dir=data_dir, parallel_decodes=2)).backend
    assert backend.model.model.num_workers == 2  # two replicas sharing the weights, not one queue
    alone = _finals(open_session(backend, StreamOptions(language="zh")), zh_samples)
    results: list[str] = ["", ""]

    def stream(i: int) -> None:
        results[i] = _finals(open_session(backend, StreamOptions(language="zh")), zh_samples)

    run_together(stream, 2)
    assert results == [alone, alone]  # greedy decoding: concurrent streams do not disturb each other


def _finals(session, samples: np.ndarray) -> str:
    events: list[StreamEvent] = []
    step = SAMPLE_RATE // 10
    for i in range(0, len(samples), step):
        events += session.feed(samples[i : i + step])
    events += session.finish()
    return "".join(e.text for e in events if e.type == "final")
