"""Exact cue detectors for qualifiers and vague claims, written from corpus/analysis/GUIDELINES.md.

The clause heads generalise from 25-70 examples per type; these phrases are what the guidelines define
each type by. Whether a type's cue is OR-ed with its head (and at what head threshold) is chosen per
type by cross-validation on the training split (scripts/train_analysis.py) and stored in the artefact.
"""

from __future__ import annotations

from .detectors import (
    BUZZWORD,
    CONDITIONAL,
    ME_OR_US,
    METRIC_MOVED,
    NO_SPECIFICS,
    NUMBER,
    OUTCOME,
    STRONG_QUALIFIERS,
    THEM_FIRST,
    WOULD_DO,
)


def qualifier_cues(text: str) -> set[str]:
    return {k for k, d in STRONG_QUALIFIERS.items() if d.search(text)}


def vague_cues(text: str) -> set[str]:
    """The missing pieces a clause's own words point to: an outcome without a number, a buzzword, no
    specifics."""
    out = set()
    if OUTCOME.search(text) and not NUMBER.search(text):
        out.add("number")
    if BUZZWORD.search(text):
        out.add("mechanism")
    if NO_SPECIFICS.search(text):
        out.add("specifics")
    return out


# How a clause head and its cues combine, per type: ("model" | "or" | "and", offset on the head's
# calibrated probability, whose threshold is 0.5). Chosen by scripts/train_analysis.py and stored in the
# artefact's meta; these defaults are the head alone, for artefacts written before the rules existed.
DEFAULT_RULES: dict[str, object] = {"q": {}, "v": {"mode": "model", "offset": 0.0, "cues": []}}
VAGUE_ORDER = ("number", "mechanism", "specifics")


def qualifier_hit(kind: str, prob: float, cues: set[str], rules: dict) -> bool:
    mode, offset = rules.get("q", {}).get(kind, ("model", 0.0))
    model = prob >= 0.5 + offset
    if mode == "or":
        return model or kind in cues
    if mode == "and":
        return model and kind in cues
    return model


def vague_missing(text: str, probs: list[float], rules: dict) -> str | None:
    """The piece a vague clause misses (number | mechanism | specifics), or None when it is not vague.
    `probs` are the calibrated vague heads in VAGUE_ORDER."""
    rule = rules.get("v", DEFAULT_RULES["v"])
    j = max(range(len(probs)), key=lambda i: probs[i])
    missing: str | None = VAGUE_ORDER[j]
    if probs[j] < 0.5 + float(rule["offset"]) or (missing == "number" and NUMBER.search(text)):
        missing = None  # an exact number answers "how much" whatever the model thinks
    cued = [k for k in VAGUE_ORDER if k in vague_cues(text) and k in rule["cues"]]
    if rule["mode"] == "and":
        return missing if cued else None
    if rule["mode"] == "or" and missing is None and cued:
        return cued[0]
    return missing


def would_do(sentence: str) -> bool:
    """What the candidate would do (the guidelines' `hypothetical`), never evidence of having done it."""
    return bool(WOULD_DO.search(sentence))


def theirs(sentence: str) -> bool:
    """An outcome someone else got (the guidelines' `others_work`): the sentence opens on a third person and
    has no first person anywhere ("我们组"/"we" is the candidate's own team, and a customer named later in a
    subject-less sentence is not its subject)."""
    return bool(THEM_FIRST.search(sentence)) and not ME_OR_US.search(sentence)


def metric_moved(sentence: str, answer: str) -> bool:
    """A before -> after figure or a change by an amount (从 800 毫秒降到 120 毫秒, 降低了 30%, "cut p99 from
    900 ms to 150 ms", "3x faster") in an answer told in the first person and not as a hypothetical. On the
    training splits 92% of the snippets it fires on credit result orientation (required or allowed)."""
    moved = METRIC_MOVED.search(sentence)
    return bool(moved and ME_OR_US.search(answer) and not CONDITIONAL.search(sentence))
