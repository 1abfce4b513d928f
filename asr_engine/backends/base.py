"""What every recognition backend offers the engine: a batch of 16 kHz chunks in, timed text out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..types import ChunkResult


@dataclass
class DecodeOptions:
    language: str | None = None  # "zh", "en" or None (detect)
    hotwords: list[str] = field(default_factory=list)  # domain terms to bias recognition towards

    def hotword_text(self) -> str | None:
        """Terms as one prompt string. No fixed instruction sentence: on Whisper base a Simplified-Chinese
        instruction prompt made short clips loop into invented text; OpenCC converts the script instead."""
        terms = [t for t in self.hotwords[:40] if t.strip()]
        if not terms:
            return None
        return ("、" if self.language == "zh" else ", ").join(terms)


class Backend(Protocol):
    name: str
    batch_size: int  # how many chunks one call handles well

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        """One result per chunk, times relative to each chunk's start."""
        ...

    def detect_language(self, audio: np.ndarray) -> str | None:
        """ISO 639-1 code of the speech in `audio`, or None if the backend cannot tell cheaply."""
        ...
