"""Speech segments (silero VAD, the ONNX copy faster-whisper ships) and long-audio chunking on silences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE


@dataclass(frozen=True)
class Chunk:
    """A window of the source recording, in seconds on the file's own timeline."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def slice(self, samples: np.ndarray) -> np.ndarray:
        return samples[int(self.start * SAMPLE_RATE) : int(self.end * SAMPLE_RATE)]


def speech_spans(
    samples: np.ndarray,
    *,
    max_span_s: float = 29.0,
    min_silence_ms: int = 500,
    threshold: float = 0.5,
    pad_ms: int = 200,
) -> list[tuple[float, float]]:
    """Speech regions in seconds; a span longer than `max_span_s` is cut at its quietest point."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(samples) == 0:
        return []
    options = VadOptions(
        threshold=threshold,
        min_silence_duration_ms=min_silence_ms,
        max_speech_duration_s=max_span_s,
        speech_pad_ms=pad_ms,
        min_speech_duration_ms=250,
    )
    stamps = get_speech_timestamps(samples, vad_options=options, sampling_rate=SAMPLE_RATE)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def plan_chunks(spans: list[tuple[float, float]], max_chunk_s: float = 30.0) -> list[Chunk]:
    """Group consecutive speech spans into chunks of at most `max_chunk_s`, cutting only in silences."""
    chunks: list[Chunk] = []
    cur_start: float | None = None
    cur_end = 0.0
    for start, end in spans:
        while end - start > max_chunk_s:  # a VAD span can still exceed the cap: hard split
            if cur_start is not None:
                chunks.append(Chunk(cur_start, cur_end))
                cur_start = None
            chunks.append(Chunk(start, start + max_chunk_s))
            start += max_chunk_s
        if cur_start is None:
            cur_start, cur_end = start, end
        elif end - cur_start <= max_chunk_s:
            cur_end = end
        else:
            chunks.append(Chunk(cur_start, cur_end))
            cur_start, cur_end = start, end
    if cur_start is not None:
        chunks.append(Chunk(cur_start, cur_end))
    return [Chunk(round(c.start, 3), round(c.end, 3)) for c in chunks if c.end > c.start]
