"""Retention: recordings are personal data and go after a configurable number of days; transcripts and
analyses follow their own setting (deleting the interview entirely)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .storage import Store


def purge(
    store: Store,
    *,
    audio_days: float | None,
    text_days: float | None,
    held_days: float | None = None,
    at: datetime | None = None,
) -> dict[str, int]:
    """Delete audio older than `audio_days`, whole interviews older than `text_days` and recordings held
    for consent longer than `held_days` (None: keep)."""
    at = at or datetime.now(UTC)
    removed = {"audio": 0, "interviews": 0, "held": 0}
    if held_days is not None:
        cutoff = (at - timedelta(days=held_days)).isoformat(timespec="seconds")
        for interview_id in store.jobs.held_before(cutoff):
            if store.interviews.delete(interview_id):
                store.audit("retention", "delete-held", interview_id, {"days": held_days})
                removed["held"] += 1
    if audio_days is not None:
        cutoff = (at - timedelta(days=audio_days)).isoformat(timespec="seconds")
        removed["audio"] = store.interviews.purge_audio_before(cutoff)
        if removed["audio"]:
            store.audit("retention", "purge-audio", None, {"count": removed["audio"], "days": audio_days})
    if text_days is not None:
        cutoff = (at - timedelta(days=text_days)).isoformat(timespec="seconds")
        for interview_id in store.interviews.created_before(cutoff):
            if store.interviews.delete(interview_id):
                store.audit("retention", "delete", interview_id, {})
                removed["interviews"] += 1
    return removed
