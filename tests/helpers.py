"""What tests share that is not a fixture: where things are, and waiting on a condition."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SAMPLE = ROOT / "samples" / "interview_zh.m4a"
sys.path.insert(0, str(ROOT))  # for bench.qwen3_checkpoint


def run_together(work: Callable[[int], None], n: int, timeout_s: float = 120.0) -> None:
    """`work(0)` .. `work(n - 1)` on n threads at once, as concurrent callers; every one must finish."""
    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout_s)
    assert not any(t.is_alive() for t in threads), "a concurrent caller never finished"


async def until(fn, timeout: float = 120.0):
    """Poll `fn` until it returns something truthy (for asynchronous effects seen from outside)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting")


async def eventually(afn, timeout: float = 120.0):
    """`until` for an async probe: await `afn()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await afn()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting")


def run_process(env: Mapping[str, str], *args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` in a child process: for the few tests about the installed program itself (the
    rest run it in-process through the scenario conftest's `cli`)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        env=dict(env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
