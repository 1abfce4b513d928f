"""Progress events (queued, decoding, transcribing n/m, analysing, done, failed) for handlers to show."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    interview_id: str
    stage: str  # queued | decoding | transcribing | analysing | done | failed | retrying
    done: int = 0
    total: int = 0
    error: str | None = None


Listener = Callable[[Progress], Awaitable[None]]


class ProgressBus:
    """Fan-out on the event loop; publish() is safe from worker threads. Deliveries in flight are kept so
    close() can end them: after the service stops, a late event must not reach a closed database."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliveries: set[asyncio.Task] = set()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, event: Progress) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (an ASR thread after shutdown)
            loop.call_soon_threadsafe(self._start, event)

    def _start(self, event: Progress) -> None:
        if self._loop is None:  # closed between publish() in a worker thread and this callback
            return
        task = self._loop.create_task(self._deliver(event))
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def close(self) -> None:
        """Stop delivering: later events are dropped, deliveries in flight cancelled (a report they were
        posting stays claimed and the platform's sweep finishes it after a restart)."""
        self._loop = None
        for task in list(self._deliveries):
            task.cancel()
        await asyncio.gather(*self._deliveries, return_exceptions=True)

    async def _deliver(self, event: Progress) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:  # one broken handler must not stop the others
                log.exception("progress listener failed for %s", event.interview_id)
