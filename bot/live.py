"""Live captions, the core side: one stream from an edge becomes captions and follow-up hints while it
lasts, and at its end (a stop or a dropped connection) an interview queued exactly like an upload.

`LiveStream` is blocking (ASR, file writes): an edge calls it from a thread of its own, never from the
event loop. The recording is written as a 16 kHz mono WAV in the intake's incoming folder while it comes.
"""

from __future__ import annotations

import hashlib
import re
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from asr_engine.audio import SAMPLE_RATE
from asr_engine.backends.base import Backend
from asr_engine.streaming import Resampler, StreamEvent, StreamOptions, as_float, open_session

from .intake import Submission

HINT_EVERY_S = 30.0
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class LiveMeta:
    language: str | None = None  # zh | en | None (auto)
    candidate: str | None = None
    round: str | None = None
    profile: str | None = None
    interviewer: str | None = None
    uploader: str | None = None


class Hints:
    """At most one follow-up per `every_s` of stream time, from a final caption: the analysis's own
    follow-up rules (vague performance claims, qualifiers, known failure modes), else a number said
    without what it counts."""

    def __init__(self, language: str | None, every_s: float = HINT_EVERY_S) -> None:
        self.language, self.every_s = language, every_s
        self._last: float | None = None

    def check(self, final: StreamEvent) -> dict[str, Any] | None:
        if self._last is not None and final.end - self._last < self.every_s:
            return None
        question = self.question(final)
        if question is None:
            return None
        self._last = final.end
        return {"type": "hint", "question": question, "anchor": {"text": final.text, "start": final.start}}

    def question(self, final: StreamEvent) -> str | None:
        from .analysis import followups
        from .analysis.detectors import BARE_NUMBER
        from .analysis.results import CANDIDATE, Utterance

        zh = self.language == "zh" or (self.language is None and bool(_CJK.search(final.text)))
        found = followups.suggest(
            [Utterance(final.start, final.end, CANDIDATE, final.text)], "zh" if zh else "en"
        )
        if found:
            return found[0].question
        m = BARE_NUMBER.search(final.text)
        if m is None:
            return None
        quote = final.text.strip()[:40]
        if zh:
            return f"你提到“{quote}”，这个数字 {m.group()} 指的是什么？什么指标、多长时间、多大规模？"
        return (
            f'You said "{quote}". What does {m.group()} measure: which metric, over what time, at what scale?'
        )


class LiveStream:
    """One live stream: captions from the shared backend, the recording on disk, hints."""

    def __init__(self, backend: Backend, meta: LiveMeta, path: Path, max_seconds: float) -> None:
        self.meta, self.path, self.max_seconds = meta, path, max_seconds
        self.session = open_session(backend, StreamOptions(language=meta.language))
        self.hints = Hints(meta.language)
        self.resampler = Resampler(SAMPLE_RATE)
        self._wav = wave.open(str(path), "wb")  # noqa: SIM115 (closed in finish)
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(SAMPLE_RATE)
        self.samples = 0
        self.closed = False

    def set_rate(self, rate: int) -> None:
        self.resampler = Resampler(rate)

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE

    def feed(self, pcm: bytes) -> list[dict[str, Any]]:
        """Raw int16 PCM at the stream's rate; the recording is kept before recognition is tried."""
        samples = self.resampler.process(as_float(pcm))
        room = int(self.max_seconds * SAMPLE_RATE) - self.samples
        samples = samples[: max(0, room)]
        if len(samples) == 0:
            return []
        data = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        self._wav.writeframes(data)
        self.samples += len(samples)
        return self._events(self.session.feed(samples))

    def finish(self) -> list[dict[str, Any]]:
        """Pending captions become final; the recording is closed. Safe to call twice."""
        if self.closed:
            return []
        try:
            return self._events(self.session.finish())
        finally:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._wav.close()

    def _events(self, events: list[StreamEvent]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for e in events:
            out.append(e.to_dict())
            if e.type == "final":
                hint = self.hints.check(e)
                if hint:
                    out.append(hint)
        return out

    def submission(self, key: str) -> Submission | None:
        """The recording as an upload (call after `finish`); None when nothing was received."""
        if self.samples == 0:
            self.path.unlink(missing_ok=True)
            return None
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return Submission(
            path=self.path,
            filename=f"live-{stamp}.wav",
            key=f"live:{key}",
            sha256=digest,
            size_bytes=self.path.stat().st_size,
            platform="api",
            uploader=self.meta.uploader,
            candidate=self.meta.candidate,
            round=self.meta.round,
            interviewer=self.meta.interviewer,
            profile=self.meta.profile,
            language=self.meta.language,
            content_type="audio/wav",
        )
