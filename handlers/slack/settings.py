"""Slack's own settings, read from the same sources as the core's (environment, then IB_CONFIG)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import ConfigError, ConfigSource


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str | None = None  # Events API over HTTP
    app_token: str | None = None  # Socket Mode instead of HTTP
    api_url: str = "https://slack.com/api/"
    admins: frozenset[str] = frozenset()  # user ids that see every channel's interviews
    sweep_s: float = 30.0  # how often reports whose done event was missed are looked for
    timeout_s: float = 30.0  # one Web API call; a call that takes longer counts as a connection error

    @classmethod
    def read(cls, source: ConfigSource) -> SlackSettings:
        token, secret, app = (
            source.text(k) for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")
        )
        if not token or not (secret or app):
            raise ConfigError(
                "Slack needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"
            )
        return cls(
            bot_token=token,
            signing_secret=secret,
            app_token=app,
            api_url=source.text("SLACK_API_URL", "https://slack.com/api/") or "https://slack.com/api/",
            admins=frozenset(source.listing("SLACK_ADMIN_USERS")),
            sweep_s=source.number("IB_SWEEP_S", 30.0),
            timeout_s=source.number("SLACK_TIMEOUT_S", 30.0),
        )
