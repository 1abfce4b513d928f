"""A real `python -m bot serve` process to drive from outside: start, wait until it answers, SIGKILL,
restart on the same database. Used by bench/load.py and tests/scenarios/test_faults.py."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`serve --http` plus `platforms` (e.g. ["slack"]) with `env` on top of os.environ; its stderr goes
    to `log` (appended across restarts). `preexec` runs in the child before exec (resource limits)."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path,
        platforms: tuple[str, ...] = (),
        preexec: Callable[[], None] | None = None,
    ) -> None:
        self.port = int(env.get("IB_HTTP_PORT") or free_port())
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **env, "IB_HTTP_PORT": str(self.port)}
        self.log, self.platforms, self.preexec = log, platforms, preexec
        self.proc: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    async def start(self, timeout: float = 120.0) -> ServerProcess:
        args = [sys.executable, "-m", "bot", "serve", "--http", *(f"--{p}" for p in self.platforms)]
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen(
                args,
                env=self.env,
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                preexec_fn=self.preexec,
            )
        await self.wait_ready(timeout)
        return self

    async def wait_ready(self, timeout: float) -> None:
        """Until /healthz answers at all (200 or 503: the process is up and serving)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as s:
            while time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log}")
                try:
                    async with s.get(self.url("/healthz")) as r:
                        if r.status in (200, 503):
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {self.log}")

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the OOM killer takes it."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL if it will not go): for clean-ups, also after a failed test."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill9()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
