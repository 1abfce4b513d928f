"""Exact rule signals and surface features the semantic model sits on.

Embeddings blur what rules see exactly: whether there is a number, whose work it was (我 / 我们 / 他们),
a negation in front of the verb, a hypothetical, the words that carry a qualifier. These become a small
feature vector next to the sentence embedding; hashed character n-grams add the surface form (ASR
homophones included) that a 512-dim embedding of a long answer loses.
"""

from __future__ import annotations

import re

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
