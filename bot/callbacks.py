"""ATS callbacks: when a job ends, POST its status to the `callback_url` given at submission.

Durable: the delivery is a row (storage.callbacks) written when the job ends, and a supervised loop
sends what is due, one attempt at a time, with doubling backoff, until delivered or out of attempts;
rows outlive restarts. Every attempt goes into the audit log (status code or error, never the payload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .fetch import FetchPolicy, post_json
from .liveness import Beat, supervise
from .metrics import Metrics
from .storage import Database

log = logging.getLogger(__name__)
_RESULTS = {"callback": "delivered", "callback-retry": "retry", "callback-failed": "failed"}


class Callbacks:
    def __init__(
        self,
        db: Database,
        policy: FetchPolicy,
        status: Callable[[str], Awaitable[dict[str, Any] | None]],
        *,
        retries: int = 3,
        backoff_s: float = 2.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.db, self.policy, self.status = db, policy, status
        self.retries, self.backoff_s = retries, backoff_s
        self.metrics = metrics or Metrics()
        self._wake = asyncio.Event()

    async def deliver(self, interview_id: str) -> None:
        """A job ended: owe its callback (sent by the loop, right away if it runs)."""
        interview = await self.db.interviews.get(interview_id)
        if not interview or not interview.get("callback_url"):
            return
        status = await self.status(interview_id)
        if status is None:
            return
        payload = {k: status[k] for k in ("id", "status", "error", "analysis", "report_url")}
        await self.db.callbacks.enqueue(interview_id, interview["callback_url"], payload)
        self._wake.set()

    async def run(self, beat: Beat) -> None:
        """Send what is due until cancelled; a wake-up from `deliver` cuts the wait short."""

        async def wait_and_send() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.backoff_s)
            self._wake.clear()
            await self.send_due()

        await supervise(beat, wait_and_send, 0.0, first_delay_s=0)

    async def send_due(self) -> int:
        sent = 0
        for row in await self.db.callbacks.due():
            await self._attempt(row)
            sent += 1
        return sent

    async def _attempt(self, row: dict[str, Any]) -> None:
        attempt = row["attempts"] + 1
        try:
            code = await post_json(row["url"], json.loads(row["payload"]), self.policy, retries=0)
            error = None if code < 400 else f"HTTP {code}"
        except Exception as exc:  # refused address, network error, 5xx
            code, error = None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        retry = None if error is None or attempt > self.retries else self.backoff_s * 2 ** (attempt - 1)
        await self.db.callbacks.record(row["id"], delivered=error is None, error=error, retry_in_s=retry)
        detail = {"attempt": attempt, "status": code, "error": error}
        action = "callback" if error is None else ("callback-retry" if retry else "callback-failed")
        self.metrics.callback_attempts.labels(_RESULTS[action]).inc()
        await self.db.audit("service", action, row["interview_id"], detail)
        if error:
            log.warning("callback for %s, attempt %d: %s", row["interview_id"], attempt, error)
