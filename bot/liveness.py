"""Liveness of the long-running loops (worker, heartbeats, digest scheduler, report sweeps, retention,
callbacks, the Feishu long connection, the folder watch).

Each loop records a `Beat` here: when it last ran a pass to the end, how many passes failed in a row and
why. `supervise` runs a periodic step so that no exception ends it: it is logged, counted and followed
by a growing pause. /healthz reads `Liveness.report()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 60.0


def backoff(base_s: float, failures: int, cap_s: float = MAX_BACKOFF_S) -> float:
    """The pause after `failures` failed passes in a row: the loop's own period, doubling, capped."""
    return base_s if failures == 0 else min(cap_s, max(base_s, 0.1) * 2**failures)


@dataclass
class Beat:
    name: str
    started: float = field(default_factory=time.monotonic)
    last_ok: float | None = None  # monotonic time of the last pass that ran to its end
    failures: int = 0  # in a row
    total_failures: int = 0
    last_error: str | None = None
    stopped: bool = False

    def ok(self) -> None:
        self.last_ok, self.failures = time.monotonic(), 0

    def failed(self, exc: BaseException | str) -> None:
        self.failures += 1
        self.total_failures += 1
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        self.last_error = text.splitlines()[0][:300] if text else "?"

    def age(self, now: float | None = None) -> float:
        """Seconds since the last good pass (since start when there was none yet)."""
        return (now or time.monotonic()) - (self.last_ok or self.started)

    def to_dict(self, now: float) -> dict:
        return {
            "ok": self.failures == 0 and not self.stopped,
            "last_ok_s_ago": round(self.age(now), 1),
            "failures_in_a_row": self.failures,
            "failures": self.total_failures,
            "last_error": self.last_error,
        }


class Liveness:
    """The beats of one process, by name. Thread-safe enough: each beat has one writer."""

    def __init__(self) -> None:
        self._beats: dict[str, Beat] = {}
        self._lock = threading.Lock()

    def beat(self, name: str) -> Beat:
        with self._lock:
            if name not in self._beats:
                self._beats[name] = Beat(name)
            return self._beats[name]

    def get(self, name: str) -> Beat | None:
        return self._beats.get(name)

    def report(self) -> dict[str, dict]:
        now = time.monotonic()
        with self._lock:
            return {name: beat.to_dict(now) for name, beat in sorted(self._beats.items())}


async def supervise(
    beat: Beat,
    step: Callable[[], Awaitable[object]],
    every_s: float,
    *,
    first_delay_s: float | None = None,
) -> None:
    """Run `step` every `every_s` seconds until cancelled; an exception is logged and counted, and the
    next pass waits longer (doubling up to a minute). Nothing but cancellation ends it."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(every_s if first_delay_s is None else first_delay_s)
        while True:
            try:
                await step()
                beat.ok()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                beat.failed(exc)
                log.exception("%s: pass failed (%d in a row); going on", beat.name, beat.failures)
            await asyncio.sleep(backoff(every_s, beat.failures))
    beat.stopped = True
