"""Scorecard drafts sent to applicant tracking systems: the claims and outcomes behind "exactly once per
interview, target and analysis" (bot.ats holds the flow). A row is claimed before anything is posted; the
primary key (interview, target, analysis digest) makes the claim atomic across replicas and restarts. A
claim without a note id is either in flight (fresh) or left by a failed or crashed sender (released or
stale): whoever takes it over looks in the ATS for the note's marker before posting again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from .schema import now


def _stale(stale_s: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=stale_s)).isoformat(timespec="seconds")


class AtsSends:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _write(self, sql: str, args: list[Any]) -> int:
        with self.db.conn:
            return self.db.conn.execute(sql, args).rowcount

    def latest_sent(self, interview_id: str, target: str) -> dict[str, Any] | None:
        """The last note that went out for this interview to this target."""
        sql = (
            "select * from ats_sends where interview_id = ? and target = ? and status = 'sent' "
            "order by sent_at desc, rowid desc limit 1"
        )
        row = next(self.db.query(sql, [interview_id, target]), None)
        return dict(row) if row else None

    def get(self, interview_id: str, target: str, digest: str) -> dict[str, Any] | None:
        sql = "select * from ats_sends where interview_id = ? and target = ? and digest = ?"
        row = next(self.db.query(sql, [interview_id, target, digest]), None)
        return dict(row) if row else None

    def claim(
        self,
        interview_id: str,
        target: str,
        digest: str,
        *,
        application_id: str,
        user: str,
        owner: str,
        supersedes: str | None,
        stale_s: float,
    ) -> str:
        """'new' (ours, nothing posted yet), 'taken_over' (a released or stale claim, now ours: look in the
        ATS before posting), 'held' (another sender is at it now) or 'sent' (it went out)."""
        values = [interview_id, target, digest, application_id, supersedes, user, owner, now()]
        inserted = self._write(
            "insert or ignore into ats_sends (interview_id, target, digest, application_id, status, "
            "external_id, supersedes, user, claimed_by, claimed_at, sent_at) "
            "values (?, ?, ?, ?, 'claimed', null, ?, ?, ?, ?, null)",
            values,
        )
        if inserted:
            return "new"
        took = self._write(
            "update ats_sends set claimed_by = ?, claimed_at = ?, user = ?, application_id = ? "
            "where interview_id = ? and target = ? and digest = ? and status = 'claimed' and claimed_at < ?",
            [owner, now(), user, application_id, interview_id, target, digest, _stale(stale_s)],
        )
        if took:
            return "taken_over"
        row = self.get(interview_id, target, digest)
        return "sent" if row and row["status"] == "sent" else "held"

    def sent(self, interview_id: str, target: str, digest: str, external_id: str) -> None:
        self._write(
            "update ats_sends set status = 'sent', external_id = ?, sent_at = ? "
            "where interview_id = ? and target = ? and digest = ?",
            [external_id, now(), interview_id, target, digest],
        )

    def release(self, interview_id: str, target: str, digest: str) -> None:
        """A send that failed: kept as a claim dated back, so the next try takes it over at once (and looks
        in the ATS first, in case the note went out after all)."""
        self._write(
            "update ats_sends set claimed_at = '' where interview_id = ? and target = ? and digest = ? "
            "and status = 'claimed'",
            [interview_id, target, digest],
        )

    def unconfirmed(self, interview_id: str, target: str, stale_s: float) -> list[dict[str, Any]]:
        """Claims of earlier sends that never learnt whether their note went out (released or stale)."""
        sql = (
            "select * from ats_sends where interview_id = ? and target = ? and status = 'claimed' "
            "and claimed_at < ? order by claimed_at"
        )
        return [dict(r) for r in self.db.query(sql, [interview_id, target, _stale(stale_s)])]

    def forget(self, interview_id: str, target: str, digest: str) -> None:
        """An unconfirmed claim whose note the ATS does not have: nothing went out."""
        self._write(
            "delete from ats_sends where interview_id = ? and target = ? and digest = ? "
            "and status = 'claimed'",
            [interview_id, target, digest],
        )

    def history(self, interview_id: str) -> list[dict[str, Any]]:
        sql = "select * from ats_sends where interview_id = ? order by claimed_at"
        return [dict(r) for r in self.db.query(sql, [interview_id])]

    # ---- the application an upload named ----------------------------------------------------------------
    def set_application(self, interview_id: str, application_id: str) -> None:
        self._write("update interviews set ats_application = ? where id = ?", [application_id, interview_id])

    def remember_file_application(self, platform: str, file_id: str, application_id: str) -> str | None:
        """The `application: <id>` line of an upload's message, kept with the inbox row (the message and
        the file event race: whichever takes the file in, the hint stays); the interview it became, if
        any, gets it at once."""
        self._write(
            "update pending_files set ats_application = ? where platform = ? and file_id = ?",
            [application_id, platform, file_id],
        )
        row = next(
            self.db.query(
                "select interview_id from pending_files where platform = ? and file_id = ?",
                [platform, file_id],
            ),
            None,
        )
        if row and row["interview_id"]:
            self.set_application(row["interview_id"], application_id)
        return row["interview_id"] if row else None

    def file_application(self, platform: str, file_id: str) -> str | None:
        sql = "select ats_application from pending_files where platform = ? and file_id = ?"
        row = next(self.db.query(sql, [platform, file_id]), None)
        return row["ats_application"] if row else None
