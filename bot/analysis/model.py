"""Analysis domain objects. `Analysis.to_dict()` is the analysis JSON contract (see DESIGN.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

COMPETENCIES = (
    "technical_depth",
    "system_design",
    "problem_solving",
    "leadership",
    "result_orientation",
    "collaboration",
    "communication",
)
INTERVIEWER, CANDIDATE = "interviewer", "candidate"


@dataclass
class Utterance:
    start: float
    end: float
    speaker: str
    text: str
    confidence: float | None = None
    flags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    original_text: str | None = None  # before term correction, when it changed
    pause_before_s: float = 0.0
    rate: float | None = None  # characters (zh) or words (en) per second
    words: list[dict[str, Any]] = field(default_factory=list)
    voice: list[float] | None = None
    channel: int | None = None


@dataclass
class Evidence:
    start: float
    text: str
    weight: float
    caveats: list[str] = field(default_factory=list)


@dataclass
class CompetencyResult:
    score: float | None
    evidence: list[Evidence] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)


@dataclass
class Correction:
    original: str
    corrected: str
    start: float


@dataclass
class Followup:
    question: str
    reason: str
    anchor_start: float
    anchor_text: str


@dataclass
class Analysis:
    language: str
    duration_s: float
    utterances: list[Utterance]
    competencies: dict[str, CompetencyResult]
    overall_score: float | None
    recommendation: str  # advance | hold | decline
    summary: dict[str, Any]
    followups: list[Followup]
    corrections: list[Correction]
    profile: str = "general"
    speech: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "duration_s": self.duration_s,
            "profile": self.profile,
            "segments": [
                {
                    "start": u.start,
                    "end": u.end,
                    "speaker": u.speaker,
                    "text": u.text,
                    "confidence": u.confidence,
                    "flags": list(u.flags),
                    "keywords": list(u.keywords),
                    "original_text": u.original_text,
                    "pause_before_s": u.pause_before_s,
                }
                for u in self.utterances
            ],
            "competencies": {
                key: {
                    "score": c.score,
                    "evidence": [{"start": e.start, "text": e.text, "weight": e.weight} for e in c.evidence],
                    "caveats": list(c.caveats),
                }
                for key, c in self.competencies.items()
            },
            "overall": {"score": self.overall_score, "recommendation": self.recommendation},
            "summary": self.summary,
            "followups": [
                {
                    "question": f.question,
                    "reason": f.reason,
                    "anchor": {"start": f.anchor_start, "text": f.anchor_text},
                }
                for f in self.followups
            ],
            "corrections": [asdict(c) for c in self.corrections],
            "speech": self.speech,
        }
