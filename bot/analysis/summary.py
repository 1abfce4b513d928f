"""Overall score, recommendation and the three-part summary, in the interview's language.

The summary's points are data (`summary.items`: kind, text, start, competency); the display lists
`strengths` and `to_verify` are derived from them and kept in the JSON for readers of the old contract.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import records
from .followups import VAGUE_REASON
from .profiles import Profile
from .results import CompetencyResult, VagueClaim

# What a summary item is (its kind): a strength, a doubt about something said (to_verify), or a weighty
# competency with no evidence at all (no_evidence: shown under "to verify", but no doubt about anything the
# candidate said). The display lists and the kinds each holds:
LISTS = {"strengths": ("strength",), "to_verify": ("to_verify", "no_evidence")}

ADVANCE_AT, DECLINE_BELOW, MIN_COVERAGE = 3.5, 2.0, 0.5


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def competency_name(key: str, language: str) -> str:
    record = records.get(key)
    return record.zh if language == "zh" else record.en


def stamp(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def item(kind: str, text: str, start: float | None = None, competency: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "start": start, "competency": competency}


def lists_of(items: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """The display lists (`strengths`, `to_verify`) derived from the items, in their order."""
    return {name: [i["text"] for i in items if i["kind"] in kinds] for name, kinds in LISTS.items()}


def summary_items(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    """An analysis's summary items; one stored before items existed gets them derived from its lines."""
    summary = analysis.get("summary") or {}
    if "items" in summary:
        return list(summary["items"])
    return legacy_items(summary, "zh" if analysis.get("language") == "zh" else "en")


_MOMENT = re.compile(r"[（(](\d{2}):(\d{2})[）)]")
_NO_EVIDENCE = ("本场面试没有相关证据", "no evidence in this interview")


def legacy_items(summary: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Items read back from the display lines of an analysis stored before items existed: the time a
    line quotes as "（00:18）" (whole seconds), the competency it starts with."""
    names = {competency_name(k, language): k for k in records.competency_keys()}

    def parse(kind: str, line: str) -> dict[str, Any]:
        m = _MOMENT.search(line)
        key = next((k for name, k in names.items() if line.startswith(name)), None)
        if kind == "to_verify" and line.endswith(_NO_EVIDENCE):
            kind = "no_evidence"
        return item(kind, line, int(m.group(1)) * 60 + int(m.group(2)) if m else None, key)

    out = [parse("strength", line) for line in summary.get("strengths") or []]
    return out + [parse("to_verify", line) for line in summary.get("to_verify") or []]


def overall(
    competencies: dict[str, CompetencyResult], profile: Profile
) -> tuple[float | None, float, list[str]]:
    """Profile-weighted mean over scored competencies, the share of profile weight that had evidence,
    and the weighty competencies without evidence."""
    weights = profile.normalised()
    scored = {k: c.score for k, c in competencies.items() if c.score is not None and weights.get(k, 0) > 0}
    coverage = sum(weights[k] for k in scored)
    missing = [
        k for k in weights if weights[k] >= 0.1 and k in competencies and competencies[k].score is None
    ]
    if not scored:
        return None, 0.0, missing
    value = sum(weights[k] * s for k, s in scored.items()) / coverage
    return round(value, 1), round(coverage, 2), missing


def recommend(score: float | None, coverage: float) -> str:
    if score is None or coverage < MIN_COVERAGE:
        return "hold"
    if score >= ADVANCE_AT:
        return "advance"
    if score < DECLINE_BELOW:
        return "decline"
    return "hold"


# An uncaveated quote the model credits with confidence (calibrated p >= 0.75) or one with a figure in it.
STRONG_EVIDENCE = 0.9


def _strengths(competencies: dict[str, CompetencyResult], language: str) -> list[dict[str, Any]]:
    zh = language == "zh"
    best = sorted(
        (
            (k, e)
            for k, c in competencies.items()
            for e in c.evidence
            if not e.caveats and e.weight >= STRONG_EVIDENCE
        ),
        key=lambda ke: -ke[1].weight,
    )
    strengths, seen = [], set()
    for key, ev in best:
        if key in seen:
            continue
        seen.add(key)
        text = (
            f"{competency_name(key, language)}：{_short(ev.text)}（{stamp(ev.start)}）"
            if zh
            else f'{competency_name(key, language)}: "{_short(ev.text)}" ({stamp(ev.start)})'
        )
        strengths.append(item("strength", text, ev.start, key))
        if len(strengths) == 3:
            break
    return strengths


def _to_verify(
    competencies: dict[str, CompetencyResult], missing: list[str], language: str
) -> list[dict[str, Any]]:
    zh = language == "zh"
    to_verify: list[dict[str, Any]] = []
    for key, c in competencies.items():
        for ev in c.evidence:
            for note in ev.caveats:
                line = (
                    f"{competency_name(key, language)}：{_short(ev.text)}（{stamp(ev.start)}）— {note}"
                    if zh
                    else f'{competency_name(key, language)}: "{_short(ev.text)}" ({stamp(ev.start)}) - {note}'
                )
                if line not in [i["text"] for i in to_verify]:
                    to_verify.append(item("to_verify", line, ev.start, key))
        for note in c.caveats:
            if note.startswith(("候选人表示", "candidate says")):
                name = competency_name(key, language)
                to_verify.append(item("to_verify", f"{name}：{note}" if zh else f"{name}: {note}", None, key))
    for key in missing:
        name = competency_name(key, language)
        line = f"{name}：本场面试没有相关证据" if zh else f"{name}: no evidence in this interview"
        to_verify.append(item("no_evidence", line, None, key))
    return to_verify


def _vague(vague: Sequence[VagueClaim], language: str) -> list[dict[str, Any]]:
    """A vague claim to verify: the quote, its time and what it misses (no competency of its own)."""
    out = []
    for v in vague:
        reason = VAGUE_REASON[v.missing][0 if language == "zh" else 1]
        line = (
            f"“{v.text}”（{stamp(v.start)}）— {reason}"
            if language == "zh"
            else f'"{v.text}" ({stamp(v.start)}) - {reason}'
        )
        out.append(item("to_verify", line, v.start))
    return out


def build_summary(
    competencies: dict[str, CompetencyResult],
    score: float | None,
    coverage: float,
    missing: list[str],
    recommendation: str,
    language: str,
    profile: Profile,
    vague: Sequence[VagueClaim] = (),
) -> dict[str, object]:
    zh = language == "zh"
    items = [
        *_strengths(competencies, language),
        *_to_verify(competencies, missing, language),
        *_vague(vague, language),
    ]

    label = {
        "advance": ("建议进入下一轮", "Advance"),
        "hold": ("建议暂缓，补充考察", "Hold"),
        "decline": ("不建议推进", "Decline"),
    }[recommendation]
    if score is None:
        reason = "没有找到可评分的证据" if zh else "no scorable evidence was found"
    elif coverage < MIN_COVERAGE:
        gaps = (
            "、".join(competency_name(k, language) for k in missing)
            if zh
            else ", ".join(competency_name(k, language) for k in missing)
        )
        reason = (
            f"证据只覆盖了岗位权重的 {coverage:.0%}，{gaps} 尚无证据"
            if zh
            else f"evidence covers only {coverage:.0%} of the role's weight; nothing yet on {gaps}"
        )
    else:
        reason = (
            f"按“{profile.title or profile.name}”岗位加权综合得分 {score:.1f}/5，证据覆盖岗位权重的 {coverage:.0%}"
            if zh
            else f"weighted score {score:.1f}/5 for {profile.title or profile.name}, evidence covers "
            f"{coverage:.0%} of the role's weight"
        )
    return {
        **lists_of(items),
        "items": items,
        "recommendation": f"{label[0]}：{reason}。" if zh else f"{label[1]}: {reason}.",
        "coverage": coverage,
    }
