"""Read-side questions the chat commands ask, always filtered to what the asking user may see.

`visible` is the set of (platform, channel) pairs the user is a member of, or None for an admin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from .store import Store, now, upsert

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
    "select i.id, i.source, i.created_at, i.status, c.name as candidate, i.round, a.overall_score as score, "
    "a.recommendation, i.platform, i.channel from interviews i left join candidates c on c.id = "
    "i.candidate_id "
    "left join analyses a on a.interview_id = i.id"
)


def recent(
    store: Store, visible: Visible, limit: int = 10, channel: tuple[str, str] | None = None
) -> list[InterviewRow]:
    where, args = access_clause(visible)
    if channel:
        where += " and i.platform = ? and i.channel = ?"
        args += list(channel)
    rows = store.db.query(f"{_SELECT} where {where} order by i.created_at desc limit ?", [*args, limit])
    return [InterviewRow(**r) for r in rows]


def platform_channels(store: Store, platform: str) -> list[str]:
    """Every channel of a platform that has interviews (what a membership check has to cover)."""
    return [
        r["channel"]
        for r in store.db.query(
            "select distinct channel from interviews where platform = ? and channel is not null", [platform]
        )
    ]


def by_candidate(store: Store, visible: Visible, name: str) -> list[InterviewRow]:
    where, args = access_clause(visible)
    rows = store.db.query(
        f"{_SELECT} where {where} and (c.name = ? or c.id in (select candidate_id from "
        f"candidate_aliases where name = ?)) order by i.created_at",
        [*args, name, name],
    )
    return [InterviewRow(**r) for r in rows]


def listing(store: Store, candidate: str | None, since: str | None, limit: int) -> list[dict[str, Any]]:
    """The API's interview list (API tokens see every channel); a candidate by name or merged alias."""
    sql = (
        "select i.id, i.status, i.source, i.created_at, i.duration_s, i.round, i.profile, c.name as "
        "candidate, "
        "a.overall_score, a.recommendation from interviews i left join candidates c on c.id = i.candidate_id "
        "left join analyses a on a.interview_id = i.id where 1=1"
    )
    args: list[Any] = []
    if candidate:
        sql += " and (c.name = ? or c.id in (select candidate_id from candidate_aliases where name = ?))"
        args += [candidate, candidate]
    if since:
        sql += " and i.created_at >= ?"
        args.append(since)
    return [dict(r) for r in store.db.query(sql + " order by i.created_at desc limit ?", [*args, limit])]


def asr_totals(store: Store) -> dict[str, float]:
    """Seconds of audio transcribed and wall seconds spent on it, over every stored transcript."""
    row = next(
        store.db.query(
            "select coalesce(sum(json_extract(body, '$.duration_s')), 0) as audio, "
            "coalesce(sum(json_extract(body, '$.timings.wall_s')), 0) as wall from transcripts"
        )
    )
    return {"audio": row["audio"], "wall": row["wall"]}


def analysis(store: Store, interview_id: str) -> dict[str, Any] | None:
    row = next(store.db.query("select body from analyses where interview_id = ?", [interview_id]), None)
    return json.loads(row["body"]) if row else None


@dataclass
class Hit:
    interview_id: str
    source: str
    candidate: str | None
    created_at: str
    start: float | None  # None for a summary line without a moment
    snippet: str  # with each hit wrapped in « »
    kind: str = "segment"  # segment | summary


def search(store: Store, visible: Visible, words: str, limit: int = 10) -> list[Hit]:
    """Full-text search (FTS5 over jieba tokens) in transcripts and summaries, best match first; a
    substring match when the tokens find nothing (a word jieba cut differently in context)."""
    from . import fulltext

    if not words.strip():
        return []
    where, args = access_clause(visible)
    terms = fulltext.highlight_terms(words)
    expression = fulltext.match_expression(words)
    rows: list[dict[str, Any]] = []
    if expression:
        rows = list(
            store.db.query(
                f"select f.interview_id, f.kind, f.start, f.text, i.source, i.created_at, c.name as "
                f"candidate "
                f"from {fulltext.TABLE} f join interviews i on i.id = f.interview_id "
                f"left join candidates c on c.id = i.candidate_id where {fulltext.TABLE} match ? and {where} "
                f"order by bm25({fulltext.TABLE}), i.created_at desc limit ?",
                [expression, *args, limit],
            )
        )
    if not rows:
        plain = [t for t in re.split(r"\s+", words.strip()) if t]
        like = " and ".join("f.text like ?" for _ in plain)
        rows = list(
            store.db.query(
                f"select f.interview_id, f.kind, f.start, f.text, i.source, i.created_at, c.name as "
                f"candidate "
                f"from {fulltext.TABLE} f join interviews i on i.id = f.interview_id "
                f"left join candidates c on c.id = i.candidate_id where {like} and {where} "
                f"order by i.created_at desc limit ?",
                [*(f"%{t}%" for t in plain), *args, limit],
            )
        )
    return [
        Hit(
            r["interview_id"],
            r["source"],
            r["candidate"],
            r["created_at"],
            float(r["start"]) if r["start"] is not None else None,
            fulltext.snippet(r["text"], terms),
            r["kind"],
        )
        for r in rows
    ]


def channel_profile(store: Store, platform: str, channel: str) -> str | None:
    row = next(
        store.db.query(
            "select profile from channel_settings where platform = ? and channel = ?", [platform, channel]
        ),
        None,
    )
    return row["profile"] if row else None


def set_channel_profile(store: Store, platform: str, channel: str, profile: str, user: str) -> None:
    with store.db.conn:
        upsert(
            store.db.conn,
            "channel_settings",
            {
                "platform": platform,
                "channel": channel,
                "profile": profile,
                "language": None,
                "updated_by": user,
                "updated_at": now(),
            },
            ("platform", "channel"),
        )


def claim_post(store: Store, platform: str, channel: str, thread: str, interview_key: str, kind: str) -> bool:
    """Reserve the right to post `kind` for this file in this thread; False if someone already has it.
    The primary key makes the claim atomic across concurrent events and process restarts."""
    with store.db.conn:
        cur = store.db.conn.execute(
            "insert or ignore into platform_posts (platform, channel, thread, interview_id, kind, "
            "message_id, created_at) "
            "values (?, ?, ?, ?, ?, null, ?)",
            [platform, channel, thread, interview_key, kind, now()],
        )
    return cur.rowcount == 1


def set_post_message(
    store: Store, platform: str, channel: str, thread: str, interview_key: str, kind: str, message_id: str
) -> None:
    with store.db.conn:
        store.db.conn.execute(
            "update platform_posts set message_id = ? where platform = ? and channel = ? and thread = ? "
            "and interview_id = ? and kind = ?",
            [message_id, platform, channel, thread, interview_key, kind],
        )


def link_ack(store: Store, platform: str, channel: str, interview_id: str, message_id: str | None) -> None:
    """The acknowledgement posted for a file now belongs to its interview: progress edits it in place."""
    claim_post(store, platform, channel, "", interview_id, "ack")
    set_post_message(store, platform, channel, "", interview_id, "ack", message_id)


def post_message(
    store: Store, platform: str, interview_key: str, kind: str
) -> tuple[str, str, str | None] | None:
    row = next(
        store.db.query(
            "select channel, thread, message_id from platform_posts where platform = ? and "
            "interview_id = ? and kind = ?",
            [platform, interview_key, kind],
        ),
        None,
    )
    return (row["channel"], row["thread"], row["message_id"]) if row else None


def seen_event(store: Store, platform: str, event_id: str) -> bool:
    """Record an event id; True if it was seen before (a retry or redelivery)."""
    with store.db.conn:
        cur = store.db.conn.execute(
            "insert or ignore into seen_events (platform, event_id, received_at) values (?, ?, ?)",
            [platform, event_id, now()],
        )
    return cur.rowcount == 0


def unposted_reports(store: Store, platform: str, stale_after_s: float = 120.0) -> list[dict[str, Any]]:
    """Finished interviews from a platform whose report never reached it: no claim at all (the done event
    was missed), or a claim left without a message for `stale_after_s` (the poster died mid-way)."""
    from datetime import datetime, timedelta

    stale = (datetime.now(UTC) - timedelta(seconds=stale_after_s)).isoformat(timespec="seconds")
    return [
        dict(r)
        for r in store.db.query(
            "select i.id, p.created_at is not null as stale from interviews i left join platform_posts p "
            "on p.platform = ? and p.interview_id = i.id and p.kind = 'report' where i.platform = ? "
            "and i.status in ('done', 'failed') and (p.created_at is null or (p.message_id is null and "
            "p.created_at < ?))",
            [platform, platform, stale],
        )
    ]


def claim_file(
    store: Store, platform: str, file_id: str, channel: str, thread: str, user: str | None
) -> bool:
    """Put an upload in the durable inbox; False when it is already there (the other event, or a retry)."""
    with store.db.conn:
        cur = store.db.conn.execute(
            "insert or ignore into pending_files (platform, file_id, channel, thread, user, ack_message, "
            "interview_id, "
            "finished, received_at) values (?, ?, ?, ?, ?, null, null, 0, ?)",
            [platform, file_id, channel, thread, user, now()],
        )
    return cur.rowcount == 1


def update_file(store: Store, platform: str, file_id: str, **values: Any) -> None:
    sets = ", ".join(f"{k} = ?" for k in values)
    with store.db.conn:
        store.db.conn.execute(
            f"update pending_files set {sets} where platform = ? and file_id = ?",
            [*values.values(), platform, file_id],
        )


def unfinished_files(store: Store, platform: str) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in store.db.query("select * from pending_files where platform = ? and finished = 0", [platform])
    ]
