"""Settings from environment variables, optionally from a TOML file (IB_CONFIG) that sets the same keys.

Environment wins over the file, so a deployment can keep secrets out of the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asr_engine import EngineConfig, engine_names


class ConfigError(ValueError):
    pass


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@dataclass
class Settings:
    db_path: Path
    data_dir: Path
    asr_engine: str = "auto"
    whisper_model: str | None = None
    qwen3_model: str | None = None
    qwen3_aligner: str | None = None
    remote_asr_urls: list[str] = field(default_factory=list)
    remote_asr_model: str = "Qwen/Qwen3-ASR-0.6B"
    remote_asr_key: str | None = None
    max_audio_seconds: float = 4 * 3600.0
    max_upload_bytes: int = 1024**3
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
    job_lease_s: float = 60.0
    job_max_attempts: int = 4
    job_backoff_s: float = 5.0
    poll_s: float = 1.0
    callback_retries: int = 3
    callback_backoff_s: float = 2.0
    retention_audio_days: float | None = None
    retention_text_days: float | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_admins: list[str] = field(default_factory=list)
    sweep_s: float = 30.0
    feishu_app_id: str | None = None
    feishu_app_secret: str | None = None
    feishu_verification_token: str | None = None
    feishu_encrypt_key: str | None = None
    feishu_domain: str = "https://open.feishu.cn"
    feishu_long_connection: bool = False
    feishu_admins: list[str] = field(default_factory=list)
    timezone: str = "UTC"
    digest_tick_s: float = 30.0

    def engine_config(self) -> EngineConfig:
        return EngineConfig(
            engine=self.asr_engine,
            data_dir=self.data_dir,
            whisper_model=self.whisper_model,
            qwen3_model=self.qwen3_model,
            qwen3_aligner=self.qwen3_aligner,
            remote_urls=list(self.remote_asr_urls),
            remote_model=self.remote_asr_model,
            remote_api_key=self.remote_asr_key,
            max_duration_s=self.max_audio_seconds,
            max_bytes=self.max_upload_bytes,
        )


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "interview-bot"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    file_values: dict[str, Any] = {}
    if env.get("IB_CONFIG"):
        path = Path(env["IB_CONFIG"])
        try:
            file_values = {k.upper(): v for k, v in tomllib.loads(path.read_text()).items()}
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read the configuration file {path}: {exc}") from None

    def get(key: str, default: Any = None) -> Any:
        if key in env and env[key] != "":
            return env[key]
        return file_values.get(key, default)

    def number(key: str, default: float, kind=float):
        raw = get(key, default)
        try:
            return kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a number, got {raw!r}") from None

    def optional_number(key: str) -> float | None:
        raw = get(key)
        return None if raw in (None, "") else number(key, 0.0)

    def listing(key: str) -> list[str]:
        raw = get(key)
        return [str(v) for v in raw] if isinstance(raw, list) else _split(raw)

    data_dir = Path(get("IB_DATA_DIR") or _default_data_dir()).expanduser()
    engine = str(get("IB_ASR_ENGINE", "auto")).lower()
    if engine not in engine_names():
        raise ConfigError(f"IB_ASR_ENGINE must be one of {', '.join(engine_names())}, got {engine!r}")
    port = int(number("IB_HTTP_PORT", 8000, int))
    return Settings(
        db_path=Path(get("IB_DB") or data_dir / "interview-bot.db").expanduser(),
        data_dir=data_dir,
        asr_engine=engine,
        whisper_model=get("IB_WHISPER_MODEL"),
        qwen3_model=get("IB_QWEN3_MODEL"),
        qwen3_aligner=get("IB_QWEN3_ALIGNER"),
        remote_asr_urls=listing("IB_REMOTE_ASR_URLS"),
        remote_asr_model=str(get("IB_REMOTE_ASR_MODEL", "Qwen/Qwen3-ASR-0.6B")),
        remote_asr_key=get("IB_REMOTE_ASR_KEY"),
        max_audio_seconds=number("IB_MAX_AUDIO_SECONDS", 4 * 3600.0),
        max_upload_bytes=int(number("IB_MAX_UPLOAD_BYTES", 1024**3, int)),
        http_host=str(get("IB_HTTP_HOST", "127.0.0.1")),
        http_port=port,
        api_tokens=listing("IB_API_TOKENS"),
        public_url=str(get("IB_PUBLIC_URL", f"http://127.0.0.1:{port}")).rstrip("/"),
        language=str(get("IB_LANGUAGE", "auto")),
        link_secret=get("IB_LINK_SECRET"),
        report_link_days=number("IB_REPORT_LINK_DAYS", 30.0),
        fetch_allow_nets=listing("IB_FETCH_ALLOW_NETS"),
        asr_workers=max(1, int(number("IB_ASR_WORKERS", 1, int))),
        batch_wait_s=number("IB_BATCH_WAIT_S", 0.05),
        job_lease_s=number("IB_JOB_LEASE_S", 60.0),
        job_max_attempts=int(number("IB_JOB_MAX_ATTEMPTS", 4, int)),
        job_backoff_s=number("IB_JOB_BACKOFF_S", 5.0),
        poll_s=number("IB_POLL_S", 1.0),
        callback_retries=int(number("IB_CALLBACK_RETRIES", 3, int)),
        callback_backoff_s=number("IB_CALLBACK_BACKOFF_S", 2.0),
        retention_audio_days=optional_number("IB_RETENTION_AUDIO_DAYS"),
        retention_text_days=optional_number("IB_RETENTION_TEXT_DAYS"),
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=str(get("SLACK_API_URL", "https://slack.com/api/")),
        slack_admins=listing("SLACK_ADMIN_USERS"),
        sweep_s=number("IB_SWEEP_S", 30.0),
        feishu_app_id=get("FEISHU_APP_ID"),
        feishu_app_secret=get("FEISHU_APP_SECRET"),
        feishu_verification_token=get("FEISHU_VERIFICATION_TOKEN"),
        feishu_encrypt_key=get("FEISHU_ENCRYPT_KEY"),
        feishu_domain=str(get("FEISHU_DOMAIN", "https://open.feishu.cn")).rstrip("/"),
        feishu_long_connection=str(get("FEISHU_LONG_CONNECTION", "")).lower() in ("1", "true", "yes"),
        feishu_admins=listing("FEISHU_ADMIN_USERS"),
        timezone=_timezone(str(get("IB_TIMEZONE", "UTC"))),
        digest_tick_s=number("IB_DIGEST_TICK_S", 30.0),
    )


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
