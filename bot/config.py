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

from asr_engine import QWEN3_CAPTURES, QWEN3_DECODES, EngineConfig, engine_names

from .jurisdictions import DEFAULT_JURISDICTIONS, Jurisdictions, parse_jurisdictions


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


ATS_TARGETS: tuple[str, ...] = ("feishu-hire", "greenhouse", "lever")  # handlers/ats/ has one module each
_ATS_KEYS: dict[str, tuple[str, ...]] = {
    "feishu-hire": ("FEISHU_APP_ID", "FEISHU_APP_SECRET"),
    "greenhouse": ("IB_GREENHOUSE_CLIENT_ID", "IB_GREENHOUSE_CLIENT_SECRET", "IB_GREENHOUSE_USER_ID"),
    "lever": ("IB_LEVER_API_KEY", "IB_LEVER_USER_ID"),
}
_ATS_URLS: dict[str, str] = {  # base URLs include the version path
    "IB_GREENHOUSE_URL": "https://harvest.greenhouse.io/v3",
    "IB_GREENHOUSE_TOKEN_URL": "https://auth.greenhouse.io/token",
    "IB_LEVER_URL": "https://api.lever.co/v1",
    "FEISHU_DOMAIN": "https://open.feishu.cn",
}


@dataclass(frozen=True)
class AtsSettings:
    """Where scorecard drafts go (bot.ats): the default target, and each ATS's credentials and base URL
    as read from the environment (`values`, keyed by variable name)."""

    default: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 20.0

    def missing(self, target: str) -> list[str]:
        """The variables still to set before `target` can be used."""
        return [k for k in _ATS_KEYS[target] if not self.values.get(k)]

    def configured(self) -> list[str]:
        return [t for t in ATS_TARGETS if not self.missing(t)]

    def target(self) -> str | None:
        """Where a "Send to ATS" click goes: IB_ATS (None: reports show no such control). Never guessed
        from credentials: a Feishu app's credentials are also Feishu Hire's, used or not."""
        return self.default

    def get(self, key: str) -> str:
        return self.values.get(key) or _ATS_URLS.get(key, "")


def ats_settings(src: ConfigSource) -> AtsSettings:
    """IB_ATS and the credentials of each ATS, checked at start-up: an unknown target, a default target
    without its credentials, or a base URL that is not http(s) is one line naming the variable."""
    default = (src.text("IB_ATS") or "").strip().lower() or None
    if default and default not in ATS_TARGETS:
        raise ConfigError(f"IB_ATS must be one of {', '.join(ATS_TARGETS)}, got {default!r}")
    keys = {k for ks in _ATS_KEYS.values() for k in ks} | set(_ATS_URLS)
    values = {k: str(src.get(k)).strip() for k in keys if src.get(k) not in (None, "")}
    for key in _ATS_URLS:
        if key in values and not values[key].startswith(("http://", "https://")):
            raise ConfigError(f"{key} must be an http(s) URL, got {values[key]!r}")
    settings = AtsSettings(default, values, src.number("IB_ATS_TIMEOUT_S", 20.0))
    if default and settings.missing(default):
        raise ConfigError(f"IB_ATS={default} needs {', '.join(settings.missing(default))}")
    return settings


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
    compliance_channel: tuple[str, str] | None = (
        None  # IB_COMPLIANCE_CHANNEL platform:channel, flagged questions
    )
    require_consent: bool = False  # IB_REQUIRE_CONSENT: a recording waits (held) for the candidate's consent
    consent_wait_days: float = 30.0  # a held recording without consent is deleted after this long
    ats: AtsSettings = field(default_factory=AtsSettings)  # scorecard drafts (bot.ats, handlers/ats)
    # whose law the interviewer-question flags cite (IB_JURISDICTIONS: cn, us); see docs/interviewer.md
    jurisdictions: Jurisdictions = DEFAULT_JURISDICTIONS

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
        qwen3_decode=_choice(src, "IB_QWEN3_DECODE", QWEN3_DECODES),
        qwen3_capture=_choice(src, "IB_QWEN3_CAPTURE", QWEN3_CAPTURES),
        qwen3_static_kv_tokens=_optional_int(src, "IB_QWEN3_STATIC_KV_TOKENS"),
        remote_urls=src.listing("IB_REMOTE_ASR_URLS"),
        remote_model=str(src.get("IB_REMOTE_ASR_MODEL", "Qwen/Qwen3-ASR-0.6B")),
        remote_api_key=src.text("IB_REMOTE_ASR_KEY"),
        max_duration_s=src.number("IB_MAX_AUDIO_SECONDS", 4 * 3600.0),
        max_bytes=int(src.number("IB_MAX_UPLOAD_BYTES", 1024**3, int)),
    )


def _choice(src: ConfigSource, key: str, allowed: tuple[str, ...]) -> str | None:
    """One of `allowed` (case-insensitive), or None when unset."""
    raw = src.text(key)
    if raw is None or raw.strip() == "":
        return None
    if raw.strip().lower() not in allowed:
        raise ConfigError(f"{key} must be {' or '.join(allowed)}, got {raw!r}")
    return raw.strip().lower()


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
        compliance_channel=_place(src.text("IB_COMPLIANCE_CHANNEL"), "IB_COMPLIANCE_CHANNEL"),
        require_consent=src.flag("IB_REQUIRE_CONSENT"),
        consent_wait_days=_positive(src.number("IB_CONSENT_WAIT_DAYS", 30.0), "IB_CONSENT_WAIT_DAYS"),
        ats=ats_settings(src),
        jurisdictions=_jurisdictions(src),
    )


def _jurisdictions(src: ConfigSource) -> Jurisdictions:
    raw = src.get("IB_JURISDICTIONS")
    try:
        return parse_jurisdictions(",".join(raw) if isinstance(raw, list) else raw)
    except ValueError as exc:
        raise ConfigError(f"IB_JURISDICTIONS: {exc}") from None


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


def _place(value: str | None, key: str) -> tuple[str, str] | None:
    """`slack:C0123` or `feishu:oc_abc` -> (platform, channel)."""
    if not value:
        return None
    platform, _, channel = value.strip().partition(":")
    if platform not in ("slack", "feishu") or not channel:
        raise ConfigError(f"{key} must be PLATFORM:CHANNEL, e.g. slack:C0123 or feishu:oc_abc")
    return platform, channel


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
