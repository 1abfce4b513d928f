"""Whose employment law the interviewer-question flags cite (IB_JURISDICTIONS). Kept apart from the
analysis package so reading the settings does not load it."""

from __future__ import annotations

JURISDICTIONS = ("cn", "us")
DEFAULT_JURISDICTIONS = ("cn", "us")


def parse_jurisdictions(raw: str | None) -> tuple[str, ...]:
    """'cn,us' -> ('cn', 'us'); empty -> the default; an unknown name raises ValueError."""
    names = [p.strip().lower() for p in (raw or "").split(",") if p.strip()]
    if not names:
        return DEFAULT_JURISDICTIONS
    bad = [n for n in names if n not in JURISDICTIONS]
    if bad:
        raise ValueError(f"unknown jurisdiction {bad[0]!r}; use a comma list of {', '.join(JURISDICTIONS)}")
    return tuple(dict.fromkeys(names))
