"""What chat platforms need to answer exactly once: the durable inbox of uploaded files, seen event ids,
and claims on every message the bot posts in a thread (the primary keys make each claim atomic across
concurrent events, replicas and restarts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from .consent import owe_retraction, withdrawn
from .schema import now


class Posts:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _write(self, sql: str, args: list[Any]) -> int:
        with self.db.conn:
            return self.db.conn.execute(sql, args).rowcount

    # ---- events ------------------------------------------------------------------------------------
    def seen_event(self, platform: str, event_id: str) -> bool:
        """Record an event id; True if it was seen before (a retry or redelivery)."""
        sql = "insert or ignore into seen_events (platform, event_id, received_at) values (?, ?, ?)"
        return self._write(sql, [platform, event_id, now()]) == 0

    # ---- the inbox of uploads ----------------------------------------------------------------------
    def claim_file(self, platform: str, file_id: str, channel: str, thread: str, user: str | None) -> bool:
        """Put an upload in the inbox; False when it is already there (the other event, or a retry)."""
        sql = (
            "insert or ignore into pending_files (platform, file_id, channel, thread, user, ack_message, "
            "interview_id, finished, received_at) values (?, ?, ?, ?, ?, null, null, 0, ?)"
        )
        return self._write(sql, [platform, file_id, channel, thread, user, now()]) == 1

    def update_file(self, platform: str, file_id: str, **values: Any) -> None:
        sets = ", ".join(f"[{k}] = ?" for k in values)
        sql = f"update pending_files set {sets} where platform = ? and file_id = ?"
        self._write(sql, [*values.values(), platform, file_id])

    def unfinished_files(self, platform: str, older_than_s: float = 0.0) -> list[dict[str, Any]]:
        """Inbox files not taken in to the end, received at least `older_than_s` ago."""
        before = (datetime.now(UTC) - timedelta(seconds=older_than_s)).isoformat(timespec="seconds")
        sql = "select * from pending_files where platform = ? and finished = 0 and received_at <= ?"
        return [dict(r) for r in self.db.query(sql, [platform, before])]

    def remember_file_interviewer(
        self, platform: str, file_id: str, user: str | None, name: str | None
    ) -> str | None:
        """The interviewer an upload's message named (a platform user, or a free-text name), kept with the
        inbox row (the message and the file event race); the interview it became, if any, gets it at once.
        The interview's id, if there is one."""
        with self.db.conn:
            self.db.conn.execute(
                "update pending_files set interviewer_user = ?, interviewer = ? where platform = ? "
                "and file_id = ?",
                [user, name, platform, file_id],
            )
            row = self.db.conn.execute(
                "select interview_id from pending_files where platform = ? and file_id = ?",
                [platform, file_id],
            ).fetchone()
            if row and row[0]:
                self.db.conn.execute(
                    "update interviews set interviewer_user = ?, interviewer = ? where id = ?",
                    [user, name, row[0]],
                )
        return row[0] if row else None

    def file_interviewer(self, platform: str, file_id: str) -> dict[str, Any] | None:
        """{"user", "name"} an upload's message named, if it named one."""
        sql = "select interviewer_user, interviewer from pending_files where platform = ? and file_id = ?"
        row = next(self.db.query(sql, [platform, file_id]), None)
        if not row or not (row["interviewer_user"] or row["interviewer"]):
            return None
        return {"user": row["interviewer_user"], "name": row["interviewer"]}

    def file_interview(self, platform: str, file_id: str) -> str | None:
        """The interview an inbox file became, once it did."""
        sql = "select interview_id from pending_files where platform = ? and file_id = ?"
        row = next(self.db.query(sql, [platform, file_id]), None)
        return row["interview_id"] if row else None

    def thread_files(self, platform: str, channel: str, thread: str) -> list[str]:
        """The inbox files posted in a thread, oldest first (what a reply in it refers to)."""
        sql = (
            "select file_id from pending_files where platform = ? and channel = ? and thread = ? "
            "order by received_at"
        )
        return [r["file_id"] for r in self.db.query(sql, [platform, channel, thread])]

    def upload_of(self, platform: str, file_ids: list[str], user: str | None) -> str | None:
        """The first of `file_ids` that is an upload of `user`'s in the inbox (what a reply refers to)."""
        for file_id in file_ids:
            sql = "select 1 from pending_files where platform = ? and file_id = ? and user = ?"
            if file_id and user and next(self.db.query(sql, [platform, file_id, user]), None):
                return file_id
        return None

    # ---- posts in threads --------------------------------------------------------------------------
    def claim(self, platform: str, channel: str, thread: str, interview_key: str, kind: str) -> bool:
        """Reserve the right to post `kind` for this interview in this thread; False if taken."""
        sql = (
            "insert or ignore into platform_posts (platform, channel, thread, interview_id, kind, "
            "message_id, created_at) values (?, ?, ?, ?, ?, null, ?)"
        )
        return self._write(sql, [platform, channel, thread, interview_key, kind, now()]) == 1

    def set_message(
        self, platform: str, channel: str, thread: str, interview_key: str, kind: str, message_id: str | None
    ) -> None:
        """Record what a claim posted. A post that went out while its interview was erased or deleted (the
        claim gone with it, or the candidate's consent refused or withdrawn meanwhile) was not there for
        the erasure to find: it is owed a retraction, which the platform's sweep makes."""
        sql = (
            "update platform_posts set message_id = ? where platform = ? and channel = ? and thread = ? "
            "and interview_id = ? and kind = ?"
        )
        with self.db.conn:
            found = self.db.conn.execute(sql, [message_id, platform, channel, thread, interview_key, kind])
            if message_id and (found.rowcount == 0 or withdrawn(self.db.conn, [interview_key])):
                owe_retraction(self.db.conn, platform, channel, thread or None, message_id)

    def take_over(
        self, platform: str, channel: str, thread: str, interview_key: str, kind: str, stale_s: float
    ) -> bool:
        """Take a claim left without a message for `stale_s` (its poster died or failed); one taker wins
        (two replicas sweeping the same claim)."""
        stale = (datetime.now(UTC) - timedelta(seconds=stale_s)).isoformat(timespec="seconds")
        sql = (
            "update platform_posts set created_at = ? where platform = ? and channel = ? and thread = ? "
            "and interview_id = ? and kind = ? and message_id is null and created_at < ?"
        )
        return self._write(sql, [now(), platform, channel, thread, interview_key, kind, stale]) == 1

    def release(self, platform: str, channel: str, thread: str, interview_key: str, kind: str) -> None:
        """A claim whose post failed: kept without a message and dated back, so the next sweep takes it
        over at once (and looks in the thread first, in case the post went out after all)."""
        sql = (
            "update platform_posts set created_at = '' where platform = ? and channel = ? and thread = ? "
            "and interview_id = ? and kind = ? and message_id is null"
        )
        self._write(sql, [platform, channel, thread, interview_key, kind])

    def claimed(self, platform: str, interview_key: str, kind: str) -> bool:
        """Whether `kind` was claimed for this interview: posted, refused for good, or under way."""
        sql = "select 1 from platform_posts where platform = ? and interview_id = ? and kind = ?"
        return next(self.db.query(sql, [platform, interview_key, kind]), None) is not None

    def settle(self, platform: str, channel: str, thread: str, interview_key: str, kind: str) -> None:
        """A claim whose post the platform refused for good (no such user, a bot, no permission): kept
        with an empty message id, so it is neither pending nor retried (and nothing is there to delete)."""
        self.set_message(platform, channel, thread, interview_key, kind, "")

    def owed_notes(self, platform: str, kinds: tuple[str, ...], stale_after_s: float) -> list[str]:
        """Interviews with a private or compliance note (`kinds`) claimed and not posted for
        `stale_after_s`: its post failed (released at once) or its poster died."""
        stale = (datetime.now(UTC) - timedelta(seconds=stale_after_s)).isoformat(timespec="seconds")
        sql = (
            f"select distinct interview_id from platform_posts where platform = ? and kind in "
            f"({', '.join('?' * len(kinds))}) and message_id is null and created_at < ?"
        )
        return [r["interview_id"] for r in self.db.query(sql, [platform, *kinds, stale])]

    def unclaimed_notes(
        self, platform: str, kinds: tuple[str, ...], since: str, stale_after_s: float
    ) -> list[str]:
        """Interviews whose report went out (after `since`, longer than `stale_after_s` ago) with none of
        the notes `kinds` claimed: the poster died between the report and the notes."""
        stale = (datetime.now(UTC) - timedelta(seconds=stale_after_s)).isoformat(timespec="seconds")
        marks = ", ".join("?" * len(kinds))
        sql = (
            "select distinct p.interview_id from platform_posts p join interviews i on i.id = p.interview_id "
            "and i.status = 'done' where p.platform = ? and p.kind = 'report' and p.message_id is not null "
            "and p.created_at >= ? and p.created_at < ? and not exists (select 1 from platform_posts n "
            f"where n.platform = p.platform and n.interview_id = p.interview_id and n.kind in ({marks}))"
        )
        return [r["interview_id"] for r in self.db.query(sql, [platform, since, stale, *kinds])]

    def link_ack(self, platform: str, channel: str, interview_id: str, message_id: str | None) -> None:
        """The acknowledgement posted for a file now belongs to its interview: progress edits it."""
        self.claim(platform, channel, "", interview_id, "ack")
        self.set_message(platform, channel, "", interview_id, "ack", message_id)

    def message(self, platform: str, interview_key: str, kind: str) -> str | None:
        """The id of the message posted for `kind`, if it went out."""
        sql = "select message_id from platform_posts where platform = ? and interview_id = ? and kind = ?"
        row = next(self.db.query(sql, [platform, interview_key, kind]), None)
        return row["message_id"] if row else None

    def unposted_reports(self, platform: str, stale_after_s: float = 120.0) -> list[dict[str, Any]]:
        """Finished interviews from a platform whose report never reached it: no claim at all (the done
        event was missed), or a claim left without a message for `stale_after_s` (the poster died)."""
        stale = (datetime.now(UTC) - timedelta(seconds=stale_after_s)).isoformat(timespec="seconds")
        sql = (
            "select i.id, p.created_at is not null as stale from interviews i left join platform_posts p "
            "on p.platform = ? and p.interview_id = i.id and p.kind = 'report' where i.platform = ? "
            "and i.status in ('done', 'failed') and (p.created_at is null or (p.message_id is null and "
            "p.created_at < ?))"
        )
        return [dict(r) for r in self.db.query(sql, [platform, platform, stale])]
