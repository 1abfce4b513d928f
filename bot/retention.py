"""Retention: recordings are personal data and go after a configurable number of days; transcripts and
analyses follow their own setting (deleting the interview entirely)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .store import now

if TYPE_CHECKING:
    from .service import Service


def purge(
    service: Service,
    *,
    audio_days: float | None = None,
    text_days: float | None = None,
    at: datetime | None = None,
) -> dict[str, int]:
    """Delete audio older than `audio_days` and whole interviews older than `text_days`."""
    audio_days = service.settings.retention_audio_days if audio_days is None else audio_days
    text_days = service.settings.retention_text_days if text_days is None else text_days
    at = at or datetime.now(UTC)
    store = service.store()
    removed = {"audio": 0, "interviews": 0}
    if audio_days is not None:
        cutoff = (at - timedelta(days=audio_days)).isoformat(timespec="seconds")
        rows = list(
            store.db.query(
                "select r.interview_id, r.path from recordings r join interviews i on i.id = r.interview_id "
                "where r.deleted_at is null and i.created_at < ? and i.status in ('done', 'failed')",
                [cutoff],
            )
        )
        for row in rows:
            shared = next(
                store.db.query(
                    "select 1 from recordings r join interviews i on i.id = r.interview_id where r.path = ? "
                    "and r.deleted_at is null and i.created_at >= ?",
                    [row["path"], cutoff],
                ),
                None,
            )
            if not shared and row["path"]:
                Path(row["path"]).unlink(missing_ok=True)
            with store.db.conn:
                store.db.conn.execute(
                    "update recordings set deleted_at = ? where interview_id = ?",
                    [now(), row["interview_id"]],
                )
            removed["audio"] += 1
        if rows:
            service.audit(
                "retention", "purge-audio", None, {"count": len(rows), "older_than_days": audio_days}
            )
    if text_days is not None:
        cutoff = (at - timedelta(days=text_days)).isoformat(timespec="seconds")
        ids = [r["id"] for r in store.db.query("select id from interviews where created_at < ?", [cutoff])]
        for interview_id in ids:
            service.delete_sync(interview_id, "retention")
        removed["interviews"] = len(ids)
    return removed
