"""Every exact detector of the analysis, each written once as a record: numbers, negation, first person
against we / they, hypotheticals, hedges, qualifier cues, vague-claim cues, competency cues, small talk.

The rules (competencies.py, cues.py, local.py), the learned model's features (learned/features.py), the
follow-ups (followups.py) and the live hints (bot/live.py) import them from here. The learned model's
artefact records a fingerprint of the detectors its features read (learned/features.py), so editing one of
those makes the shipped model refuse to load until it is retrained, instead of silently changing its
inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Detector:
    """One exact cue: a name, what it finds, and its patterns (tried in order; the first that matches
    answers, so a Chinese and an English pattern keep their own match positions)."""

    name: str
    what: str
    patterns: tuple[re.Pattern[str], ...]

    def search(self, text: str) -> re.Match[str] | None:
        return next((m for rx in self.patterns if (m := rx.search(text))), None)

    def match(self, text: str) -> re.Match[str] | None:
        return next((m for rx in self.patterns if (m := rx.match(text))), None)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return next((m for rx in self.patterns if (m := rx.fullmatch(text))), None)

    def count(self, text: str) -> int:
        return sum(len(rx.findall(text)) for rx in self.patterns)

    def spec(self) -> list[object]:
        """What the detector is, for a fingerprint: its name and every pattern with its flags."""
        return [self.name, *([rx.pattern, int(rx.flags)] for rx in self.patterns)]


TABLE: dict[str, Detector] = {}


def detector(name: str, what: str, *patterns: str, flags: int = re.I) -> Detector:
    """Register one detector (a name is written once: registering it twice is a bug)."""
    if name in TABLE:
        raise ValueError(f"detector {name!r} is defined twice")
    TABLE[name] = Detector(name, what, tuple(re.compile(p, flags) for p in patterns))
    return TABLE[name]


# ---- who, how much, whether: the signals the rules and the model's features share -------------------------
_NUM_ZH = r"[一二两三四五六七八九十百千万亿]+(个|倍|毫秒|秒|分钟|小时|天|周|万|千|人|台|笔|次|条|倍|成|点)"
NUMBER = detector(
    "number",
    "a figure: digits, a Chinese numeral with a unit, a number word",
    rf"\d|{_NUM_ZH}|百分之|\b(one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|half|double[sd]?|percent)\b",
)
BARE_NUMBER = detector(
    "bare_number",
    "a number with nothing saying what it counts (降到了200, about 300)",
    r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?!\.?\d|\s*(?:%|ms|s\b|qps|tps|rps|毫秒|秒|分钟|小时|天|周|月|年|万|亿|千|百|个|人|台|"
    r"倍|笔|次|条|元|块|gb|mb|tb|kb|k\b|m\b|percent|users?|requests?|servers?|nodes?|people|times))",
)
FIRST_PERSON = detector("first_person", "I, not we", r"我(?!们)|\b(i|i'm|i've|i'd|me|my|myself)\b")
WE = detector("we", "we, the team", r"我们|咱们|团队|\b(we|our|us|the team)\b")
THEY = detector(
    "they",
    "someone else: they, a colleague, the lead",
    r"他们|她们|他|她|同事|别人|组长|老大|\b(they|he|she|colleague|someone else|my lead|my manager)\b",
)
ME_OR_US = detector(
    "me_or_us",
    "the candidate or their own team",
    r"我|咱|(?<![A-Za-z])(?:I|me|my|mine|myself|we|us|our|ours)(?![A-Za-z])",
)
THEM_FIRST = detector(
    "them_first",
    "a sentence that opens on a third person (他们组后来…), fillers before it allowed",
    r"^[\s,，。.!！?？、]*(?:(?:嗯|呃|那个|就是|然后|后来|当时|最后|其实|so|and|then)[\s,，]*)*"
    r"(?:(?<![其吉])他们?|她们?|别人|人家|(?:其他|别的|另一个|那个)(?:组|团队|部门)|(?:they|he|she)\b)",
)
NEGATION = detector(
    "negation",
    "a negation anywhere",
    r"没有|没(?=[\u4e00-\u9fff])|从没|从来没|不曾|未曾|并未|不是我|\b(never|didn't|did not|haven't|"
    r"have not|hasn't|wasn't|not really|no)\b",
)
NEGATED_BEFORE = detector(
    "negated_before",
    "a negation right before what follows (the text up to a cue): 我没有|never",
    r"(没有|没|不曾|从未|从来没|并未|未曾|不是我)\s*$|\b(never|didn't|did not|haven't|have not|hasn't|not|no)\s+"
    r"(\w+\s+){0,2}$",
)
FIRST_NEGATED = detector(
    "first_negated",
    "I + a negation: 我没有, I never",
    r"我(没有|没|从没|从来没|不曾)|\bi (never|have never|haven't|didn't|did not)\b",
)
HYPOTHETICAL = detector(
    "hypothetical",
    "a hypothetical or what one would do",
    r"如果|假如|要是|假设|我会|可能会|应该会|\b(if i|i would|i'd|would probably|hypothetically|if we)\b",
)
CONDITIONAL = detector("conditional", "any condition: if, would", r"如果|假如|要是|假设|\bif\b|\bwould\b")
# What the candidate would do, told in the first person: the guidelines' `hypothetical` ("如果让我做，我可能
# 会…" with no experience behind it). Not a hedge ("如果我没记错"), not 主要是我 / 只要是我, not "I'd say",
# and not a habit ("at my last job we would…": "we" is left out).
WOULD_DO = detector(
    "would_do",
    "what the candidate would do, in the first person",
    r"(?:如果|假如|假设|(?<![主只需还就])要是)(?:让|是|换|轮到)?我(?!没记错|记得)"
    r"|\bif (?:i|we) (?:were|was)\b|\bhypothetically\b"
    r"|\bi(?: would|'d)\b(?! (?:say|like|love|guess|think|argue|already|have to))",
)
QUESTION = detector("question", "a question", r"[?？]|吗|呢|怎么|为什么|\b(how|why|what|tell me)\b")
CONTRAST = detector(
    "contrast",
    "a clause opening on but / 不过",
    r"^\s*(不过|但是|但|可是|只是|然而|however|but|although|though)",
)
EXPLAINS = detector(
    "explains",
    "an explanation: because, by using, 通过, 原理",
    r"通过|基于|根据|借助|保证|原理|机制|因为|所以|来调|先.{1,12}再|之前先|\b(because|by using|so that|guarantee\w*"
    r"|mechanism|based on|which means)\b",
)
VAGUE_WORDING = detector(
    "vague_wording",
    "an evaluation standing in for a figure: 很多, 挺好, a lot",
    r"很多|挺好|不错|一些|比较好|效果好|大幅|显著|\b(a lot|pretty good|some|significant(ly)?|various|stuff)\b",
)
PERFORMANCE = detector(
    "performance",
    "the topic is speed or performance",
    r"性能|优化|快|延迟|响应|performance|optimi[sz]|faster|latency|speed",
)
SMALL_TALK = detector(
    "small_talk",
    "a greeting, thanks or a bare yes",
    r"^(你好|您好|谢谢|感谢|再见|辛苦|不客气|好的|嗯|是的|对|hello|hi|thanks?( you)?|bye|nice to meet you|ok(ay)?|sure|"
    r"yes)[\s,，.。!！~～]*",
)
CLOSING = detector(
    "closing", "closing thanks", r"^(好的?[,，]?)?(谢谢|感谢|多谢|再见|辛苦|thanks?|thank you|bye|cheers)"
)
LEAD_CLAIM = detector("lead_claim", "a claim to have led", r"主导|负责人|牵头|\b(led|owned)\b")
PARTIAL_ROLE = detector(
    "partial_role",
    "a part in someone else's work: 参与, helped",
    r"参与了?|协助|帮忙|打下手|\b(assisted|helped( with)?|was part of|participated)\b",
)
# The follow-up asks "why did it not ship?": only words that say so outright (停掉 alone is "the things we
# should stop", the feature cue's reading, and made a wrong follow-up on heldout3 h3-0223 when merged).
NOT_SHIPPED_NAMED = detector(
    "not_shipped_named",
    "a project said outright not to have shipped",
    r"没上线|未上线|没有上线|没能上线|没落地|没有落地|被砍|搁置|\b(never (shipped|launched|went live)|didn't (ship|launch)|"
    r"was cancel+ed|got cancel+ed)\b",
)
STAGING_NAMED = detector(
    "staging_named",
    "a result placed outside production by name (测试环境, staging); not 本地 alone (本地缓存)",
    r"测试环境|预发|压测环境|本地环境|线下环境|实验环境|\b(staging|test environment|in a benchmark|on my laptop|in a "
    r"sandbox)\b",
)

# ---- qualifier cues: the words themselves are exact; whether they weaken a claim is the model's call -------
QUALIFIER_CUES: dict[str, Detector] = {
    "hearsay": detector(
        "q_hearsay",
        "read or heard about it",
        r"看过|看到过|听说|听同事|了解过|读过|文章|博客|视频|课程|书上|\b(read about|heard|"
        r"watched|blog|article|course|tutorial|only read|studied)\b",
    ),
    "team_not_me": detector(
        "q_team_not_me",
        "the team's or a colleague's work",
        r"主要是.{0,6}(团队|同事|他们|组里)|我(只是|就是|主要)?(负责)?(review|测试|打下手|配合|"
        r"帮忙|参与)|参与|协助|\b(my colleague|the team did|i (just|only) (reviewed|tested|"
        r"helped)|i was part of|helped with)\b",
    ),
    "not_shipped": detector(
        "q_not_shipped",
        "it did not ship",
        r"没上线|未上线|没有上线|没能上线|没落地|没有落地|被砍|搁置|停掉|黄了|\b(never (shipped|launched"
        r"|went live)|didn't (ship|launch)|cancel+ed|shelved|scrapped)\b",
    ),
    "test_env_only": detector(
        "q_test_env_only",
        "shown outside production",
        r"测试环境|预发|压测|本地|线下|实验环境|\b(staging|test env\w*|benchmark|"
        r"on my laptop|locally|sandbox|load test)\b",
    ),
    "unconfirmed_cause": detector(
        "q_unconfirmed_cause",
        "the cause was never confirmed",
        r"没确认|没有确认|没验证|没有验证|不确定|猜|没查清|没定位|根因|\b(never confirmed|"
        r"not sure why|root cause|guess|unconfirmed|didn't verify)\b",
    ),
    "acting_role": detector(
        "q_acting_role",
        "an acting or informal role",
        r"代理|临时|暂时|没有正式|不是正式|顶了|兼着|名义上|\b(acting|interim|temporar\w*|"
        r"without the title|not officially|unofficial\w*|stand-in|filled in)\b",
    ),
    "hedge": detector(
        "q_hedge",
        "a hedge: 大概, probably, about",
        r"大概|可能|应该|好像|差不多|估计|左右|似乎|印象中|\b(i think|probably|maybe|roughly|"
        r"about|around|i guess|i believe|sort of|kind of)\b",
    ),
}
HEDGE = QUALIFIER_CUES["hedge"]

# The qualifier types as corpus/analysis/GUIDELINES.md defines them: the phrases each type is defined by.
# Whether one is OR-ed with its clause head is chosen per type by scripts/train_analysis.py.
STRONG_QUALIFIERS: dict[str, Detector] = {
    "hearsay": detector(
        "strong_hearsay",
        "GUIDELINES: hearsay",
        r"只是?看过|看过.{0,4}(文章|资料|文档|书|视频|分享)|听.{0,8}(说|讲|分享)|据说|网上.{0,3}(说|讲)"
        r"|自己没.{0,6}(做|用|碰|上手)过|没(有)?(实际|真正|亲自)?(上手|做|用|碰到)过|没在.{0,8}(用|做)过"
        r"|\b(only|just) (read|heard|watched)|from reading|read about|heard (about|that)"
        r"|never (used|built|done|worked with)|haven't (used|built|done|worked with)|conference talk",
    ),
    "team_not_me": detector(
        "strong_team_not_me",
        "GUIDELINES: team_not_me",
        r"主要是.{0,12}(做|搭|定|设计|负责|调|写|建)的|是.{0,10}(组长|leader|架构师|同事|同学|团队|组|team)"
        r".{0,3}(定|设计|做|搭|调|写|建|对接)的|不是我.{0,4}(做|写|定|统计|设计)|我只是|我就负责"
        r"|\b(mostly|mainly) (the|my|our) \w+ (team|lead)|the \w+ team (built|did|fixed|owned|designed)"
        r"|colleague (built|did|wrote|designed)|i (just|only) (reviewed|tested|helped)|wasn't me",
    ),
    "not_shipped": detector(
        "strong_not_shipped",
        "GUIDELINES: not_shipped",
        r"没上线|未上线|没有上线|没能上线|没落地|没有落地|被砍|砍掉|搁置|停掉|项目停了|就停了|黄了"
        r"|排期上线|没来得及|没(有)?用到工作|练手|没演练过|\b(never (shipped|launched|went live|happened)"
        r"|didn't (ship|launch|go live)|cancel+ed|shelved|scrapped|paused|internal users only"
        r"|behind a (feature )?flag|proof of concept|before we go to production)\b",
    ),
    "test_env_only": detector(
        "strong_test_env_only",
        "GUIDELINES: test_env_only",
        r"测试环境|预发|压测|本地|线下|离线|实验环境|演练|构建对比|\b(staging|test env\w*|perf env\w*"
        r"|offline|benchmark\w*|locally|on my laptop|sandbox|load test\w*)\b",
    ),
    "unconfirmed_cause": detector(
        "strong_unconfirmed_cause",
        "GUIDELINES: unconfirmed_cause",
        r"没(有)?(去)?(确认|验证|核实|查清|拆开|做对照)|不确定|说不好|说不清|推测|怀疑是|也可能是|确切的说法"
        r"|不全是|不一定是|\b(never confirmed|not (totally |entirely |really )?sure (why|which|what|how)"
        r"|can't (say|tell) (how|which|why|whether)|unconfirmed|didn't (verify|confirm)|no control group"
        r"|same release|might have been|could have been)\b",
    ),
    "acting_role": detector(
        "strong_acting_role",
        "GUIDELINES: acting_role",
        r"代理|代管|临时|暂时|没有正式|不是正式|顶了|兼着|名义上|不挂名|没有?.{0,4}title|不是组长|不是 ?leader"
        r"|只是.{0,8}工程师|\b(acting|interim|temporar\w*|without the title|not officially|unofficial\w*"
        r"|stand-in|filled in|rotating|not a real role|de facto|just a senior)\b",
    ),
    "hedge": detector(
        "strong_hedge",
        "GUIDELINES: hedge",
        r"大概|可能|应该|好像|差不多|估计|左右|似乎|印象(中|里)|算是|怀疑|没(有)?(细算|精确统计|仔细算)"
        r"|\b(i think|we think|probably|maybe|roughly|i guess|i believe|sort of|kind of|pretty sure"
        r"|not sure|something like)\b",
    ),
}

# ---- vague claims: what a claim's own words say is missing ----------------------------------------------
VAGUE_CUES: dict[str, Detector] = {
    "number": detector(
        "v_number",
        "an improvement claimed (the model's cue)",
        r"提升|提高|降低|减少|优化|更快|快了|更稳定|稳定|顺利|效果|明显|很多|不少|大幅|显著|\b(faster|"
        r"improved|better|smooth\w*|stable|a lot|significant\w*|much|reduced|increased)\b",
    ),
    "mechanism": detector(
        "v_mechanism",
        "a concept named (the model's cue)",
        r"高并发|高可用|微服务|分布式|中台|架构|优化|赋能|闭环|\b(scalab\w*|microservices?|"
        r"distributed|high availability|best practices|optimi[sz]\w*|robust)\b",
    ),
    "specifics": detector(
        "v_specifics",
        "a vague quantity or list (the model's cue)",
        r"很多|一些|各种|等等|之类|各方|问题|\b(various|stuff|things|stakeholders|lots of|"
        r"issues|a bunch)\b",
    ),
}
# the rules' versions: an outcome stated without a figure, evaluative words that stand in for one
OUTCOME = detector(
    "outcome",
    "an outcome stated in words",
    r"降下来|少了|多了|低了|高了|提升|提高|降低|减少|稳定|稳了|满意|成功|不错|挺好|很好|很高|明显|顺畅|流畅|顺利"
    r"|快了|更快|快很多|方便|省了|夸|扛住|一大半|几乎没有|基本没有|小了|大了|好多了|\b(faster|stable|stabler"
    r"|better|improved|uplift|way more|noticeabl\w*|a lot|good chunk|smooth\w*|clearer"
    r"|much (more|less|better)|really well|basically stopped|went down|went up|dropped|reduced|increased)\b",
)
NO_SPECIFICS = detector(
    "no_specifics",
    "a vague quantity or list",
    r"各种|各个|一些|好几个|很多|不少|什么的|之类|等等|各方|\b(stuff|things|everything|everyone|various"
    r"|lots of|a bunch|some \w+ stuff|stakeholders)\b",
)
BUZZWORD = detector(
    "buzzword",
    "a concept named without its mechanism",
    r"高并发|高可用|微服务|分布式|中台|赋能|闭环|打通|分库分表|分酷分表|深度学习|熔断|\b(scal\w+|microservices?"
    r"|distributed|high availability|best practices|empower\w*|robust)\b",
)

# ---- a metric the candidate moved: the guidelines' result_orientation ("a metric moved") ------------------
_AMOUNT = (
    r"(?:\d[\d.,]*\s*(?:%|倍|x|ms|毫秒|秒|s|分钟|小时|天|万|千|百|个|次|台|人|元|k|K|M|GB|MB)?"
    r"|[一二两三四五六七八九十百千万]+(?:成|倍|个点)?|百分之[一二三四五六七八九十\d]+)"
)
METRIC_MOVED = detector(
    "metric_moved",
    "a before -> after figure or a change by an amount",
    rf"从\s*[^，。；,;]{{0,14}}?{_AMOUNT}[^，。；,;]{{0,10}}?(?:降|提|涨|缩|减|压|升|优化|增|加|做|变)"
    rf"[^，。；,;]{{0,4}}?到\s*[^，。；,;]{{0,6}}?{_AMOUNT}"
    rf"|(?:降低|提升|提高|减少|缩短|节省|增长|下降|上涨|降|省|砍)了\s*(?:大概|差不多|将近|约)?\s*{_AMOUNT}",
    rf"\bfrom\s+(?:about\s+|around\s+)?{_AMOUNT}\s*\S*\s+(?:down\s+|up\s+)?to\s+(?:about\s+)?{_AMOUNT}"
    rf"|\b(?:cut|reduced|dropped|improved|increased|raised|saved|lowered|grew|boosted)\b[^.;]{{0,40}}?"
    rf"\bby\s+(?:about\s+|around\s+)?{_AMOUNT}|\b\d+(?:\.\d+)?\s*x\s+(?:faster|cheaper|fewer|more)",
)

# ---- competency cues: one detector per built-in competency (Chinese, then English) ------------------------
_NUM = r"[\d一二两三四五六七八九十百千万]+(\.\d+)?"
COMPETENCY_CUES: dict[str, Detector] = {
    "leadership": detector(
        "cue_leadership",
        "leading people",
        r"主导|带领|带过|带了|领导|牵头|推动|负责人|组建|管理.{0,4}(团队|小组)|带.{0,4}(团队|小组|人)",
        r"\b(led|lead|managed|mentored|drove|headed|owned)\b",
    ),
    "system_design": detector(
        "cue_system_design",
        "a design choice",
        r"架构|拆(成|分)|微服务|分库分表|削峰|高可用|扩展性|可扩展|一致性|限流|降级|熔断|负载均衡|分片|读写分离|消息队列|设计了"
        r"|异步化",
        r"\b(architect\w*|designed|microservices?|shard\w*|scalab\w*|partition\w*|message queue|high "
        r"availability|load balanc\w*)\b",
    ),
    # a technical term and a mechanism in the same clause: explaining how, not naming
    "technical_depth": detector(
        "cue_technical_depth",
        "a technical term and a mechanism together",
        r"^(?=.*(幂等|锁|索引|事务|线程|缓存|队列|一致性|协议|算法|内存|哈希|分片|分库分表|Redis|Kafka|MySQL|JVM|GC))"
        r"(?=.*(通过|基于|根据|利用|借助|用|作|做|保证|实现|原理|机制|因为|来调|设置))",
        r"^(?=.*\b(lock|index|transaction|thread|cache|queue|consisten\w*|protocol|algorithm|memory|hash|"
        r"shard|redis|kafka|mysql|jvm|gc)\b)"
        r"(?=.*\b(because|by using|using|under the hood|mechanism|so that|implemented|guarantee\w*|based "
        r"on)\b)",
    ),
    "problem_solving": detector(
        "cue_problem_solving",
        "finding and fixing a problem",
        r"排查|定位|瓶颈|根因|复现|压测|调优|优化|解决了|分析了|诊断|监控发现|火焰图",
        r"\b(debug\w*|root cause|bottleneck|profil\w*|investigat\w*|troubleshoot\w*|diagnos\w*|reproduc\w*|"
        r"load test\w*|optimi[sz]\w*)\b",
    ),
    # a number is a result only next to a change or a throughput: "核数的两倍" is a setting, not an outcome
    "result_orientation": detector(
        "cue_result_orientation",
        "an outcome",
        rf"(提升|提高|降低|减少|增长|节省|缩短|降到|提到|翻了|达到|支撑|承载).{{0,12}}{_NUM}\s*(%|％|倍|毫秒|ms|秒|万|千|个|笔)"
        rf"|(每秒|每天|峰值|高峰期).{{0,10}}{_NUM}\s*(万|千)?(个|笔|次)?(请求|订单|交易|QPS|TPS)"
        r"|从.{1,15}(降|提|减|增|涨|缩短).{0,3}到|提升|降低|减少|增长|节省|缩短|效果(很|挺|还|比较)?好",
        r"\d+(\.\d+)?\s*(%|x|ms|qps|tps|seconds|users|requests)|\bfrom .{1,30} to\b|\b(improved|reduced|"
        r"increased|cut|saved|grew|doubled|halved)\b",
    ),
    "collaboration": detector(
        "cue_collaboration",
        "working with others",
        r"配合|沟通|协作|跨团队|跨部门|对齐|协调|合作|和.{1,8}一起",
        r"\b(worked with|cross-team|collaborat\w*|aligned with|partnered|together with|coordinated)\b",
    ),
    "communication": detector(
        "cue_communication",
        "structured telling",
        r"首先|其次|第一[,，、]|第二[,，、]|最后[,，]|总结一下|简单来说|举个例子|具体来说",
        r"\b(first(ly)?,|second(ly)?,|finally,|for example|to summari[sz]e|in short|specifically)\b",
    ),
    "learning": detector(
        "cue_learning",
        "learning something",
        r"自学|学会|学了|啃|官方文档|教程|复盘|吸取|教训|从那以后|之后我(们)?就",
        r"\b(learn\w*|picked up|taught myself|post-?mortem|lessons?|since then|ever since)\b",
    ),
}
