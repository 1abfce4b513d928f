"""The SQLite history (sqlite-utils, one file, WAL). Schema versioned; forward migrations run at open."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import sqlite_utils


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _v1(db: sqlite_utils.Database) -> None:
    db["interviews"].create(
        {"id": str, "created_at": str, "source": str, "sha256": str, "size_bytes": int, "duration_s": float,
         "language": str, "engine": str, "profile": str, "title": str, "status": str},
        pk="id",
    )
    db["interviews"].create_index(["sha256"])
    db["transcripts"].create({"interview_id": str, "engine": str, "body": str, "created_at": str}, pk="interview_id",
                             foreign_keys=[("interview_id", "interviews", "id")])
    db["analyses"].create({"interview_id": str, "profile": str, "overall_score": float, "recommendation": str,
                           "body": str, "created_at": str}, pk="interview_id",
                          foreign_keys=[("interview_id", "interviews", "id")])
    db["reports"].create({"interview_id": str, "format": str, "body": str, "created_at": str},
                         pk=("interview_id", "format"), foreign_keys=[("interview_id", "interviews", "id")])


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1]


class Store:
    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(path)
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
        row = next(self.db.query(
            "select i.id, t.body from interviews i join transcripts t on t.interview_id = i.id "
            "where i.sha256 = ? and t.engine = ? order by i.created_at desc limit 1", [sha256, engine]), None)
        return (row["id"], json.loads(row["body"])) if row else None

    def save_interview(self, *, source: str, sha256: str, size_bytes: int, transcript: dict[str, Any],
                       analysis: dict[str, Any], profile: str, title: str, interview_id: str | None = None) -> str:
        interview_id = interview_id or uuid.uuid4().hex[:12]
        with self.db.conn:
            self.db["interviews"].upsert({
                "id": interview_id, "created_at": now(), "source": source, "sha256": sha256, "size_bytes": size_bytes,
                "duration_s": transcript.get("duration_s"), "language": analysis.get("language"),
                "engine": transcript.get("engine"), "profile": profile, "title": title, "status": "done",
            }, pk="id")
            self.db["transcripts"].upsert({"interview_id": interview_id, "engine": transcript.get("engine"),
                                           "body": json.dumps(transcript, ensure_ascii=False), "created_at": now()},
                                          pk="interview_id")
            self.db["analyses"].upsert({"interview_id": interview_id, "profile": profile,
                                        "overall_score": analysis["overall"]["score"],
                                        "recommendation": analysis["overall"]["recommendation"],
                                        "body": json.dumps(analysis, ensure_ascii=False), "created_at": now()},
                                       pk="interview_id")
        return interview_id

    def save_report(self, interview_id: str, fmt: str, body: str) -> None:
        self.db["reports"].upsert({"interview_id": interview_id, "format": fmt, "body": body, "created_at": now()},
                                  pk=("interview_id", "format"))

    def interview(self, interview_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.db["interviews"].get(interview_id))
        except sqlite_utils.db.NotFoundError:
            return None
