"""Durable ATS callbacks: one row per delivery owed, retried with backoff until delivered or out of
attempts; the rows survive restarts (a delivery due while the process was down goes out after it)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import sqlite_utils

from .schema import now


class CallbackQueue:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def enqueue(self, interview_id: str, url: str, payload: dict[str, Any]) -> str:
        row_id = uuid.uuid4().hex[:12]
        with self.db.conn:
            self.db.conn.execute(
                "insert into callbacks (id, interview_id, url, payload, status, attempts, next_at, "
                "last_error, created_at, updated_at) values (?, ?, ?, ?, 'pending', 0, 0, null, ?, ?)",
                [row_id, interview_id, url, json.dumps(payload, ensure_ascii=False), now(), now()],
            )
        return row_id

    def due(self, limit: int = 20) -> list[dict[str, Any]]:
        sql = "select * from callbacks where status = 'pending' and next_at <= ? order by next_at limit ?"
        return [dict(r) for r in self.db.query(sql, [time.time(), limit])]

    def record(self, row_id: str, *, delivered: bool, error: str | None, retry_in_s: float | None) -> None:
        """One attempt's outcome: delivered, or failed (retry after `retry_in_s`, None: give up)."""
        status = "delivered" if delivered else ("pending" if retry_in_s is not None else "failed")
        with self.db.conn:
            self.db.conn.execute(
                "update callbacks set status = ?, attempts = attempts + 1, last_error = ?, next_at = ?, "
                "updated_at = ? where id = ?",
                [status, error, time.time() + (retry_in_s or 0), now(), row_id],
            )

    def of(self, interview_id: str) -> list[dict[str, Any]]:
        sql = "select * from callbacks where interview_id = ? order by created_at"
        return [dict(r) for r in self.db.query(sql, [interview_id])]
