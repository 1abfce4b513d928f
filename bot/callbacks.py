"""ATS callbacks: when a job ends, POST its status to the `callback_url` given at submission."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .fetch import FetchPolicy, post_json
from .storage import Database

log = logging.getLogger(__name__)


class Callbacks:
    def __init__(
        self,
        db: Database,
        policy: FetchPolicy,
        status: Callable[[str], Awaitable[dict[str, Any] | None]],
        *,
        retries: int = 3,
        backoff_s: float = 2.0,
    ) -> None:
        self.db, self.policy, self.status = db, policy, status
        self.retries, self.backoff_s = retries, backoff_s

    async def deliver(self, interview_id: str) -> None:
        interview = await self.db.interviews.get(interview_id)
        if not interview or not interview.get("callback_url"):
            return
        status = await self.status(interview_id)
        if status is None:
            return
        payload = {k: status[k] for k in ("id", "status", "error", "analysis", "report_url")}
        try:
            code = await post_json(
                interview["callback_url"],
                payload,
                self.policy,
                retries=self.retries,
                backoff_s=self.backoff_s,
            )
            await self.db.audit("service", "callback", interview_id, {"status": code})
        except Exception as exc:
            log.warning("callback for %s failed: %s", interview_id, exc)
            await self.db.audit("service", "callback-failed", interview_id, {"error": str(exc)})
