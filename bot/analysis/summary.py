"""Overall score, recommendation and the three-part summary, in the interview's language."""

from __future__ import annotations

import re

from . import records
from .profiles import Profile
from .results import CompetencyResult

ADVANCE_AT, DECLINE_BELOW, MIN_COVERAGE = 3.5, 2.0, 0.5


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def competency_name(key: str, language: str) -> str:
    record = records.get(key)
    return record.zh if language == "zh" else record.en


def stamp(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{int(seconds % 60):02d}"


def moment_of(line: str) -> float | None:
    """The time a summary line quotes as "（00:18）" or "(00:18)", in seconds."""
    m = re.search(r"[（(](\d{2}):(\d{2})[）)]", line)
    return int(m.group(1)) * 60 + int(m.group(2)) if m else None


def without_evidence(line: str) -> bool:
    """A to-verify line that only says a competency had no evidence (not a doubt about something said)."""
    return line.endswith(("本场面试没有相关证据", "no evidence in this interview"))


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


def _strengths(competencies: dict[str, CompetencyResult], language: str) -> list[str]:
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
        strengths.append(
            f"{competency_name(key, language)}：{_short(ev.text)}（{stamp(ev.start)}）"
            if zh
            else f'{competency_name(key, language)}: "{_short(ev.text)}" ({stamp(ev.start)})'
        )
        if len(strengths) == 3:
            break
    return strengths


def _to_verify(competencies: dict[str, CompetencyResult], missing: list[str], language: str) -> list[str]:
    zh = language == "zh"
    to_verify = []
    for key, c in competencies.items():
        for ev in c.evidence:
            for note in ev.caveats:
                line = (
                    f"{competency_name(key, language)}：{_short(ev.text)}（{stamp(ev.start)}）— {note}"
                    if zh
                    else f'{competency_name(key, language)}: "{_short(ev.text)}" ({stamp(ev.start)}) - {note}'
                )
                if line not in to_verify:
                    to_verify.append(line)
        for note in c.caveats:
            if note.startswith(("候选人表示", "candidate says")):
                to_verify.append(
                    f"{competency_name(key, language)}：{note}"
                    if zh
                    else f"{competency_name(key, language)}: {note}"
                )
    for key in missing:
        to_verify.append(
            f"{competency_name(key, language)}：本场面试没有相关证据"
            if zh
            else f"{competency_name(key, language)}: no evidence in this interview"
        )
    return to_verify


def build_summary(
    competencies: dict[str, CompetencyResult],
    score: float | None,
    coverage: float,
    missing: list[str],
    recommendation: str,
    language: str,
    profile: Profile,
) -> dict[str, object]:
    zh = language == "zh"
    strengths = _strengths(competencies, language)
    to_verify = _to_verify(competencies, missing, language)

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
        "strengths": strengths,
        "to_verify": to_verify,
        "recommendation": f"{label[0]}：{reason}。" if zh else f"{label[1]}: {reason}.",
        "coverage": coverage,
    }
