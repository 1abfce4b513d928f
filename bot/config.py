"""Settings from environment variables, optionally from a TOML file (IB_CONFIG) that sets the same keys.

Environment wins over the file, so a deployment can keep secrets out of the file. `Settings` holds the
core; the ASR engine's options are an `EngineConfig` built here once; each chat platform reads its own
keys from `Settings.source` into its own settings object (handlers/<platform>/settings.py).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from asr_engine import EngineConfig, engine_names


class ConfigError(ValueError):
    pass


class ConfigSource:
    """Where settings come from: the environment first, then the IB_CONFIG file; typed getters that
    fail with one sentence naming the key."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.file: dict[str, Any] = {}
        if self.env.get("IB_CONFIG"):
            path = Path(self.env["IB_CONFIG"])
            try:
                self.file = {k.upper(): v for k, v in tomllib.loads(path.read_text()).items()}
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read the configuration file {path}: {exc}") from None

    def get(self, key: str, default: Any = None) -> Any:
        if self.env.get(key, "") != "":
            return self.env[key]
        return self.file.get(key, default)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.get(key, default)
        return None if value is None else str(value)

    def number(self, key: str, default: float, kind: type = float) -> Any:
        raw = self.get(key, default)
        try:
            return kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a number, got {raw!r}") from None

    def optional_number(self, key: str) -> float | None:
        return None if self.get(key) in (None, "") else self.number(key, 0.0)

    def listing(self, key: str) -> list[str]:
        raw = self.get(key)
        if isinstance(raw, list):
            return [str(v) for v in raw]
        return [v.strip() for v in (raw or "").split(",") if v.strip()]

    def flag(self, key: str) -> bool:
        return str(self.get(key, "")).lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class JobPolicy:
    """How long a worker's lease lasts, how often a job is tried, and the first retry's delay (doubling)."""

    lease_s: float = 60.0
    max_attempts: int = 4
    backoff_s: float = 5.0


@dataclass
class Settings:
    db_path: Path
    data_dir: Path
    engine: EngineConfig
    jobs: JobPolicy = field(default_factory=JobPolicy)
    source: ConfigSource = field(default_factory=lambda: ConfigSource({}))
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    api_tokens: list[str] = field(default_factory=list)
    public_url: str = "http://127.0.0.1:8000"
    language: str = "auto"
    link_secret: str | None = None
    report_link_days: float = 30.0
    fetch_allow_nets: list[str] = field(default_factory=list)
    asr_workers: int = 1
    batch_wait_s: float = 0.05
    poll_s: float = 1.0
    callback_retries: int = 3
    callback_backoff_s: float = 2.0
    retention_audio_days: float | None = None
    retention_text_days: float | None = None
    timezone: str = "UTC"
    digest_tick_s: float = 30.0
    analyst: Any = None  # an LLM analyst when IB_ANALYST=llm (bot.analysis.llm), else the local model
    db_busy_s: float = 30.0  # how long a write waits for another process's lock before it fails
    report_claim_stale_s: float = 120.0  # a report claim without a message this old is taken over
    health_stale_s: float = 120.0  # /healthz answers 503 when the worker has not ticked for this long
    live_max_sessions: int = 2  # concurrent /v1/live streams; more are refused with an error frame
    require_consent: bool = False  # IB_REQUIRE_CONSENT: a recording waits (held) for the candidate's consent
    consent_wait_days: float = 30.0  # a held recording without consent is deleted after this long

    @property
    def max_upload_bytes(self) -> int:
        return self.engine.max_bytes

    @property
    def max_audio_seconds(self) -> float:
        return self.engine.max_duration_s


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "interview-bot"


def engine_config(src: ConfigSource, data_dir: Path) -> EngineConfig:
    engine = str(src.get("IB_ASR_ENGINE", "auto")).lower()
    if engine not in engine_names():
        raise ConfigError(f"IB_ASR_ENGINE must be one of {', '.join(engine_names())}, got {engine!r}")
    return EngineConfig(
        engine=engine,
        data_dir=data_dir,
        whisper_model=src.text("IB_WHISPER_MODEL"),
        qwen3_model=src.text("IB_QWEN3_MODEL"),
        qwen3_aligner=src.text("IB_QWEN3_ALIGNER"),
        qwen3_batch_size=int(src.number("IB_QWEN3_BATCH_SIZE", 32, int)),
        qwen3_max_new_tokens=int(src.number("IB_QWEN3_MAX_NEW_TOKENS", 512, int)),
        qwen3_runtime=src.text("IB_QWEN3_RUNTIME"),
        qwen3_gpu_memory=src.optional_number("IB_QWEN3_GPU_MEMORY"),
        qwen3_max_batch=_optional_int(src, "IB_QWEN3_MAX_BATCH"),
        qwen3_aligner_batch_size=_optional_int(src, "IB_QWEN3_ALIGNER_BATCH"),
        remote_urls=src.listing("IB_REMOTE_ASR_URLS"),
        remote_model=str(src.get("IB_REMOTE_ASR_MODEL", "Qwen/Qwen3-ASR-0.6B")),
        remote_api_key=src.text("IB_REMOTE_ASR_KEY"),
        max_duration_s=src.number("IB_MAX_AUDIO_SECONDS", 4 * 3600.0),
        max_bytes=int(src.number("IB_MAX_UPLOAD_BYTES", 1024**3, int)),
    )


def _optional_int(src: ConfigSource, key: str) -> int | None:
    value = src.optional_number(key)
    return None if value is None else int(value)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    src = ConfigSource(env)
    data_dir = Path(src.get("IB_DATA_DIR") or _default_data_dir()).expanduser()
    port = int(src.number("IB_HTTP_PORT", 8000, int))
    workers = max(1, int(src.number("IB_ASR_WORKERS", 1, int)))
    live_sessions = max(0, int(src.number("IB_LIVE_MAX_SESSIONS", 2, int)))
    # every job and every live stream gets a decode of its own instead of queueing behind one
    parallel = max(1, int(src.number("IB_ASR_PARALLEL", workers + live_sessions, int)))
    return Settings(
        db_path=Path(src.get("IB_DB") or data_dir / "interview-bot.db").expanduser(),
        data_dir=data_dir,
        engine=replace(engine_config(src, data_dir), parallel_decodes=parallel),
        jobs=JobPolicy(
            lease_s=src.number("IB_JOB_LEASE_S", 60.0),
            max_attempts=int(src.number("IB_JOB_MAX_ATTEMPTS", 4, int)),
            backoff_s=src.number("IB_JOB_BACKOFF_S", 5.0),
        ),
        source=src,
        http_host=str(src.get("IB_HTTP_HOST", "127.0.0.1")),
        http_port=port,
        api_tokens=src.listing("IB_API_TOKENS"),
        public_url=str(src.get("IB_PUBLIC_URL", f"http://127.0.0.1:{port}")).rstrip("/"),
        language=str(src.get("IB_LANGUAGE", "auto")),
        link_secret=src.text("IB_LINK_SECRET"),
        report_link_days=src.number("IB_REPORT_LINK_DAYS", 30.0),
        fetch_allow_nets=src.listing("IB_FETCH_ALLOW_NETS"),
        asr_workers=workers,
        batch_wait_s=src.number("IB_BATCH_WAIT_S", 0.05),
        live_max_sessions=live_sessions,
        poll_s=src.number("IB_POLL_S", 1.0),
        callback_retries=int(src.number("IB_CALLBACK_RETRIES", 3, int)),
        callback_backoff_s=src.number("IB_CALLBACK_BACKOFF_S", 2.0),
        retention_audio_days=src.optional_number("IB_RETENTION_AUDIO_DAYS"),
        retention_text_days=src.optional_number("IB_RETENTION_TEXT_DAYS"),
        timezone=_timezone(str(src.get("IB_TIMEZONE", "UTC"))),
        digest_tick_s=src.number("IB_DIGEST_TICK_S", 30.0),
        analyst=_analyst(src),
        db_busy_s=src.number("IB_DB_BUSY_S", 30.0),
        health_stale_s=src.number("IB_HEALTH_STALE_S", 120.0),
        report_claim_stale_s=src.number("IB_REPORT_CLAIM_STALE_S", 120.0),
        require_consent=src.flag("IB_REQUIRE_CONSENT"),
        consent_wait_days=_positive(src.number("IB_CONSENT_WAIT_DAYS", 30.0), "IB_CONSENT_WAIT_DAYS"),
    )


def _analyst(src: ConfigSource) -> Any:
    """IB_ANALYST=llm with IB_LLM_URL / IB_LLM_MODEL / IB_LLM_KEY / IB_LLM_TIMEOUT_S, checked at start."""
    keys = ("IB_ANALYST", "IB_LLM_URL", "IB_LLM_MODEL", "IB_LLM_KEY", "IB_LLM_TIMEOUT_S")
    values = {k: str(src.get(k)) for k in keys if src.get(k) not in (None, "")}
    if values.get("IB_ANALYST", "local").lower() == "local":
        return None
    from .analysis.llm import analyst_from_env

    try:
        return analyst_from_env(values)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _positive(value: float, key: str) -> float:
    if value <= 0:
        raise ConfigError(f"{key} must be a positive number")
    return value


def _timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.upper() != "UTC":
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"IB_TIMEZONE: unknown time zone {name!r} (use a name such as Asia/Shanghai)"
            ) from None
    return name
