"""The labelled interview snippets (corpus/analysis/*.jsonl, see GUIDELINES.md) as model units and labels.

Shared by scripts/train_analysis.py and bench/analysis.py so that training and measuring read the
corpus the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .learned import CLAUSE_LABELS, Unit


@dataclass
class Snippet:
    id: str
    lang: str
    turns: list[dict[str, str]]
    required: list[str]
    allowed: list[str]
    qualifiers: list[dict[str, str]]
    vague: list[dict[str, str]]
    negative: bool = False

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Snippet:
        return cls(
            d["id"],
            d.get("lang", "zh"),
            d["turns"],
            list(d.get("required", [])),
            list(d.get("allowed", [])),
            list(d.get("qualifiers", [])),
            list(d.get("vague", [])),
            bool(d.get("negative", False)),
        )

    @property
    def candidate_turns(self) -> list[str]:
        return [t["text"] for t in self.turns if t["speaker"] == "candidate"]

    def unit(self) -> Unit:
        question = " ".join(t["text"] for t in self.turns if t["speaker"] == "interviewer")
        return Unit(question, self.candidate_turns)

    def locate(self, span: str) -> tuple[int, int, int] | None:
        """(turn index among candidate turns, start, end) of a labelled span."""
        for i, text in enumerate(self.candidate_turns):
            pos = text.find(span)
            if pos >= 0:
                return i, pos, pos + len(span)
        return None


def load(paths: list[Path]) -> list[Snippet]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(Snippet.from_dict(json.loads(line)))
    return out


def competency_labels(snippets: list[Snippet], keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """y = required; mask = 0 where a competency is only `allowed` (crediting it is neither right nor
    wrong)."""
    y = np.zeros((len(snippets), len(keys)), dtype=np.float32)
    mask = np.ones_like(y)
    for i, s in enumerate(snippets):
        for j, k in enumerate(keys):
            y[i, j] = k in s.required
            if k in s.allowed and k not in s.required:
                mask[i, j] = 0
    return y, mask


def clause_labels(snippet: Snippet, unit: Unit) -> np.ndarray:
    """For each clause of the unit, which qualifier / vague labels overlap it."""
    y = np.zeros((len(unit.clauses), len(CLAUSE_LABELS)), dtype=np.float32)
    marks = [(f"q:{q['type']}", q["span"]) for q in snippet.qualifiers]
    marks += [(f"v:{v['missing']}", v["span"]) for v in snippet.vague]
    for label, span in marks:
        where = snippet.locate(span)
        if where is None or label not in CLAUSE_LABELS:
            continue
        turn, start, end = where
        for row, (t, c) in enumerate(unit.clauses):
            if t == turn and c.start < end and start < c.end:
                y[row, CLAUSE_LABELS.index(label)] = 1
    return y


def overlaps(quote: str, span: str) -> bool:
    """Whether a quote is the labelled span's words (the bench's and the training CV's matching rule)."""
    quote = quote.rstrip("…").strip()
    if not quote or not span:
        return False
    if span in quote or quote in span:
        return True
    # a shared run of 4 Han characters, or 10 characters of Latin text, counts as the same words
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in span) >= len(span) / 3
    n = min(4 if han else 10, len(span))
    return any(span[i : i + n] in quote for i in range(len(span) - n + 1))
