"""Evidence-based competency scoring over the candidate's own words.

A claim is a clause that matches a competency's cue and is not negated ("我没有带过团队" is no
leadership). Its weight starts at 1, rises when it is quantified and falls when it is vague, hedged, or
qualified by what follows in the same answer ("…不过最后项目没上线", "…only in staging"); each reduction
adds a caveat the report shows. Small talk is never evidence. A competency without evidence scores None:
absence of evidence is not a low score.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .results import CANDIDATE, COMPETENCIES, CompetencyResult, Evidence, Utterance
from .speech import strip_fillers, units

_NUM = r"[\d一二两三四五六七八九十百千万]+(\.\d+)?"
CUES: dict[str, tuple[str, ...]] = {
    "leadership": (
        r"主导|带领|带过|带了|领导|牵头|推动|负责人|组建|管理.{0,4}(团队|小组)|带.{0,4}(团队|小组|人)",
        r"\b(led|lead|managed|mentored|drove|headed|owned)\b",
    ),
    "system_design": (
        r"架构|拆(成|分)|微服务|分库分表|削峰|高可用|扩展性|可扩展|一致性|限流|降级|熔断|负载均衡|分片|读写分离|消息队列|设计了|异步化",
        r"\b(architect\w*|designed|microservices?|shard\w*|scalab\w*|partition\w*|message queue|high "
        r"availability|load balanc\w*)\b",
    ),
    # a technical term and a mechanism in the same clause: explaining how, not naming
    "technical_depth": (
        r"^(?=.*(幂等|锁|索引|事务|线程|缓存|队列|一致性|协议|算法|内存|哈希|分片|分库分表|Redis|Kafka|MySQL|JVM|GC))"
        r"(?=.*(通过|基于|根据|利用|借助|用|作|做|保证|实现|原理|机制|因为|来调|设置))",
        r"^(?=.*\b(lock|index|transaction|thread|cache|queue|consisten\w*|protocol|algorithm|memory|hash|"
        r"shard|redis|kafka|mysql|jvm|gc)\b)"
        r"(?=.*\b(because|by using|using|under the hood|mechanism|so that|implemented|guarantee\w*|based "
        r"on)\b)",
    ),
    "problem_solving": (
        r"排查|定位|瓶颈|根因|复现|压测|调优|优化|解决了|分析了|诊断|监控发现|火焰图",
        r"\b(debug\w*|root cause|bottleneck|profil\w*|investigat\w*|troubleshoot\w*|diagnos\w*|reproduc\w*|"
        r"load test\w*|optimi[sz]\w*)\b",
    ),
    # a number is a result only next to a change or a throughput: "核数的两倍" is a setting, not an outcome
    "result_orientation": (
        rf"(提升|提高|降低|减少|增长|节省|缩短|降到|提到|翻了|达到|支撑|承载).{{0,12}}{_NUM}\s*(%|％|倍|毫秒|ms|秒|万|千|个|笔)"
        rf"|(每秒|每天|峰值|高峰期).{{0,10}}{_NUM}\s*(万|千)?(个|笔|次)?(请求|订单|交易|QPS|TPS)"
        r"|从.{1,15}(降|提|减|增|涨|缩短).{0,3}到|提升|降低|减少|增长|节省|缩短|效果(很|挺|还|比较)?好",
        r"\d+(\.\d+)?\s*(%|x|ms|qps|tps|seconds|users|requests)|\bfrom .{1,30} to\b|\b(improved|reduced|"
        r"increased|cut|saved|grew|doubled|halved)\b",
    ),
    "collaboration": (
        r"配合|沟通|协作|跨团队|跨部门|对齐|协调|合作|和.{1,8}一起",
        r"\b(worked with|cross-team|collaborat\w*|aligned with|partnered|together with|coordinated)\b",
    ),
    "communication": (
        r"首先|其次|第一[,，、]|第二[,，、]|最后[,，]|总结一下|简单来说|举个例子|具体来说",
        r"\b(first(ly)?,|second(ly)?,|finally,|for example|to summari[sz]e|in short|specifically)\b",
    ),
    "learning": (
        r"自学|学会|学了|啃|官方文档|教程|复盘|吸取|教训|从那以后|之后我(们)?就",
        r"\b(learn\w*|picked up|taught myself|post-?mortem|lessons?|since then|ever since)\b",
    ),
}
CUE_RE = {k: [re.compile(p, re.I) for p in v] for k, v in CUES.items()}

NEGATION = re.compile(
    r"(没有|没|不曾|从未|从来没|并未|未曾|不是我)\s*$|\b(never|didn't|did not|haven't|have not|hasn't|not|no)\s+(\w+\s+){0,"
    r"2}$",
    re.I,
)
SMALL_TALK = re.compile(
    r"^(你好|您好|谢谢|感谢|再见|辛苦|不客气|好的|嗯|是的|对|hello|hi|thanks?( you)?|bye|nice to meet you|ok(ay)?|sure|yes)[\s,，"
    r".。!！]*",
    re.I,
)
QUANTIFIED = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+(个|倍|毫秒|秒|万|千|人)|percent", re.I)
VAGUE = re.compile(
    r"很多|挺好|不错|一些|比较好|效果好|大幅|显著|\b(a lot|pretty good|some|significant(ly)?|various|stuff)\b",
    re.I,
)
HEDGE = re.compile(
    r"大概|可能|应该|好像|差不多|估计|左右|\b(probably|maybe|i think|roughly|about|around|i guess)\b", re.I
)
QUALIFIERS: tuple[tuple[re.Pattern[str], float, str, str], ...] = (
    (
        re.compile(
            r"没上线|未上线|没有上线|没能上线|没落地|没有落地|被砍|搁置|\b(never (shipped|launched|went live)|didn't (ship|launch)|"
            r"was cancel+ed|got cancel+ed)\b",
            re.I,
        ),
        0.5,
        "项目未上线，实际影响待核实",
        "did not ship: real impact unverified",
    ),
    (
        re.compile(
            r"测试环境|预发|压测环境|本地环境|线下环境|实验环境|\b(staging|test environment|in a benchmark|on my laptop|in a "
            r"sandbox)\b",
            re.I,
        ),
        0.5,
        "需要生产环境证据",
        "needs production evidence",
    ),
    (
        re.compile(r"参与了?|协助|帮忙|打下手|\b(assisted|helped( with)?|was part of|participated)\b", re.I),
        0.7,
        "个人贡献不明确",
        "individual contribution unclear",
    ),
)
EXPLAINS = re.compile(
    r"通过|基于|根据|借助|保证|原理|机制|因为|所以|来调|先.{1,12}再|之前先|\b(because|by using|so that|guarantee\w*|mechanism|based "
    r"on|which means)\b",
    re.I,
)
_CLAUSE = re.compile(r"[^,，。.!！?？;；]+[,，。.!！?？;；]*")
_CONTRAST = re.compile(r"^\s*(不过|但是|但|可是|只是|然而|however|but|although|though)", re.I)


@dataclass
class Claim:
    competency: str
    start: float
    text: str
    weight: float
    caveats: list[str] = field(default_factory=list)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.findall(text) if c.strip()]


def _negated(clause: str, match: re.Match[str]) -> bool:
    return bool(NEGATION.search(clause[: match.start()][-12:]))


def answers(utterances: list[Utterance]) -> list[list[Utterance]]:
    """Consecutive candidate utterances between two interviewer turns form one answer."""
    groups: list[list[Utterance]] = []
    current: list[Utterance] = []
    for u in utterances:
        if u.speaker == CANDIDATE:
            current.append(u)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def find_claims(utterances: list[Utterance], language: str) -> tuple[list[Claim], list[Claim]]:
    """All claims, plus the negated ones (kept to report what the candidate said they have not done)."""
    zh = language == "zh"
    claims: list[Claim] = []
    negated: list[Claim] = []
    for answer in answers(utterances):
        clauses = [(u, c) for u in answer for c in _clauses(u.text)]
        for idx, (u, clause) in enumerate(clauses):
            body = strip_fillers(clause)
            if len(body) < 4 or SMALL_TALK.fullmatch(body) or (SMALL_TALK.match(body) and len(body) < 10):
                continue
            # a qualifier binds to the claim it follows: "…, 不过/but …" within the next two clauses
            later = [c for _, c in clauses[idx + 1 : idx + 3]]
            for key in CUE_RE:
                if key == "technical_depth":
                    continue  # judged on whole utterances below: an explanation spans clauses
                match = next((m for rx in CUE_RE[key] if (m := rx.search(body))), None)
                if match is None:
                    continue
                claim = Claim(key, u.start, body, 1.0)
                if _negated(body, match):
                    negated.append(claim)
                    continue
                _weigh(claim, body, later, zh)
                claims.append(claim)
        for u in answer:
            body = strip_fillers(u.text)
            if any(rx.search(body) for rx in CUE_RE["technical_depth"]) and not NEGATION.search(body[:12]):
                claim = Claim("technical_depth", u.start, body, 1.0)
                if not EXPLAINS.search(body) and (units(body) < 20 or len(_clauses(body)) < 2):
                    claim.weight = 0.6  # names the technology, does not explain it
                    claim.caveats.append(
                        "只点到技术名词，未展开原理" if zh else "names the technology without explaining it"
                    )
                if HEDGE.search(body):
                    claim.weight = round(claim.weight * 0.8, 2)
                    claim.caveats.append("表述不确定" if zh else "stated with uncertainty")
                claims.append(claim)
    return claims, negated


def _weigh(claim: Claim, body: str, later: list[str], zh: bool) -> None:
    if QUANTIFIED.search(body):
        claim.weight += 0.4
    elif VAGUE.search(body) or claim.competency == "result_orientation" and not QUANTIFIED.search(body):
        claim.weight *= 0.6
        claim.caveats.append("说法笼统，缺少数据" if zh else "vague: no numbers")
    if HEDGE.search(body):
        claim.weight *= 0.8
        claim.caveats.append("表述不确定" if zh else "stated with uncertainty")
    contrast = " ".join(c for c in later if _CONTRAST.search(c))
    for rx, factor, zh_note, en_note in QUALIFIERS:
        if rx.search(body) or (contrast and rx.search(contrast)):
            claim.weight *= factor
            claim.caveats.append(zh_note if zh else en_note)
    claim.weight = round(claim.weight, 2)


def score(weights: list[float]) -> float | None:
    """0-5 from the strength and amount of evidence; saturating, so volume alone cannot max it out."""
    if not weights:
        return None
    total = sum(sorted(weights, reverse=True)[:5])
    return round(5 * (1 - math.exp(-0.4 * total)), 1)


def score_competencies(
    claims: list[Claim], negated: list[Claim], language: str
) -> dict[str, CompetencyResult]:
    zh = language == "zh"
    out: dict[str, CompetencyResult] = {}
    for key in COMPETENCIES:
        mine = sorted((c for c in claims if c.competency == key), key=lambda c: -c.weight)
        caveats: list[str] = []
        for c in mine:
            for note in c.caveats:
                if note not in caveats:
                    caveats.append(note)
        for n in (c for c in negated if c.competency == key):
            caveats.append(
                f"候选人表示没有相关经历：“{n.text}”" if zh else f'candidate says they have not: "{n.text}"'
            )
        out[key] = CompetencyResult(
            score=score([c.weight for c in mine]),
            evidence=[
                Evidence(start=c.start, text=c.text, weight=c.weight, caveats=list(c.caveats))
                for c in mine[:3]
            ],
            caveats=caveats,
        )
    return out
