"""Slack, as one ChatPlatform: events over HTTP or Socket Mode, `/interview` commands."""

from .app import SlackPlatform, recording
from .settings import SlackSettings

__all__ = ["SlackPlatform", "SlackSettings", "recording"]
