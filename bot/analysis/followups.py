"""Follow-up questions, each anchored to something the candidate actually said and specific to it.

Rules look for claims worth probing: vague or unquantified, qualified (not shipped, staging only),
hedged numbers, contradictions between answers, and technical choices with well-known failure modes
(Redis locks, caches, queues, idempotency checks, thread pools). No rule fires without an anchor, so
there are never generic questions; fewer than two anchors means fewer questions, not filler.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .competencies import answers
from .detectors import LEAD_CLAIM, NOT_SHIPPED_NAMED, NUMBER, PARTIAL_ROLE, STAGING_NAMED, Detector
from .results import CANDIDATE, Followup, Utterance, VagueClaim
from .speech import strip_fillers


@dataclass(frozen=True)
class Rule:
    name: str
    priority: int  # lower first
    pattern: re.Pattern[str] | Detector
    zh: tuple[str, str]  # question, reason; {q} is the quote
    en: tuple[str, str]
    needs_no_number: bool = False


def _rx(p: str) -> re.Pattern[str]:
    return re.compile(p, re.I)


RULES: tuple[Rule, ...] = (
    Rule(
        "vague_performance",
        1,
        _rx(
            r"性能优化|优化了|做了优化|提升了性能|效果(挺|很|还)?好|optimi[sz]ed|improved performance|made it faster"
        ),
        (
            "你提到“{q}”，能给出优化前后的具体数据吗（QPS、P99 延迟、资源占用）？瓶颈是怎么定位到的？",
            "性能提升的说法没有数据支撑",
        ),
        (
            'You said "{q}". What were the numbers before and after (QPS, p99 latency, resources), and how '
            "did you find the bottleneck?",
            "performance claim without numbers",
        ),
        needs_no_number=True,
    ),
    Rule(
        "not_shipped",
        1,
        NOT_SHIPPED_NAMED,
        (
            "你提到“{q}”，项目最后没有上线的原因是什么？这个过程中哪些决定是你做的？",
            "主导的项目未上线，个人影响需要核实",
        ),
        (
            'You said "{q}". Why did it not ship, and which decisions along the way were yours?',
            "the project did not ship; personal impact unverified",
        ),
    ),
    Rule(
        "staging_only",
        1,
        STAGING_NAMED,
        ("“{q}”是在测试环境得到的，生产环境的数据是多少？上线后有没有回归？", "结果只在测试环境验证"),
        (
            '"{q}" was measured outside production. What did production show, and did it hold after release?',
            "result only shown outside production",
        ),
    ),
    Rule(
        "hedged_number",
        2,
        _rx(
            r"(大概|可能|估计|差不多|roughly|about|around|probably).{0,12}[\d一二两三四五六七八九十百千万]|\d.{0,12}(左右|吧)"
        ),
        ("“{q}”这个数是怎么得出的？有压测或监控数据吗？", "数字表述不确定"),
        (
            'How did you arrive at "{q}"? Is there load-test or monitoring data behind it?',
            "number stated with uncertainty",
        ),
    ),
    Rule(
        "idempotency_check_then_write",
        3,
        _rx(
            r"(幂等|唯一.{0,6}(号|键|id)).{0,30}(先查|查一下|查询|判断)|(先查|查一下).{0,20}(重复|幂等)|idempoten"
        ),
        (
            "你提到“{q}”。请求号由谁生成、存在哪里？“先查再写”在并发下如何避免两个相同请求同时通过检查？",
            "先查后写的幂等方案存在并发竞态",
        ),
        (
            'You said "{q}". Who generates the request id and where is it stored? How do two identical '
            "concurrent requests not both pass the check?",
            "check-then-write idempotency has a race",
        ),
    ),
    Rule(
        "redis_lock",
        3,
        _rx(r"(redis|缓存).{0,15}(分布式锁|锁)|分布式锁|distributed lock|redlock"),
        (
            "用 Redis 做分布式锁时，过期时间怎么定？业务没执行完锁就过期了怎么办？释放时如何保证不误删别人的锁？",
            "分布式锁的过期与释放安全",
        ),
        (
            "With the Redis lock: how did you pick the expiry, what happens if work outlives the lock, and "
            "how do you avoid releasing someone else's lock?",
            "lock expiry and release safety",
        ),
    ),
    Rule(
        "cache",
        4,
        _rx(r"缓存|\bredis\b|\bcach(e|ing)\b"),
        (
            "你提到“{q}”。缓存和数据库的一致性怎么保证？穿透、击穿、雪崩分别怎么处理？",
            "缓存方案的一致性与失效处理",
        ),
        (
            'You said "{q}". How do you keep cache and database consistent, and how do you handle '
            "penetration, stampedes and mass expiry?",
            "cache consistency and failure modes",
        ),
    ),
    Rule(
        "queue",
        4,
        _rx(r"消息队列|削峰|\bkafka\b|rocketmq|rabbitmq|message queue"),
        ("你提到“{q}”。如何保证消息不丢、不被重复消费？积压时怎么处理？", "消息队列的可靠性与积压"),
        (
            'You said "{q}". How do you avoid losing or double-processing messages, and what happens on a '
            "backlog?",
            "queue reliability and backlog",
        ),
    ),
    Rule(
        "microservices",
        4,
        _rx(r"拆(成|分)了?.{0,6}微服务|微服务|microservice"),
        (
            "你提到“{q}”。服务边界是怎么划分的？拆分后跨服务的数据一致性怎么保证？",
            "服务拆分的边界与分布式一致性",
        ),
        (
            'You said "{q}". How did you draw the service boundaries, and how do you keep data consistent '
            "across services?",
            "service boundaries and distributed consistency",
        ),
    ),
    Rule(
        "thread_pool",
        4,
        _rx(r"线程池|核心线程|thread pool"),
        ("你提到“{q}”。这些任务是 CPU 密集还是 IO 密集？队列长度和拒绝策略怎么选的？", "线程池参数的依据"),
        (
            'You said "{q}". Are the tasks CPU- or IO-bound, and how did you choose the queue size and '
            "rejection policy?",
            "basis for the thread pool settings",
        ),
    ),
    Rule(
        "throughput",
        5,
        _rx(r"每秒.{0,10}(请求|订单|笔)|\bqps\b|\btps\b|requests per second"),
        ("“{q}”是峰值还是平均？在哪一层测的？当时的瓶颈在哪里？", "吞吐量数字的口径"),
        (
            'Is "{q}" peak or average, measured where, and what was the bottleneck?',
            "how the throughput figure was measured",
        ),
    ),
    Rule(
        "team_role",
        5,
        _rx(r"带过|带了|带领|\b(led|managed)\b"),
        ("你提到“{q}”。你具体负责什么？团队里出现过什么分歧，你是怎么处理的？", "带团队经历缺少细节"),
        (
            'You said "{q}". What exactly was your part, and how did you handle a disagreement in the team?',
            "leadership claim without detail",
        ),
    ),
)
_CLAUSE = re.compile(r"[^,，。.!！?？;；]+")
VAGUE_REASON = {
    "number": ("说法笼统，缺少数据", "vague: no numbers"),
    "mechanism": ("只有概念，没有说明怎么做", "a buzzword without the mechanism"),
    "specifics": ("说法笼统，缺少具体例子", "no concrete specifics"),
}


def vague_notes(quote: str, told_vaguely: Sequence[VagueClaim], zh: bool) -> list[str]:
    """The caveats of a quote that overlaps these vague claims: what each misses, once per kind. A vague
    claim is one clause and the quote a whole sentence: a quote with a figure is never told "no numbers"."""
    kinds = dict.fromkeys(
        v.missing for v in told_vaguely if not (v.missing == "number" and NUMBER.search(quote))
    )
    return [VAGUE_REASON[k][0 if zh else 1] for k in kinds]


def _quote(text: str, limit: int = 40) -> str:
    text = strip_fillers(text).strip(" ,，。.")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rule_followups(
    utterances: list[Utterance], zh: bool, probed: list[str], used_rules: set[str]
) -> list[tuple[int, float, Followup]]:
    found: list[tuple[int, float, Followup]] = []
    for answer in answers(utterances):
        for u in answer:
            for rule in RULES:
                if rule.name in used_rules:
                    continue
                # across clauses: "先查一下" may follow "幂等键," in the next one
                m = rule.pattern.search(u.text)
                if m is None:
                    continue
                clauses = [(c.start(), c.group()) for c in _CLAUSE.finditer(u.text)]
                i = max((k for k, (pos, _c) in enumerate(clauses) if pos <= m.start()), default=0)
                clause = clauses[i][1] if clauses else u.text
                if rule.needs_no_number and NUMBER.search(clause):
                    continue
                # Quote the claim the question is about: for a qualifier, the clause it qualifies too.
                quote = clauses[i - 1][1] + "，" + clause if rule.priority == 1 and i > 0 else clause
                question, reason = rule.zh if zh else rule.en
                q = _quote(quote, 60 if rule.priority == 1 else 40)
                followup = Followup(question.format(q=q), reason, u.start, _quote(u.text, 80))
                # a known failure mode of what they built beats a generic "how exactly?" on the same words
                specific = rule.priority >= 3 and any(p in strip_fillers(u.text) for p in probed)
                found.append(
                    (1 if specific else rule.priority, u.start - 0.001 if specific else u.start, followup)
                )
                used_rules.add(rule.name)
    return found


def _contradiction(utterances: list[Utterance], zh: bool) -> Followup | None:
    """ "主导/led" in one place, "参与/helped" in another."""
    lead = next((u for u in utterances if u.speaker == CANDIDATE and LEAD_CLAIM.search(u.text)), None)
    partial = next(
        (u for u in utterances if u.speaker == CANDIDATE and PARTIAL_ROLE.search(u.text) and u is not lead),
        None,
    )
    if not (lead and partial):
        return None
    a, b = _quote(lead.text, 30), _quote(partial.text, 30)
    q = (
        f"你先说“{a}”，后来又说“{b}”，在这个项目里你的角色到底是什么？"
        if zh
        else f'Earlier you said "{a}", later "{b}". What was your role?'
    )
    reason = "前后说法矛盾" if zh else "contradicting statements"
    return Followup(q, reason, partial.start, _quote(partial.text, 80))


def suggest(
    utterances: list[Utterance], language: str, vague: Sequence[VagueClaim] = (), limit: int = 3
) -> list[Followup]:
    """Contradictions first, then the vague claims the model found (each asks for its missing piece),
    then the rules' technical probes; one question per anchor."""
    zh = language == "zh"
    found: list[tuple[int, float, Followup]] = []
    for v in vague:
        reason = VAGUE_REASON[v.missing][0 if zh else 1]
        found.append((1, v.start, Followup(v.question, reason, v.start, v.text)))
    used_rules: set[str] = {"vague_performance"} if vague else set()
    mechanisms = [v.text for v in vague if v.missing == "mechanism"]
    found += _rule_followups(utterances, zh, mechanisms, used_rules)
    contradiction = _contradiction(utterances, zh)
    if contradiction:
        found.append((0, contradiction.anchor_start, contradiction))
    found.sort(key=lambda x: (x[0], x[1]))
    out: list[Followup] = []
    for _prio, _start, f in found:
        near = [
            o for o in out if abs(f.anchor_start - o.anchor_start) < 0.01 or f.anchor_text == o.anchor_text
        ]
        if near or any(o.anchor_text in f.anchor_text or f.anchor_text in o.anchor_text for o in out):
            continue
        out.append(f)
        if len(out) == limit:
            break
    return out
