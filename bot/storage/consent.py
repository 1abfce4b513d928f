"""Candidates' consent to recording and analysis (PIPL: a recording is personal information processed on
consent). One current record per candidate, keyed like the candidate history (candidates.id); every change
also goes to the audit log, so the history of who recorded what stays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from .schema import now, upsert

STATES = ("granted", "refused", "withdrawn")


def withdrawn(conn, interview_ids: Sequence[str]) -> list[str]:
    """Those of `interview_ids` whose candidate refused or withdrew consent (an erasure under way: the
    interview row goes after the consent is recorded)."""
    if not interview_ids:
        return []
    marks = ",".join("?" * len(interview_ids))
    sql = (
        f"select i.id from interviews i join consents c on c.candidate_id = i.candidate_id "
        f"where i.id in ({marks}) and c.state != 'granted'"
    )
    return [r[0] for r in conn.execute(sql, list(interview_ids))]


def erased(conn, interview_ids: Sequence[str]) -> list[str]:
    """Those of `interview_ids` that are gone (deleted or erased) or whose erasure is under way: every one
    but those still there with consent granted or never asked about."""
    if not interview_ids:
        return []
    marks = ",".join("?" * len(interview_ids))
    kept = {
        r[0]
        for r in conn.execute(
            f"select i.id from interviews i left join consents c on c.candidate_id = i.candidate_id "
            f"where i.id in ({marks}) and coalesce(c.state, 'granted') = 'granted'",
            list(interview_ids),
        )
    }
    return [i for i in interview_ids if i not in kept]


def owe_retraction(conn, platform: str, channel: str, thread: str | None, message_id: str) -> None:
    """A message an erasure must delete and could not yet: the platform's sweep deletes it (no commit)."""
    conn.execute(
        "insert or ignore into retractions (platform, channel, thread, message_id, at) "
        "values (?, ?, ?, ?, ?)",
        [platform, channel, thread, message_id, now()],
    )


class Consents:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def get(self, candidate_id: str | None) -> dict[str, Any] | None:
        if not candidate_id:
            return None
        row = self.db.execute(
            "select c.name, x.state, x.how, x.note, x.recorded_by, x.at from consents x "
            "join candidates c on c.id = x.candidate_id where x.candidate_id = ?",
            [candidate_id],
        ).fetchone()
        keys = ("candidate", "state", "how", "note", "recorded_by", "at")
        return dict(zip(keys, row)) if row else None

    def granted(self, candidate_id: str | None) -> bool:
        record = self.get(candidate_id)
        return bool(record and record["state"] == "granted")

    def record(self, candidate_id: str, state: str, *, how: str, by: str, note: str | None) -> dict[str, Any]:
        """The candidate's consent is now `state`; no commit (the caller's transaction)."""
        if state not in STATES:
            raise ValueError(f"consent state must be one of {', '.join(STATES)}")
        row = {"candidate_id": candidate_id, "state": state, "how": how, "note": note, "recorded_by": by}
        upsert(self.db.conn, "consents", {**row, "at": now()}, ("candidate_id",))
        return self.get(candidate_id) or {}
