"""Job profiles: how much each competency counts for a role. Built in, from a file, or derived from a JD."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import records


class ProfileError(ValueError):
    pass


@dataclass
class Profile:
    name: str
    weights: dict[str, float]
    hotwords: list[str] = field(default_factory=list)
    title: str = ""
    base: str = "general"  # a competency the weights do not name takes its record's weight for this

    def weight(self, key: str) -> float:
        if key in self.weights:
            return max(0.0, self.weights[key])
        record = records.get(key)
        return max(0.0, record.weights.get(self.base, record.default_weight))

    def normalised(self) -> dict[str, float]:
        keys = records.competency_keys()
        total = sum(self.weight(k) for k in keys)
        if total <= 0:
            raise ProfileError(f"profile {self.name!r} gives every competency zero weight")
        return {k: self.weight(k) / total for k in keys}


def _built_in(name: str) -> Profile:
    return Profile(name, {}, title=records.PROFILE_TITLES[name], base=name)


# Weights live in the competency records, so a registered competency is in every profile at once.
BUILT_IN: dict[str, Profile] = {name: _built_in(name) for name in records.PROFILE_TITLES}
ALIASES = {
    "backend": "backend_engineer",
    "后端": "backend_engineer",
    "后端工程师": "backend_engineer",
    "frontend": "frontend_engineer",
    "前端": "frontend_engineer",
    "前端工程师": "frontend_engineer",
    "data": "data_engineer",
    "algorithm": "data_engineer",
    "算法": "data_engineer",
    "数据": "data_engineer",
    "hr": "hrbp",
    "pm": "product_manager",
    "product": "product_manager",
    "产品": "product_manager",
    "产品经理": "product_manager",
    "通用": "general",
}


def load_profile(spec: str | None) -> Profile:
    """A built-in name (or alias), a TOML/JSON file, or None for the general profile."""
    if not spec:
        return BUILT_IN["general"]
    key = ALIASES.get(spec.strip().lower(), spec.strip().lower())
    if key in BUILT_IN:
        return BUILT_IN[key]
    path = Path(spec)
    if not path.exists():
        names = ", ".join(sorted(BUILT_IN))
        raise ProfileError(f"unknown profile {spec!r}: use one of {names}, or a .toml/.json/.txt file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".txt", ".md"):
        return profile_from_jd(text, name=path.stem)
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path.name}: {exc}") from None
    weights = data.get("weights", {})
    unknown = set(weights) - set(records.competency_keys())
    if unknown:
        raise ProfileError(f"profile {path.name} has unknown competencies: {', '.join(sorted(unknown))}")
    try:
        weights = {k: float(v) for k, v in weights.items()}
    except (TypeError, ValueError):
        raise ProfileError(f"profile {path.name}: weights must be numbers") from None
    base = ALIASES.get(str(data.get("base", "general")), str(data.get("base", "general")))
    if base not in BUILT_IN:
        raise ProfileError(f"profile {path.name}: unknown base {base!r}")
    profile = Profile(
        str(data.get("name", path.stem)),
        weights,
        list(data.get("hotwords", [])),
        str(data.get("title", "")),
        base=base,
    )
    profile.normalised()  # validates
    return profile


def profile_from_jd(jd: str, name: str = "jd") -> Profile:
    """Weights from what a job description stresses: every hit raises its competency above the baseline."""
    weights = {}
    for record in records.RECORDS.values():
        hits = len(re.findall(record.jd_signals, jd, re.I)) if record.jd_signals else 0
        key = record.key
        weights[key] = 1.0 + 0.6 * min(hits, 6)
    terms = re.findall(r"[A-Za-z][A-Za-z0-9+#.]{1,20}", jd)
    return Profile(name, weights, hotwords=sorted(set(terms)), title=f"JD: {name}")
