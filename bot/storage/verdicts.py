"""Interviewers' verdicts on the scores of a report: one per person per competency per interview (the
latest wins), with the evidence and the candidate's answer it refers to and the analysis version that
produced the score. They go with their interview (Interviews.delete derives its tables from the schema)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlite_utils

from .interviews import Visible, access_clause
from .schema import now, upsert

VERDICTS: tuple[str, ...] = ("agree", "too_high", "too_low", "wrong_evidence", "missed")


class VerdictError(Exception):
    """A verdict that cannot be recorded: `reason` is gone | not_ready | bad_competency | bad_verdict."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CompetencyStats:
    competency: str
    total: int
    counts: dict[str, int]
    agreement: float | None  # agree / all verdicts on a score (missed ones excluded)
    by_version: dict[str, dict[str, Any]]  # {version: {total, agreement, by_week}}
    by_week: dict[str, dict[str, Any]] = field(default_factory=dict)  # {"2026-W48": {total, agreement}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "competency": self.competency,
            "total": self.total,
            "counts": self.counts,
            "agreement": self.agreement,
            "by_version": self.by_version,
            "by_week": self.by_week,
        }


def _answer_of(analysis: dict[str, Any], start: float | None, evidence: str) -> str:
    """The candidate's utterance the evidence was taken from: the segment holding its start time, or the
    one whose text contains it."""
    segments = analysis.get("segments") or []
    for seg in segments:
        if evidence and evidence in (seg.get("text") or ""):
            return seg["text"]
    if start is not None:
        for seg in segments:
            if seg.get("start", 0) <= start < seg.get("end", 0):
                return seg.get("text") or ""
    return evidence


def _agreement(counts: Counter) -> float | None:
    scored = sum(n for v, n in counts.items() if v != "missed")
    return round(counts["agree"] / scored, 3) if scored else None


def iso_week(at: str) -> str:
    """'2026-W48' for an ISO timestamp (the week it falls in, Monday to Sunday, in UTC)."""
    year, week, _ = datetime.fromisoformat(at).isocalendar()
    return f"{year}-W{week:02d}"


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    counts = Counter(r["verdict"] for r in rows)
    return {"total": len(rows), "agreement": _agreement(counts)}


def _weekly(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{week: {total, agreement}}, oldest week first (weeks without verdicts are left out)."""
    weeks: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: r["at"]):
        weeks.setdefault(iso_week(r["at"]), []).append(r)
    return {week: _summary(mine) for week, mine in weeks.items()}


class Verdicts:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def record(
        self, interview_id: str, competency: str, verdict: str, user: str, platform: str
    ) -> dict[str, dict[str, int]]:
        """Store (or replace) one person's verdict; the interview's tally afterwards. Raises VerdictError."""
        from ..analysis.results import COMPETENCIES

        if verdict not in VERDICTS:
            raise VerdictError("bad_verdict")
        if competency not in COMPETENCIES:
            raise VerdictError("bad_competency")
        if self.db.execute("select 1 from interviews where id = ?", [interview_id]).fetchone() is None:
            raise VerdictError("gone")
        row = self.db.execute("select body from analyses where interview_id = ?", [interview_id]).fetchone()
        if row is None:
            raise VerdictError("not_ready")
        analysis = json.loads(row[0])
        evidence = ((analysis.get("competencies") or {}).get(competency) or {}).get("evidence") or []
        first = evidence[0] if evidence and verdict != "missed" else {}
        text = first.get("text") or ""
        record = {
            "interview_id": interview_id,
            "competency": competency,
            "platform": platform,
            "user": user,
            "verdict": verdict,
            "evidence_text": text,
            "evidence_start": first.get("start"),
            "answer_text": _answer_of(analysis, first.get("start"), text) if text else "",
            "analysis_version": analysis.get("analysis_version") or "",
            "at": now(),
        }
        with self.db.conn:
            upsert(self.db.conn, "verdicts", record, ("interview_id", "competency", "platform", "user"))
        return self.tally(interview_id)

    def tally(self, interview_id: str) -> dict[str, dict[str, int]]:
        """{competency: {verdict: count}} for one interview."""
        out: dict[str, dict[str, int]] = {}
        for r in self.db.query(
            "select competency, verdict, count(*) as n from verdicts where interview_id = ? "
            "group by competency, verdict order by competency, verdict",
            [interview_id],
        ):
            out.setdefault(r["competency"], {})[r["verdict"]] = r["n"]
        return out

    def counts_between(self, visible: Visible, start: str, end: str) -> dict[str, dict[str, int]]:
        """{competency: {verdict: count}} of the verdicts given in [start, end) on the interviews of the
        channels in `visible` (None: all)."""
        where, args = access_clause(visible)
        sql = (
            "select v.competency, v.verdict, count(*) as n from verdicts v join interviews i "
            f"on i.id = v.interview_id where {where} and v.at >= ? and v.at < ? "
            "group by v.competency, v.verdict"
        )
        out: dict[str, dict[str, int]] = {}
        for r in self.db.query(sql, [*args, start, end]):
            out.setdefault(r["competency"], {})[r["verdict"]] = r["n"]
        return out

    def export(self, since: str | None = None) -> list[dict[str, Any]]:
        """Every verdict (oldest first), in the export's shape."""
        sql = (
            "select interview_id, competency, verdict, evidence_text, evidence_start, answer_text, user, "
            "platform, at, analysis_version from verdicts where at >= ? order by at, interview_id, competency"
        )
        return [dict(r) for r in self.db.query(sql, [since or ""])]

    def stats(
        self, since: str | None = None, channel: tuple[str, str] | None = None
    ) -> list[CompetencyStats]:
        """Per competency: counts, the agreement rate, the same per analysis version, and each per ISO
        week."""
        sql = "select v.competency, v.verdict, v.analysis_version, v.at from verdicts v"
        args: list[Any] = [since or ""]
        where = " where v.at >= ?"
        if channel:
            sql += " join interviews i on i.id = v.interview_id"
            where += " and i.platform = ? and i.channel = ?"
            args += list(channel)
        rows = list(self.db.query(sql + where, args))
        out = []
        for comp in sorted({r["competency"] for r in rows}):
            mine = [r for r in rows if r["competency"] == comp]
            counts = Counter(r["verdict"] for r in mine)
            versions: dict[str, dict[str, Any]] = {}
            for version in sorted({r["analysis_version"] for r in mine}):
                of_version = [r for r in mine if r["analysis_version"] == version]
                versions[version] = {**_summary(of_version), "by_week": _weekly(of_version)}
            out.append(
                CompetencyStats(comp, len(mine), dict(counts), _agreement(counts), versions, _weekly(mine))
            )
        return out
