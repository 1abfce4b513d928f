"""Exact rule signals and surface features the semantic model sits on.

Embeddings blur what rules see exactly: whether there is a number, whose work it was (我 / 我们 / 他们),
a negation in front of the verb, a hypothetical, the words that carry a qualifier. These become a small
feature vector next to the sentence embedding; hashed character n-grams add the surface form (ASR
homophones included) that a 512-dim embedding of a long answer loses.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from .competencies import CUE_RE as _RULE_CUES

_NUM_ZH = r"[一二两三四五六七八九十百千万亿]+(个|倍|毫秒|秒|分钟|小时|天|周|万|千|人|台|笔|次|条|倍|成|点)"
NUMBER = re.compile(
    rf"\d|{_NUM_ZH}|百分之|\b(one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|half|double[sd]?|percent)\b",
    re.I,
)
FIRST = re.compile(r"我(?!们)|\b(i|i'm|i've|i'd|me|my|myself)\b", re.I)
WE = re.compile(r"我们|咱们|团队|\b(we|our|us|the team)\b", re.I)
THEY = re.compile(
    r"他们|她们|他|她|同事|别人|组长|老大|\b(they|he|she|colleague|someone else|my lead|my manager)\b", re.I
)
NEGATION = re.compile(
    r"没有|没(?=[\u4e00-\u9fff])|从没|从来没|不曾|未曾|并未|不是我|\b(never|didn't|did not|haven't|"
    r"have not|hasn't|wasn't|not really|no)\b",
    re.I,
)
HYPOTHETICAL = re.compile(
    r"如果|假如|要是|假设|我会|可能会|应该会|\b(if i|i would|i'd|would probably|"
    r"hypothetically|if we)\b",
    re.I,
)
QUESTION = re.compile(r"[?？]|吗|呢|怎么|为什么|\b(how|why|what|tell me)\b", re.I)

# Qualifier cues: the words themselves are exact; whether they weaken a claim is the model's call.
QUALIFIER_CUES: dict[str, re.Pattern[str]] = {
    "hearsay": re.compile(
        r"看过|看到过|听说|听同事|了解过|读过|文章|博客|视频|课程|书上|\b(read about|heard|"
        r"watched|blog|article|course|tutorial|only read|studied)\b",
        re.I,
    ),
    "team_not_me": re.compile(
        r"主要是.{0,6}(团队|同事|他们|组里)|我(只是|就是|主要)?(负责)?(review|测试|打下手|配合|"
        r"帮忙|参与)|参与|协助|\b(my colleague|the team did|i (just|only) (reviewed|tested|"
        r"helped)|i was part of|helped with)\b",
        re.I,
    ),
    "not_shipped": re.compile(
        r"没上线|未上线|没有上线|没能上线|没落地|没有落地|被砍|搁置|停掉|黄了|\b(never (shipped|launched"
        r"|went live)|didn't (ship|launch)|cancel+ed|shelved|scrapped)\b",
        re.I,
    ),
    "test_env_only": re.compile(
        r"测试环境|预发|压测|本地|线下|实验环境|\b(staging|test env\w*|benchmark|"
        r"on my laptop|locally|sandbox|load test)\b",
        re.I,
    ),
    "unconfirmed_cause": re.compile(
        r"没确认|没有确认|没验证|没有验证|不确定|猜|没查清|没定位|根因|\b(never confirmed|"
        r"not sure why|root cause|guess|unconfirmed|didn't verify)\b",
        re.I,
    ),
    "acting_role": re.compile(
        r"代理|临时|暂时|没有正式|不是正式|顶了|兼着|名义上|\b(acting|interim|temporar\w*|"
        r"without the title|not officially|unofficial\w*|stand-in|filled in)\b",
        re.I,
    ),
    "hedge": re.compile(
        r"大概|可能|应该|好像|差不多|估计|左右|似乎|印象中|\b(i think|probably|maybe|roughly|"
        r"about|around|i guess|i believe|sort of|kind of)\b",
        re.I,
    ),
}
VAGUE_CUES: dict[str, re.Pattern[str]] = {
    "number": re.compile(
        r"提升|提高|降低|减少|优化|更快|快了|更稳定|稳定|顺利|效果|明显|很多|不少|大幅|显著|\b(faster|"
        r"improved|better|smooth\w*|stable|a lot|significant\w*|much|reduced|increased)\b",
        re.I,
    ),
    "mechanism": re.compile(
        r"高并发|高可用|微服务|分布式|中台|架构|优化|赋能|闭环|\b(scalab\w*|microservices?|"
        r"distributed|high availability|best practices|optimi[sz]\w*|robust)\b",
        re.I,
    ),
    "specifics": re.compile(
        r"很多|一些|各种|等等|之类|各方|问题|\b(various|stuff|things|stakeholders|lots of|"
        r"issues|a bunch)\b",
        re.I,
    ),
}
# The rule-based analysis's cues (bot/analysis/competencies.py), one signal per competency.
COMPETENCY_CUES = _RULE_CUES
SMALL_TALK = re.compile(
    r"^(你好|您好|谢谢|感谢|再见|辛苦|不客气|好的|嗯|是的|对|hello|hi|thanks?( you)?|bye|nice to meet you|ok(ay)?|sure|"
    r"yes)[\s,，.。!！~～]*",
    re.I,
)
CLOSING = re.compile(r"^(好的?[,，]?)?(谢谢|感谢|多谢|再见|辛苦|thanks?|thank you|bye|cheers)", re.I)

SIGNAL_NAMES: tuple[str, ...] = (
    "number",
    "numbers_many",
    "first",
    "we",
    "they",
    "negation",
    "first_negated",
    "hypothetical",
    "question",
    "length",
    *(f"q_{k}" for k in QUALIFIER_CUES),
    *(f"v_{k}" for k in VAGUE_CUES),
    *(f"cue_{k}" for k in COMPETENCY_CUES),
)


def signal_vector(text: str) -> np.ndarray:
    """The exact signals of one text, as floats in [0, 1]."""
    first_negated = re.search(
        r"我(没有|没|从没|从来没|不曾)|\bi (never|have never|haven't|didn't|did not)\b", text, re.I
    )
    values = [
        bool(NUMBER.search(text)),
        min(len(NUMBER.findall(text)), 4) / 4,
        min(len(FIRST.findall(text)), 4) / 4,
        min(len(WE.findall(text)), 4) / 4,
        min(len(THEY.findall(text)), 4) / 4,
        bool(NEGATION.search(text)),
        bool(first_negated),
        bool(HYPOTHETICAL.search(text)),
        bool(QUESTION.search(text)),
        min(len(text), 400) / 400,
        *(bool(rx.search(text)) for rx in QUALIFIER_CUES.values()),
        *(bool(rx.search(text)) for rx in VAGUE_CUES.values()),
        *(any(rx.search(text) for rx in cues) for cues in COMPETENCY_CUES.values()),
    ]
    return np.asarray(values, dtype=np.float32)


_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


def _grams(text: str) -> list[str]:
    tokens = _WORD.findall(text.lower())
    grams = list(tokens)
    grams += [a + b for a, b in zip(tokens, tokens[1:])]
    grams += [a + b + c for a, b, c in zip(tokens, tokens[1:], tokens[2:]) if _HAN.match(a)]
    return grams


def ngram_vector(text: str, dim: int) -> np.ndarray:
    """Hashed character (Han) and word (Latin) 1-3 grams, L2-normalised; zeros when dim is 0."""
    out = np.zeros(dim, dtype=np.float32)
    if dim == 0:
        return out
    for g in _grams(text):
        out[zlib.crc32(g.encode()) % dim] += 1.0
    norm = float(np.linalg.norm(out))
    return out / norm if norm else out


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the text it was cut from
    end: int
    text: str


# a "." between digits (1.5) does not end a clause
_CLAUSE = re.compile(r"(?:[^,，。.!！?？;；\n]|(?<=\d)\.(?=\d))+[,，。.!！?？;；\n]*")


def clauses(text: str) -> list[Span]:
    """Comma-level pieces, the unit a quote or a qualifier is judged on."""
    out = []
    for m in _CLAUSE.finditer(text):
        body = m.group().strip()
        if body:
            lead = len(m.group()) - len(m.group().lstrip())
            out.append(Span(m.start() + lead, m.start() + lead + len(body), body))
    return out


def sentences(text: str, limit: int = 80) -> list[Span]:
    """Sentences, with run-ons packed from clauses into pieces of at most `limit` characters."""
    pieces: list[Span] = []
    for s in clauses(text):
        last = pieces[-1] if pieces else None
        if last is None or last.text[-1:] in "。！？!?；;." or (s.end - last.start) > limit:
            pieces.append(s)
        else:
            pieces[-1] = Span(last.start, s.end, text[last.start : s.end])
    return pieces
