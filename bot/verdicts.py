"""Verdicts as labelled examples: the export's records turned into the snippets of the analysis corpus
(corpus/analysis/GUIDELINES.md), and the stats as lines for a chat answer or the command line.

A verdict says something about one competency only, so a snippet made from it requires or rules out that
competency and leaves the others allowed (not known either way):

* agree, too_low: the answer shows the competency: `required`;
* too_high: crediting it is defensible but the score was generous: `allowed`;
* wrong_evidence: the answer does not show it: neither required nor allowed (crediting it is a false
  positive), every other competency allowed;
* missed: no answer was cited, so there is no snippet (the interviewer's report of a miss is counted in
  the stats only).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .analysis.results import COMPETENCIES

_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORDS = re.compile(r"[A-Za-z]{3,}(?:\s+[A-Za-z]{2,}){2,}")  # a Latin phrase, not one tech word


def language_of(text: str) -> str:
    if not _HAN.search(text):
        return "en"
    return "mixed" if _LATIN_WORDS.search(text) else "zh"


def to_snippet(v: dict[str, Any]) -> dict[str, Any] | None:
    """One exported verdict as a corpus snippet; None for one without an answer (a missed competency)."""
    answer = (v.get("answer_text") or "").strip()
    if v["verdict"] == "missed" or not answer:
        return None
    comp, others = v["competency"], [k for k in COMPETENCIES if k != v["competency"]]
    required = [comp] if v["verdict"] in ("agree", "too_low") else []
    allowed = others + ([comp] if v["verdict"] == "too_high" else [])
    digest = hashlib.sha256(f"{v['interview_id']}|{comp}|{v['platform']}|{v['user']}".encode()).hexdigest()
    return {
        "id": f"verdict-{digest[:16]}",
        "lang": language_of(answer),
        "source": "verdict",
        "turns": [{"speaker": "candidate", "text": answer}],
        "required": required,
        "allowed": allowed,
        "negative": False,
        "negative_kind": None,
        "qualifiers": [],
        "vague": [],
        "verdict": {k: v.get(k) for k in ("competency", "verdict", "evidence_text", "analysis_version")},
    }


def to_snippets(verdicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in map(to_snippet, verdicts) if s is not None]


VERDICT_WORDS = {
    "agree": ("同意", "agree"),
    "too_high": ("偏高", "too high"),
    "too_low": ("偏低", "too low"),
    "wrong_evidence": ("证据不对", "wrong evidence"),
    "missed": ("漏评", "missed"),
}


def verdict_word(verdict: str, lang: str) -> str:
    zh, en = VERDICT_WORDS[verdict]
    return zh if lang == "zh" else en


def tally_line(counts: dict[str, int], lang: str) -> str:
    """'2 agree, 1 too high' (in the order of VERDICT_WORDS)."""
    sep = "，" if lang == "zh" else ", "
    return sep.join(f"{counts[v]} {verdict_word(v, lang)}" for v in VERDICT_WORDS if counts.get(v))


def _rate(d: dict[str, Any]) -> str:
    """'80% (5)': the agreement and how many verdicts it is of."""
    return f"{d['agreement']:.0%} ({d['total']})" if d["agreement"] is not None else f"– ({d['total']})"


def stats_lines(stats: list[Any], lang: str) -> list[str]:
    """One line per competency: agreement, counts, and per analysis version."""
    from .analysis.summary import competency_name

    lines = []
    for s in stats:
        rate = f"{s.agreement:.0%}" if s.agreement is not None else "–"
        versions = " · ".join(f"{ver or '?'}: {_rate(d)}" for ver, d in s.by_version.items())
        label = "一致率" if lang == "zh" else "agreement"
        name = competency_name(s.competency, lang)
        lines.append(f"{name}: {label} {rate} · {tally_line(s.counts, lang)} · {versions}")
    return lines


def weekly_lines(stats: list[Any], lang: str) -> list[str]:
    """Per competency its agreement week by week (ISO weeks), then the same for each analysis version when
    there is more than one."""
    from .analysis.summary import competency_name

    def series(weeks: dict[str, dict[str, Any]]) -> str:
        return " · ".join(f"{week} {_rate(d)}" for week, d in weeks.items())

    lines = []
    for s in stats:
        lines.append(f"{competency_name(s.competency, lang)}: {series(s.by_week)}")
        if len(s.by_version) > 1:
            lines += [f"  {ver or '?'}: {series(d['by_week'])}" for ver, d in s.by_version.items()]
    return lines
