"""Facts a candidate states about themselves, compared across interview rounds.

Each round is analysed alone; only side by side does "我主导了订单系统的重构" (round 1) meet "订单系统的重构我
主要是参与" (round 2). Facts are the checkable kind: years of experience, team size, peak load, whether they led
a team, and their role in a named project. Topics are compared by pinyin, not by characters, because the
ASR engine hears the same project differently in different rooms (订单系统 / 电单系统).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from asr_engine.textnorm import DIGITS, SMALL_UNITS

from .lexicon import EN_TERMS, ZH_TERMS
from .speech import strip_fillers

_DIGITS, _UNITS = DIGITS, SMALL_UNITS  # one table of Chinese numerals: the engine's normaliser's
_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"


def parse_number(text: str, scale: str = "") -> float | None:
    """'两万' -> 20000, '5000' -> 5000, '一百二十' -> 120, '1.5' with scale '万' -> 15000, '3k' handled by caller."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        value = float(text)
    elif "万" in text:
        high, _, low = text.partition("万")
        high_value, low_value = parse_number(high) if high else 1.0, parse_number(low) if low else 0.0
        if high_value is None or low_value is None:
            return None
        value = high_value * 10_000 + low_value
    else:
        value, current = 0.0, 0
        for ch in text:
            if ch in _DIGITS:
                current = _DIGITS[ch]
            elif ch in _UNITS:
                value += (current or 1) * _UNITS[ch]
                current = 0
            else:
                return None
        value += current
    return value * {"万": 10_000, "千": 1000, "k": 1000, "K": 1000, "亿": 100_000_000}.get(scale, 1)


@dataclass
class Fact:
    kind: str  # years | team_size | peak_requests | led_team | role
    value: Any  # a number, True/False, or "lead" / "contributor"
    start: float
    text: str
    topic: tuple[str, ...] = ()  # pinyin of what the fact is about (role facts)


# (kind, pattern with groups num and scale) - Chinese and English
_NUMERIC: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("years", re.compile(rf"(?:做了|干了|工作了|待了|有)\s*(?P<num>{_NUM})\s*(?P<scale>)年")),
    (
        "years",
        re.compile(r"(?P<num>\d+)\s*(?P<scale>)\+?\s*years? (?:of experience|at|in|with|as|doing)", re.I),
    ),
    (
        "team_size",
        re.compile(
            rf"(?P<num>{_NUM})\s*(?P<scale>)个?人的?(?:团队|小组|组)|(?:团队|小组)[^，。,.]{{0,4}}?(?P<num2>{_NUM})\s*个?人"
        ),
    ),
    (
        "team_size",
        re.compile(
            r"team of (?P<num>\d+)(?P<scale>)|(?:led|managed) (?P<num2>\d+) (?:engineers|people|developers)",
            re.I,
        ),
    ),
    (
        "peak_requests",
        re.compile(
            rf"(?:高峰|峰值|每秒|QPS|TPS)[^，。,.]{{0,8}}?(?P<num>{_NUM})\s*(?P<scale>万|千)?\s*(?:个|笔|次)?(?:请求|订单|交易|"
            rf"QPS)",
            re.I,
        ),
    ),
    (
        "peak_requests",
        re.compile(r"(?P<num>\d+(?:\.\d+)?)\s*(?P<scale>k|K)?\s*(?:requests per second|qps|rps|tps)\b", re.I),
    ),
)
_LED_TEAM = re.compile(
    r"(带过|带了|带领|管理过?|领导过?)[^，。,.]{0,6}(团队|小组|\d+\s*个?人|[一二两三四五六七八九十]+个?人)|\b(led|managed) (a|the|my)? "
    r"?team\b",
    re.I,
)
_NO_TEAM = re.compile(
    r"(没有|没|从未|从来没有?|不曾)[^，。,.跨]{0,4}(团队|小组)|\b(never|haven't|have not|didn't|did not) (led|managed|had) (a "
    r")?(team|reports)\b",
    re.I,
)
_LEAD = re.compile(r"主导|牵头|负责人|一手|\b(led|owned|drove|architected)\b", re.I)
_CONTRIBUTOR = re.compile(
    r"参与|协助|打下手|配合|帮忙|\b(was part of|participated|helped( with)?|assisted|contributed to)\b", re.I
)
_STOP_ZH = set("我们你他她它的了是在把被和与也就都还很主要其中整体这那个一")
_STOP_EN = {
    "i",
    "we",
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "to",
    "and",
    "was",
    "my",
    "our",
    "it",
    "that",
    "this",
    "with",
    "for",
    "mainly",
    "just",
    "only",
}


def _topic(text: str, role_match: re.Match[str]) -> tuple[str, ...]:
    """What the role is about: the clause without the role word and small words, as fuzzy pinyin."""
    from .terms import fuzzy, syllables

    rest = (text[: role_match.start()] + " " + text[role_match.end() :]).lower()
    if re.search(r"[\u4e00-\u9fff]", rest):
        han = "".join(ch for ch in rest if "\u4e00" <= ch <= "\u9fff" and ch not in _STOP_ZH)
        return tuple(fuzzy(s) for s in syllables(han))
    return tuple(w for w in re.findall(r"[a-z][a-z0-9+#-]+", rest) if w not in _STOP_EN)


def same_topic(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Shared syllable (or word) pairs: 订单系统的重构 ~ 电单系统的重工, not ~ 支付网关."""
    if len(a) < 2 or len(b) < 2:
        return False
    pairs_a, pairs_b = set(zip(a, a[1:])), set(zip(b, b[1:]))
    return len(pairs_a & pairs_b) / min(len(pairs_a), len(pairs_b)) >= 0.5


def extract_facts(segments: Iterable[dict[str, Any]]) -> list[Fact]:
    """Facts from the candidate's own words in one interview (analysis JSON segments)."""
    facts: list[Fact] = []
    for seg in segments:
        if seg.get("speaker") != "candidate":
            continue
        for clause in re.findall(r"[^，。,.!！?？;；]+", strip_fillers(seg["text"])):
            clause = clause.strip()
            if len(clause) < 3:
                continue
            for kind, rx in _NUMERIC:
                m = rx.search(clause)
                if not m:
                    continue
                num = m.group("num") or (m.groupdict().get("num2") or "")
                value = parse_number(num, m.group("scale") or "")
                if value:
                    facts.append(Fact(kind, value, seg["start"], clause))
            if _NO_TEAM.search(clause):
                facts.append(Fact("led_team", False, seg["start"], clause))
            elif _LED_TEAM.search(clause):
                facts.append(Fact("led_team", True, seg["start"], clause))
            for rx, role in ((_LEAD, "lead"), (_CONTRIBUTOR, "contributor")):
                m = rx.search(clause)
                if m:
                    facts.append(Fact("role", role, seg["start"], clause, _topic(clause, m)))
                    break
    return facts


@dataclass
class Conflict:
    kind: str
    earlier: Fact
    later: Fact
    earlier_round: int  # index into the rounds given
    later_round: int


def _differs(kind: str, a: Any, b: Any) -> bool:
    if kind in ("years", "team_size", "peak_requests"):
        return abs(a - b) / max(a, b) >= 0.3
    return a != b


def conflicts(rounds: list[list[Fact]]) -> list[Conflict]:
    """Pairs of facts from different rounds that cannot both be true; the first statement of each kind
    is compared with every later one, one conflict per kind and pair of rounds."""
    out: list[Conflict] = []
    seen: set[tuple[str, int, int, tuple[str, ...]]] = set()
    for i, earlier_facts in enumerate(rounds):
        for j in range(i + 1, len(rounds)):
            for a in earlier_facts:
                for b in rounds[j]:
                    kind = a.kind
                    if b.kind != kind and {a.kind, b.kind} != {"team_size", "led_team"}:
                        continue
                    if {a.kind, b.kind} == {"team_size", "led_team"}:
                        # "带过四个人的小组" vs "没有带过团队"
                        team = a if a.kind == "led_team" else b
                        if team.value is not False:
                            continue
                        kind = "led_team"
                    elif (
                        kind == "role"
                        and (not same_topic(a.topic, b.topic) or a.value == b.value)
                        or kind != "role"
                        and not _differs(kind, a.value, b.value)
                    ):
                        continue
                    key = (kind, i, j, a.topic if kind == "role" else ())
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(Conflict(kind, a, b, i, j))
    return out


def topic_terms(text: str) -> set[str]:
    """Lexicon terms in a text: what a question or an answer is about."""
    lower = text.lower()
    found = {t for t in ZH_TERMS if t in text} | {
        t for t in EN_TERMS if re.search(rf"(?<![a-z]){re.escape(t.lower())}(?![a-z])", lower)
    }
    return {t for t in found if not any(t != o and t in o for o in found)}


def was_asked(followup: dict[str, Any], later_interviewer_lines: Iterable[str]) -> bool:
    """A follow-up counts as asked when a later round's interviewer spoke about the same thing: a term of
    the candidate's quote it hangs on, and (when the question names any) a term of the question itself."""
    anchor_terms = topic_terms((followup.get("anchor") or {}).get("text", ""))
    if not anchor_terms:
        return False
    question_terms = topic_terms(followup.get("question", "")) - anchor_terms
    for line in later_interviewer_lines:
        terms = topic_terms(line)
        if terms & anchor_terms and (not question_terms or terms & question_terms):
            return True
    return False
