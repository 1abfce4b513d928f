"""Report delivery, exactly once as seen in the thread: the core's policy; each chat platform only posts,
edits and looks in its threads (a `Courier`).

A report is claimed in the store before it is posted; a claim left without a message (the poster died,
the platform failed or answered too late) is taken over by one sweep, which first looks in the thread for
the post carrying the interview's marker and adopts it rather than post again. Until it is truly posted a
report stays pending, and the sweep tries again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)


class Courier(Protocol):
    name: str  # the platform

    async def send_report(self, interview: dict[str, Any], status: dict[str, Any], key: str) -> str | None:
        """Post the report (or the failure notice) in the interview's thread: its message id, None if
        the platform refused."""

    async def find_report(self, channel: str, thread: str, key: str) -> str | None:
        """The bot's message in the thread carrying `key`, if the platform can say; LookupError when the
        platform would not answer."""

    async def follow_up(self, interview: dict[str, Any]) -> None:
        """What else a finished interview owes once the sweep found its report owed (a missed done event
        missed them too): the interviewer's private notes, each claimed, so never twice."""


class Outbox:
    def __init__(self, service: Service, courier: Courier) -> None:
        self.service, self.courier, self.db = service, courier, service.db

    async def deliver(self, interview: dict[str, Any], *, sweep: bool = False) -> None:
        name, iid = self.courier.name, interview["id"]
        channel, thread = interview["channel"], interview["thread"]
        if not (channel and thread):
            return  # not uploaded in a thread of ours (imported history): nowhere it belongs
        key, posts = f"report-{iid}", self.db.posts
        if not await posts.claim(name, channel, thread, iid, "report"):
            if not sweep or not await posts.take_over(
                name, channel, thread, iid, "report", self.service.settings.report_claim_stale_s
            ):
                return
            try:
                found = await self.courier.find_report(channel, thread, key)
            except LookupError as exc:  # cannot tell whether it went out: do not post blindly
                log.warning("%s: report %s stays pending: %s", name, iid, exc)
                return await posts.release(name, channel, thread, iid, "report")
            if found:
                await posts.set_message(name, channel, thread, iid, "report", found)
                return await self.db.audit(name, "adopt-report", iid, {})
        status = await self.service.status(iid)
        if status is None:
            return
        posted = await self.courier.send_report(interview, status, key)
        metrics = self.service.metrics
        (metrics.reports_failed if posted is None else metrics.reports_posted).labels(name).inc()
        if posted is None:
            log.warning("%s: report %s not posted; it stays pending for the next sweep", name, iid)
            return await posts.release(name, channel, thread, iid, "report")
        await posts.set_message(name, channel, thread, iid, "report", posted)
        await self.db.audit(name, "post-report", iid, {})

    async def sweep(self) -> None:
        """Reports of finished interviews that never reached the platform (a restart, a missed event)."""
        stale_s = self.service.settings.report_claim_stale_s
        for row in await self.db.posts.unposted_reports(self.courier.name, stale_s):
            interview = await self.db.interviews.get(row["id"])
            if interview:
                await self.deliver(interview, sweep=bool(row["stale"]))
                await self.courier.follow_up(interview)
