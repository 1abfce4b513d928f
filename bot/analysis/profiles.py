"""Job profiles: how much each competency counts for a role. Built in, from a file, or derived from a JD."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .model import COMPETENCIES


class ProfileError(ValueError):
    pass


@dataclass
class Profile:
    name: str
    weights: dict[str, float]
    hotwords: list[str] = field(default_factory=list)
    title: str = ""

    def normalised(self) -> dict[str, float]:
        total = sum(max(0.0, self.weights.get(k, 0.0)) for k in COMPETENCIES)
        if total <= 0:
            raise ProfileError(f"profile {self.name!r} gives every competency zero weight")
        return {k: max(0.0, self.weights.get(k, 0.0)) / total for k in COMPETENCIES}


def _w(td, sd, ps, ld, ro, co, cm) -> dict[str, float]:
    return dict(zip(COMPETENCIES, (td, sd, ps, ld, ro, co, cm)))


BUILT_IN: dict[str, Profile] = {
    "general": Profile("general", _w(1, 1, 1, 1, 1, 1, 1), title="General / 通用"),
    "backend_engineer": Profile(
        "backend_engineer", _w(25, 25, 20, 5, 15, 5, 5), title="Backend engineer / 后端工程师"
    ),
    "frontend_engineer": Profile(
        "frontend_engineer", _w(30, 15, 20, 5, 10, 10, 10), title="Frontend engineer / 前端工程师"
    ),
    "data_engineer": Profile(
        "data_engineer", _w(30, 10, 25, 5, 20, 5, 5), title="Data / algorithm engineer / 数据算法工程师"
    ),
    "hrbp": Profile("hrbp", _w(0, 0, 20, 15, 15, 25, 25), title="HRBP"),
    "product_manager": Profile(
        "product_manager", _w(5, 10, 20, 15, 20, 15, 15), title="Product manager / 产品经理"
    ),
}
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

# What a job description stresses, mapped to the competencies it asks for.
JD_SIGNALS: dict[str, str] = {
    "technical_depth": r"精通|深入理解|源码|底层|原理|JVM|多线程|并发编程|性能调优|Redis|Kafka|MySQL|SpringCloud|Spring Cloud|Go|"
    r"Java|React|Vue|"
    r"in-depth|deep knowledge|internals|expert in",
    "system_design": r"高并发|高可用|分布式|微服务|架构|SpringCloud|Spring Cloud|大规模|海量|可扩展|system design|distributed|"
    r"scalab|architecture|high availability",
    "problem_solving": r"排查|定位|解决复杂|疑难|问题分析|troubleshoot|debug|problem.solving|root cause",
    "leadership": r"带领|团队管理|技术负责人|leader|主导|mentor|lead a team|manage",
    "result_orientation": r"结果导向|业绩|目标|指标|增长|owner|impact|metrics|deliver",
    "collaboration": r"跨部门|协作|沟通协调|团队合作|cross-functional|collaborat|stakeholder",
    "communication": r"表达|沟通能力|文档|演讲|汇报|communicat|presentation|writing",
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
    unknown = set(weights) - set(COMPETENCIES)
    if unknown:
        raise ProfileError(f"profile {path.name} has unknown competencies: {', '.join(sorted(unknown))}")
    try:
        weights = {k: float(v) for k, v in weights.items()}
    except (TypeError, ValueError):
        raise ProfileError(f"profile {path.name}: weights must be numbers") from None
    base = BUILT_IN[ALIASES.get(str(data.get("base", "general")), str(data.get("base", "general")))].weights
    profile = Profile(
        str(data.get("name", path.stem)),
        {**base, **weights},
        list(data.get("hotwords", [])),
        str(data.get("title", "")),
    )
    profile.normalised()  # validates
    return profile


def profile_from_jd(jd: str, name: str = "jd") -> Profile:
    """Weights from what a job description stresses: every hit raises its competency above the baseline."""
    weights = {}
    for key in COMPETENCIES:
        hits = len(re.findall(JD_SIGNALS[key], jd, re.I))
        weights[key] = 1.0 + 0.6 * min(hits, 6)
    terms = re.findall(r"[A-Za-z][A-Za-z0-9+#.]{1,20}", jd)
    return Profile(name, weights, hotwords=sorted(set(terms)), title=f"JD: {name}")
