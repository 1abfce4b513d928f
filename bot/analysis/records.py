"""Competencies, one record each: names, what earns credit, example sentences, JD signals, profile weights.

Everything else (the JSON keys, report names, profiles, JD weighting, the local model's heads and the
LLM analyst's schema) is derived from these records, so a new competency is one `register()` call. A
record without a trained head in the model artefact is scored by similarity to its example sentences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Competency:
    key: str
    zh: str
    en: str
    description: str  # what earns credit (fed to the LLM analyst too)
    examples: tuple[str, ...] = ()  # sentences that show it, zh and en
    jd_signals: str = ""  # regex over a job description
    weights: Mapping[str, float] = field(default_factory=dict)  # built-in profile -> weight
    default_weight: float = 1.0  # for profiles the record does not name


RECORDS: dict[str, Competency] = {}


def register(record: Competency) -> Competency:
    """Add (or replace) a competency; its key joins the analysis JSON and every profile."""
    RECORDS[record.key] = record
    return record


def unregister(key: str) -> None:
    RECORDS.pop(key, None)


def competency_keys() -> tuple[str, ...]:
    return tuple(RECORDS)


def get(key: str) -> Competency:
    return RECORDS[key]


PROFILE_TITLES = {
    "general": "General / 通用",
    "backend_engineer": "Backend engineer / 后端工程师",
    "frontend_engineer": "Frontend engineer / 前端工程师",
    "data_engineer": "Data / algorithm engineer / 数据算法工程师",
    "hrbp": "HRBP",
    "product_manager": "Product manager / 产品经理",
}


def _w(be: float, fe: float, de: float, hr: float, pm: float) -> dict[str, float]:
    return {
        "general": 1,
        "backend_engineer": be,
        "frontend_engineer": fe,
        "data_engineer": de,
        "hrbp": hr,
        "product_manager": pm,
    }


for _record in (
    Competency(
        "technical_depth",
        "技术深度",
        "Technical depth",
        "Explains how or why something works: a mechanism, internals, a trade-off between techniques, "
        "tuning with reasons. Not when a technology is only named.",
        (
            "熔断是下游失败率超过阈值就直接拒绝调用，降级是返回兜底数据，两者解决的问题不一样",
            "Full GCs came from old-gen promotion of a big cache, so I moved it off-heap",
        ),
        r"精通|深入理解|源码|底层|原理|JVM|多线程|并发编程|性能调优|Redis|Kafka|MySQL|SpringCloud|Spring Cloud|"
        r"Go|Java|React|Vue|in-depth|deep knowledge|internals|expert in",
        _w(25, 30, 30, 0, 5),
    ),
    Competency(
        "system_design",
        "系统设计",
        "System design",
        "Designs structure: components, boundaries, data flow, scaling, consistency, availability, "
        "trade-offs between designs. Not when only an architecture word is named.",
        (
            "订单和库存拆成两个服务，中间用消息队列异步扣减，最终一致",
            "We partitioned by tenant so one noisy customer cannot take the others down",
        ),
        r"高并发|高可用|分布式|微服务|架构|SpringCloud|Spring Cloud|大规模|海量|可扩展|system design|"
        r"distributed|scalab|architecture|high availability",
        _w(25, 15, 10, 0, 10),
    ),
    Competency(
        "problem_solving",
        "问题解决",
        "Problem solving",
        "Works a concrete problem through: diagnosis, hypotheses, narrowing down, a fix and its check.",
        (
            "我先看监控发现只有一台机器超时，再抓包定位到连接池打满",
            "I bisected the deploys and found the bad config",
        ),
        r"排查|定位|解决复杂|疑难|问题分析|troubleshoot|debug|problem.solving|root cause",
        _w(20, 20, 25, 20, 20),
    ),
    Competency(
        "leadership",
        "领导力",
        "Leadership",
        "Leads people or direction: owns a project's direction, makes calls for others, mentors, grows or "
        "organises a team (no formal title needed).",
        (
            "我带了四个人，每周排期分工，新人我一对一带",
            "I made the call to pause the feature and got the team behind it",
        ),
        r"带领|团队管理|技术负责人|leader|主导|mentor|lead a team|manage",
        _w(5, 5, 5, 15, 15),
    ),
    Competency(
        "result_orientation",
        "结果导向",
        "Result orientation",
        "Outcomes the candidate drove or owned: a delivered result, a metric moved, a goal set and hit.",
        ("上线后转化率从 3% 提到了 4.5%", "We shipped it two weeks early and cut refunds by 30%"),
        r"结果导向|业绩|目标|指标|增长|owner|impact|metrics|deliver",
        _w(15, 10, 20, 15, 20),
    ),
    Competency(
        "collaboration",
        "协作",
        "Collaboration",
        "Works with others: aligning, resolving disagreement, cross-team coordination, helping peers.",
        ("两边僵住的时候我拉了个会，把各自底线摊开讲", "I paired with the data team to agree on the schema"),
        r"跨部门|协作|沟通协调|团队合作|cross-functional|collaborat|stakeholder",
        _w(5, 10, 5, 25, 15),
    ),
    Competency(
        "communication",
        "沟通表达",
        "Communication",
        "Explains clearly to an audience: structured explanation, adapting to non-technical listeners, "
        "docs and presentations, making a complex idea simple.",
        (
            "给业务方讲的时候我不讲技术细节，就用排队买票打比方",
            "I wrote the design doc and walked sales through it",
        ),
        r"表达|沟通能力|文档|演讲|汇报|communicat|presentation|writing",
        _w(5, 10, 5, 25, 15),
    ),
    Competency(
        "learning",
        "学习能力",
        "Learning",
        "Learning ability: picks up a new technology quickly and says how, learns from a failure (what "
        "changed afterwards), self-directed study with something applied.",
        (
            "之前没写过 Go，我花两周把官方教程过了一遍，然后先拿一个小服务练手",
            "After that outage I started writing runbooks and we now rehearse failovers",
        ),
        r"学习能力|自驱|快速学习|求知|learn|curious|self-motivated|growth mindset",
        _w(5, 5, 5, 10, 5),
    ),
):
    register(_record)
