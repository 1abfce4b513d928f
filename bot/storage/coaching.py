"""The weekly coaching digest's rows: which channels opted in (and when it goes out there), one claim per
(platform, interviewer, ISO week) so the private message goes out once, and the analysed interviews a week
covers. Times are ISO strings in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlite_utils

from .consent import erased, owe_retraction
from .schema import now, upsert


def notice_key(week: str, user: str) -> str:
    """The platform_posts key of the compliance notice about a refused digest (owed_notices joins on it)."""
    return f"coaching:{week}:{user}"


class CoachingDigests:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        db.register_function(notice_key, deterministic=True, replace=True)  # owed_notices joins on it

    # ---- the channels that opted in ----------------------------------------------------------------
    def opt_in(self, row: dict[str, Any]) -> None:
        with self.db.conn:
            upsert(self.db.conn, "coaching_channels", row, ("platform", "channel"))

    def opt_out(self, platform: str, channel: str) -> bool:
        sql = "delete from coaching_channels where platform = ? and channel = ?"
        with self.db.conn:
            return self.db.conn.execute(sql, [platform, channel]).rowcount > 0

    def channel(self, platform: str, channel: str) -> dict[str, Any] | None:
        sql = "select * from coaching_channels where platform = ? and channel = ?"
        row = next(self.db.query(sql, [platform, channel]), None)
        return dict(row) if row else None

    def channels(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.query("select * from coaching_channels order by platform, channel")]

    def known_channel(self, platform: str, channel: str) -> bool:
        """The store has heard of the channel: an interview from it, or its opt-in."""
        sql = (
            "select 1 from interviews where platform = ? and channel = ? union all "
            "select 1 from coaching_channels where platform = ? and channel = ? limit 1"
        )
        return next(self.db.query(sql, [platform, channel, platform, channel]), None) is not None

    # ---- what a week covers ------------------------------------------------------------------------
    def analysed(self, platform: str, channel: str, start: str, end: str) -> list[dict[str, Any]]:
        """Interviews of the channel analysed in [start, end) with who uploaded and who interviewed
        (`named`, `interviewer_user`) and the analysis' interviewer block (JSON text) and language; SQLite
        picks them out of the stored body."""
        sql = (
            "select i.id, i.title, i.uploader, i.interviewer as named, i.interviewer_user, i.channel, "
            "a.created_at, "
            "json_extract(a.body, '$.interviewer') as interviewer, "
            "json_extract(a.body, '$.language') as language from interviews i "
            "join analyses a on a.interview_id = i.id where i.platform = ? and i.channel = ? "
            "and i.status = 'done' and a.created_at >= ? and a.created_at < ? order by a.created_at"
        )
        return [dict(r) for r in self.db.query(sql, [platform, channel, start, end])]

    def interviewers(self, platform: str, channel: str, start: str, end: str) -> list[dict[str, Any]]:
        """Who uploaded and who was named as interviewer of the channel's interviews analysed in [start, end):
        a cheap look before building (bot.coaching.recipient says who that is)."""
        sql = (
            "select distinct i.uploader, i.interviewer, i.interviewer_user from interviews i "
            "join analyses a on a.interview_id = i.id where i.platform = ? and i.channel = ? "
            "and i.status = 'done' and a.created_at >= ? and a.created_at < ?"
        )
        return [dict(r) for r in self.db.query(sql, [platform, channel, start, end])]

    # ---- one private message per interviewer and week ----------------------------------------------
    def settled(self, platform: str, week: str, stale_before: str) -> set[str]:
        """Interviewers whose digest of the week went out, was refused, or is being sent now."""
        sql = (
            "select user from coaching_digests where platform = ? and week = ? and "
            "(status != 'claimed' or claimed_at >= ?)"
        )
        return {r["user"] for r in self.db.query(sql, [platform, week, stale_before])}

    def claim(
        self, platform: str, user: str, week: str, owner: str, at: str, stale_before: str
    ) -> str | None:
        """Take the (platform, user, week) row: "new", or "again" for a claim older than `stale_before` (its
        poster died or failed: the message may be out already). None when someone else has it or it is
        settled."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "insert or ignore into coaching_digests (platform, user, week, status, claimed_by, "
                "claimed_at) values (?, ?, ?, 'claimed', ?, ?)",
                [platform, user, week, owner, at],
            )
            if cur.rowcount == 1:
                return "new"
            cur = self.db.conn.execute(
                "update coaching_digests set claimed_by = ?, claimed_at = ? where platform = ? and user = ? "
                "and week = ? and status = 'claimed' and claimed_at < ?",
                [owner, at, platform, user, week, stale_before],
            )
            return "again" if cur.rowcount == 1 else None

    def finish(self, platform: str, user: str, week: str, covers: Sequence[str] = (), **values: Any) -> None:
        """status (posted | refused), channels, interviews, late, language, message_id; posted_at is now.
        A posted digest is also recorded against every interview it `covers` (as their own private notes
        are), so erasing a candidate retracts the digest that named them. A candidate erased while the
        digest was on its way (their consent refused or withdrawn, or the interview gone, before this
        record) was not found by that erasure: the digest is owed a retraction, which the platform's sweep
        makes. Recording consent and recording a digest are each one transaction, so one of them sees the
        other."""
        values["posted_at"] = now()
        sets = ", ".join(f"[{k}] = ?" for k in values)
        with self.db.conn:
            self.db.conn.execute(
                f"update coaching_digests set {sets} where platform = ? and user = ? and week = ?",
                [*values.values(), platform, user, week],
            )
            if values.get("message_id"):
                lost = set(erased(self.db.conn, covers))
                self.db.conn.executemany(
                    "insert or ignore into platform_posts (platform, channel, thread, interview_id, kind, "
                    "message_id, created_at) values (?, ?, '', ?, ?, ?, ?)",
                    [
                        (platform, f"dm:{user}", iid, f"coaching-{week}", values["message_id"], now())
                        for iid in covers
                        if iid not in lost
                    ],
                )
                if lost:
                    owe_retraction(self.db.conn, platform, f"dm:{user}", "", values["message_id"])

    def owed_notices(self, platform: str, since: str, stale_before: str) -> list[dict[str, Any]]:
        """Refused digests whose compliance notice (platform_posts kind 'coaching', keyed by notice_key) has
        not gone out: claimed and left without a message before `stale_before` (its post failed, or its
        poster died), or never claimed (the sender died first) and refused at or after `since`."""
        sql = (
            "select d.* from coaching_digests d left join platform_posts p on p.platform = d.platform "
            "and p.kind = 'coaching' and p.interview_id = notice_key(d.week, d.user) "
            "where d.platform = ? and d.status = 'refused' and ((p.interview_id is null and "
            "d.posted_at >= ?) or (p.message_id is null and p.created_at < ?)) order by d.week, d.user"
        )
        return [dict(r) for r in self.db.query(sql, [platform, since, stale_before])]

    def outcomes(self, platform: str | None = None) -> list[dict[str, Any]]:
        sql, args = "select * from coaching_digests", []
        if platform:
            sql, args = sql + " where platform = ?", [platform]
        return [dict(r) for r in self.db.query(sql + " order by week, user", args)]
