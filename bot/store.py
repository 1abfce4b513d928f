"""The SQLite history (sqlite-utils, one file, WAL). Schema versioned; forward migrations run at open."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _v1(db: sqlite_utils.Database) -> None:
    db["interviews"].create(
        {
            "id": str,
            "created_at": str,
            "source": str,
            "sha256": str,
            "size_bytes": int,
            "duration_s": float,
            "language": str,
            "engine": str,
            "profile": str,
            "title": str,
            "status": str,
        },
        pk="id",
    )
    db["interviews"].create_index(["sha256"])
    db["transcripts"].create(
        {"interview_id": str, "engine": str, "body": str, "created_at": str},
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["analyses"].create(
        {
            "interview_id": str,
            "profile": str,
            "overall_score": float,
            "recommendation": str,
            "body": str,
            "created_at": str,
        },
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["reports"].create(
        {"interview_id": str, "format": str, "body": str, "created_at": str},
        pk=("interview_id", "format"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )


def _v2(db: sqlite_utils.Database) -> None:
    """The durable pipeline: candidates, recordings, segments, jobs, platform posts, events, audit."""
    db["candidates"].create({"id": str, "name": str, "email": str, "created_at": str}, pk="id")
    db["candidates"].create_index(["name"])
    for column, kind in (
        ("candidate_id", str),
        ("round", str),
        ("interviewer", str),
        ("platform", str),
        ("channel", str),
        ("thread", str),
        ("uploader", str),
        ("error", str),
        ("callback_url", str),
    ):
        db["interviews"].add_column(column, kind)
    db["recordings"].create(
        {
            "interview_id": str,
            "path": str,
            "sha256": str,
            "size_bytes": int,
            "duration_s": float,
            "source": str,
            "content_type": str,
            "created_at": str,
            "deleted_at": str,
        },
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["segments"].create(
        {"interview_id": str, "idx": int, "start": float, "end": float, "speaker": str, "text": str},
        pk=("interview_id", "idx"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["jobs"].create(
        {
            "id": str,
            "interview_id": str,
            "idempotency_key": str,
            "status": str,
            "attempts": int,
            "max_attempts": int,
            "lease_owner": str,
            "lease_until": float,
            "next_attempt_at": float,
            "stage": str,
            "done": int,
            "total": int,
            "error": str,
            "created_at": str,
            "updated_at": str,
            "finished_at": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["jobs"].create_index(["idempotency_key"], unique=True)
    db["jobs"].create_index(["status", "next_attempt_at"])
    db["platform_posts"].create(
        {
            "platform": str,
            "channel": str,
            "thread": str,
            "interview_id": str,
            "kind": str,
            "message_id": str,
            "created_at": str,
        },
        pk=("platform", "channel", "thread", "interview_id", "kind"),
    )
    db["seen_events"].create(
        {"platform": str, "event_id": str, "received_at": str}, pk=("platform", "event_id")
    )
    db["audit_log"].create(
        {"id": int, "at": str, "actor": str, "action": str, "interview_id": str, "detail": str}, pk="id"
    )


def _v3(db: sqlite_utils.Database) -> None:
    """Per-channel settings (the job profile a team sets with a command), and the inbox of platform files:
    written before anything else happens to an upload, so a crash after the platform got its
    acknowledgement never loses a recording (start-up resumes what is not finished)."""
    db["channel_settings"].create(
        {
            "platform": str,
            "channel": str,
            "profile": str,
            "language": str,
            "updated_by": str,
            "updated_at": str,
        },
        pk=("platform", "channel"),
    )
    db["pending_files"].create(
        {
            "platform": str,
            "file_id": str,
            "channel": str,
            "thread": str,
            "user": str,
            "ack_message": str,
            "interview_id": str,
            "finished": int,
            "received_at": str,
        },
        pk=("platform", "file_id"),
    )


def _v4(db: sqlite_utils.Database) -> None:
    """History across rounds, digests and full-text search: candidate aliases (a merged name keeps
    linking new uploads) and hiring decisions; digest subscriptions and one row per subscription per
    day (the primary key is what makes a digest go out once); the FTS5 index, built for what is stored."""
    from . import fulltext

    for column, kind in (("decision", str), ("decided_at", str), ("decided_by", str)):
        db["candidates"].add_column(column, kind)
    db["candidate_aliases"].create({"name": str, "candidate_id": str, "created_at": str}, pk="name")
    db["digest_subscriptions"].create(
        {
            "id": str,
            "platform": str,
            "channel": str,
            "target": str,
            "target_kind": str,
            "at_time": str,
            "timezone": str,
            "language": str,
            "skip_empty": int,
            "created_by": str,
            "created_at": str,
        },
        pk="id",
    )
    db["digest_subscriptions"].create_index(["platform", "channel", "target"], unique=True)
    db["digests"].create(
        {
            "subscription_id": str,
            "date": str,
            "status": str,
            "window_start": str,
            "window_end": str,
            "late": int,
            "message_id": str,
            "claimed_by": str,
            "claimed_at": str,
            "posted_at": str,
            "interviews": int,
        },
        pk=("subscription_id", "date"),
    )
    db.execute(fulltext.CREATE)
    for row in db.query("select interview_id, body from analyses"):
        fulltext.index(db.conn, row["interview_id"], json.loads(row["body"]))


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4]


def upsert(conn, table: str, row: dict[str, Any], pk: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE without committing: callers own the transaction (sqlite-utils'
    own insert/upsert commit on their way out, which would split a multi-table write)."""
    cols = list(row)
    updates = (
        ", ".join(f"[{c}] = excluded.[{c}]" for c in cols if c not in pk) or f"[{pk[0]}] = excluded.[{pk[0]}]"
    )
    conn.execute(
        f"insert into [{table}] ({', '.join(f'[{c}]' for c in cols)}) values "
        f"({', '.join('?' for _ in cols)}) "
        f"on conflict ({', '.join(f'[{c}]' for c in pk)}) do update set {updates}",
        [row[c] for c in cols],
    )


class Store:
    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per Store; open one Store per thread. A busy timeout lets writers queue up.
        self.db = sqlite_utils.Database(sqlite3.connect(path, timeout=30))
        self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.migrate()

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        for number, step in enumerate(MIGRATIONS, start=1):
            if self.version < number:
                with self.db.conn:
                    step(self.db)
                    self.db.execute(f"PRAGMA user_version = {number}")

    def find_transcript(self, sha256: str, engine: str) -> tuple[str, dict[str, Any]] | None:
        row = next(
            self.db.query(
                "select i.id, t.body from interviews i join transcripts t on t.interview_id = i.id "
                "where i.sha256 = ? and t.engine = ? order by i.created_at desc limit 1",
                [sha256, engine],
            ),
            None,
        )
        return (row["id"], json.loads(row["body"])) if row else None

    def save_interview(
        self,
        *,
        source: str,
        sha256: str,
        size_bytes: int,
        transcript: dict[str, Any],
        analysis: dict[str, Any],
        profile: str,
        title: str,
        interview_id: str | None = None,
        people: dict[str, Any] | None = None,
    ) -> str:
        """`people`: candidate_id, round and interviewer when known."""
        interview_id = interview_id or uuid.uuid4().hex[:12]
        with self.db.conn:
            upsert(
                self.db.conn,
                "interviews",
                {
                    "id": interview_id,
                    "created_at": now(),
                    "source": source,
                    "sha256": sha256,
                    "size_bytes": size_bytes,
                    "duration_s": transcript.get("duration_s"),
                    "language": analysis.get("language"),
                    "engine": transcript.get("engine"),
                    "profile": profile,
                    "title": title,
                    "status": "done",
                    **{k: v for k, v in (people or {}).items() if v is not None},
                },
                ("id",),
            )
            self.write_results(interview_id, transcript, analysis, profile)
        return interview_id

    def write_results(
        self, interview_id: str, transcript: dict[str, Any], analysis: dict[str, Any], profile: str
    ) -> None:
        """Transcript, analysis and searchable segments of one interview; no commit (caller's transaction)."""
        conn = self.db.conn
        upsert(
            conn,
            "transcripts",
            {
                "interview_id": interview_id,
                "engine": transcript.get("engine"),
                "body": json.dumps(transcript, ensure_ascii=False),
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
        if self.version >= 2:
            conn.execute("delete from segments where interview_id = ?", [interview_id])
            conn.executemany(
                "insert into segments (interview_id, idx, start, [end], speaker, text) values (?, ?, ?, ?, "
                "?, ?)",
                [
                    (interview_id, i, s["start"], s["end"], s["speaker"], s["text"])
                    for i, s in enumerate(analysis.get("segments", []))
                ],
            )
        if self.version >= 4:
            from . import fulltext

            fulltext.index(conn, interview_id, analysis)

    def save_report(self, interview_id: str, fmt: str, body: str) -> None:
        with self.db.conn:
            upsert(
                self.db.conn,
                "reports",
                {"interview_id": interview_id, "format": fmt, "body": body, "created_at": now()},
                ("interview_id", "format"),
            )

    def interview(self, interview_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.db["interviews"].get(interview_id))
        except sqlite_utils.db.NotFoundError:
            return None
