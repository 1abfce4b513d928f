"""Analysis domain objects. `Analysis.to_dict()` is the analysis JSON contract (see DESIGN.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from . import records

# The built-in keys in report order; code that must see competencies registered later asks
# records.competency_keys().
COMPETENCIES: tuple[str, ...] = records.competency_keys()
INTERVIEWER, CANDIDATE = "interviewer", "candidate"
# What can weaken a claim, and what a vague claim is missing (corpus/analysis/GUIDELINES.md).
QUALIFIER_TYPES = (
    "hearsay",
    "team_not_me",
    "not_shipped",
    "test_env_only",
    "unconfirmed_cause",
    "acting_role",
    "hedge",
)
VAGUE_TYPES = ("number", "mechanism", "specifics")


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
    qualifiers: list[str] = field(default_factory=list)  # qualifier types that weakened it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start": self.start, "text": self.text, "weight": self.weight}
        out["caveats"] = list(self.caveats)
        out["qualifiers"] = list(self.qualifiers)
        return out


@dataclass
class Qualifier:
    """Something that weakens a claim: hearsay, team_not_me, not_shipped, test_env_only,
    unconfirmed_cause, acting_role, hedge."""

    type: str
    start: float
    text: str  # the candidate's clause that carries it
    caveat: str


@dataclass
class VagueClaim:
    start: float
    text: str
    missing: str  # number | mechanism | specifics
    question: str


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
    qualifiers: list[Qualifier] = field(default_factory=list)
    vague_claims: list[VagueClaim] = field(default_factory=list)
    analysis_version: str = ""
    analyst: str = "local"  # local | llm
    notes: list[str] = field(default_factory=list)  # e.g. why the LLM analyst fell back to local
    # how the interviewer ran it (bot/analysis/interviewer.py): private, never on the report, never scored
    interviewer: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from .qa import notes_by_question  # built from the JSON itself, so stored analyses get it too

        out = self._fields()
        out["qa"] = notes_by_question(out)
        return out

    def _fields(self) -> dict[str, Any]:
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
                    "evidence": [e.to_dict() for e in c.evidence],
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
            "qualifiers": [asdict(q) for q in self.qualifiers],
            "vague_claims": [asdict(v) for v in self.vague_claims],
            "analysis_version": self.analysis_version,
            "analyst": self.analyst,
            "notes": list(self.notes),
            "interviewer": self.interviewer,
        }
