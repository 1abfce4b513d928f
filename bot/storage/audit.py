"""The audit log: who did what to which interview. Details never hold transcript text."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from .schema import now


class Audit:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def __call__(
        self, actor: str, action: str, interview_id: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        with self.db.conn:
            self.db.conn.execute(
                "insert into audit_log (at, actor, action, interview_id, detail) values (?, ?, ?, ?, ?)",
                [now(), actor, action, interview_id, json.dumps(detail or {}, ensure_ascii=False)],
            )

    def actions(self, interview_id: str | None = None) -> list[str]:
        sql, args = "select action from audit_log", []
        if interview_id:
            sql, args = sql + " where interview_id = ?", [interview_id]
        return [r["action"] for r in self.db.query(sql + " order by id", args)]
