"""Applicant tracking systems, by name: one module each, imported only when its target is asked for.

A connector only finds applications, finds a note by its marker and posts a note (bot.ats.Connector);
the claim / post / confirm flow that keeps a draft to one note is the core's (bot.ats). Adding an ATS is
one module here plus a line below (and its credentials in bot.config).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from bot.ats import Connector
from bot.config import ATS_TARGETS, AtsSettings


class AtsNotConfigured(ValueError):
    """No target, an unknown one, or one without its credentials: one line naming what to set."""


@dataclass(frozen=True)
class AtsSpec:
    name: str
    path: str  # 'package.module:Class', built with the AtsSettings
    summary: str


ATS: dict[str, AtsSpec] = {}


def register(spec: AtsSpec) -> AtsSpec:
    ATS[spec.name] = spec
    return spec


register(AtsSpec("feishu-hire", "handlers.ats.feishu_hire:FeishuHire", "Feishu Hire (飞书招聘) notes"))
register(AtsSpec("greenhouse", "handlers.ats.greenhouse:Greenhouse", "Greenhouse Harvest v3 notes"))
register(AtsSpec("lever", "handlers.ats.lever:Lever", "Lever opportunity notes"))
assert set(ATS) == set(ATS_TARGETS), "bot.config.ATS_TARGETS and the registry name the same targets"


def target_of(settings: AtsSettings, name: str | None) -> str:
    """The target asked for, or IB_ATS; AtsNotConfigured when there is none or it lacks credentials."""
    name = (name or settings.default or "").strip().lower()
    if not name:
        raise AtsNotConfigured(
            "no ATS is configured: set IB_ATS (feishu-hire, greenhouse or lever) and its credentials "
            "(IB_GREENHOUSE_CLIENT_ID, IB_GREENHOUSE_CLIENT_SECRET, IB_GREENHOUSE_USER_ID; or "
            "IB_LEVER_API_KEY, IB_LEVER_USER_ID; or FEISHU_APP_ID, FEISHU_APP_SECRET)"
        )
    if name not in ATS:
        raise AtsNotConfigured(f"unknown ATS {name!r}: choose one of {', '.join(ATS)}")
    if settings.missing(name):
        raise AtsNotConfigured(f"the ATS {name} is not configured: set {', '.join(settings.missing(name))}")
    return name


def connector(settings: AtsSettings, name: str | None = None) -> Connector:
    """A connector for `name` (or IB_ATS), built from its settings. Raises AtsNotConfigured."""
    spec = ATS[target_of(settings, name)]
    module, _, cls = spec.path.partition(":")
    return getattr(importlib.import_module(module), cls)(settings)
