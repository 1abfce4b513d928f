"""What an interviewer must not ask: one record per protected topic, with its exact cues (zh / en), the rule
it falls under per jurisdiction, and a lawful way to ask for what the job really needs.

A cue is precise on purpose: a question it misses is left to the learned head (bot/analysis/flags.py),
while a cue that fires on a lawful question ("你有没有竞业限制协议") would be a false accusation. The
`lawful` patterns veto a cue where a job-related question shares its words.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..jurisdictions import Jurisdiction, Jurisdictions


@dataclass(frozen=True)
class Citation:
    zh: str
    en: str


@dataclass(frozen=True)
class FlagRecord:
    category: str
    topic: tuple[str, str]  # what was asked about, zh / en, for the one-sentence reason
    cue: re.Pattern[str]
    rules: dict[
        Jurisdiction, Citation
    ]  # jurisdiction -> the rule; a jurisdiction without one does not flag it
    alternative: tuple[str, str]
    # what makes the cue unmistakable, so the head may not veto it (an unambiguous phrase); matched in the
    # open clause where the cue matched, never elsewhere in the turn
    sure: re.Pattern[str] | None = None
    # ...and, where set, the place that must also be named in that clause or the one right before it
    # (salary history: a place whose law bans the question outright)
    sure_place: re.Pattern[str] | None = None


def _re(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts), re.I)


_WOMEN_43 = Citation("妇女权益保障法 第四十三条", "Women's Rights and Interests Protection Law art. 43")
_EPL = {
    n: Citation(f"就业促进法 第{zh}条", f"Employment Promotion Law art. {n}")
    for n, zh in ((3, "三"), (27, "二十七"), (28, "二十八"), (29, "二十九"), (30, "三十"), (31, "三十一"))
}
_NOTICE_2019 = Citation("人社部等九部门通知（2019）", "2019 nine-ministry notice on women's employment")


def _both(*cites: Citation) -> Citation:
    return Citation("；".join(c.zh for c in cites), "; ".join(c.en for c in cites))


def _us(text: str) -> Citation:
    return Citation(text, text)


# Round 18's unmistakable cues, each narrowed to the candidate's own life: a team "transitioning to
# Kubernetes", a partner company's due date, "someone of your background in finance", a credit-scoring
# model, an age-estimation model, which side of a design debate, a political-stance classifier are work.
_TRANSITIONING = r"\bare you (currently )?transitioning\s*$|transitioning (genders?|to (a )?(man|woman))\b"
_PARTNER_DUE = (
    r"\byour (wife|partner|spouse)('s| is)? (pregnant|expecting\s*$|expecting a (baby|child)"
    r"|due (soon|any day|this|next)|due date\b(?! (for|of|on)\b))"
)
_YOUR_BACKGROUND = r"\bsomeone (of|from) your background\b(?!\s+(in|as|with|at|on|from|and|or)\b)"
_NOT_A_MODEL = r"(?!估计|识别|预测|检测|分级|模型|分布|画像|标签)"
_OWES_OR_CREDIT = r"(你|您)[^，,。？?]{0,4}欠(着|过)?信用卡|(您|你)(个人)?的征信(?!模型|评分|系统|产品|数据|平台|评分卡|业务)"
_POLITICS = (
    r"(您|你)(的|个人)?政治(局势|立场|观点|倾向|态度)|(您|你)(对|怎么看).{0,10}政治(局势|立场|观点|倾向|形势)"
    r"|(选举|大选|党|政治|台湾|香港|两岸|冲突|战争).{0,12}支持哪一?(方|边|派)(?!案|面|式|法)"
    r"|支持哪一?(方|边|派)的(观点|立场|主张)"
)
# "Are you expecting?" alone, or after a comma or a conjunction ("Sorry to pry, but are you expecting?");
# never what a candidate expects ("What salary are you expecting?")
_EXPECTING = (
    r"(^|,|\b(but|so|and)\b)\s*are you (currently )?expecting\s*(\?|$)"
    r"|\bare you expecting (a )?(baby|child)\b"
)
_PLAN_CHILDREN = r"plan(s|ning)? (on|to) (start(ing)?|hav(e|ing)) (a )?(kids|children|baby|family)\b"
# Questions that can only be about the candidate's past pay: cues, and sure where a ban place is named
# beside them (a job's "current salary band", a "current base location", "what did you earn your
# certification in" are not among them)
_NOT_THE_JOBS_PAY = r"(?! (band|range|scale|grade|structure|period|schedule|cycle|day)s?\b)"
_PAY_PAPER_ZH = r"(工资单|工资条|收入证明|工资流水|银行流水|个税记录)(?!模块|系统|对账|生成|接口)"
_SALARY_HISTORY_SURE = (
    r"salary history|(?<!业务)(?<!项目)(?<!团队)(?<!公司)(?<!产品)(上一份|上份|之前|前公司|上家|现在|目前|原来)的?"
    r"(月薪|年薪|工资|薪资|薪水|base)",
    r"(之前|以前|上一份|上份|原来)(那份|的)?(工作|工厂|公司|单位|厂).{0,6}(挣|赚|拿|给你?)多少",
    r"what (did )?your (last|previous|former|old) (\w+ ){0,2}(company|employer|job|boss|firm|lab|team"
    r"|school|university|agency|practice|hospital|bank|fund|client)"
    r" pa(id|y) you|(last|previous|current) employer pay you",
    r"\byour (current|previous|last|former|prior|old) (base )?(salary|pay|wages?|hourly( rate)?|pay rate"
    r"|compensation)\b" + _NOT_THE_JOBS_PAY,
    # a pay slip or tax form of past pay asked for is the pay itself (round 18; a payroll module is work)
    r"(提供|发|出示|提交|上传).{0,6}(过去|之前|以前|上一份|上份|上家|前公司|原来|近).{0,12}" + _PAY_PAPER_ZH,
    r"(过去|之前|以前|上一份|上份|上家|前公司|原来|近).{0,12}"
    + _PAY_PAPER_ZH
    + r".{0,8}(提供|发|出示|提交|上传)",
    r"\b(send|share|provide|submit|upload|show|bring)\b.{0,12}"
    r"\b(your|last|previous|prior|former|past)\b.{0,24}"
    r"\b(pay ?stubs?|w-?2s?|paychecks?|payslips?)\b",
    r"\b(send|share|provide|submit|upload|show|bring)\b.{0,12}\b(pay ?stubs?|w-?2s?|payslips?)\b.{0,24}"
    r"\b(from|at) your (last|previous|current|former|old)\b",
)


RECORDS: tuple[FlagRecord, ...] = (
    FlagRecord(
        "sexual_orientation_gender",
        ("性取向或性别", "sexual orientation or gender"),
        _re(
            r"是不是同志|have you,? (um,? )?transitioned|做过变性手术|你自己认同是哪个",
            r"其实喜欢(男|女)生|打扮.{0,4}中性",
            r"同性恋|性取向|变性|(?<![a-z])gay(?![a-z])|拉拉|喜欢同性|喜欢男生还是女生|男朋友还是女朋友",
            r"男的还是女的|说话有点娘|一个女(生|孩子)|女生做",
            r"\bare you (a )?(gay|straight|lesbian|bisexual|trans|transgender|queer)\b",
            r"boyfriend or (a )?girlfriend|born a (man|woman)|\bas a woman\b|sexual (orientation|preference)",
            r"gender identity",
            r"直男|弯的|跨性别|\blgbtq?\b|\btrans(gender)?\b",
            # a partner's sex is the candidate's orientation, not marital status (round 18; before it)
            r"\b(partner|spouse|significant other)( is)? (a man or a woman|male or female"
            r"|a woman or a man)\b",
            r"(伴侣|对象|另一半|爱人|配偶).{0,3}是男(的|生|性)?还是女|"
            + _TRANSITIONING
            + r"|正在变性|在做性别(过渡|转换)",
            r"\btake a (woman|man|female|girl) seriously\b",
        ),
        {"cn": _both(_EPL[3], _EPL[27]), "us": _us("EEOC: pre-employment inquiries (sex, Title VII)")},
        ("只问与岗位相关的能力和经验。", "Ask only about job-related skills and experience."),
        _re(
            _TRANSITIONING,
            r"(伴侣|对象|另一半|爱人|配偶).{0,3}是男(的|生|性)?还是女",
            r"\b(partner|spouse)( is)? (a man or a woman|male or female)",
        ),
    ),
    FlagRecord(
        "pregnancy_children",
        ("生育或子女", "pregnancy, children or childcare"),
        _re(
            r"还没(孩子|小孩)|近期应该要了|有小孩了吗|newborn at home|with a newborn",
            r"little ones on the way|生了没有|就怀上了",
            r"big life events coming up|一般女生都会考虑家庭",
            r"怀孕|备孕|生育(?!保险|险|政策|假政策)|生孩子|生娃|要孩子|要宝宝|要娃|二胎|三胎|休过?产假|哺乳期|生完孩子",
            r"当妈妈|宝妈|添个小|造人|(孩子|小孩|小朋友)(多大|几岁|还小)|有了孩子|(你|你家|你们家)的?(孩子|小孩|宝宝)|有孩子|几个(孩子|小孩)",
            r"家里有(小孩|孩子)|做试管|试管婴儿|\bivf\b|you're not expecting|how old is the little one",
            r"\b(are you|you're|get|getting|become) pregnant\b|" + _EXPECTING,
            # a partner about to give birth: the candidate's child (round 18; before marital_status)
            r"(太太|老婆|妻子|爱人|媳妇|夫人|另一半).{0,4}(快|要|就要|马上)?(生了|生产|临产|预产期|怀孕|怀上|坐月子)",
            _PARTNER_DUE,
            r"(休|请)产假.{0,24}(你|您)(这边|那边|自己)?.{0,6}有.{0,6}(计划|打算)",
            r"\b(your|have|any) (kids|children)\b",
            r"how many (kids|children)|having (kids|children)|family plans",
            r"(start|starts|starting|started) a family",
            r"grow your family|" + _PLAN_CHILDREN,
            r"maternity leave|childcare|baby on the way|more children",
            # a clause ends where its question mark was (open_clauses splits there)
            r"什么时候生($|孩子|娃|小孩|宝宝|二胎)|打算.{0,4}生(孩子|娃|小孩|宝宝|二胎)?$|谁(在|来)?带(孩子|小孩)$|new baby",
        ),
        {
            "cn": _both(_WOMEN_43, _EPL[27], _NOTICE_2019),
            "us": _us("EEOC: pre-employment inquiries (pregnancy, children and childcare; Title VII, PDA)"),
        },
        (
            "说明岗位的工作时间和出差要求，问候选人能否满足，不问生育计划或孩子。",
            "State the role's hours and travel and ask whether the candidate can meet them; "
            "do not ask about children or family plans.",
        ),
        _re(
            r"什么时候(要|生)(孩子|娃|小孩|宝宝|二胎)?|打算要(孩子|宝宝|娃|小孩|二胎)|要孩子的(打算|计划)",
            r"\b(are you|you're) pregnant\b|\b(start|starting) a family\b|" + _PLAN_CHILDREN,
            _EXPECTING + r"|(快|要|就要|马上)(生了|临产)|产假.{0,24}(你|您).{0,8}有.{0,6}(计划|打算)",
            _PARTNER_DUE,
        ),
    ),
    FlagRecord(
        "marital_status",
        ("婚姻状况", "marital status"),
        _re(
            r"离异|离过婚|离婚了|家里没催|\bdivorced\b",
            r"结婚|已婚|未婚|婚否|成家|家室|单身|离过婚|婚姻状况|婚礼|男朋友|女朋友|你对象|另一半|你?老公|你?老婆|你爱人",
            r"你先生|办喜酒|配偶|伴侣|感情(关系|状况|生活)|稳定的感情|脱单|两口子|谈恋爱|个人问题解决|家那位|办了喜事",
            r"\bare you (married|single|engaged|divorced|seeing anyone)\b|\bmarital\b|\bmaiden name\b",
            r"relationship status|significant other",
            r"\byour (husband|wife|spouse|boyfriend|girlfriend|fianc[eé]e?)\b",
            r"\bmiss or mrs\b|do you have a (partner|boyfriend|girlfriend|husband|wife)\b|\bis there a mrs\b",
            r"someone special|有人等你",
            # polite and euphemistic (round 18): 家里那位, 您先生 / 太太, a partner's career to factor in
            r"家里(的)?那位|屋里那位|[您你](的)?(先生|太太|夫人|爱人|丈夫|妻子)|[您你]家(先生|太太|那口子)",
            r"\bsomeone (whose|who'?s|with a) (career|job|work)\b|\b(partner|spouse)'s (career|job|work)\b",
            r"\banyone (who would |who'd |to |would )?(move|relocate|come) with you\b",
            r"丈夫|妻子|太太|媳妇|男友|女友|相亲|订婚|tie the knot",
        ),
        {
            "cn": _both(_WOMEN_43, _EPL[27], _NOTICE_2019),
            "us": _us("EEOC: pre-employment inquiries (marital status, Title VII)"),
        },
        (
            "问候选人能否满足岗位的出差和驻场要求，例如“这个岗位每周要去客户现场两天，你能安排吗？”",
            "Ask whether the candidate can meet the role's travel and on-site needs, e.g. "
            '"This role is at the client two days a week; can you do that?"',
        ),
    ),
    FlagRecord(
        "age",
        ("年龄", "age"),
        _re(
            r"你(都)?快[3-6]0(岁)?了|中年转行|年轻一点的|年龄上有优势",
            r"几年次|oldest person on|你这个年纪还",
            r"digital native",
            r"多大了|多少岁|几岁|年纪多大|哪一?年(出生|生的)|几几年的|你属什么|生肖|你的年龄|透露.{0,4}年龄|岁数|虚岁",
            r"[八九零0]0?后还是|[八九]零后|退休还有|(超|过)了?三十五|[二三四五]十(几|多岁)|快[四五]十了|你这个年纪",
            r"高中.{0,3}哪年毕业|生日是哪|你是[八九零]几年的|你今年是?[二三四五]十[一二三四五六七八九]?还是",
            r"how old are you|what('s| is) your age|when were you born|what year were you born|date of birth",
            r"close are you to retirement|before you retire|until you retire|\b(too|a bit) old\b|young team",
            r"graduate from high school|\bover (forty|fifty|sixty|[4-6]\d)\b",
            r"in your (forties|fifties|sixties)",
            r"(有|得有|快)?[二三四五]十(岁)?了吧|出生年份|at your age|your age\b|[a-z]+ty-?ish\b|how old",
            r"贵庚|年龄段|[五六七]零后|stage of life|in their (twenties|thirties)|year did you (finish|graduate)",
            r"(您|自己)的年龄"
            + _NOT_A_MODEL
            + r"|年龄(方面|上)?(您|你)怎么看|\b(your|this) (stage|point|time) (of|in) (your )?life\b",
        ),
        {"us": _us("EEOC: pre-employment inquiries (age, ADEA 40+)")},
        (
            "问与岗位相关的经验；需要核实法定最低年龄时只问“你是否年满十八周岁”。",
            'Ask about relevant experience; where a minimum age applies, ask only "Are you at least 18?"',
        ),
        _re(
            r"(您|你|自己)的年龄"
            + _NOT_A_MODEL
            + r"|\bat (this|your) stage (of|in) (your )?life\b|how old are you"
        ),
    ),
    FlagRecord(
        "ethnicity_origin",
        ("民族、种族或国籍", "race, ethnicity or national origin"),
        _re(
            r"祖上是|华裔吗|what kind of name is that|老家原来是哪个国家",
            r"is that name (hispanic|latino|arabic|jewish|indian|korean|chinese)",
            r"name sounds? (hispanic|foreign)",
            r"(你|你们家|你家)(是|的)?(哪个|什么)?(少数)?(民族|汉族|回族|藏族|维吾尔族|蒙古族|壮族|满族)",
            r"什么(民)?族的|哪个民族|民族写|不太像汉族|混血|哪国人|外国人吗|是中国人吗|不像中国人|从国外来|你的国籍|祖籍是哪个国家|你的母语",
            r"where are you (originally )?from|what country are you from|nationality|first language",
            r"(native|mother) (language|tongue)|where were (you|your parents) born|born in this country",
            r"citizen by birth|ethnic (background|origin)|what race|your (heritage|ancestry)",
            r"where is (it|your name|your accent) from|your accent",
            r"外国人|维族|where did you grow up|indian or pakistani|what part of (asia|africa|europe)",
            r"(朝鲜|苗|彝|土家|侗|瑶|哈萨克|傣|黎|白|布依)族|像(新疆|西藏|外国|少数民族)人|immigrants?\b|speak at home",
            # a passport asked to prefer citizens, "someone of your background" (round 18)
            r"哪(个|一)?国(家)?的?护照|(倾向|优先|更想|只)(于)?(招|录用|要|考虑)(本国|美国|中国|本地)?(公民|国籍)",
            r"\b(which|what) (country'?s )?passport\b|\bprefer(ence for)? (\w+ )?(citizens|nationals)\b",
            r"\bsomeone (of|from) your (ethnicity|race|heritage|origins?|culture)\b|" + _YOUR_BACKGROUND,
        ),
        {
            "cn": _both(_EPL[3], _EPL[28]),
            "us": _us("EEOC: pre-employment inquiries (race, national origin; Title VII)"),
        },
        (
            "如岗位需要，问候选人是否具备合法工作资格或岗位所需的语言能力。",
            "If the job needs it, ask about work authorisation or the languages the job uses.",
        ),
        _re(
            r"哪(个|一)?国(家)?的?护照|\bsomeone (of|from) your (ethnicity|race|heritage|origins?)\b|"
            + _YOUR_BACKGROUND,
            r"\b(which|what) (country'?s )?passport (do you (hold|have|carry)|are you)\b",
            r"\bprefer(ence for)? (\w+ )?(citizens|nationals)\b",
        ),
    ),
    FlagRecord(
        "regional_origin",
        ("户籍或出身地", "household registration or regional origin"),
        _re(
            r"身份证开头|what part of the country is your family",
            r"(你们|你)那个省的人|where\'s home for you|not from around here",
            r"你是哪个村|本村|what state did you grow up|are you a local\b(?! hire)",
            r"户口|户籍所在|籍贯|老家|(农村|乡下)(出来|来)|城里的还是乡下|本地人|外地(来|人)|哪(里|儿)人|哪个(省|县)",
            r"口音是|山沟",
            r"你是(河南|河北|山东|山西|四川|东北|湖南|湖北|安徽|江西|广西|甘肃|贵州)人",
            r"\bhukou\b|rural area|which province",
            r"\b(grow|grew|growing|raised|brought up) (up )?in (rural|the countryside|a village)\b",
        ),
        {"cn": _EPL[31]},
        (
            "问候选人能否在岗位所在城市工作、按时入职。",
            "Ask whether the candidate can work in the role's city and start on time.",
        ),
        _re(r"籍贯"),
    ),
    FlagRecord(
        "religion",
        ("宗教信仰", "religion"),
        _re(
            r"拜关公",
            r"信教|宗教|信仰|弥撒|基督徒|穆斯林|教堂|信佛|信不信上帝|斋月|开斋|做礼拜|寺庙|烧香|清真|信什么教",
            r"\bchurch\b|what religion|are you religious|religious holidays do you|your religion|\bpray\b",
            r"\bramadan\b|sabbath|synagogue|mosque|\bworship\b",
            r"\b(are you|you're) (jewish|muslim|christian|catholic|hindu|buddhist)\b",
            r"佛珠|猪肉.{0,10}(宗教|讲究)|your faith|\bfaith\b",
            r"congregation|\bobservant\b|宗教节日|那个教|(教|宗教|信仰)(里|上)?(都)?(过|有)(什么|哪些)节",
            r"(holidays?|festivals?) (does|do) your (religion|faith|church)",
            r"(holidays?|festivals?) do you (observe|celebrate|keep)\b",
        ),
        {"cn": _EPL[3], "us": _us("EEOC: pre-employment inquiries (religion, Title VII)")},
        (
            "说明岗位的排班（如周末值班），问候选人能否满足；需要调整的可以协商。",
            "Describe the schedule (e.g. weekend shifts) and ask whether the candidate can work it; "
            "accommodation can be discussed.",
        ),
    ),
    FlagRecord(
        "health_disability",
        ("健康状况或残疾", "health or disability"),
        _re(
            r"身子骨|(你|身体|身上)(有)?啥毛病|你.{0,6}受过伤|workers\'? comp(ensation)? claim",
            r"health-wise|肝功能|乙肝|两对半|近视多少度",
            r"什么病|隐疾|病史|乙肝携带|有没有乙肝|没有乙肝|你有残疾|残疾吗|身体(有没有|健康吗|怎么样)|做过手术|抑郁",
            r"心理(方面的问题|医生|疾病)|吃什么药|病假|慢性病|传染病|艾滋|遗传病|体检报告|住过院|经常生病|高血压|糖尿病",
            r"工伤|听力(是不是|不)|视力(有问题|不)|看(几次)?医生|助听器|轮椅",
            r"(do you have|have you got) (a|any) disabilit|mental illness|sick days|on any medication",
            r"medical (condition|history)|serious illness|been diagnosed|\badhd\b|autis|wheelchair",
            r"hearing aid",
            r"workers' compensation|chronic condition|what happened to your|\brehab\b|\bhiv\b",
            r"history of (cancer|heart disease|illness)|health problems|history of (\w+ )?injur",
            r"\b(history of|any|ever had|have you had|do you have|suffer(ed)? from) (\w+ )?"
            r"(back|knee|heart|neck|shoulder|hip|joint|spine|spinal|lung|kidney|liver|wrist|ankle|foot"
            r"|leg|eye|hearing|vision|mental health|health|medical) "
            r"(problems?|issues?|trouble|conditions?|injur(y|ies))\b",
            r"焦虑|症吗|症\？|prescription|depression|anxiety|is your back\b|back (pain|injur)|therap(y|ist)",
            r"心理咨询|走路.{0,4}不方便|腿脚|大病|过敏|在吃.{0,4}药|hospitali[sz]ed|good health|injur(y|ies)",
        ),
        {
            "cn": _both(_EPL[29], _EPL[30]),
            "us": _us("ADA: disability-related inquiries before an offer (GINA: family medical history)"),
        },
        (
            "说明岗位的基本职责（如需要搬运二十公斤设备），问候选人能否完成，或是否需要合理便利。",
            "Describe the essential functions (e.g. lifting 20 kg) and ask whether the candidate can "
            "perform them, with or without accommodation.",
        ),
    ),
    FlagRecord(
        "family_background",
        ("家庭背景或照护责任", "family background or caregiving"),
        _re(
            r"爸妈身体|父母身体",
            r"anyone in your family work in\b|who do you live with",
            r"父母是(做|农民)|你父母|你父亲|你母亲|爸妈|你爸|你妈|家里是做|家里几口人|兄弟姐妹|哥哥姐姐|独生子女|家里条件",
            r"家里有人在|赡养|需要你照顾|家里有没有人需要|家里.{0,6}背景",
            r"your parents do|your (mom|dad|mother|father)\b|mom and dad|wealthy family|elderly parents",
            r"depends on you|(your|any|have|of|how many) siblings|siblings do you|your family approve",
            r"breadwinner",
            r"干部家庭|养家|父母知道|take care of your (mother|father|mom|dad)",
            r"家境|家里能不能给.{0,8}(资源|客户|人脉)|\byour family'?s? (wealth|money|connections|means)\b",
        ),
        {"us": _us("EEOC: pre-employment inquiries (family and caregiver responsibilities, Title VII)")},
        (
            "问候选人能否满足岗位的工作时间、出差和入职时间要求。",
            "Ask whether the candidate can meet the role's hours, travel and start date.",
        ),
    ),
    FlagRecord(
        "salary_history",
        ("过往薪资", "salary history"),
        _re(
            r"个税\s?app|你(个人)?去年的收入|收入证明",
            r"以前份工几多钱|(社保|公积金).{0,6}基数|先说说你现在拿多少",
            r"base at the (previous|last)|hourly rate (at|over at)|your last salary",
            r"(大厂|之前|上家)的?(薪资|年)?包大概多少",
            r"(?<!业务)(?<!项目)(?<!团队)(?<!公司)(?<!产品)(上一份|上份|之前|前公司|上家|现在|目前|去年|原来).{0,6}"
            r"(月薪|年薪|工资|薪资|薪水|奖金|总包|到手|收入|拿多少(?!\s?个?offer)|开多少)",
            r"工资流水|税前拿多少|一个月拿多少",
            *_SALARY_HISTORY_SURE,
            r"your (previous|last|old|current) (hourly|hourly rate|wage|pay rate)\b",
            r"what (did|do) you (earn|get paid|make an hour|make a year|make per)",
            r"current (base )?(salary|pay|compensation)\b" + _NOT_THE_JOBS_PAY,
            r"current base\b(?! [a-z])|were you making|compensation last year|pay stub",
            r"bonus did you get|earning now",
            r"\b(paid|earn|make|making) (at|in) your (last|previous|current)|一年挣多少|工资单",
            r"年收入|\bw-2\b|take home last year|跳槽前后的(工资|薪资|收入)",
            r"(上家|上一家|前东家|原单位|现在的?公司).{0,4}给你开|(现在|目前)(能)?拿多少(?!\s?个?offer)|薪资包",
            r"what are you making(?! progress)|total comp(ensation)? at|what (did|do) they pay you",
            r"\bwhat (exactly )?was your (base(?! (case|class|model|image|layer|url|path|line))"
            r"|salary|pay|bonus"
            r"|compensation)\b",
        ),
        {
            "us": _us(
                "US state and city salary-history bans (e.g. Cal. Labor Code 432.3, NYC Admin. Code 8-107)"
            )
        },
        (
            "问期望薪资，或说明岗位的薪资范围。",
            "Ask for salary expectations, or state the range for the role.",
        ),
        _re(*_SALARY_HISTORY_SURE),
        # US states, counties and cities whose law bans asking pay history (public employers only left
        # out); names that read as something else ("LA", "Portland cement", 奥克兰 Auckland) are left out
        sure_place=_re(
            r"california|colorado|connecticut|delaware|hawaii|illinois|\bmaine\b|maryland|massachusetts",
            r"nevada|new jersey|new york|oregon|vermont|washington|alabama|puerto rico|rhode island",
            r"minnesota",
            r"\bnyc\b|brooklyn|manhattan|queens\b|the bronx|staten island|philadelphia|philly|san francisco",
            r"los angeles|san diego|san jose|sacramento|oakland, ca|seattle|boston|chicago|denver|newark",
            r"jersey city|kansas city|louisville|atlanta|columbia, (sc|south carolina)",
            r"jackson, (ms|mississippi)",
            r"cincinnati|toledo|columbus|suffolk county|westchester|albany county|baltimore|honolulu",
            r"las vegas|\breno\b|hartford|new haven|montgomery county|bay area|silicon valley",
            r"加州(?!大学)|加利福尼亚|科罗拉多|康涅狄格|特拉华|夏威夷|伊利诺伊|缅因|马里兰|马萨诸塞|麻省(?!理工)|内华达",
            r"新泽西|纽约|俄勒冈|佛蒙特|华盛顿|阿拉巴马|波多黎各|罗德岛|明尼苏达|布鲁克林|曼哈顿|皇后区|布朗克斯",
            r"史泰登岛|费城|旧金山|洛杉矶|圣地亚哥|圣何塞|西雅图|波士顿|芝加哥|丹佛|纽瓦克|堪萨斯城|路易斯维尔",
            r"亚特兰大|辛辛那提|托莱多|哥伦布|萨福克|威彻斯特|巴尔的摩|檀香山|拉斯维加斯|湾区|硅谷",
        ),
    ),
    FlagRecord(
        "other_sensitive",
        ("逮捕记录、工会、政治或信用", "arrests, union membership, politics or credit"),
        _re(
            r"你(个人)?(有)?(房贷|车贷)|你每个月要还多少",
            r"整过容|what\'s your (star )?sign\?|do you have (a lot of )?debt",
            r"你(身上)?有(没有)?纹身|(do you have|any) tattoos?\b|你是什么星座|how much do you weigh\?|你身高多少",
            r"你多高",
            r"被警察抓|派出所|拘留|案底|坐过牢|前科|犯罪记录(?!证明)|工会|党派|征信|网贷|投票支持",
            r"been arrested|convicted|criminal record|felony|member of a union|join a union|union member",
            r"in a union|credit score|who did you vote|political party",
            r"犯过事|犯过罪|党员|trouble with the (police|law)|\bpolice\b",
            r"游行|维权|上访|判过?刑|服刑|bankrupt|\bprotests?\b|support unions",
            r"血型|身高.{0,6}体重|(跟|和)(公司|单位|老板)(打|申请)过劳动仲裁|仲裁过(公司|单位|老板)|告过(公司|单位|老板)",
            r"discharge did you get|type of discharge",
            r"blood type|sued (a|your) (former )?employer",
            # administrative detention, debts, political views (round 18)
            r"do you have (any |a lot of )?(outstanding |personal |unpaid )?debts?|" + _OWES_OR_CREDIT,
            _POLITICS,
            r"\byour (political )?(views|stance|position) on (the )?"
            r"(hong kong|taiwan|tibet|xinjiang|election)",
            r"\bpolitical (views|leanings|affiliation|opinions?)\b",
            r"\b(have|has) you (ever )?been (detained|arrested)\b",
        ),
        {
            "us": _us(
                "EEOC (arrest records); NLRA 8(a)(1) (union); state and city fair-chance and credit laws"
            )
        },
        (
            "只问与岗位相关的资格，例如录用后背景调查的同意、岗位所需的证照。",
            "Ask only about job-related qualifications, e.g. consent to a post-offer background check.",
        ),
        _re(
            r"(你|您)(以前|之前|过去|曾经|有没有|是否|有)?((被|进过)(行政|刑事)?拘留|拘留过)|"
            + _OWES_OR_CREDIT,
            _POLITICS,
        ),
    ),
)

CATEGORIES: tuple[str, ...] = (
    "marital_status",
    "pregnancy_children",
    "age",
    "ethnicity_origin",
    "regional_origin",
    "religion",
    "health_disability",
    "sexual_orientation_gender",
    "family_background",
    "salary_history",
    "other_sensitive",
)
BY_CATEGORY = {r.category: r for r in RECORDS}
assert set(BY_CATEGORY) == set(CATEGORIES)

# Job-related questions that share a topic's words: never flagged, by a cue or by the head. The employer's
# customers, patients and users are not here (they excused a question in the same clause: "Some of our
# patients find Southern accents hard to follow"); their traits are left out by THEIR_PEOPLE instead.
LAWFUL = _re(
    r"竞业|期望|预期|(薪资|月薪|年薪|收入|工资|薪酬)(范围|带宽)|预算|合法工作|年满|合理便利|提供什么便利|保密协议|劳动法|议题|福利|保险",
    r"(公司|我们|你们).{0,12}政策|无犯罪记录证明|产品|系统|算法|合规|流程|内容审核|分公司|的项目",
    r"(在|去).{0,10}(工作过|任职|实习)|平台|\bapps?\b",
    r"non-compete|authori[sz]ed to work|eligible to work|at least 18|accommodation|expectations?\b",
    r"range for this role|\bbenefits\b|\blaws?\b|\bpolic(y|ies)\b|\bproducts?\b|\bsystems?\b",
    r"\balgorithms?\b|\bdataset\b|\bcodebase\b|\bsoftware\b",
    r"因为薪资还是|这个研究(?!员|生|助理|岗)|的研究[，,？?]|论文",
    # a research job's title is no research topic ("the research scientist post, what did your last lab pay")
    r"\bresearch\b(?! (scientist|assistant|associate|analyst|engineer|fellow|role|post|position|job))",
    r"\bthesis\b|\bbuilding a tool\b|工作许可|work permit|\bplatform\b",
    r"nonprofits?|健康证|院感要求|入职体检是统一|题材|风格吗",
    r"banquet hall|\bpractice\b|执业证",
    r"(work|works|working) (for|at) (this|our) company|(在|于)(我们|本)公司(工作|任职|上班)",
    r"(业务|项目|产品|团队)的?(去年|今年)?的?(收入|营收|营业额)",
    r"未成年人|清真标准|饮食禁忌|计件",
    # what a candidate expects of the job, not a baby
    r"\b(salary|pay|package|offer|title|how much)\b[^,，]{0,30}\bare you expecting\b",
    # the job's own pay: how often it is paid, what this role or level pays (not the candidate's pay)
    r"\b(pays?|paid|payroll)\b.{0,30}\b(weekly|bi-?weekly|monthly|semi-?monthly|every (two )?weeks?)\b",
    r"\bpay (schedule|period|cycle|day)\b|发薪|发工资",
    r"\b(salary|pay|base|compensation|range) (for|of) this (level|role|position|job|band) is\b",
    r"\b(salary|pay) bands? (for|of) (this|the)\b|\bbase (location|office|city)\b",
    # a student's own roles and leadership at school (campus interviews), not a family's politics
    r"学生干部|班干部|学生会",
    # consensus protocols elect leaders, trees have children and siblings, images have a base: data
    # structures and systems, no family or politics (节点 alone is also a milestone in life: 人生节点)
    r"leader ?选举|选主|leader election|子节点|父节点|兄弟节点|叶子?节点|根节点|子树|base image",
    r"(集群|树|链表|图|主|从|raft).{0,6}节点|节点(数|宕机|故障|扩容|选举)",
    r"\b(child|parent|sibling|leaf|root) nodes?\b|\bnodes? (in|of) (a|an|the) (b-?)?(tree|dom|graph|cluster)",
    r"\b(a|each|every|the) node (that|which|with|has|have)\b",
    r"\bb-?trees?\b|\bdom\b",
    # a concurrency bug, a test suite's run time, a game's players: engineering talk (ordinary interview
    # talk in corpus/analysis flagged them as origin, health and other_sensitive)
    r"\brace conditions?\b|竞态|\bregression (time|tests?|suite)\b|(只在|在)玩家(那里|那边|手机上)",
    # the candidate's own past work in a sensitive domain ("你做过家族信托的业务吗")
    r"你做过.{0,24}(业务|项目|模型|运营|营销|供应链|系统|产品)吗|(做|负责)过.{0,12}(项目|业务)",
    r"have you (built|worked on|designed|run|led|done).{0,40}(project|product|campaign|platform|model)",
)
# Words at least one of which any protected question uses; the head judges only sentences that have one,
# so a short generic question ("你有没有带过新人？") is never flagged for sounding personal. Each word is
# narrowed where an interview uses it for work (用户, 上家, 性能, 信息, 教育, 判断, race condition, back end).
TOPICAL = _re(
    # family, marriage, children
    r"婚|恋|你对象|对象是|有对象|找对象|老公|老婆|爱人|另一半|两口子|口子|配偶|伴侣|感情|单身|丈夫|妻子|太太|媳妇",
    r"男友|女友|情侣|订婚|相亲|彩礼|喜酒|嫁|娶|家里|家人|你家|老家|家庭|成家|家属|家室|家乡|家那|家长|家族|全家",
    r"在家|养家|家境|孩|娃|宝宝|宝妈|小朋友|生育|育儿|养育|怀孕|怀上|胎|孕|哺乳|产假|造人|添个|父|母亲|父母|爸|妈",
    r"兄弟|姐妹|哥哥|姐姐|弟弟|妹妹|独生|照顾|赡养|干部|有钱|富裕|富二代|穷|家庭经济|经济条件|个人问题",
    # age
    r"岁|年纪|年龄|贵庚|多大了|多大年纪|出生|哪年生的|几几年|属什么|属相|生肖|[0-9零五六七八九]+后|退休|生日",
    r"[二三四五]十(岁|了|多岁|出头|几)|大不少|还大|老了|年轻|毕业|哪一届",
    # origin
    r"民族|族的|族吗|国籍|哪国|外国|中国人|外籍|移民|华侨|母语|口音|户口|户籍|籍贯|农村|乡下|山沟|小地方|本地|外地",
    r"哪个省|外省|省份|县城|哪个县|哪里人|哪儿人|地方的人|那边的人|混血|长相|长得|相貌|肤色|新疆|西藏",
    # religion
    r"宗教|信教|信仰|信佛|信不信|信什么|信奉|教会|天主|伊斯兰|基督|穆斯林|佛|上帝|圣诞|礼拜|拜佛|拜神|斋|清真|寺|庙",
    r"弥撒|节日",
    # health
    r"生病|病史|疾病|什么病|病假|大病|病了|身体|残|药|手术|医生|医院|就医|看病|健康|心理|抑郁|焦虑|体检|受伤|伤病",
    r"工伤|伤残|视力|听力|助听|轮椅|腿|眼睛|乙肝|隐疾|过敏|治疗|康复|瘸|聋|哑|盲|精神|癌|住院|开刀|走路",
    r"行动不便|不方便走",
    # sex, orientation
    r"性别|性取向|同性|异性|变性|跨性|男|女|娘|拉拉|直男|弯的|(?<![a-z])gay(?![a-z])",
    # pay
    r"薪|工资|收入|奖金|总包|到手|税前|流水|拿多少|多少钱|挣钱|赚钱",
    # police, politics, credit
    r"警察|派出所|拘留|被抓|抓过|坐牢|牢|监狱|案底|前科|犯罪|犯过事|判刑|被判|服刑|工会|党|征信|网贷|借钱|欠款|欠钱",
    r"投票|政治|游行|维权|上访|破产|血型|身高|体重|仲裁|试管|开多少|薪资包",
    r"安定|二宝|[八九零]几年|三十[一二三四五六七八九]|回族|汉族|姓氏|年终奖|公安|负债|住在一起|同住|一起住|哪里的",
    r"一个人(在|住|生活)|还是一个人|你们家|差不多大|年包|信用卡|欠.{0,4}钱|回家|在谈",
    # English
    r"marri|\bsingle\b(?! (point|source|page|sign|thread|node|file))|spouse|husband|wife|partner|boyfriend",
    r"girlfriend|engaged|maiden|\bmrs\b|seeing anyone|someone special|relationship|fianc|wedding|dating",
    r"romantic|\bkids?\b|child|baby|pregnan|expecting|family|maternity|daycare|\bold\b|\bage\b|born|birth",
    r"retire|young|graduat|twenties|thirties|forties|fifties|stage of life|millennial|boomer|college",
    r"\bover (forty|fifty|sixty)|nationality|citizen|country|heritage|origin|tongue|accent",
    r"\brace\b(?! condition)|ethnic|last name|your name|immigra|skin|church|religio|pray|holiday|ramadan",
    r"sabbath|worship|jewish|muslim|christian|congregation|observant|spiritual|temple|faith|\bhealth\b",
    r"sick|disab|medic|illness|diagnos|adhd|injur|rehab|\bhiv\b|cancer|wheelchair|hearing|blind|deaf|walking",
    r"hospital|surgery|allerg|therap|counsel|mental|psychiatr|limp|depression|anxiety|prescription|\barm\b",
    r"\bleg\b|your back\b|back (pain|injur)|\bgay\b|lesbian|straight|lgbt|queer|\btrans(gender)?\b|\bman\b",
    r"\bmen\b|woman|women|gender|\bsex|parent|\bmom\b|\bdad\b|mother|father|sibling|depends? on you",
    r"dependents|\bhome\b|breadwinner|salary|\bpay\b|\bpaid\b|earn|compensation|bonus|make right now",
    r"arrest|convict|crime|criminal|felony|jail|prison|police|union|credit|vote|politic|protest|activis",
    r"court|sentenced|bankrupt|loan|w-2|paycheck|hukou|rural|province|treatment|blood type|discharge",
    r"military|total comp|making now|sued|ivf|transitioning|other half|living with|surname|paying you",
    r"\bdebts?\b|in debt|health-wise|digital native|life events|grow up|a local\b(?! hire)|tattoo|weigh",
    r"纹身|星座|肝功能|乙肝|两对半|近视|离异|离婚|中性|包(?!体积|大小).{0,4}多少|哪个村|本村|同志|身子骨|受过伤|整过容",
    r"几年次|份工|基数|那个省|生了没|怀上|your sign|hispanic|transitioned|workers'? comp|hourly rate",
    r"oldest|little ones|from around here|where's home|last salary|base at|祖上|华裔|房贷|车贷|个税|拜关公",
    r"信这个|中年|年轻一点|身份证开头|newborn|what kind of name|part of the country|去年的收入",
)


# A trait phrase (THEIR_PEOPLE, JOB_CONTEXT) ends where the question to the candidate starts: at 你 / 您 / 自己 /
# you, a question word or particle, or a conjunction.
_TRAIT_ZH = (
    r"(?:(?!你|您|自己|请问|问一下|问问|所以|那|吗|呢|多大|哪|几|什么|怎么|有没有|是不是|是否|没有|了没"
    r"|有[^，,。？?！!]{0,5}(吗|没))"
    r"[^，,。？?！!；;、])"
)
_TRAIT_EN = (
    r"(?:(?!\b(you|your|so|and|but|how|what|which|where|when|why|do|does|did|is|are|have|has|can|could"
    r"|would|will|any|tell)\b)[^,.?!;:—–-])"
)

# What the employer offers a family (a spouse's visa, a relocation package), clients who are family
# offices or religious charities, payroll software (round 18): like THEIR_PEOPLE, only the matched words
# leave the clause, so a question beside them is still read ("Our relocation package is generous, but are
# you married?").
# round 20: people a service is named by, and the household-service jobs
_SERVED_ZH = (
    r"(男士|女士|男式|女式|男款|女款|孕妇|孕产妇|儿童|老年人?|婴儿|婴幼儿|宝宝|母婴)(短发|长发|发型|理发|剪发|烫发"
    r"|服装|装|用品|鞋|内衣|护肤品?|奶粉|套餐|款|餐)"
)
_CARE_JOB_ZH = r"(月嫂|育儿嫂|保姆|护工|陪护|家政|住家阿姨|阿姨)"
_FAMILY_EN = r"(spouse|partner|family|families|dependents|dependants|children|kids|wife|husband)"
JOB_CONTEXT = _re(
    r"\b(we|we'll|we will|the (company|firm|bank)|our (firm|company|team|hr))\b[^,，]{0,12}\b(sponsor|cover"
    r"|handle|arrange|file|pay for|provide|include|support)s?\b[^,，]{0,50}\b(visas?|relocation|moving)\b"
    r"(?:[^,，]{0,30}\b(for|of)\b[^,，]{0,16}\b" + _FAMILY_EN + r"\b)?",
    r"\brelocation (package|support|allowance|benefits?)\b(?:[^,，]{0,40}\b" + _FAMILY_EN + r"\b)?",
    r"(公司|我们|单位|律所|银行)[^，,。？?]{0,6}(提供|承担|办理|协助|支持|报销)[^，,。？?]{0,16}"
    r"(签证|搬迁|安家|随迁|落户)[^，,。？?]{0,6}",
    r"\bfamily offices?\b|家族办公室",
    # software that produces pay documents is work, not the candidate's pay (a question after it is read)
    r"\b(generat|process|issu|print|produc|automat)\w*\b[^,，]{0,12}"
    r"\b(pay ?stubs?|w-?2s?|payslips?|paychecks?)\b",
    r"\bpayroll (role|system|team|job|module|engineer|position)\b",
    r"(一家|这家|该|某)宗教(慈善|基金会|组织|机构|团体)|\b(a|the|our|one) religious (charity|foundation|nonprofit)",
    # the employer's own trade named by what it serves or sells (round 19): a wedding company's weddings, a
    # halal kitchen's dishes, a temple restoration project are the job; "are you married?" beside them is read
    r"(?<![吃信])(婚礼|婚庆|婚宴|婚纱|喜糖|结婚的|母婴|孕婴|清真|宗教|寺庙|教堂|佛教)的?(公司|店|厂|企业|品牌|策划|现场|司仪"
    r"|主持|旺?季|订单|业务|行业|产品|用品|食品|菜|餐|窗口|柜台|线路|旅游|文化|建筑|修缮|摄影|广告|项目|市场|客户"
    r"|供应链)|(跑|跟拍|策划|布置|承接|主持)过?(婚礼|婚宴)",
    r"\b(wedding|ramadan|halal|kosher|faith-based|religious|christmas|easter|baby|maternity)"
    r" (campaigns?|content|creative|markets?|marketing|products?|brands?|catering|kitchens?|bakery|venues?"
    r"|stores?|shops?|clients?|organi[sz]ations?|cakes?|shoots?|season|business|industry)\b",
    # the pay a candidate wants, a referral bonus, a dormitory split by sex: the job's terms (round 19)
    # (not the pay the candidate had: "What was your base in NYC and are you looking for more?")
    r"(?<!\byour )\b(rate|salary|pay|range|number|base|comp\w*)\b"
    r"(?:(?!\b(and|was|were|did|made|paid|earned|last|previous|current)\b)[^,.?]){0,20}"
    r"\b(are you|you're) (looking for"
    r"|targeting|hoping for|aiming for|asking for)\b",
    r"\bwhat (salary |pay |range |number )?are you (targeting|aiming for)\b",
    r"推荐奖金?|内推奖金?|\breferral bonus(es)?\b|男女分(楼|开|住|宿舍|区)",
    # code and things, not pay or people: a recursion's base case, a base class, the old version (the
    # lexicon's "base" and "old" let the head judge them); a hospital or school the team works with is a
    # partner
    r"\bbase (case|class|model|image|layer|url|path|line)s?\b",
    r"\b(the|your|our|those|these) old (ones?|versions?|systems?|code|designs?|approach|way|apis?|models?"
    r"|stack|setup)\b",
    r"(跟|和|与|给)(医院|诊所|药店|学校|幼儿园|养老院|教会|寺庙)(那边)?的?(合作|对接|打交道|供货|送货)",
    # an employer saying what it will not ask or what leave the law grants (round 19): no question in itself
    r"(我们)?不(问|会问|看|需要)(你)?(之前|以前|过去|上家|上一份)?的?(工资|薪资|收入|薪水)",
    r"\bno (salary|pay) history (question|questions)\b",
    r"(产假|陪产假|婚假|育儿假|病假|年假)[、和及与产陪婚育儿病年假]*[^，,。？?你您]{0,6}(按|依照|按照)(国家|法律|法定)的?规定"
    r"(执行|享受|发放|给)",
    # an employer saying what its medical check leaves out (a candidate's own result is still asked below)
    r"(?<!从来)(?<!是不是)(?<![你您])(?<!自己)不(查|含|检查|检测|做|包括|包含)乙肝(检测|项目|筛查)?",
    # small talk about the weather back home names no place and asks nothing about it
    r"(老家|家乡)(那边|那儿|那里)(最近|今天|现在|这几天)?的?(天气|下雪|下雨|冷|热|降温|台风)",
    # round 20: a dormitory split by sex, however it is said
    r"(宿舍|住宿|寝室|房间)(是)?(分|按)男女(住|分开)?|(男|女)生住[^，,。？?你您]{0,6}(女|男)生住[^，,。？?你您]{0,4}",
    # a service or product named by the people it serves (a barber's men's cut, a shop's maternity wear):
    # the trade, when a trade verb comes first ("你穿过孕妇装吗" has none and is still read)
    r"(卖|做|剪|理|烫|染|设计|生产|经营|推销|导购|搭配|拍|服务)(过|好|完)?[^，,。？?你您]{0,4}?" + _SERVED_ZH,
    r"\b(sell|sells|selling|cut|cuts|cutting|style|styles|styling|design|designs|make|makes)"
    r"\b[^,.?]{0,12}\b(men's|women's|kids'|children's|maternity|plus-size|senior)"
    r" (cuts?|haircuts?|clothes|clothing|wear|shoes|fashion|line|products?)\b(?! for (you|yourself)\b)",
    # the household-service trade itself (月嫂, 护工, 陪护 are jobs, and caring for patients or a family's
    # meals is the work), asked as experience; a question about the candidate's own family is still read
    r"(做|干|当)过?[^，,。？?你您家]{0,4}?"
    + _CARE_JOB_ZH
    + r"|"
    + _CARE_JOB_ZH
    + r"的?(一单|单子|工作|岗位|服务|经验|证)",
    r"(照顾|护理|陪护|伺候|服务|带)过(?:(?!自己)[^，,。？?你您家]){0,4}?(病人|患者|老人|产妇|宝宝|婴儿|新生儿|卧床|瘫痪|家庭"
    r"|人家|客户)",
    _CARE_JOB_ZH + r"?(要|得|需要)?(照顾|伺候|做|管|负责)(一家[两二三四五六七八九十几]口|全家|一大家子)人?的"
    r"(饭|饮食|起居|三餐|卫生|家务)",
    r"(跟|和|对|给|让|叫|请)" + _CARE_JOB_ZH + r"(说|讲|交代|安排|沟通)",
    # a price for the candidate's own service is an expectation, not past pay ("你之前的报价" is still read)
    r"(?<!之前|以前|上家|原来)(你|您)的?(报价|要价|开价|心理价位)",
    r"\bwhat (do|would|will) you charge\b",
    # the customers a shop sells to, named by who they are ("Have you sold to new parents before?")
    r"\b(sold|sell|selling|market|marketed|marketing|cater|catered|catering) to\b[^,.?]{0,20}"
    r"\b(parents|moms|mothers|dads|fathers|families|seniors|couples|retirees|women|men|kids|children)\b",
)

_CLAUSE_END = re.compile(r"[？?。！!；;]")


# The employer's own people and what they are or say ("信仰伊斯兰教的患者", "我们的客户大多是本地老人", "Many of our
# members are recently divorced", "A customer asks whether the cake is halal"): their traits are not the
# candidate's, so those words are no topic of the question. A trait phrase ends where the question to the
# candidate starts: at 你 / 您 / 自己 / you, a question word or particle, or a conjunction ("…elderly so how old
# are you", "会员多是宝妈请问有孩子了吗").
_PEOPLE_ZH = (
    r"(患者|病人|客户|顾客|客人|会员|学员|用户|游客|住户|租客|来访者|服务对象|案主|居民|求助者|当事人|委托人|粉丝"
    r"|观众|业主|乘客|旅客)"
)
_PEOPLE_EN = (
    r"(patients|clients|customers|guests|members|tenants|residents|families|couples|travell?ers|shoppers"
    r"|users|buyers|visitors|audiences?|callers|newlyweds|seniors|weddings)"
)
_ONE_OF_THEM_EN = r"(customer|patient|client|guest|member|tenant|resident|caller|visitor|parent|user)"
_MANY_ZH = r"(很多|不少|许多|好多|大多|大部分|多数|一些|有些|有的)"
_MANY_EN = (
    r"\b(our|these|those|((many|most|some|all|a lot|lots|plenty|a few|several|half) of (our|the|them|these))"
    r"|a lot of|lots of|plenty of|many|most|several|a few)\b"
)
# What one of them says or asks: quoted words ("客户经常问：你结婚了吗？") are theirs to the end of the
# clause; otherwise what they ask is theirs only when the candidate is not named again in it ("客户问这个
# 蛋糕是不是清真的", "A client asks you to pray with her"; not "One client wants to know whether you're
# married", "A guest wants to know how old you are", where only "One client wants" is theirs)
_SAYS_ZH = (
    _TRAIT_ZH
    + r"{0,4}(问|说|告诉|要求|提出)"
    + r"(?:[：:]\s*[“「『\"]?[^。？?！!；;]{0,30}"
    + r"|[^“「『\"，,。？?！!；;]{0,6}[“「『\"][^”」』\"]{0,30}[”」』\"]"
    + r"|[你您]?(?:(?:(?![你您])[^，,。？?！!；;]){0,30}(?![^，,。？?！!；;]*[你您]))?)"
)
_SAYS_EN = (
    r" (asks|says|tells|wants|insists|mentions|complains)\b(?:,?\s*[\"“]|:)[^.?!;]{0,60}"
    r"|(?: (asks|tells)( you)?| (says|wants|insists|mentions|complains))\b"
    r"(?:(?:(?!\byou(r|rself)?\b)[^.?!;:]){0,60}(?![^.?!;:]*\byou(r|rself)?\b))?"
)
# A household's or an owner's family's trait ends where what they want of the hire starts ("雇主想了解阿姨的
# 年龄", "My mother insists on someone under 40"): that is a question about the candidate, asked for them.
_OF_THEM_ZH = (
    r"(?:(?!要求|招|聘|限|只要|优先|想|了解|知道|在意|介意|希望|问|接受|喜欢|倾向|偏好|最好|必须|看重|不要|不收"
    r"|不考虑)" + _TRAIT_ZH + r")"
)
_HIRE_EN = (
    r"\b(nann(y|ies)|carers?|caregivers?|aides?|maids?|housekeepers?|tutors?|helpers?|workers?|staff"
    r"|employees?|candidates?|applicants?|hires?|someone|somebody)\b"
)
_OF_THEM_EN = (
    r"(?:(?!"
    + _HIRE_EN
    + r"|\b(prefer\w*|want\w*|like[sd]?|looking|insist\w*|require\w*|asks?|asked|know)\b)"
    + _TRAIT_EN
    + r")"
)
# ...and none of it when the clause goes on to the kind of person they would hire ("我们是外地人不要的")
_NO_HIRE_AHEAD_ZH = r"(?![^，,。？?！!；;]*(招|聘|要求|不要|不收|不考虑|只要|优先|最好|介意|接受|喜欢))"
_NO_HIRE_AHEAD_EN = r"(?![^.?!;]*" + _HIRE_EN + r")"
# a household's members may be listed (两位老人、一个小孩); the owner's kin
_HOUSEHOLD_ZH = r"(?:" + _OF_THEM_ZH + r"|、)"
_KIN_ZH = (
    r"(老婆|老公|爱人|媳妇|妻子|丈夫|爸爸|爸|妈妈|妈|父亲|母亲|儿子|女儿|哥哥|哥|姐姐|姐|弟弟|弟|妹妹|妹)"
)
THEIR_PEOPLE = re.compile(
    r"(?:"
    + _MANY_ZH
    + _TRAIT_ZH
    + r"{0,12}?|"
    + _TRAIT_ZH
    + r"{1,12}的)?"
    + _PEOPLE_ZH
    + r"(?:"
    + _SAYS_ZH
    + r"|"
    + _TRAIT_ZH
    + r"{0,4}(是|都是|多是|大多是|以|有|在|会|过|一到|每到|里|中|当中)"
    + _TRAIT_ZH
    + r"{0,14})?"
    + r"|(?<![你您家])(家长|家属)"
    + _SAYS_ZH
    + r"|"
    + _MANY_EN
    + _TRAIT_EN
    + r"{0,30}\b"
    + _PEOPLE_EN
    + r"\b(?: (who|that|are|were|with|during|in|at|on|from|before|around)\b"
    + _TRAIT_EN
    + r"{0,40})?"
    # round 20: the household the job serves (雇主家宝宝对鸡蛋过敏, 这家雇主是美国人) and the owner's own family
    # (我和我老婆一起管, 我爸是老板，我是他儿子); "你上一个雇主" is the candidate's, and stays
    + r"|(?<![你您前上原老的个])(?<!那家)"
    + _NO_HIRE_AHEAD_ZH
    + r"(雇主|东家|主家)(家里面|家里|家)?的?"
    + _HOUSEHOLD_ZH
    + r"{1,16}|(?<![你您])"
    + _NO_HIRE_AHEAD_ZH
    + r"我(和|跟)?我?的?"
    + _KIN_ZH
    + _OF_THEM_ZH
    + r"{0,16}|我是(他|她)的?"
    + _KIN_ZH
    + r"|(?<![你您])"
    + _NO_HIRE_AHEAD_ZH
    + r"(我是)?(老板|老板娘|店主|东家)的?"
    + _KIN_ZH
    + _OF_THEM_ZH
    + r"{0,16}"
    + r"|\b(we're|we are|it's|this is|we're a|we are a)"
    + r" (family|husband-and-wife|mom-and-pop|couple)[ -](run|owned)\b"
    + r"|\bmy (wife|husband|son|daughter|dad|father|mom|mother|brother|sister)\b"
    + r"(?! (prefer|want|insist|require|ask|look|like|need)\w*)"
    + _NO_HIRE_AHEAD_EN
    + _OF_THEM_EN
    + r"{0,40}"
    # ...not the candidate's own ("When you were a cancer patient...", "Being a diabetic patient...")
    + r"|(?<!\bwere )(?<!\bwas )(?<!\bbeing )(?<!\bas )(?<!\bbeen )"
    + _NO_HIRE_AHEAD_EN
    + r"\b(our|the|this|that|one|a|an) ([\w-]+ ){0,2}"
    + r"(client|patient|resident|customer|guest|family|household)\b"
    + r"(?: (you'd|you would|you'll|you will)( be)? [\w-]+ for)? (is|has|have|needs|uses|was|had|includes)\b"
    + _OF_THEM_EN
    + r"{0,40}(?:\band\b"
    + _OF_THEM_EN
    + r"{0,60})?"
    + r"|\b(a|an|one|the) "
    + _ONE_OF_THEM_EN
    + r"(?:"
    + _SAYS_EN
    + r")|"
    # the employer saying what it is or does ("我们是做儿童摄影的", "We make baby clothes", "Our clinic sees a lot
    # of expecting moms"): its trade, up to where the question to the candidate starts
    + _NO_HIRE_AHEAD_ZH
    + r"(我们|咱们|我们这|我们这个|我们这边|本店|本公司)(主要|专门|一直)?(是一家|是做|是|做|给|接)(?!不是)"
    + _OF_THEM_ZH
    + r"{1,16}"
    + r"|\b(we|our (company|firm|store|shop|clinic|practice|agency|bakery|team|hotel|restaurant|center|centre"
    + r"|venue|studio|brand|business))( (mostly|mainly|also|often|really|specifically))?"
    + r" (make|sell|serve|see|sees|run|runs|host|hosts|cater|caters|design|designs|build|builds|work with)\b"
    + _TRAIT_EN
    + r"{0,40}",
    re.IGNORECASE,
)
# ...unless the turn asks whether the candidate shares it ("我们客户很多是穆斯林，你呢？", "Are you?")
_SAME_AS_THEM = re.compile(
    r"你呢|您呢|你也是|您也是|你自己也?是|你也(信|有|属)|are you one|you too|how about you|what about you"
    r"|\b(are|do|have|did|were) you\s*(too|as well|yourself)?\s*[?？]|yourself\s*[?？]",
    re.IGNORECASE,
)


def _open_pairs(text: str) -> list[tuple[str, str]]:
    """Each open clause (see open_clauses) with the clause written right before it, as written."""
    raw = _CLAUSE_END.split(text)
    pairs = [
        (raw[i - 1] if i else "", JOB_CONTEXT.sub(" ", c))
        for i, c in enumerate(raw)
        if c.strip() and not LAWFUL.search(c)
    ]
    if not _SAME_AS_THEM.search(text):
        pairs = [(before, THEIR_PEOPLE.sub(" ", c)) for before, c in pairs]
    return [(before, c) for before, c in pairs if c.strip()]


def open_clauses(text: str) -> list[str]:
    """The clauses of a turn that no job-related context covers: a lawful clause ("The role has a lot of
    customer travel.") excuses itself, never the question in the clause next to it ("Do you have kids?").
    The employer's people described by a trait are left out of what remains (THEIR_PEOPLE)."""
    return [c for _, c in _open_pairs(text)]


def sure_cue(category: str, text: str) -> bool:
    """Whether the category's cue is unmistakable (the head may not veto it): its `sure` pattern in an open
    clause where the cue matched, with its `sure_place` in that clause or the one right before it."""
    record = BY_CATEGORY[category]
    if record.sure is None:
        return False
    place = record.sure_place
    return any(
        record.cue.search(c)
        and record.sure.search(c)
        and (place is None or place.search(c) is not None or place.search(before) is not None)
        for before, c in _open_pairs(text)
    )


def cue_category(text: str, clauses: list[str] | None = None) -> str | None:
    """The first record whose cue matches an open clause (records are ordered most specific first);
    `clauses`: open_clauses(text) when the caller has them already."""
    clauses = open_clauses(text) if clauses is None else clauses
    for record in RECORDS:
        if any(record.cue.search(c) for c in clauses):
            return record.category
    return None


TOPIC_LEXICON = Path(__file__).parent / "data" / "topic_lexicon.json"
# an apostrophe inside a word stays ("don't"), a possessive goes ("hospital's" -> "hospital")
_NOT_A_WORD = re.compile(r"'s\b|[^a-z0-9']+|(?<![a-z0-9])'+|'+(?![a-z0-9])")


def _words(text: str) -> str:
    """Lower-case English words between single spaces, padded: "W-2?" -> " w 2 ", "'current salary'" ->
    " current salary ", "workers' comp" -> " workers comp "."""
    words = _NOT_A_WORD.sub(" ", text.lower().replace("\u2019", "'")).split()  # a curly apostrophe too
    return f" {' '.join(words)} "


@dataclass(frozen=True)
class TopicWords:
    """Each protected topic's words in both languages (data/topic_lexicon.json): the second topic screen
    beside TOPICAL, which grew word by word from past misses. Written apart, from the categories'
    definitions, by someone who saw no labelled question (docs/interviewer.md, round 10). Chinese entries
    match as substrings, English ones as whole words or phrases. Plain `in` tests: a 2,000-way regex
    with word boundaries costs about 2 ms a sentence."""

    zh: tuple[str, ...]
    en_words: frozenset[str]
    en_phrases: tuple[str, ...]  # padded like _words(), so they match whole words only

    def search(self, text: str) -> bool:
        if any(w in text for w in self.zh):
            return True
        words = _words(text)
        return not self.en_words.isdisjoint(words.split()) or any(p in words for p in self.en_phrases)


@functools.cache
def topic_words() -> TopicWords | None:
    """The shipped vocabulary; None (TOPICAL alone, said once) when its file is missing or damaged."""
    try:
        data = json.loads(TOPIC_LEXICON.read_text(encoding="utf-8"))
        zh = {w.strip() for t in data.values() for w in t["zh"] if w.strip()}
        en = {_words(w) for t in data.values() for w in t["en"]} - {_words("")}  # one made of punctuation
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        logging.getLogger(__name__).warning(
            "question flags screen topics by the built-in words only: %s unreadable (%s); reinstall "
            "interview-bot",
            TOPIC_LEXICON.name,
            type(exc).__name__,
        )
        return None
    single = frozenset(w.strip() for w in en if w.count(" ") == 2)
    return TopicWords(tuple(sorted(zh)), single, tuple(sorted(w for w in en if w.count(" ") > 2)))


def on_topic(clauses: list[str]) -> bool:
    """Whether an open clause touches a protected topic at all (what the learned head may judge)."""
    words = topic_words()
    return any(TOPICAL.search(c) or (words is not None and words.search(c)) for c in clauses)


def citation(category: str, jurisdictions: Jurisdictions, lang: str) -> str | None:
    """The rules the category falls under in these jurisdictions; None when none applies."""
    rules = BY_CATEGORY[category].rules
    cites = [getattr(rules[j], "zh" if lang == "zh" else "en") for j in jurisdictions if j in rules]
    return ("；" if lang == "zh" else "; ").join(cites) if cites else None


def reason(category: str, rule: str, lang: str) -> str:
    topic = BY_CATEGORY[category].topic
    if lang == "zh":
        return f"面试中询问{topic[0]}可能构成就业歧视，依据：{rule}。"
    return f"Asking about {topic[1]} in an interview can be evidence of discrimination under {rule}."


def alternative(category: str, lang: str) -> str:
    return BY_CATEGORY[category].alternative[0 if lang == "zh" else 1]
