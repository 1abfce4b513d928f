"""Session fixtures every test may use; the plain helpers live in tests/helpers.py (imported by name,
so the scenario folder can have a conftest of its own)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers import FIXTURES


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
