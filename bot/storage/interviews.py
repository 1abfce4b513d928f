"""Interviews, their recordings, transcripts, analyses and rendered reports.

`Visible` is the set of (platform, channel) pairs a user is a member of, or None for an admin or an API
token: every listing a chat user asks for is filtered by it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from . import search
from .answers import StoredAnswer
from .answers import forget as forget_answers
from .answers import write as write_answers
from .schema import now, tables_with_column, upsert

Visible = set[tuple[str, str]] | None


def access_clause(visible: Visible, alias: str = "i") -> tuple[str, list[Any]]:
    if visible is None:
        return "1=1", []
    if not visible:
        return "0=1", []
    clauses = " or ".join(f"({alias}.platform = ? and {alias}.channel = ?)" for _ in visible)
    return f"({clauses})", [x for pair in sorted(visible) for x in pair]


@dataclass
class InterviewRow:
    id: str
    source: str
    created_at: str
    status: str
    candidate: str | None
    round: str | None
    score: float | None
    recommendation: str | None
    platform: str | None
    channel: str | None


_SELECT = (
    "select i.id, i.source, i.created_at, i.status, c.name as candidate, i.round, "
    "a.overall_score as score, a.recommendation, i.platform, i.channel from interviews i "
    "left join candidates c on c.id = i.candidate_id left join analyses a on a.interview_id = i.id"
)
_BY_NAME = "(c.name = ? or c.id in (select candidate_id from candidate_aliases where name = ?))"


class Interviews:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # ---- one interview -----------------------------------------------------------------------------
    def get(self, interview_id: str) -> dict[str, Any] | None:
        row = next(self.db.query("select * from interviews where id = ?", [interview_id]), None)
        return dict(row) if row else None

    def analysis(self, interview_id: str) -> dict[str, Any] | None:
        row = next(self.db.query("select body from analyses where interview_id = ?", [interview_id]), None)
        return json.loads(row["body"]) if row else None

    def transcript(self, interview_id: str) -> dict[str, Any] | None:
        row = next(self.db.query("select body from transcripts where interview_id = ?", [interview_id]), None)
        return json.loads(row["body"]) if row else None

    def stored_transcript(self, sha256: str, engine: str) -> dict[str, Any] | None:
        """The newest transcript of identical audio by the same engine: the same audio is not
        transcribed twice."""
        row = next(
            self.db.query(
                "select t.body from interviews i join transcripts t on t.interview_id = i.id "
                "where i.sha256 = ? and t.engine = ? order by t.created_at desc limit 1",
                [sha256, engine],
            ),
            None,
        )
        return json.loads(row["body"]) if row else None

    def recording(self, interview_id: str) -> dict[str, Any] | None:
        row = next(self.db.query("select * from recordings where interview_id = ?", [interview_id]), None)
        return dict(row) if row else None

    def recording_path(self, interview_id: str) -> Path | None:
        """The stored audio, unless retention or a delete removed it."""
        rec = self.recording(interview_id)
        if rec is None or rec["deleted_at"] or not rec["path"] or not Path(rec["path"]).exists():
            return None
        return Path(rec["path"])

    def live_recording_paths(self) -> set[str]:
        """Every stored audio file a recording still refers to (what the orphan sweep keeps)."""
        return {r[0] for r in self.db.execute("select path from recordings where deleted_at is null")}

    def write_results(
        self,
        interview_id: str,
        transcript: dict[str, Any],
        analysis: dict[str, Any],
        profile: str,
        answers: list[StoredAnswer] | None = None,
    ) -> None:
        """Transcript, analysis, searchable segments and answers of one interview; no commit (the caller's
        transaction: a job's completion). `answers` None keeps what is stored."""
        conn = self.db.conn
        body = json.dumps(transcript, ensure_ascii=False)
        upsert(
            conn,
            "transcripts",
            {
                "interview_id": interview_id,
                "engine": transcript.get("engine"),
                "body": body,
                "created_at": now(),
            },
            ("interview_id",),
        )
        upsert(
            conn,
            "analyses",
            {
                "interview_id": interview_id,
                "profile": profile,
                "overall_score": analysis["overall"]["score"],
                "recommendation": analysis["overall"]["recommendation"],
                "body": json.dumps(analysis, ensure_ascii=False),
                "created_at": now(),
            },
            ("interview_id",),
        )
        conn.execute(
            "update interviews set language = ?, duration_s = ?, engine = ?, profile = ? where id = ?",
            [
                analysis.get("language"),
                transcript.get("duration_s"),
                transcript.get("engine"),
                profile,
                interview_id,
            ],
        )
        conn.execute(
            "update recordings set duration_s = ? where interview_id = ?",
            [transcript.get("duration_s"), interview_id],
        )
        self._write_segments(interview_id, analysis)
        search.index(conn, interview_id, analysis)
        if answers is not None:
            write_answers(conn, interview_id, answers)

    def _write_segments(self, interview_id: str, analysis: dict[str, Any]) -> None:
        conn = self.db.conn
        conn.execute("delete from segments where interview_id = ?", [interview_id])
        conn.executemany(
            "insert into segments (interview_id, idx, start, [end], speaker, text) values (?, ?, ?, ?, ?, ?)",
            [
                (interview_id, i, s["start"], s["end"], s["speaker"], s["text"])
                for i, s in enumerate(analysis.get("segments", []))
            ],
        )

    def save_report(self, interview_id: str, fmt: str, body: str) -> None:
        with self.db.conn:
            upsert(
                self.db.conn,
                "reports",
                {"interview_id": interview_id, "format": fmt, "body": body, "created_at": now()},
                ("interview_id", "format"),
            )

    def delete(self, interview_id: str) -> dict[str, Any] | None:
        """Every row about one interview, in every table that has an interview_id column (derived from
        the schema, so a new table is covered without touching this), and its audio file unless another
        interview shares it. Returns the deleted interview row, or None if there was none."""
        row = self.get(interview_id)
        if row is None:
            return None
        rec = self.recording(interview_id)
        with self.db.conn:
            for table in set(tables_with_column(self.db, "interview_id")) - {"audit_log"}:  # the trail stays
                self.db.conn.execute(f"delete from [{table}] where interview_id = ?", [interview_id])
            forget_answers(self.db.conn, interview_id)  # their FTS rows are keyed, not by column
            self.db.conn.execute("delete from interviews where id = ?", [interview_id])
            # the trail keeps who did what when, without personal data
            self.db.conn.execute("update audit_log set detail = '{}' where interview_id = ?", [interview_id])
            self._forget_candidate(row.get("candidate_id"))
        if rec and rec["path"]:
            shared = next(
                self.db.query(
                    "select 1 from recordings where path = ? and deleted_at is null", [rec["path"]]
                ),
                None,
            )
            if not shared:
                Path(rec["path"]).unlink(missing_ok=True)
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # deleted text leaves the WAL file too
        return row

    def _forget_candidate(self, candidate_id: str | None) -> None:
        """A candidate with no interview left goes (name, aliases, decision), and so does its name in
        audit details."""
        if (
            not candidate_id
            or self.db.execute(
                "select 1 from interviews where candidate_id = ? limit 1", [candidate_id]
            ).fetchone()
            # a consent record is kept (a refusal must still hold for the next recording), and its name
            or self.db.execute("select 1 from consents where candidate_id = ?", [candidate_id]).fetchone()
        ):
            return
        names = [r[0] for r in self.db.execute("select name from candidates where id = ?", [candidate_id])]
        names += [
            r[0]
            for r in self.db.execute(
                "select name from candidate_aliases where candidate_id = ?", [candidate_id]
            )
        ]
        self.db.conn.execute("delete from candidate_aliases where candidate_id = ?", [candidate_id])
        self.db.conn.execute("delete from candidates where id = ?", [candidate_id])
        for name in filter(None, set(names)):
            pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            self.db.conn.execute(
                "update audit_log set detail = '{}' where detail like ? escape '\\'", [pattern]
            )

    # ---- listings ----------------------------------------------------------------------------------
    def recent(
        self, visible: Visible, limit: int = 10, channel: tuple[str, str] | None = None
    ) -> list[InterviewRow]:
        where, args = access_clause(visible)
        if channel:
            where += " and i.platform = ? and i.channel = ?"
            args += list(channel)
        sql = f"{_SELECT} where {where} order by i.created_at desc limit ?"
        return [InterviewRow(**r) for r in self.db.query(sql, [*args, limit])]

    def by_candidate(self, visible: Visible, name: str) -> list[InterviewRow]:
        where, args = access_clause(visible)
        sql = f"{_SELECT} where {where} and {_BY_NAME} order by i.created_at"
        return [InterviewRow(**r) for r in self.db.query(sql, [*args, name, name])]

    def listing(self, candidate: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
        """The API's interview list (API tokens see every channel); a candidate by name or merged alias."""
        sql = (
            "select i.id, i.status, i.source, i.created_at, i.duration_s, i.round, i.profile, "
            "c.name as candidate, a.overall_score, a.recommendation from interviews i left join candidates c "
            "on c.id = i.candidate_id left join analyses a on a.interview_id = i.id where 1=1"
        )
        args: list[Any] = []
        if candidate:
            sql += f" and {_BY_NAME}"
            args += [candidate, candidate]
        if since:
            sql += " and i.created_at >= ?"
            args.append(since)
        return [dict(r) for r in self.db.query(sql + " order by i.created_at desc limit ?", [*args, limit])]

    def platform_channels(self, platform: str) -> list[str]:
        """Every channel of a platform that has interviews (what a membership check has to cover)."""
        sql = "select distinct channel from interviews where platform = ? and channel is not null"
        return [r["channel"] for r in self.db.query(sql, [platform])]

    def rounds_of(self, visible: Visible, candidate_id: str) -> list[dict[str, Any]]:
        """A candidate's analysed interviews the user may see, oldest first, with their analyses."""
        where, args = access_clause(visible)
        rows = self.db.query(
            f"select i.id, i.round, i.interviewer, i.created_at, i.profile, a.body from interviews i "
            f"join analyses a on a.interview_id = i.id where {where} and i.candidate_id = ? "
            f"order by i.created_at",
            [*args, candidate_id],
        )
        return [{**r, "analysis": json.loads(r["body"])} for r in rows]

    def asr_totals(self) -> dict[str, float]:
        """Seconds of audio transcribed and wall seconds spent on it (reused transcripts left out)."""
        row = next(
            self.db.query(
                "select coalesce(sum(json_extract(body, '$.duration_s')), 0) as audio, "
                "coalesce(sum(json_extract(body, '$.timings.wall_s')), 0) as wall from transcripts "
                "where json_extract(body, '$.timings.reused') is null"
            )
        )
        return {"audio": row["audio"], "wall": row["wall"]}

    # ---- retention ---------------------------------------------------------------------------------
    def purge_audio_before(self, cutoff: str) -> int:
        """Delete recordings of finished interviews created before `cutoff` (files shared with a newer
        interview stay); the interviews keep working without their audio player."""
        rows = list(
            self.db.query(
                "select r.interview_id, r.path from recordings r join interviews i on i.id = r.interview_id "
                "where r.deleted_at is null and i.created_at < ? and i.status in ('done', 'failed')",
                [cutoff],
            )
        )
        for row in rows:
            shared = next(
                self.db.query(
                    "select 1 from recordings r join interviews i on i.id = r.interview_id where r.path = ? "
                    "and r.deleted_at is null and i.created_at >= ?",
                    [row["path"], cutoff],
                ),
                None,
            )
            if not shared and row["path"]:
                Path(row["path"]).unlink(missing_ok=True)
            with self.db.conn:
                self.db.conn.execute(
                    "update recordings set deleted_at = ? where interview_id = ?",
                    [now(), row["interview_id"]],
                )
        return len(rows)

    def created_before(self, cutoff: str) -> list[str]:
        return [r["id"] for r in self.db.query("select id from interviews where created_at < ?", [cutoff])]

    def set_interviewer(self, interview_id: str, user: str | None, name: str | None) -> None:
        """Who interviewed: a platform user (`interviewer_user`, who gets the private note) and/or a name."""
        with self.db.conn:
            self.db.conn.execute(
                "update interviews set interviewer_user = ?, interviewer = ? where id = ?",
                [user, name, interview_id],
            )

    # ---- per-channel settings ----------------------------------------------------------------------
    def channel_profile(self, platform: str, channel: str) -> str | None:
        sql = "select profile from channel_settings where platform = ? and channel = ?"
        row = next(self.db.query(sql, [platform, channel]), None)
        return row["profile"] if row else None

    def set_channel_profile(self, platform: str, channel: str, profile: str, user: str) -> None:
        row = {
            "platform": platform,
            "channel": channel,
            "profile": profile,
            "language": None,
            "updated_by": user,
            "updated_at": now(),
        }
        with self.db.conn:
            upsert(self.db.conn, "channel_settings", row, ("platform", "channel"))
