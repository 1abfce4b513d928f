"""`auto` picks the GPU engine only when it can really run, and says why."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from asr_engine import EngineConfig, choose_engine
from asr_engine.backends.qwen3 import Qwen3Settings
from bot.config import ConfigError, load_settings


def test_auto_without_qwen3_weights_is_whisper(tmp_path):
    name, reason = choose_engine(EngineConfig(engine="auto", qwen3_model=None))
    assert name == "whisper" and "IB_QWEN3_MODEL" in reason


def test_auto_with_weights_but_no_gpu_is_whisper(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    name, reason = choose_engine(EngineConfig(engine="auto", qwen3_model=str(tmp_path)))
    assert name == "whisper" and "no CUDA GPU" in reason


def test_explicit_engine_is_respected():
    assert choose_engine(EngineConfig(engine="remote"))[0] == "remote"


def test_settings_from_env_and_toml(tmp_path):
    cfg = tmp_path / "ib.toml"
    cfg.write_text(
        'IB_ASR_ENGINE = "remote"\nIB_REMOTE_ASR_URLS = ["http://a:1/v1", "http://b:2/v1"]\nIB_HTTP_PORT = 9000\n'
    )
    s = load_settings({"IB_CONFIG": str(cfg), "IB_DATA_DIR": str(tmp_path), "IB_HTTP_PORT": "9100"})
    assert s.engine.engine == "remote"
    assert s.engine.remote_urls == ["http://a:1/v1", "http://b:2/v1"]
    assert s.http_port == 9100  # environment wins over the file
    assert s.db_path == tmp_path / "interview-bot.db"


def test_bad_settings_are_one_sentence():
    with pytest.raises(ConfigError, match="IB_ASR_ENGINE must be one of auto, "):
        load_settings({"IB_ASR_ENGINE": "gpu"})
    with pytest.raises(ConfigError, match="IB_MAX_AUDIO_SECONDS must be a number"):
        load_settings({"IB_MAX_AUDIO_SECONDS": "long"})


def test_every_job_and_live_stream_gets_a_decode_of_its_own(tmp_path):
    base = {"IB_DATA_DIR": str(tmp_path)}
    assert load_settings(base).engine.parallel_decodes == 3  # one job + two live streams by default
    busy = load_settings({**base, "IB_ASR_WORKERS": "2", "IB_LIVE_MAX_SESSIONS": "4"})
    assert busy.engine.parallel_decodes == 6
    assert load_settings({**base, "IB_ASR_PARALLEL": "1"}).engine.parallel_decodes == 1


def test_qwen3_decode_settings_are_checked_at_start():
    engine = load_settings({"IB_QWEN3_DECODE": "Static", "IB_QWEN3_CAPTURE": "compile"}).engine
    assert (engine.qwen3_decode, engine.qwen3_capture) == ("static", "compile")
    assert load_settings({}).engine.qwen3_decode is None  # the backend picks: static on CUDA only
    slots = load_settings({"IB_QWEN3_STATIC_KV_TOKENS": "16384"}).engine
    assert Qwen3Settings.from_config(slots, {}).static_kv_tokens == 16384
    with pytest.raises(ConfigError, match=r"^IB_QWEN3_DECODE must be static or dynamic, got 'fast'$"):
        load_settings({"IB_QWEN3_DECODE": "fast"})
    with pytest.raises(ConfigError, match="^IB_QWEN3_CAPTURE must be graphs or compile or none"):
        load_settings({"IB_QWEN3_CAPTURE": "tensorrt"})


def test_health_is_not_ready_while_the_engine_warms_up_at_start():
    """An engine loaded at start-up (a static decode captures its steps): /healthz's problems name it
    until it has loaded, and name the failure if it did not."""
    import threading

    from bot.asr import Engines

    release = threading.Event()

    def slow_engine():
        assert release.wait(30)
        return SimpleNamespace(name="fake", reason="given", backend=SimpleNamespace(batch_size=1))

    engines = Engines(EngineConfig(), factory=slow_engine)
    assert engines.readiness_problem() is None  # loaded lazily: nothing to wait for
    loader = threading.Thread(target=engines.preload)
    loader.start()
    try:
        assert "warming up" in wait_for(engines.readiness_problem)
    finally:
        release.set()
        loader.join(30)
    assert engines.readiness_problem() is None

    def broken():
        raise RuntimeError("CUDA out of memory\nmore detail")

    failed = Engines(EngineConfig(), factory=broken)
    failed.preload()
    assert failed.readiness_problem() == "the ASR engine failed to load: CUDA out of memory"


def wait_for(read, timeout_s: float = 10.0):
    import time

    deadline = time.monotonic() + timeout_s
    while not (value := read()):
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)
    return value
