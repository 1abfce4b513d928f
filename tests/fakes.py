"""A fake ASR backend: the real engine (decoding, VAD, chunking, merging) with recognition replaced by
fixed text, so platform and API tests exercise everything but whisper and run in seconds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import cycle

import numpy as np

from asr_engine import Engine, EngineConfig, Segment
from asr_engine.audio import SAMPLE_RATE
from asr_engine.backends.base import DecodeOptions
from asr_engine.types import ChunkResult

# What tests/fixtures/zh_short.flac says (tests search it for 分库分表).
ZH_SHORT = "我们的订单系统每天处理一百万笔交易，数据库做了分库分表。"


class FakeBackend:
    """Each chunk is "heard" as the next of `lines`, spread over the whole chunk."""

    name = "fake"
    batch_size = 4

    def __init__(self, lines: Sequence[str] = (ZH_SHORT,), language: str = "zh") -> None:
        self.lines, self.language = cycle(lines), language
        self.chunks = 0  # how many chunks it was asked to recognise

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        out = []
        for chunk in chunks:
            self.chunks += 1
            end = round(len(chunk) / SAMPLE_RATE, 3)
            out.append(ChunkResult(options.language or self.language, [Segment(0.0, end, next(self.lines))]))
        return out

    def detect_language(self, audio: np.ndarray) -> str | None:
        return self.language


def fake_engine(config: EngineConfig | None = None, **kw) -> Engine:
    return Engine(config or EngineConfig(), backend=FakeBackend(**kw))


def fake_engine_factory(config: EngineConfig | None = None, **kw) -> Callable[[], Engine]:
    """For `Service(settings, engine_factory=fake_engine_factory(settings.engine))`."""
    return lambda: fake_engine(config, **kw)
