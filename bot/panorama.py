"""The candidate panorama ("全景图"): every round of one candidate side by side before the next one.

Rounds the asking user may not see are left out, and with them everything derived from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from . import texts
from .analysis.consistency import Conflict, conflicts, extract_facts, was_asked
from .analysis.profiles import ProfileError, load_profile
from .analysis.results import COMPETENCIES
from .analysis.summary import competency_name, summary_items
from .storage import Store, Visible
from .texts import localize

STRONG = 1.0  # evidence at least this weighty, with no caveat, settles an earlier doubt


@dataclass
class Round:
    interview_id: str
    label: str  # 一面 / round 2 / the date when the round is unknown
    date: str
    interviewer: str | None
    profile: str
    score: float | None
    recommendation: str
    scores: dict[str, float | None]
    report_url: str


@dataclass
class Trend:
    key: str
    name: str
    scores: list[float | None]
    direction: str  # up | down | flat | once | none


@dataclass
class Point:
    """Something still to verify, or a follow-up not yet asked, with where it came from."""

    text: str
    round_label: str
    start: float | None
    link: str


@dataclass
class Contradiction:
    kind: str
    earlier: str
    earlier_round: str
    earlier_link: str
    later: str
    later_round: str
    later_link: str


@dataclass
class Panorama:
    candidate: str
    language: str
    decision: str | None
    rounds: list[Round]
    trends: list[Trend]
    unverified: list[Point]
    pending_followups: list[Point]
    contradictions: list[Contradiction]
    focus: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


ROUND_NAMES = {
    "zh": {"1": "一面", "2": "二面", "3": "三面", "4": "四面", "5": "五面", "final": "终面", "hr": "HR 面"},
    "en": {"final": "final round", "hr": "HR round"},
}


def round_label(round_: str | None, index: int, language: str) -> str:
    zh = language == "zh"
    if round_:
        return ROUND_NAMES["zh" if zh else "en"].get(round_, f"第{round_}轮" if zh else f"round {round_}")
    return f"第{index + 1}场" if zh else f"interview {index + 1}"


def _link(url: str, start: float | None) -> str:
    return f"{url}#t={start}" if start is not None else url


def _caveated(analysis: dict[str, Any]) -> list[tuple[str, str, float | None]]:
    """(competency, line, start) of each doubt a round left about something said: its summary's to-verify
    lines, less those that only note a competency without evidence."""
    return [
        (i["competency"], i["text"], i["start"])
        for i in summary_items(analysis)
        if i["kind"] == "to_verify" and i["competency"]
    ]


def _settled(analysis: dict[str, Any], key: str) -> bool:
    comp = analysis["competencies"].get(key) or {}
    return any(e.get("weight", 0) >= STRONG for e in comp.get("evidence") or []) and not comp.get("caveats")


def _direction(scores: list[float | None]) -> str:
    known = [s for s in scores if s is not None]
    if not known:
        return "none"
    if len(known) == 1:
        return "once"
    delta = known[-1] - known[0]
    return "up" if delta >= 0.5 else "down" if delta <= -0.5 else "flat"


def build(
    store: Store, visible: Visible, name: str, *, language: str, report_url: Callable[[str], str]
) -> Panorama | None:
    """None when there is no such candidate or the user may see none of their interviews."""
    person = store.candidates.find(name)
    if person is None:
        return None
    rows = store.interviews.rounds_of(visible, person["id"])
    if not rows:
        return None
    zh = language == "zh"
    analyses = [r["analysis"] for r in rows]
    rounds = [_round(r, idx, language, report_url) for idx, r in enumerate(rows)]
    trends = [
        Trend(
            k,
            competency_name(k, language),
            [rd.scores[k] for rd in rounds],
            _direction([rd.scores[k] for rd in rounds]),
        )
        for k in COMPETENCIES
    ]
    unverified = _unverified(analyses, rounds, trends, zh)
    pending = _pending(analyses, rounds)
    found = conflicts([extract_facts(a["segments"]) for a in analyses])
    contradictions = [_contradiction(c, rounds) for c in found]
    focus = _focus(rounds, trends, unverified, pending, found, zh, language)
    return Panorama(
        candidate=person["name"],
        language=language,
        decision=person.get("decision"),
        rounds=rounds,
        trends=trends,
        unverified=unverified,
        pending_followups=pending,
        contradictions=contradictions,
        focus=focus,
    )


def _round(r: dict, idx: int, language: str, report_url: Callable[[str], str]) -> Round:
    a = r["analysis"]
    return Round(
        interview_id=r["id"],
        label=round_label(r["round"], idx, language),
        date=r["created_at"][:10],
        interviewer=r["interviewer"],
        profile=r["profile"] or "general",
        score=a["overall"]["score"],
        recommendation=a["overall"]["recommendation"],
        scores={k: (a["competencies"].get(k) or {}).get("score") for k in COMPETENCIES},
        report_url=report_url(r["id"]),
    )


def _unverified(analyses: list[dict], rounds: list[Round], trends: list[Trend], zh: bool) -> list[Point]:
    """Doubts a later round did not settle (the newest statement of each), then what no round touched."""
    unverified: dict[str, Point] = {}
    for idx, a in enumerate(analyses):
        for key, line, start in _caveated(a):
            if any(_settled(later, key) for later in analyses[idx + 1 :]):
                continue
            unverified[key] = Point(line, rounds[idx].label, start, _link(rounds[idx].report_url, start))
    for t in trends:
        if t.direction == "none":
            text = localize(texts.PANORAMA_LINES["no_evidence_any"], "zh" if zh else "en", t.name)
            unverified[t.key] = Point(text, "", None, rounds[-1].report_url)
    return list(unverified.values())


def _pending(analyses: list[dict], rounds: list[Round]) -> list[Point]:
    """Follow-up questions no later round's interviewer asked."""
    pending = []
    for idx, a in enumerate(analyses):
        later = [
            s["text"] for b in analyses[idx + 1 :] for s in b["segments"] if s["speaker"] == "interviewer"
        ]
        for f in a.get("followups") or []:
            if not was_asked(f, later):
                start = (f.get("anchor") or {}).get("start")
                pending.append(
                    Point(f["question"], rounds[idx].label, start, _link(rounds[idx].report_url, start))
                )
    return pending


def _contradiction(c: Conflict, rounds: list[Round]) -> Contradiction:
    a, b = rounds[c.earlier_round], rounds[c.later_round]
    return Contradiction(
        kind=c.kind,
        earlier=c.earlier.text,
        earlier_round=a.label,
        earlier_link=_link(a.report_url, c.earlier.start),
        later=c.later.text,
        later_round=b.label,
        later_link=_link(b.report_url, c.later.start),
    )


def _focus(
    rounds: list[Round],
    trends: list[Trend],
    unverified: list[Point],
    pending: list[Point],
    found: list[Conflict],
    zh: bool,
    language: str,
) -> list[str]:
    """What the next interviewer should spend time on, most important first."""
    out = []
    kinds = texts.table(texts.FACT_KIND, language)
    for c in found:
        first, then = rounds[c.earlier_round].label, rounds[c.later_round].label
        out.append(
            localize(
                texts.PANORAMA_LINES["clarify"],
                language,
                kinds[c.kind],
                first,
                c.earlier.text,
                then,
                c.later.text,
            )
        )
    try:
        weights = load_profile(rounds[-1].profile).normalised()
    except ProfileError:
        weights = {k: 1 / len(COMPETENCIES) for k in COMPETENCIES}
    never = [t for t in trends if t.direction == "none" and weights.get(t.key, 0) >= 0.1]
    for t in sorted(never, key=lambda t: -weights.get(t.key, 0)):
        out.append(
            f"考察{t.name}：{len(rounds)} 轮面试都没有相关证据"
            if zh
            else f"Probe {t.name.lower()}: no evidence in {len(rounds)} rounds"
        )
    for t in trends:
        if t.direction == "down":
            known = [s for s in t.scores if s is not None]
            out.append(
                f"{t.name}从 {known[0]:.1f} 降到 {known[-1]:.1f}，弄清原因"
                if zh
                else f"{t.name} fell from {known[0]:.1f} to {known[-1]:.1f}: find out why"
            )
    for p in pending[:2]:
        out.append(
            f"追问（{p.round_label}留下）：{p.text}"
            if zh
            else f"Ask ({p.round_label} left it open): {p.text}"
        )
    for p in [p for p in unverified if p.round_label][:2]:
        out.append(f"待验证（{p.round_label}）：{p.text}" if zh else f"Verify ({p.round_label}): {p.text}")
    return out[:6]
