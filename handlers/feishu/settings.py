"""Feishu's own settings, read from the same sources as the core's (environment, then IB_CONFIG)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import ConfigError, ConfigSource


@dataclass(frozen=True)
class FeishuSettings:
    app_id: str
    app_secret: str
    verification_token: str | None = None  # webhooks: checked by lark-oapi
    encrypt_key: str | None = None  # webhooks: AES-encrypted bodies and signatures
    domain: str = "https://open.feishu.cn"  # https://open.larksuite.com for Lark
    long_connection: bool = False  # events over lark-oapi's long connection instead of webhooks
    admins: frozenset[str] = frozenset()  # open_ids that see every chat's interviews
    sweep_s: float = 30.0  # how often reports whose done event was missed are looked for

    @classmethod
    def read(cls, source: ConfigSource) -> FeishuSettings:
        app_id, secret = source.text("FEISHU_APP_ID"), source.text("FEISHU_APP_SECRET")
        if not (app_id and secret):
            raise ConfigError("Feishu needs FEISHU_APP_ID and FEISHU_APP_SECRET")
        return cls(
            app_id=app_id,
            app_secret=secret,
            verification_token=source.text("FEISHU_VERIFICATION_TOKEN"),
            encrypt_key=source.text("FEISHU_ENCRYPT_KEY"),
            domain=(source.text("FEISHU_DOMAIN") or "https://open.feishu.cn").rstrip("/"),
            long_connection=source.flag("FEISHU_LONG_CONNECTION"),
            admins=frozenset(source.listing("FEISHU_ADMIN_USERS")),
            sweep_s=source.number("IB_SWEEP_S", 30.0),
        )
