"""`auto` picks the GPU engine only when it can really run, and says why."""

from __future__ import annotations

import pytest

from asr_engine import EngineConfig, choose_engine
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
