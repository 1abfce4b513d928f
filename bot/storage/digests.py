"""Digest subscriptions, one claim row per (subscription, local date) so a digest goes out once, and the
questions a digest asks of the interview history. Times are ISO strings in UTC."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from .interviews import Visible, access_clause
from .schema import now, upsert


class Digests:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    # ---- subscriptions -----------------------------------------------------------------------------
    def subscription_of(self, platform: str, channel: str, target: str) -> dict[str, Any] | None:
        sql = "select * from digest_subscriptions where platform = ? and channel = ? and target = ?"
        row = next(self.db.query(sql, [platform, channel, target]), None)
        return dict(row) if row else None

    def save_subscription(self, row: dict[str, Any]) -> None:
        with self.db.conn:
            upsert(self.db.conn, "digest_subscriptions", row, ("id",))

    def unsubscribe(self, platform: str, channel: str, target: str) -> bool:
        sql = "delete from digest_subscriptions where platform = ? and channel = ? and target = ?"
        with self.db.conn:
            return self.db.conn.execute(sql, [platform, channel, target]).rowcount > 0

    def subscriptions(self, platform: str | None = None, channel: str | None = None) -> list[dict[str, Any]]:
        sql, args = "select * from digest_subscriptions where 1=1", []
        if platform:
            sql, args = sql + " and platform = ?", [*args, platform]
        if channel:
            sql, args = sql + " and channel = ?", [*args, channel]
        return [dict(r) for r in self.db.query(sql + " order by created_at", args)]

    # ---- one digest per subscription and day -------------------------------------------------------
    def claim(self, sub_id: str, day: str, owner: str, at: str, stale_before: str | None) -> bool:
        """Take the (subscription, day) row: new, or a claim older than `stale_before` (None: always,
        for a forced repeat). False when someone else has it or it went out already."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "insert or ignore into digests (subscription_id, date, status, claimed_by, claimed_at) "
                "values (?, ?, 'claimed', ?, ?)",
                [sub_id, day, owner, at],
            )
            if cur.rowcount == 1:
                return True
            condition = "1=1" if stale_before is None else "status = 'claimed' and claimed_at < ?"
            cur = self.db.conn.execute(
                "update digests set status = 'claimed', claimed_by = ?, claimed_at = ? where "
                f"subscription_id = ? and date = ? and {condition}",
                [owner, at, sub_id, day, *([] if stale_before is None else [stale_before])],
            )
            return cur.rowcount == 1

    def last_window_end(self, sub_id: str, before_day: str) -> str | None:
        sql = (
            "select max(window_end) as w from digests where subscription_id = ? and date < ? and "
            "window_end is not null"
        )
        return next(self.db.query(sql, [sub_id, before_day]))["w"]

    def finish(self, sub_id: str, day: str, **values: Any) -> None:
        """status, window_start, window_end, late, message_id, interviews; posted_at is now."""
        values["posted_at"] = now()
        sets = ", ".join(f"[{k}] = ?" for k in values)
        with self.db.conn:
            self.db.conn.execute(
                f"update digests set {sets} where subscription_id = ? and date = ?",
                [*values.values(), sub_id, day],
            )

    # ---- what a digest covers ----------------------------------------------------------------------
    def analysed_between(self, visible: Visible, start: str, end: str) -> list[dict[str, Any]]:
        where, args = access_clause(visible)
        sql = (
            "select i.id, i.source, i.round, i.profile, c.name as candidate, a.body from interviews i "
            "join analyses a on a.interview_id = i.id left join candidates c on c.id = i.candidate_id "
            f"where {where} and i.status = 'done' and a.created_at >= ? and a.created_at < ? "
            "order by a.created_at"
        )
        return [dict(r) for r in self.db.query(sql, [*args, start, end])]

    def processing(self, visible: Visible) -> int:
        where, args = access_clause(visible)
        sql = f"select count(*) as n from interviews i where {where} and i.status in ('queued', 'running')"
        return next(self.db.query(sql, args))["n"]

    def failed_between(self, visible: Visible, start: str, end: str) -> list[str]:
        where, args = access_clause(visible)
        sql = (
            f"select i.source from interviews i where {where} and i.status = 'failed' "
            "and i.created_at >= ? and i.created_at < ?"
        )
        return [r["source"] for r in self.db.query(sql, [*args, start, end])]

    def waiting(self, visible: Visible, end: str, limit: int = 10) -> list[dict[str, Any]]:
        """Candidates with a done interview newer than their last decision (or no decision at all)."""
        where, args = access_clause(visible)
        sql = (
            "select c.name, count(*) as rounds, max(a.created_at) as last_at from interviews i "
            "join analyses a on a.interview_id = i.id join candidates c on c.id = i.candidate_id "
            f"where {where} and i.status = 'done' and a.created_at < ? group by c.id having "
            "max(c.decided_at) is null or max(c.decided_at) < max(a.created_at) order by last_at limit ?"
        )
        return [dict(r) for r in self.db.query(sql, [*args, end, limit])]
