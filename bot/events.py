"""Progress events (queued, decoding, transcribing n/m, analysing, done, failed) for handlers to show."""

from __future__ import annotations

import asyncio
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
    """Fan-out on the event loop; publish() is safe from worker threads."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, event: Progress) -> None:
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self._deliver(event)))

    async def _deliver(self, event: Progress) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:  # one broken handler must not stop the others
                log.exception("progress listener failed for %s", event.interview_id)
