from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

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


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """One data directory for the session, so the bundled Whisper model is assembled once."""
    path = tmp_path_factory.mktemp("ib-data")
    os.environ["IB_DATA_DIR"] = str(path)
    return path


@pytest.fixture(scope="session")
def whisper_engine(data_dir):
    from asr_engine import Engine, EngineConfig

    return Engine(EngineConfig(engine="whisper", data_dir=data_dir))


@pytest.fixture(scope="session")
def zh_samples() -> np.ndarray:
    from asr_engine.audio import decode

    return decode(FIXTURES / "zh_short.flac").samples


@pytest.fixture
def cli_env(data_dir, tmp_path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(IB_DATA_DIR=str(data_dir), IB_DB=str(tmp_path / "ib.db"), IB_ASR_ENGINE="whisper")
    env.pop("IB_CONFIG", None)
    return env


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
