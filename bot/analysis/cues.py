"""Exact cue detectors for qualifiers and vague claims, written from corpus/analysis/GUIDELINES.md.

The clause heads generalise from 25-70 examples per type; these phrases are what the guidelines define
each type by. Whether a type's cue is OR-ed with its head (and at what head threshold) is chosen per
type by cross-validation on the training split (scripts/train_analysis.py) and stored in the artefact.
"""

from __future__ import annotations

import re

from .signals import NUMBER

QUALIFIER_STRONG: dict[str, re.Pattern[str]] = {
    "hearsay": re.compile(
        r"只是?看过|只看过|看过.{0,4}(文章|资料|文档|书|视频|分享)|听.{0,8}(说|讲|分享)|据说|网上.{0,3}(说|讲)"
        r"|自己没.{0,6}(做|用|碰|上手)过|没(有)?(实际|真正|亲自)?(上手|做|用|碰到)过|没在.{0,8}(用|做)过"
        r"|\b(only|just) (read|heard|watched)|from reading|read about|heard (about|that)"
        r"|never (used|built|done|worked with)|haven't (used|built|done|worked with)|conference talk",
        re.I,
    ),
    "team_not_me": re.compile(
        r"主要是.{0,12}(做|搭|定|设计|负责|调|写|建)的|是.{0,10}(组长|leader|架构师|同事|同学|团队|组|team)"
        r".{0,3}(定|设计|做|搭|调|写|建|对接)的|不是我.{0,4}(做|写|定|统计|设计)|我只是|我就负责"
        r"|\b(mostly|mainly) (the|my|our) \w+ (team|lead)|the \w+ team (built|did|fixed|owned|designed)"
        r"|colleague (built|did|wrote|designed)|i (just|only) (reviewed|tested|helped)|wasn't me",
        re.I,
    ),
    "not_shipped": re.compile(
        r"没上线|未上线|没有上线|没能上线|还没上线|没落地|没有落地|被砍|砍掉|搁置|停掉|项目停了|就停了|黄了"
        r"|排期上线|没来得及|没(有)?用到工作|练手|没演练过|\b(never (shipped|launched|went live|happened)"
        r"|didn't (ship|launch|go live)|cancel+ed|shelved|scrapped|paused|internal users only"
        r"|behind a (feature )?flag|proof of concept|before we go to production)\b",
        re.I,
    ),
    "test_env_only": re.compile(
        r"测试环境|预发|压测|本地|线下|离线|实验环境|演练|构建对比|\b(staging|test env\w*|perf env\w*"
        r"|offline|benchmark\w*|locally|on my laptop|sandbox|load test\w*)\b",
        re.I,
    ),
    "unconfirmed_cause": re.compile(
        r"没(有)?(去)?(确认|验证|核实|查清|拆开|做对照)|不确定|说不好|说不清|推测|怀疑是|也可能是|确切的说法"
        r"|不全是|不一定是|\b(never confirmed|not (totally |entirely |really )?sure (why|which|what|how)"
        r"|can't (say|tell) (how|which|why|whether)|unconfirmed|didn't (verify|confirm)|no control group"
        r"|same release|might have been|could have been)\b",
        re.I,
    ),
    "acting_role": re.compile(
        r"代理|代管|临时|暂时|没有正式|不是正式|顶了|兼着|名义上|不挂名|没有?.{0,4}title|不是组长|不是 ?leader"
        r"|只是.{0,8}工程师|\b(acting|interim|temporar\w*|without the title|not officially|unofficial\w*"
        r"|stand-in|filled in|rotating|not a real role|de facto|just a senior)\b",
        re.I,
    ),
    "hedge": re.compile(
        r"大概|可能|应该|好像|差不多|估计|左右|似乎|印象(中|里)|算是|怀疑|没(有)?(细算|精确统计|仔细算)"
        r"|\b(i think|we think|probably|maybe|roughly|i guess|i believe|sort of|kind of|pretty sure"
        r"|not sure|something like)\b",
        re.I,
    ),
}

# an outcome stated without a figure, and evaluative words that stand in for one
OUTCOME = re.compile(
    r"降下来|少了|多了|低了|高了|提升|提高|降低|减少|稳定|稳了|满意|成功|不错|挺好|很好|很高|明显|顺畅|流畅|顺利"
    r"|快了|更快|快很多|方便|省了|夸|扛住|一大半|几乎没有|基本没有|小了|大了|好多了|\b(faster|stable|stabler"
    r"|better|improved|uplift|way more|noticeabl\w*|a lot|good chunk|smooth\w*|clearer"
    r"|much (more|less|better)|really well|basically stopped|went down|went up|dropped|reduced|increased)\b",
    re.I,
)
NO_SPECIFICS = re.compile(
    r"各种|各个|一些|好几个|很多|不少|什么的|之类|等等|各方|\b(stuff|things|everything|everyone|various"
    r"|lots of|a bunch|some \w+ stuff|stakeholders)\b",
    re.I,
)
BUZZWORD = re.compile(
    r"高并发|高可用|微服务|分布式|中台|赋能|闭环|打通|分库分表|分酷分表|深度学习|熔断|\b(scal\w+|microservices?"
    r"|distributed|high availability|best practices|empower\w*|robust)\b",
    re.I,
)


def qualifier_cues(text: str) -> set[str]:
    return {k for k, rx in QUALIFIER_STRONG.items() if rx.search(text)}


def vague_cues(text: str) -> set[str]:
    """The missing pieces a clause's own words point to: an outcome without a number, a buzzword, no
    specifics."""
    out = set()
    if OUTCOME.search(text) and not NUMBER.search(text):
        out.add("number")
    if BUZZWORD.search(text):
        out.add("mechanism")
    if NO_SPECIFICS.search(text):
        out.add("specifics")
    return out


# How a clause head and its cues combine, per type: ("model" | "or" | "and", offset on the head's
# calibrated probability, whose threshold is 0.5). Chosen by scripts/train_analysis.py and stored in the
# artefact's meta; these defaults are the head alone, for artefacts written before the rules existed.
DEFAULT_RULES: dict[str, object] = {"q": {}, "v": {"mode": "model", "offset": 0.0, "cues": []}}
VAGUE_ORDER = ("number", "mechanism", "specifics")


def qualifier_hit(kind: str, prob: float, cues: set[str], rules: dict) -> bool:
    mode, offset = rules.get("q", {}).get(kind, ("model", 0.0))
    model = prob >= 0.5 + offset
    if mode == "or":
        return model or kind in cues
    if mode == "and":
        return model and kind in cues
    return model


def vague_missing(text: str, probs: list[float], rules: dict) -> str | None:
    """The piece a vague clause misses (number | mechanism | specifics), or None when it is not vague.
    `probs` are the calibrated vague heads in VAGUE_ORDER."""
    rule = rules.get("v", DEFAULT_RULES["v"])
    j = max(range(len(probs)), key=lambda i: probs[i])
    missing: str | None = VAGUE_ORDER[j]
    if probs[j] < 0.5 + float(rule["offset"]) or (missing == "number" and NUMBER.search(text)):
        missing = None  # an exact number answers "how much" whatever the model thinks
    cued = [k for k in VAGUE_ORDER if k in vague_cues(text) and k in rule["cues"]]
    if rule["mode"] == "and":
        return missing if cued else None
    if rule["mode"] == "or" and missing is None and cued:
        return cued[0]
    return missing


# ---- a metric the candidate moved: the guidelines' result_orientation ("a metric moved") -----------------
_AMOUNT = (
    r"(?:\d[\d.,]*\s*(?:%|倍|x|ms|毫秒|秒|s|分钟|小时|天|万|千|百|个|次|台|人|元|k|K|M|GB|MB)?"
    r"|[一二两三四五六七八九十百千万]+(?:成|倍|个点)?|百分之[一二三四五六七八九十\d]+)"
)
_MOVED_ZH = re.compile(
    rf"从\s*[^，。；,;]{{0,14}}?{_AMOUNT}[^，。；,;]{{0,10}}?(?:降|提|涨|缩|减|压|升|优化|增|加|做|变)"
    rf"[^，。；,;]{{0,4}}?到\s*[^，。；,;]{{0,6}}?{_AMOUNT}"
    rf"|(?:降低|提升|提高|减少|缩短|节省|增长|下降|上涨|降|省|砍)了\s*(?:大概|差不多|将近|约)?\s*{_AMOUNT}"
)
_MOVED_EN = re.compile(
    rf"\bfrom\s+(?:about\s+|around\s+)?{_AMOUNT}\s*\S*\s+(?:down\s+|up\s+)?to\s+(?:about\s+)?{_AMOUNT}"
    rf"|\b(?:cut|reduced|dropped|improved|increased|raised|saved|lowered|grew|boosted)\b[^.;]{{0,40}}?"
    rf"\bby\s+(?:about\s+|around\s+)?{_AMOUNT}|\b\d+(?:\.\d+)?\s*x\s+(?:faster|cheaper|fewer|more)",
    re.I,
)
_FIRST_PERSON = re.compile(r"我|(?<![A-Za-z])(?:I|we|We|our|Our|my|My)(?![A-Za-z])")
_HYPOTHETICAL = re.compile(r"如果|假如|要是|假设|\bif\b|\bwould\b", re.I)
# What the candidate would do, told in the first person: the guidelines' `hypothetical` ("如果让我做，我可能
# 会…" with no experience behind it), never evidence of having done it. Not a hedge ("如果我没记错"), not
# 主要是我 / 只要是我, not "I'd say", and not a habit ("at my last job we would…": "we" is left out).
_WOULD_DO = re.compile(
    r"(?:如果|假如|假设|(?<![主只需还就])要是)(?:让|是|换|轮到)?我(?!没记错|记得)"
    r"|\bif (?:i|we) (?:were|was)\b|\bhypothetically\b"
    r"|\bi(?: would|'d)\b(?! (?:say|like|love|guess|think|argue|already|have to))",
    re.I,
)


def would_do(sentence: str) -> bool:
    return bool(_WOULD_DO.search(sentence))


# An outcome someone else got: the sentence opens on a third person and has no first person anywhere (the
# guidelines' `others_work`); "我们组"/"we" is the candidate's own team, and a customer or colleague named
# later in a subject-less sentence ("…十几秒变成两秒，他后来成了付费用户") is not its subject.
_THEM_FIRST = re.compile(
    r"^[\s,，。.!！?？、]*(?:(?:嗯|呃|那个|就是|然后|后来|当时|最后|其实|so|and|then)[\s,，]*)*"
    r"(?:(?<![其吉])他们?|她们?|别人|人家|(?:其他|别的|另一个|那个)(?:组|团队|部门)|(?:they|he|she)\b)",
    re.I,
)
_ME = re.compile(r"我|咱|(?<![A-Za-z])(?:I|me|my|mine|myself|we|us|our|ours)(?![A-Za-z])", re.I)


def theirs(sentence: str) -> bool:
    return bool(_THEM_FIRST.search(sentence)) and not _ME.search(sentence)


def metric_moved(sentence: str, answer: str) -> bool:
    """A before -> after figure or a change by an amount (从 800 毫秒降到 120 毫秒, 降低了 30%, "cut p99 from
    900 ms to 150 ms", "3x faster") in an answer told in the first person and not as a hypothetical. On the
    training splits 92% of the snippets it fires on credit result orientation (required or allowed)."""
    moved = _MOVED_ZH.search(sentence) or _MOVED_EN.search(sentence)
    return bool(moved and _FIRST_PERSON.search(answer) and not _HYPOTHETICAL.search(sentence))
