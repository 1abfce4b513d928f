"""Whose employment law the interviewer-question flags cite (IB_JURISDICTIONS). Kept apart from the
analysis package so reading the settings does not load it."""

from __future__ import annotations

from typing import Literal, cast, get_args

Jurisdiction = Literal["cn", "us"]
Jurisdictions = tuple[Jurisdiction, ...]
JURISDICTIONS: tuple[str, ...] = get_args(Jurisdiction)
DEFAULT_JURISDICTIONS: Jurisdictions = ("cn", "us")


def parse_jurisdictions(raw: str | None) -> Jurisdictions:
    """'cn,us' -> ('cn', 'us'); empty -> the default; an unknown name raises ValueError."""
    names = [p.strip().lower() for p in (raw or "").split(",") if p.strip()]
    if not names:
        return DEFAULT_JURISDICTIONS
    bad = [n for n in names if n not in JURISDICTIONS]
    if bad:
        raise ValueError(f"unknown jurisdiction {bad[0]!r}; use a comma list of {', '.join(JURISDICTIONS)}")
    return cast(Jurisdictions, tuple(dict.fromkeys(names)))
