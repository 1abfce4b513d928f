"""Chunks from concurrent recordings reach the GPU engine as shared batches."""

from __future__ import annotations

import threading
import time

import numpy as np
from helpers import run_together

from asr_engine.backends.base import DecodeOptions
from asr_engine.batcher import BatchingBackend
from asr_engine.types import ChunkResult, Segment


class CountingBackend:
    name = "fake"
    batch_size = 32

    def __init__(self) -> None:
        self.calls: list[int] = []

    def detect_language(self, audio):
        return "zh"

    def transcribe_batch(self, chunks, options):
        self.calls.append(len(chunks))
        time.sleep(0.02)
        return [ChunkResult("zh", [Segment(0, 1, f"chunk of {len(c)}")]) for c in chunks]


def test_24_recordings_at_once_become_a_few_batches():
    inner = CountingBackend()
    batcher = BatchingBackend(inner, max_batch=32, max_wait_s=0.2)
    results: dict[int, list[ChunkResult]] = {}
    start = threading.Barrier(24)

    def job(i: int) -> None:
        chunks = [np.zeros(16000 * (i + 1), np.float32)] * 4  # each recording: 4 chunks
        start.wait()
        results[i] = batcher.transcribe_batch(chunks, DecodeOptions(language="zh"))

    run_together(job, 24)
    batcher.close()
    assert sum(inner.calls) == 96
    assert len(inner.calls) <= 6 and max(inner.calls) <= 32  # not 24 calls of 4
    for i, res in results.items():  # every caller gets its own chunks back, in order
        assert [r.segments[0].text for r in res] == [f"chunk of {16000 * (i + 1)}"] * 4


def test_different_options_are_never_mixed_and_errors_reach_every_caller():
    inner = CountingBackend()
    batcher = BatchingBackend(inner, max_batch=8, max_wait_s=0.1)
    out = {}
    t1 = threading.Thread(
        target=lambda: out.setdefault("zh", batcher.transcribe_batch([np.zeros(10)], DecodeOptions("zh")))
    )
    t2 = threading.Thread(
        target=lambda: out.setdefault("en", batcher.transcribe_batch([np.zeros(10)], DecodeOptions("en")))
    )
    t1.start(), t2.start(), t1.join(5), t2.join(5)
    assert inner.calls == [1, 1]

    def boom(chunks, options):
        raise RuntimeError("CUDA out of memory")

    inner.transcribe_batch = boom
    try:
        batcher.transcribe_batch([np.zeros(10)], DecodeOptions("zh"))
    except RuntimeError as exc:
        assert "out of memory" in str(exc)
    else:
        raise AssertionError("error not propagated")
    batcher.close()


def test_live_streams_on_a_batching_engine_share_its_batches():
    """The service's engine with two live streams allowed: their windows reach the GPU engine together."""
    from asr_engine import EngineConfig
    from asr_engine.streaming import StreamOptions, open_session
    from bot.asr import Engines

    inner = CountingBackend()
    engine = type("FakeEngine", (), {"backend": inner, "name": "fake", "reason": "test"})()
    engines = Engines(EngineConfig(), workers=1, live_sessions=2, batch_wait_s=0.2, factory=lambda: engine)
    backend = engines.get().backend
    assert isinstance(backend, BatchingBackend)
    speech = np.sin(np.arange(16000) / 5).astype(np.float32) * 0.3
    start = threading.Barrier(2)

    def stream(_: int) -> None:
        options = StreamOptions(language="zh", vad=lambda samples: [(0.0, len(samples) / 16000)])
        session = open_session(backend, options)
        start.wait()
        session.feed(speech)

    run_together(stream, 2)
    backend.close()
    assert inner.calls == [2]  # one call with both streams' windows, not two calls of one
