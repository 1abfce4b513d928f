"""Recipe: adding an ASR engine is one backend that registers itself (plus its import line). A toy backend
registered here is accepted by the configuration, chosen by name, and transcribes through the engine."""

from __future__ import annotations

import pytest
from helpers import FIXTURES

from asr_engine import BACKENDS, BackendSpec, Engine, EngineConfig, choose_engine, engine_names, register
from asr_engine.types import ChunkResult, Segment
from bot.config import load_settings


class EchoBackend:
    """Says how long each chunk was: enough to see the engine cut, run and merge."""

    name = "echo"
    batch_size = 4

    def detect_language(self, audio):
        return "en"

    def transcribe_batch(self, chunks, options):
        return [
            ChunkResult("en", [Segment(0.0, len(c) / 16000, f"{len(c) / 16000:.1f} seconds")]) for c in chunks
        ]


@pytest.fixture
def echo_engine():
    register(BackendSpec("echo", lambda config: EchoBackend(), "a toy engine for the recipe test"))
    yield
    BACKENDS.pop("echo")


def test_a_registered_engine_is_configurable_and_transcribes(echo_engine, tmp_path):
    assert "echo" in engine_names()
    settings = load_settings({"IB_ASR_ENGINE": "echo", "IB_DATA_DIR": str(tmp_path)})
    assert choose_engine(settings.engine) == ("echo", "chosen by configuration")
    transcript = Engine(settings.engine).transcribe(FIXTURES / "zh_short.flac")
    assert transcript.engine == "echo" and transcript.segments
    assert all(s.text.endswith("seconds") for s in transcript.segments)


def test_auto_never_picks_an_engine_without_an_auto_check(echo_engine):
    assert choose_engine(EngineConfig(engine="auto"))[0] == "whisper"
