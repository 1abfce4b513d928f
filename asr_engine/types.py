"""Domain objects the engine hands out: timed words, segments and whole transcripts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float | None = None


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    confidence: float | None = None
    channel: int | None = None  # source channel when a stereo file was split by side
    voice: list[float] | None = None  # [median F0 Hz, spectral centroid Hz, voiced fraction]

    def shifted(self, offset: float) -> Segment:
        return Segment(
            start=round(float(self.start) + offset, 3),
            end=round(float(self.end) + offset, 3),
            text=self.text,
            words=[
                Word(
                    round(float(w.start) + offset, 3), round(float(w.end) + offset, 3), w.text, w.probability
                )
                for w in self.words
            ],
            confidence=self.confidence,
            channel=self.channel,
            voice=self.voice,
        )


@dataclass
class ChunkResult:
    """What a backend returns for one chunk: times relative to the chunk's own start."""

    language: str
    segments: list[Segment]


@dataclass
class Transcript:
    language: str
    duration_s: float
    segments: list[Segment]
    engine: str
    timings: dict[str, float] = field(default_factory=dict)
    channels: int = 1
    source: str | None = None

    @property
    def text(self) -> str:
        sep = "" if self.language == "zh" else " "
        return sep.join(s.text.strip() for s in self.segments).strip()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=s["text"],
                words=[Word(**w) for w in s.get("words", [])],
                confidence=s.get("confidence"),
                channel=s.get("channel"),
                voice=s.get("voice"),
            )
            for s in data.get("segments", [])
        ]
        return cls(
            language=data.get("language", ""),
            duration_s=float(data.get("duration_s", segments[-1].end if segments else 0.0)),
            segments=segments,
            engine=data.get("engine", "unknown"),
            timings=dict(data.get("timings", {})),
            channels=int(data.get("channels", 1)),
            source=data.get("source"),
        )
