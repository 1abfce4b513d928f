"""Audio file -> Transcript: decode, cut on silences, recognise chunk batches, merge onto one timeline."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import registry
from .audio import SAMPLE_RATE, DecodedAudio, decode, dominant_channel
from .backends.base import Backend, DecodeOptions
from .config import EngineConfig
from .textnorm import normalize_zh
from .types import ChunkResult, Segment, Transcript, Word
from .vad import Chunk, plan_chunks, speech_spans
from .voice import voice_features

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def choose_engine(config: EngineConfig) -> tuple[str, str]:
    """The engine `auto` resolves to, with the reason, for the user to see."""
    return registry.choose(config)


def load_backend(config: EngineConfig) -> tuple[Backend, str]:
    name, reason = choose_engine(config)
    return registry.spec_of(name).factory(config), reason


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


class Engine:
    """Loads a backend once and transcribes files with it. Not thread-safe: one worker owns one Engine."""

    def __init__(self, config: EngineConfig, backend: Backend | None = None) -> None:
        self.config = config
        if backend is None:
            backend, self.reason = load_backend(config)
        else:
            self.reason = "given"
        self.backend = backend

    @property
    def name(self) -> str:
        return self.backend.name

    def decode(self, path: str | os.PathLike[str], name: str | None = None) -> DecodedAudio:
        return decode(
            path, max_duration_s=self.config.max_duration_s, max_bytes=self.config.max_bytes, name=name
        )

    def transcribe(
        self,
        path: str | os.PathLike[str],
        *,
        language: str | None = None,
        hotwords: Sequence[str] = (),
        progress: Progress | None = None,
        name: str | None = None,
    ) -> Transcript:
        """`name`: what to call the recording in error messages and in the transcript (default: file name)."""
        t0 = time.perf_counter()
        if progress:
            progress("decoding", 0, 1)
        audio = self.decode(path, name)
        decode_s = time.perf_counter() - t0
        transcript = self.transcribe_audio(audio, language=language, hotwords=hotwords, progress=progress)
        transcript.timings["decode_s"] = round(decode_s, 3)
        transcript.timings["total_s"] = round(time.perf_counter() - t0, 3)
        transcript.source = name or Path(path).name
        return transcript

    def _spans(self, audio: DecodedAudio) -> list[tuple[float, float]]:
        return speech_spans(
            audio.samples,
            max_span_s=self.config.max_chunk_s - 1,
            min_silence_ms=self.config.vad_min_silence_ms,
            threshold=self.config.vad_threshold,
            pad_ms=self.config.vad_pad_ms,
        )

    def transcribe_audio(
        self,
        audio: DecodedAudio,
        *,
        language: str | None = None,
        hotwords: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> Transcript:
        t0 = time.perf_counter()
        spans = self._spans(audio)
        chunks = plan_chunks(spans, self.config.max_chunk_s)
        vad_s = time.perf_counter() - t0
        options = DecodeOptions(language=_norm_language(language), hotwords=list(hotwords))
        if options.language is None and chunks:
            options.language = self._detect_language(audio, chunks)
        t1 = time.perf_counter()
        results = self._run(audio, chunks, options, progress)
        # Whisper sometimes ends a window early and drops its last sentence. Speech the VAD heard but no
        # segment covers is recognised again on its own, once.
        missed = uncovered_spans(spans, chunks, results)
        retry = plan_chunks(missed, self.config.max_chunk_s)
        if retry:
            results += self._run(audio, retry, options, None)
            chunks = chunks + retry
        asr_s = time.perf_counter() - t1
        detected = Counter(r.language for r in results if r.language and r.segments)
        final_language = options.language or (detected.most_common(1)[0][0] if detected else "")
        segments = merge_chunks(chunks, results, audio.duration_s)
        if final_language == "zh":
            segments = [_simplify(s) for s in segments]
        segments = [s for s in (self._postprocess(s, final_language) for s in segments) if s.text]
        for seg in segments:
            seg.channel = dominant_channel(audio.channel_energy, seg.start, seg.end)
            seg.voice = voice_features(
                audio.samples[int(seg.start * SAMPLE_RATE) : int(seg.end * SAMPLE_RATE)]
            )
        return Transcript(
            language=final_language,
            duration_s=round(audio.duration_s, 3),
            segments=segments,
            engine=self.backend.name,
            timings={
                "vad_s": round(vad_s, 3),
                "asr_s": round(asr_s, 3),
                "chunks": len(chunks) - len(retry),
                "recovered_chunks": len(retry),
                "x_real_time": round(audio.duration_s / asr_s, 2) if asr_s > 0 else 0.0,
            },
            channels=audio.channels,
        )

    def _run(
        self, audio: DecodedAudio, chunks: list[Chunk], options: DecodeOptions, progress: Progress | None
    ) -> list[ChunkResult]:
        results: list[ChunkResult] = []
        if progress:
            progress("transcribing", 0, len(chunks))
        step = max(1, self.backend.batch_size)
        for i in range(0, len(chunks), step):
            batch = chunks[i : i + step]
            results.extend(self.backend.transcribe_batch([c.slice(audio.samples) for c in batch], options))
            if progress:
                progress("transcribing", len(results), len(chunks))
        return results

    def _detect_language(self, audio: DecodedAudio, chunks: list[Chunk]) -> str | None:
        # One decision per recording: per-chunk detection flips on code-switched sentences.
        speech = np.concatenate([c.slice(audio.samples) for c in chunks[:3]])[: 30 * SAMPLE_RATE]
        language = self.backend.detect_language(speech)
        return language

    def _postprocess(self, seg: Segment, language: str) -> Segment:
        """One place for text clean-up, so transcript, quotes and search all see the same text."""
        if language == "zh" and self.config.normalize_text:
            seg.text = normalize_zh(seg.text)
        if self.config.postprocess is not None:
            seg.text = self.config.postprocess(seg.text, language)
        return seg


def _norm_language(language: str | None) -> str | None:
    if language is None or language.lower() in ("", "auto"):
        return None
    return language.lower()


def _simplify(seg: Segment) -> Segment:
    seg.text = to_simplified(seg.text)
    seg.words = [Word(w.start, w.end, to_simplified(w.text), w.probability) for w in seg.words]
    return seg


def uncovered_spans(
    spans: Sequence[tuple[float, float]],
    chunks: Sequence[Chunk],
    results: Sequence[ChunkResult],
    min_s: float = 0.8,
) -> list[tuple[float, float]]:
    """VAD speech spans (at least `min_s` long) that no recognised segment overlaps."""
    covered = [
        (chunk.start + seg.start, chunk.start + seg.end)
        for chunk, result in zip(chunks, results)
        for seg in result.segments
        if seg.text.strip()
    ]
    missed = []
    for start, end in spans:
        if end - start < min_s:
            continue
        overlap = sum(max(0.0, min(end, b) - max(start, a)) for a, b in covered)
        if overlap < 0.2 * (end - start):
            missed.append((start, end))
    return missed


def merge_chunks(chunks: Sequence[Chunk], results: Sequence[ChunkResult], duration_s: float) -> list[Segment]:
    """Place chunk-relative segments on the file's timeline; timestamps never go backwards or outside."""
    placed: list[Segment] = []
    for chunk, result in zip(chunks, results):
        for seg in result.segments:
            if not seg.text.strip():
                continue
            seg = seg.shifted(chunk.start)
            hi = min(chunk.end, duration_s)
            seg.start = round(min(max(seg.start, chunk.start), hi), 3)
            seg.end = round(min(max(seg.end, seg.start), hi), 3)
            placed.append(seg)
    placed.sort(key=lambda s: (s.start, s.end))
    merged: list[Segment] = []
    floor = 0.0
    for seg in placed:
        seg.start = round(max(seg.start, floor), 3)
        seg.end = round(max(seg.end, seg.start), 3)
        prev = seg.start
        for w in seg.words:
            w.start = round(min(max(w.start, prev), seg.end), 3)
            w.end = round(min(max(w.end, w.start), seg.end), 3)
            prev = w.start
        merged.append(seg)
        floor = seg.end
    return merged
