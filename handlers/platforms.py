"""The chat platforms, by name: what `serve --slack/--feishu` offers and `server.platform_apps` builds.

Adding a platform is one package under handlers/ (a ChatPlatform subclass) plus one line here. A package
is imported only when its platform is asked for, so the SDKs of platforms not in use are never loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.service import Service

    from .platform import ChatPlatform


@dataclass(frozen=True)
class PlatformSpec:
    name: str
    factory: Callable[[Service], ChatPlatform]  # raises ValueError naming missing settings
    summary: str  # one line for --help


def lazy(path: str) -> Callable[[Service], ChatPlatform]:
    """'package.module:Class' imported on first use."""
    module, _, cls = path.partition(":")
    return lambda service: getattr(importlib.import_module(module), cls)(service)


PLATFORMS: dict[str, PlatformSpec] = {}


def register(spec: PlatformSpec) -> PlatformSpec:
    PLATFORMS[spec.name] = spec
    return spec


register(
    PlatformSpec(
        "slack", lazy("handlers.slack:SlackPlatform"), "Slack: Events API or Socket Mode, /interview"
    )
)
register(
    PlatformSpec(
        "feishu", lazy("handlers.feishu:FeishuPlatform"), "Feishu / Lark: webhooks or long connection"
    )
)
