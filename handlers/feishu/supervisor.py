"""Keeps lark-oapi's blocking long-connection client alive.

The client runs its own event loop and, after its own reconnect attempts, can stop for good; it runs in a
thread of its own, and when it returns or raises the supervisor logs why and starts a new one after a
backoff (short again once a client has run fine for a while)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.liveness import Beat

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(
        self,
        factory: Callable[[], Any],
        *,
        backoff_s: float = 5.0,
        max_backoff_s: float = 300.0,
        beat: Beat | None = None,
    ) -> None:
        self.factory = factory
        self.beat = beat or Beat("feishu-long-connection")
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.restarts = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feishu-long-connection", daemon=True)

    def start(self) -> None:
        import lark_oapi.ws.client  # noqa: F401  (a slow import: done here, not in the restart loop's time)

        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run_once(self) -> None:
        import lark_oapi.ws.client as ws_client

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ws_client.loop = loop  # lark-oapi's client runs on this module-level loop
        try:
            self.beat.ok()  # running (lark-oapi's client blocks while connected)
            self.factory().start()
            self.last_error = "the long connection returned"
        except Exception as exc:  # it gave up: say why, then start over
            self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            loop.close()
        self.beat.failed(self.last_error)

    def _run(self) -> None:
        delay = self.backoff_s
        while not self._stop.is_set():
            started = time.monotonic()
            self._run_once()
            if self._stop.is_set():
                return
            self.restarts += 1
            log.error(
                "Feishu long connection stopped (%s); restarting in %.0f s (restart %d)",
                self.last_error,
                delay,
                self.restarts,
            )
            if time.monotonic() - started > 600:
                delay = self.backoff_s  # it ran fine for a while: start again quickly
            self._stop.wait(delay)
            delay = min(delay * 2, self.max_backoff_s)
