"""Evidence-based competency scoring over the candidate's own words.

A claim is a clause that matches a competency's cue and is not negated ("我没有带过团队" is no
leadership). Its weight starts at 1, rises when it is quantified and falls when it is vague, hedged, or
qualified by what follows in the same answer ("…不过最后项目没上线", "…only in staging"); each reduction
adds a caveat the report shows. Small talk is never evidence. A competency without evidence scores None:
absence of evidence is not a low score.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .detectors import (
    COMPETENCY_CUES,
    CONTRAST,
    EXPLAINS,
    HEDGE,
    NEGATED_BEFORE,
    NOT_SHIPPED_NAMED,
    NUMBER,
    PARTIAL_ROLE,
    SMALL_TALK,
    STAGING_NAMED,
    VAGUE_WORDING,
    Detector,
)
from .results import CANDIDATE, Utterance
from .speech import strip_fillers, units

# What weakens a rule claim, and by how much: (detector, factor, zh caveat, en caveat).
QUALIFIERS: tuple[tuple[Detector, float, str, str], ...] = (
    (
        NOT_SHIPPED_NAMED,
        0.5,
        "项目未上线，实际影响待核实",
        "did not ship: real impact unverified",
    ),
    (STAGING_NAMED, 0.5, "需要生产环境证据", "needs production evidence"),
    (PARTIAL_ROLE, 0.7, "个人贡献不明确", "individual contribution unclear"),
)
_CLAUSE = re.compile(r"[^,，。.!！?？;；]+[,，。.!！?？;；]*")


@dataclass
class Claim:
    competency: str
    start: float
    text: str
    weight: float
    caveats: list[str] = field(default_factory=list)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.findall(text) if c.strip()]


def _negated(clause: str, match: re.Match[str]) -> bool:
    return bool(NEGATED_BEFORE.search(clause[: match.start()][-12:]))


def answers(utterances: list[Utterance]) -> list[list[Utterance]]:
    """Consecutive candidate utterances between two interviewer turns form one answer."""
    groups: list[list[Utterance]] = []
    current: list[Utterance] = []
    for u in utterances:
        if u.speaker == CANDIDATE:
            current.append(u)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def find_claims(utterances: list[Utterance], language: str) -> tuple[list[Claim], list[Claim]]:
    """All claims, plus the negated ones (kept to report what the candidate said they have not done)."""
    zh = language == "zh"
    claims: list[Claim] = []
    negated: list[Claim] = []
    for answer in answers(utterances):
        clauses = [(u, c) for u in answer for c in _clauses(u.text)]
        for idx, (u, clause) in enumerate(clauses):
            body = strip_fillers(clause)
            if len(body) < 4 or SMALL_TALK.fullmatch(body) or (SMALL_TALK.match(body) and len(body) < 10):
                continue
            # a qualifier binds to the claim it follows: "…, 不过/but …" within the next two clauses
            later = [c for _, c in clauses[idx + 1 : idx + 3]]
            for key, cue in COMPETENCY_CUES.items():
                if key == "technical_depth":
                    continue  # judged on whole utterances below: an explanation spans clauses
                match = cue.search(body)
                if match is None:
                    continue
                claim = Claim(key, u.start, body, 1.0)
                if _negated(body, match):
                    negated.append(claim)
                    continue
                _weigh(claim, body, later, zh)
                claims.append(claim)
        for u in answer:
            body = strip_fillers(u.text)
            depth = COMPETENCY_CUES["technical_depth"].search(body)
            if depth and not NEGATED_BEFORE.search(body[:12]):
                claim = Claim("technical_depth", u.start, body, 1.0)
                if not EXPLAINS.search(body) and (units(body) < 20 or len(_clauses(body)) < 2):
                    claim.weight = 0.6  # names the technology, does not explain it
                    claim.caveats.append(
                        "只点到技术名词，未展开原理" if zh else "names the technology without explaining it"
                    )
                if HEDGE.search(body):
                    claim.weight = round(claim.weight * 0.8, 2)
                    claim.caveats.append("表述不确定" if zh else "stated with uncertainty")
                claims.append(claim)
    return claims, negated


def _weigh(claim: Claim, body: str, later: list[str], zh: bool) -> None:
    if NUMBER.search(body):
        claim.weight += 0.4
    elif VAGUE_WORDING.search(body) or claim.competency == "result_orientation" and not NUMBER.search(body):
        claim.weight *= 0.6
        claim.caveats.append("说法笼统，缺少数据" if zh else "vague: no numbers")
    if HEDGE.search(body):
        claim.weight *= 0.8
        claim.caveats.append("表述不确定" if zh else "stated with uncertainty")
    contrast = " ".join(c for c in later if CONTRAST.search(c))
    for rx, factor, zh_note, en_note in QUALIFIERS:
        if rx.search(body) or (contrast and rx.search(contrast)):
            claim.weight *= factor
            claim.caveats.append(zh_note if zh else en_note)
    claim.weight = round(claim.weight, 2)


def score(weights: list[float]) -> float | None:
    """0-5 from the strength and amount of evidence; saturating, so volume alone cannot max it out."""
    if not weights:
        return None
    total = sum(sorted(weights, reverse=True)[:5])
    return round(5 * (1 - math.exp(-0.4 * total)), 1)
