"""Question flags (issue 26): what is flagged, under which rule, and that the interviewer's section never
reaches the hiring thread's report nor the candidate's scores."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from asr_engine import Segment, Transcript
from bot.analysis import analyze, transcript_from_text
from bot.analysis.flag_rules import CATEGORIES, cue_category, sure_cue
from bot.analysis.flags import ARTEFACT, FlagModel, Thresholds, classify, decide, get_flag_model
from bot.analysis.learned.embed import ModelUnavailable
from bot.config import ConfigError, load_settings
from bot.formats import ReportContext
from bot.jurisdictions import parse_jurisdictions
from bot.render import render


@pytest.fixture(scope="module")
def model() -> FlagModel:
    m = get_flag_model()
    assert m is not None, "the shipped question-flag artefact must load"
    return m


@pytest.mark.parametrize(
    "text, category",
    [
        ("你有没有竞业限制协议？", None),
        ("This job means lifting 20 kg boxes; can you do that?", None),
        ("你的期望薪资是多少？", None),
        ("Are you legally authorized to work in the United States?", None),
        ("你结婚了吗？", "marital_status"),
        ("你打算什么时候要宝宝？", "pregnancy_children"),
        ("家里人支持你出差吗？", "marital_status"),
        ("Do you have anyone at home who depends on you?", "family_background"),
        ("你是农村户口还是城镇户口？", "regional_origin"),
        ("How old are you?", "age"),
        # 节点 is also a milestone in life: a technical word must not excuse these (found by review)
        ("你打算在哪个时间节点要孩子？", "pregnancy_children"),
        ("结婚生子这个人生节点你怎么规划？", "marital_status"),
        ("Do you have kids or is it just you running the node cluster?", "pregnancy_children"),
    ],
)
def test_lawful_questions_pass_and_protected_ones_are_named(model, text, category):
    assert classify([text], model) == [category]


# A lawful context in one clause never excuses the question in the next (found by review).
EXCUSED_BY_CONTEXT = [
    "按规定我们要问一下，你结婚了吗？",
    "上岗前问一下，你有怀孕的打算吗？",
    "你做过电商项目吗？结婚了没有？",
    "你是哪里人？我们客户都是本地的。",
    "Do you have kids? The role has a lot of customer travel.",
    "Are you married? Asking because of the platform team's hours.",
    "After the offer, are you planning to get pregnant?",
    "Are you religious? We have a lot of customers in the Middle East.",
]
# Ordinary interview questions that share a word with a cue (found by review).
ORDINARY = [
    "你觉得这段代码有啥毛病？",
    "上一个同事入职一个月就走了，你不会也这样吧？",
    "What big life events in the industry shaped your view of AI?",
    "有人说微服务一定比单体好，你信这个吗？",
    "你负责的业务去年的收入大概多少？",
    "你之前优化过的包体积是多少？",
    "你觉得目前拿多少offer比较合适？",
    "What are you making progress on right now?",
    "讲讲房贷风控模型的设计思路。",
    "等额本息每个月要还多少怎么算？",
    "你处理过劳动仲裁案件吗？",
    "The project had a lot of debt; how did you handle it?",
    "What's your sign-up flow conversion?",
    "How much do you weigh the trade-offs between speed and quality?",
    "你们团队现在快30了吧？",
    "团队规模是二十还是三十人？",
    "Are you a local hire, or would you need relocation?",
    "Most of our traffic comes from the south, how would you place the CDN?",
    "Does anyone in your family work for this company?",
    "你更认同是哪个方案？",
    "你讲一下 Raft 的 leader 选举吧。",
    "How does leader election work in your cluster?",
    "Is your backend written in Java or Go?",
    "What's the current base image for your Docker builds?",
    "How many children can a node have in a B-tree?",
    "How do you find the siblings of a node in the DOM?",
    "When you delete a node that has any children, what do you do?",
    "集群里一个节点宕机了，你怎么处理？",
    "你当过什么学生干部吗？",
    "你说那个 bug 的 root cause 是 race condition？",
    "What happened to your regression time?",
    "有没有遇到过只在玩家那里出现、你们复现不了的 bug",
]


# Small talk that sounds personal and is lawful, and an ordinary question with no topic word that round 8's
# candidate (the head judging such sentences: docs/interviewer.md) flagged as other_sensitive.
SMALL_TALK = [
    "有被打穿过吗？",
    "What does good cultural fit look like to you?",
    "你的名字很特别，怎么念？",
    "周末一般喜欢干什么？",
    "你平时通勤要多久？",
    "What's the last book you really enjoyed?",
    "午饭想吃食堂还是出去吃？",
    "How was the drive in this morning?",
    "你之前在团队里一般几点下班？",
]


@pytest.mark.parametrize("text", SMALL_TALK)
def test_personal_sounding_small_talk_is_not_flagged(model, text):
    assert classify([text], model) == [None]


# Protected questions whose only topic words are in the vocabulary written apart (round 10).
BY_VOCABULARY = [
    ("Do you believe in God? The chairman likes people with the same values.", "religion"),
    ("How tall are you? Our flight attendants look better above 165.", "other_sensitive"),
]


@pytest.mark.parametrize("text, category", BY_VOCABULARY)
def test_a_question_with_a_topic_word_from_the_vocabulary_reaches_the_head(model, text, category):
    assert classify([text], model) == [category]


def test_without_the_vocabulary_file_the_built_in_topic_words_still_screen(tmp_path, monkeypatch, caplog):
    from bot.analysis import flag_rules

    monkeypatch.setattr(flag_rules, "TOPIC_LEXICON", tmp_path / "topic_lexicon.json")
    flag_rules.topic_words.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            assert flag_rules.topic_words() is None
            assert flag_rules.on_topic(["你结婚了吗"]) and not flag_rules.on_topic(["Do you believe in God?"])
        [line] = [r.getMessage() for r in caplog.records if "topic_lexicon.json" in r.getMessage()]
        assert "reinstall" in line and "\n" not in line
    finally:
        flag_rules.topic_words.cache_clear()


@pytest.mark.parametrize("text", EXCUSED_BY_CONTEXT)
def test_a_lawful_clause_does_not_excuse_the_question_beside_it(model, text):
    assert classify([text], model) != [None]


# The employer's own people described by a trait (round 14): the trait is theirs, not the candidate's.
THEIR_TRAIT = [
    "Most of our weddings are in June. Can you work Saturdays then?",
    "Many of our gym members are recently divorced. How would you run a class for people starting over?",
    "我们的会员很多是刚离婚的女性，你会怎么设计第一次课？",
    "你会怎么跟一位信仰佛教、只吃素的住户沟通菜单？",
    "Most of our callers are elderly and hard of hearing. How do you keep a call clear?",
    "我们的客户大多是穆斯林，你会怎么安排午餐会的菜单？",
    "A customer asks whether the cake is halal. What do you say?",
    "A client asks you to pray with her before the hearing. How do you respond?",
    "我们的服务对象都是抑郁症患者，你自己觉得随访该怎么安排？",
    # "a lot of / many … customers" is a trait phrase too (heldout15: R14b flagged the Ramadan question)
    "We have a lot of Muslim customers during Ramadan who shop late. Can you work the late shift that month?",
    "We get lots of elderly patients in winter. Can you cover Saturday clinics?",
    "Many Jewish customers who keep kosher order from us before Passover. Can you work the week before?",
    "我们店很多信伊斯兰教的客户在斋月里晚上才来，你能上晚班吗？",
    "我们有不少回族顾客过斋月，夜班你能上吗？",
]
# ...while a question about the candidate beside them, or asking whether they share it, is still asked.
ASKED_BESIDE_THEIR_PEOPLE = [
    ("Some of our patients find Southern accents hard to follow. Are you from the South?", "regional_origin"),
    ("As a male nurse, would you feel awkward with our female patients?", "sexual_orientation_gender"),
    ("我们的用户多是年轻人，你这个岁数跟得上吗？", "age"),
    ("Most of our patients are elderly, how old are you?", "age"),
    ("我们的客户大多是穆斯林，你也是吗？", "religion"),
    ("Most of our members are gay. Are you?", "sexual_orientation_gender"),
    # run-on speech with no comma: the trait ends where the question starts (found by review)
    ("Most of our members are elderly so how old are you", "age"),
    ("Our clients are devout Catholics so what church do you attend", "religion"),
    ("会员多是宝妈请问有孩子了吗", "pregnancy_children"),
    ("我们的客户大多是宝妈有孩子了吗", "pregnancy_children"),
    ("住户都是本地人请问是哪里人", "regional_origin"),
    ("顾客大多是年轻女孩子那结婚了没有", "marital_status"),
    ("客户大多是年轻人所以问一下多大了", "age"),
    # the wider trait phrases still end where the question to the candidate starts
    ("We have a lot of Muslim customers during Ramadan. Are you Muslim yourself?", "religion"),
    ("Many of our patients are elderly, so how old are you", "age"),
    ("我们有很多穆斯林客户，你信什么教？", "religion"),
    ("不少年轻顾客，你这个岁数跟得上吗？", "age"),
]


@pytest.mark.parametrize("text", THEIR_TRAIT)
def test_a_trait_of_the_employers_customers_is_not_the_candidates(model, text):
    assert classify([text], model) == [None]


@pytest.mark.parametrize("text, category", ASKED_BESIDE_THEIR_PEOPLE)
def test_a_question_about_the_candidate_beside_their_customers_is_flagged(model, text, category):
    assert classify([text], model) == [category]


# Plain protected questions a cue names (heldout15's misses, and their siblings, round 16)...
PLAIN_CUES = [
    ("Planning on starting a family soon?", "pregnancy_children"),
    ("Do you plan to have kids in the next few years?", "pregnancy_children"),
    ("Any history of back problems?", "health_disability"),
    ("Have you had any knee injuries?", "health_disability"),
    ("Do you have heart problems?", "health_disability"),
    ("籍贯填一下。", "regional_origin"),
    ("表上的籍贯写一下。", "regional_origin"),
    ("你们那个教过什么节？", "religion"),
    ("What holidays does your religion observe?", "religion"),
    ("打算什么时候生？生了还回来干吗？", "pregnancy_children"),
    ("你打算要孩子吗？", "pregnancy_children"),
    ("For the Philadelphia role, what was your current salary?", "salary_history"),
    ("This job is in Newark. What's your current salary?", "salary_history"),
    ("Our Washington State warehouse needs your previous hourly rate.", "salary_history"),
    ("你应聘的是我们纽约布鲁克林仓库，之前那份工作一小时挣多少？", "salary_history"),
    ("The role is based in Atlanta; what did your last employer pay you?", "salary_history"),
]
# ...and the lawful siblings that share their words.
PLAIN_LAWFUL = [
    "What holidays can you work?",
    "We're closed on most public holidays; which holidays can you work?",
    "What are your salary expectations for the Philadelphia role?",
    "The range for this Brooklyn role is $20-24 an hour; does that work for you?",
    "这个纽约岗位的年收入范围是15到18万美元，你能接受吗？",
    "Under California law we can't ask about your current salary; what are you hoping for?",
    "Which base image does the Seattle team use?",
    "Can you roll back issues in production quickly?",
    "这个产品什么时候生效？",
    "这批货什么时候生产？",
    # the job's own pay in a ban place (round 12's reviewer; the refitted head flagged the first two)
    "How will the company pay you for the Denver role, biweekly or monthly?",
    "Our New York office pays weekly; what is your current notice period?",
    "In our Seattle office, current base salary for this level is 180k; is that OK?",
]


# Round 17's cold review: what one of the employer's people asks is theirs only until the candidate is
# named again; a salary cue is sure only for a past-pay question with a ban place in its clause or the one
# before; a pregnancy cue is sure only in the clause where it matched.
REVIEW_17_FLAGGED = [
    ("One client wants to know whether you're married.", "marital_status"),
    ("The client wants to know if you have kids.", "pregnancy_children"),
    ("A guest wants to know how old you are.", "age"),
    ("客户想知道你结婚了没有", "marital_status"),
    ("有位客户说你看起来很年轻，你今年多大了？", "age"),
    ("这个岗位在西雅图，你现在的工资是多少？", "salary_history"),
    ("Are you planning to have children soon?", "pregnancy_children"),
]
REVIEW_17_LAWFUL = [
    "A customer asks whether the cake is halal",
    'A customer says: "Are you married?" How do you answer?',
    "客户问这个蛋糕是不是清真的，你怎么回答？",
    "顾客问这道菜是不是清真的，你怎么介绍？",
    "客户经常问：你结婚了吗？你会怎么回应？",
    "What did you learn at your previous company in Boston?",
    "What did you learn at your last job in Seattle?",
    "What did you earn your certification in? The job is in Chicago.",
    "What is your current base location, Seattle or Boston?",
    "Our New York office runs the payroll system; have you used ADP?",
    "What's the current salary band for this level in Boston?",
    "这个岗位在西雅图，我们现在的薪资带宽是多少你了解吗？",
    "Do you plan to have the release out before Q3? We offer childcare on site.",
    "我们打算什么时候上线？公司有母婴室。",
]


@pytest.mark.parametrize("text, category", REVIEW_17_FLAGGED)
def test_a_question_to_the_candidate_inside_a_customers_words_is_flagged(model, text, category):
    assert classify([text], model) == [category]


@pytest.mark.parametrize("text", REVIEW_17_LAWFUL)
def test_a_customers_question_and_the_jobs_own_pay_are_not_flagged(model, text):
    assert classify([text], model) == [None]


def test_a_cue_is_sure_only_where_it_matched():
    th = Thresholds(head=0.45, cue_veto=0.2, cue_margin=0.5)
    # a ban place elsewhere in the turn, a lawful salary word or a pregnancy phrase in another clause: the
    # head may veto the cue
    for text, category in [
        ("What is your current salary? We're hiring for Boston.", "salary_history"),
        ("What did you earn your certification in? The job is in Chicago.", "salary_history"),
        (
            "Do you plan to have the migration done before your start date? Our office has childcare.",
            "pregnancy_children",
        ),
    ]:
        assert decide(text, _probs(0.1, **{category: 0.1}), th) is None, text
    # the place in the clause right before a past-pay question still makes it sure
    for text in [
        "The role is based in Atlanta; what did your last employer pay you?",
        "这个岗位在西雅图，你现在的工资是多少？",
    ]:
        assert decide(text, _probs(0.1, salary_history=0.1), th) == "salary_history", text


@pytest.mark.parametrize("text, category", PLAIN_CUES)
def test_plain_protected_questions_are_named(model, text, category):
    assert classify([text], model) == [category]


@pytest.mark.parametrize("text", PLAIN_LAWFUL)
def test_lawful_questions_beside_the_plain_cues_are_not_flagged(model, text):
    assert classify([text], model) == [None]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_sharing_a_cue_word_are_not_flagged(model, text):
    assert classify([text], model) == [None]


def test_the_artefact_is_small_and_refused_when_it_does_not_match_its_sha256(tmp_path):
    assert ARTEFACT.stat().st_size < 1_000_000
    FlagModel.load()  # the shipped file matches the recorded sha256
    bad = tmp_path / "flags_model.npz"
    shutil.copy(ARTEFACT, bad)
    with bad.open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelUnavailable, match="sha256"):
        FlagModel.load(bad)


def test_without_the_artefact_the_exact_cues_still_flag(tmp_path):
    with pytest.raises(ModelUnavailable, match="missing"):
        FlagModel.load(tmp_path / "flags_model.npz")
    assert classify(["你结婚了吗？", "你有没有竞业限制协议？"], None) == ["marital_status", None]


def test_jurisdictions_setting(tmp_path):
    assert load_settings({}).jurisdictions == ("cn", "us")
    toml = tmp_path / "ib.toml"
    toml.write_text('IB_JURISDICTIONS = ["us"]\n')
    assert load_settings({"IB_CONFIG": str(toml)}).jurisdictions == ("us",)
    assert load_settings({"IB_JURISDICTIONS": " US "}).jurisdictions == ("us",)
    with pytest.raises(ConfigError, match="^IB_JURISDICTIONS: unknown jurisdiction 'eu'"):
        load_settings({"IB_JURISDICTIONS": "cn,eu"})
    assert parse_jurisdictions("") == ("cn", "us")


INTERVIEW = """[00:00.0] interviewer: 你好，请先介绍一下你最近负责的项目吧？
[00:05.0] candidate: 我在上一家公司负责支付网关的重构，把下单接口的延迟从八百毫秒降到了两百毫秒。
[00:20.0] interviewer: 你上一份工作月薪多少？
[00:24.0] candidate: 这个我更想聊一下对这个岗位的期望。
[00:30.0] interviewer: 你结婚了吗？有孩子吗？
[00:34.0] candidate: 这和工作有关系吗？
[00:38.0] interviewer: 好的。你是怎么定位那次线上故障的？
[00:42.0] candidate: 我先看了监控，发现连接池被打满，然后用压测复现，最后把超时时间调小并加了熔断。
"""


def _analysis(jurisdictions):
    transcript, roles = transcript_from_text(INTERVIEW)
    return analyze(transcript, known_roles=roles, jurisdictions=jurisdictions).to_dict()


def test_flags_follow_the_jurisdictions_and_never_touch_the_candidates_scores():
    both, cn, none = _analysis(("cn", "us")), _analysis(("cn",)), _analysis(())
    cats = [f["category"] for f in both["interviewer"]["flags"]]
    assert cats == ["salary_history", "marital_status", "pregnancy_children"]
    first_marital = both["interviewer"]["flags"][1]
    assert first_marital["start"] == 30.0 and "妇女权益保障法 第四十三条" in first_marital["rule"]
    # salary-history bans are US state and city laws: no rule, no flag, under Chinese law alone
    assert [f["category"] for f in cn["interviewer"]["flags"]] == ["marital_status", "pregnancy_children"]
    assert none["interviewer"]["flags"] == []
    strip = lambda a: {k: v for k, v in a.items() if k != "interviewer"}  # noqa: E731
    assert strip(both) == strip(cn) == strip(none)


def test_the_interviewer_section_is_in_the_json_and_never_on_the_hiring_report():
    transcript, roles = transcript_from_text(INTERVIEW)
    analysis = analyze(transcript, known_roles=roles)
    data = json.loads(render(analysis, "json", ReportContext(title="t")))
    assert data["interviewer"]["questions"] >= 4 and data["interviewer"]["talk_share"] is not None
    private = [f["rule"] for f in data["interviewer"]["flags"]] + [
        f["alternative"] for f in data["interviewer"]["flags"]
    ]
    for fmt in ("md", "html", "slack", "feishu"):
        shown = render(analysis, fmt, ReportContext(title="t", report_url="https://example.test/r"))
        for text in (*private, "妇女权益保障法", "EEOC", "talk_share", "longest_monologue"):
            assert text not in shown, (fmt, text)


def test_a_text_transcript_without_times_gives_no_time_figures():
    transcript, roles = transcript_from_text("interviewer: 你结婚了吗？\ncandidate: 没有。\n")
    section = analyze(transcript, known_roles=roles).to_dict()["interviewer"]
    assert section["talk_share"] is None and section["first_question_s"] is None
    assert section["questions"] == 1 and section["flags"][0]["start"] is None


def test_a_transcript_with_segments_carries_real_times():
    segments = [
        Segment(start=1.0, end=4.0, text="Are you married?"),
        Segment(start=4.5, end=9.0, text="I'd rather talk about the role."),
    ]
    t = Transcript(language="en", duration_s=9.0, segments=segments, engine="test")
    section = analyze(t, known_roles=["interviewer", "candidate"]).to_dict()["interviewer"]
    assert section["first_question_s"] == 1.0 and section["flags"][0]["start"] == 1.0
    assert section["talk_share"] == pytest.approx(3 / 7.5, abs=1e-3)


def _probs(protected: float, **categories: float) -> np.ndarray:
    p = np.zeros(len(CATEGORIES) + 1, dtype=np.float32)
    for name, value in categories.items():
        p[CATEGORIES.index(name)] = value
    p[-1] = protected
    return p


def test_the_head_overrules_a_cue_only_when_sure():
    th = Thresholds(head=0.45, cue_veto=0.2, cue_margin=0.5)
    text = "你结婚了吗？"  # the cue names marital_status
    assert decide(text, _probs(0.9, marital_status=0.8), th) == "marital_status"
    # the head reads the sentence as lawful: the cue's word alone does not flag it
    assert decide(text, _probs(0.1, marital_status=0.1), th) is None
    # a neighbouring category far likelier replaces the cue's; a close one does not
    assert decide(text, _probs(0.9, family_background=0.9, marital_status=0.2), th) == "family_background"
    assert decide(text, _probs(0.9, family_background=0.6, marital_status=0.4), th) == "marital_status"
    # without the head (no artefact) the cue stands; a job-related clause is never flagged
    assert decide(text, None, th) == "marital_status"
    assert decide("你有没有竞业限制协议？", _probs(0.99, marital_status=0.9), th) is None
    # an unmistakable cue (a phrase, or a place whose law bans the question) is not vetoed
    assert decide("打算什么时候生？", _probs(0.1, pregnancy_children=0.1), th) == "pregnancy_children"
    assert decide("In Newark: your current salary?", _probs(0.1, salary_history=0.1), th) == "salary_history"
    assert decide("Your current salary?", _probs(0.1, salary_history=0.1), th) is None


# Round 18: polite and indirect questions (heldout17's misses, written again as siblings in both languages)
# and the category a cue names when two are near (a partner's sex, a partner about to give birth)
ROUND18_FLAGGED = [
    ("Is there someone whose job would make a move to Boston hard for you?", "marital_status"),
    ("Would anyone relocate with you, or is it just you?", "marital_status"),
    ("家里的那位支持您经常出差吗？", "marital_status"),
    ("这个岗位要派驻上海，您太太那边愿意跟着过去吗？", "marital_status"),
    ("Sorry to pry, but are you expecting?", "pregnancy_children"),
    ("Are you expecting a baby this year?", "pregnancy_children"),
    ("您爱人是不是快生了？入职能不能按时？", "pregnancy_children"),
    ("Your wife is due soon, right? Will you need time off?", "pregnancy_children"),
    ("前几个同事一来就休产假，您这边近两年有这个打算吗？", "pregnancy_children"),
    ("团队都很年轻，您的年龄会不会是个问题？", "age"),
    ("At this stage in your life, do you still want to travel every week?", "age"),
    ("您以前被拘留过吗？", "other_sensitive"),
    ("Have you ever been detained by the police?", "other_sensitive"),
    ("您对台湾的政治局势有什么看法？", "other_sensitive"),
    ("这次选举您支持哪一边？", "other_sensitive"),
    ("What are your political views, if you don't mind me asking?", "other_sensitive"),
    ("Are you currently transitioning?", "sexual_orientation_gender"),
    ("Is your spouse male or female? We ask for the insurance forms.", "sexual_orientation_gender"),
    ("您的伴侣是男的还是女的？", "sexual_orientation_gender"),
    ("您家境如何？父母是做什么的？", "family_background"),
    ("Could your family's connections bring in clients?", "family_background"),
    ("你持有哪个国家的护照？", "ethnicity_origin"),
    ("We prefer US citizens for this desk; which passport do you hold?", "ethnicity_origin"),
    ("How would our clients take to someone of your ethnicity?", "ethnicity_origin"),
    ("Did you grow up in the countryside somewhere in Henan?", "regional_origin"),
    ("这个职位在纽约，请提供您之前三个月的工资条。", "salary_history"),
    ("The role is in Boston, so please send your last two pay stubs.", "salary_history"),
    ("For the Chicago role, can you share your W-2 from your previous employer?", "salary_history"),
    ("This is a Denver research associate job; what did your previous lab pay you?", "salary_history"),
]

ROUND18_LAWFUL = [
    "We'll sponsor the visa paperwork for your spouse if you take the Singapore post.",
    "Our relocation package covers moving costs for the whole family.",
    "公司会负责办理家属随迁的签证手续，您这边需要吗？",
    "We advise family offices; how would you handle a dispute between siblings over a trust?",
    "客户是一家宗教慈善基金会，您做过非营利机构的审计吗？",
    "One client is a religious charity; have you audited a nonprofit before?",
    "Are you transitioning from academia to industry?",
    "这个方案您支持哪一方案？",
    "Our New York office issues pay stubs every two weeks.",
    "Is there someone on your current team whose work you admire?",
]


@pytest.mark.parametrize("text, category", ROUND18_FLAGGED)
def test_polite_and_indirect_protected_questions_are_named(model, text, category):
    assert classify([text], model) == [category]


@pytest.mark.parametrize("text", ROUND18_LAWFUL)
def test_a_spouses_visa_a_family_office_and_a_religious_charity_are_not_flagged(model, text):
    assert classify([text], model) == [None]


def test_round_18s_unmistakable_cues_are_never_vetoed():
    th = Thresholds(0.65, 0.2, None)
    for text, category in [
        ("这个岗位在西雅图，需要您提供过去一年的工资单。", "salary_history"),
        ("您有没有被行政拘留过？", "other_sensitive"),
        ("Are you transitioning?", "sexual_orientation_gender"),
        ("你拿的是哪国的护照？", "ethnicity_origin"),
        ("At this stage of life, can you keep up?", "age"),
        ("Forgive me, but are you expecting?", "pregnancy_children"),
    ]:
        assert decide(text, _probs(0.05), th) == category, text


# Review of round 18: an employer's offer to a family or a client's kind excuses only its own words, never
# the question beside it in the same clause
REVIEW18_BESIDE_A_JOB_CONTEXT = [
    ("Our relocation package is generous, but are you married?", "marital_status"),
    ("We'll sponsor the visa for your spouse, so are you married or single?", "marital_status"),
    ("We'll cover relocation for the whole family, how many kids do you have?", "pregnancy_children"),
    ("We advise family offices, so do you have kids yourself?", "pregnancy_children"),
    ("One client is a religious charity, so what religion are you?", "religion"),
    ("Relocation support is included, are you pregnant?", "pregnancy_children"),
    ("公司提供安家费和落户，您有孩子吗", "pregnancy_children"),
    ("客户是一家宗教慈善基金会，您信什么教", "religion"),
    ("我们服务家族办公室，你父母是做什么的", "family_background"),
]


@pytest.mark.parametrize("text, category", REVIEW18_BESIDE_A_JOB_CONTEXT)
def test_a_question_beside_a_relocation_offer_or_a_clients_kind_is_flagged(model, text, category):
    assert classify([text], model) == [category]


# "are you expecting" is a pregnancy only alone or after a comma or conjunction, never what a candidate
# expects of the job
REVIEW18_EXPECTING_LAWFUL = [
    "What salary are you expecting?",
    "How much are you expecting?",
    "What kind of package are you expecting?",
    "What are you expecting?",
    "Which start date are you expecting?",
    "Honestly, what title are you expecting?",
    "Are you expecting a counter-offer?",
]


@pytest.mark.parametrize("text", REVIEW18_EXPECTING_LAWFUL)
def test_what_a_candidate_is_expecting_of_the_job_is_not_a_pregnancy(model, text):
    assert classify([text], model) == [None]


def test_are_you_expecting_after_an_apology_stays_unmistakable():
    th = Thresholds(0.65, 0.2, None)
    for text in ["Sorry to pry, but are you expecting?", "Forgive me, but are you expecting?"]:
        assert decide(text, _probs(0.05), th) == "pregnancy_children", text


# Round 18's unmistakable cues on work talk: a team's migration, a partner company's deadline, a
# background in a field, a design debate, a political-text classifier, a credit-scoring or age model,
# colleagues' leave to plan around
REVIEW18_WORK_TALK = [
    "Our partner is expecting the integration by March; can you ship it?",
    "Our partner's due date for the API is next week, how would you prioritise?",
    "The client's partner is due to sign off on Friday; how would you prepare?",
    "Is your partner due diligence process something you've run before?",
    "Are you transitioning your team to Kubernetes this quarter?",
    "Are you transitioning back to full-time work after the contract?",
    "Someone of your background in finance would fit our fintech team well; why did you apply?",
    "How would someone of your background in data science approach this?",
    "两个同事在技术方案上争执，你支持哪一边？",
    "这次架构选型的争论里您支持哪一派？",
    "我们做政治观点检测模型，你怎么处理标注偏差？",
    "这个岗位做政治倾向分析的舆情工具，你做过类似的文本分类吗？",
    "这是政治学研究员岗位，您怎么测量选民的政治立场？",
    "你的征信模型用了哪些特征？",
    "您的征信评分卡是怎么做的？",
    "客户欠信用卡的催收你做过吗？",
    "你处理过被行政拘留人员家属的咨询吗？",
    "您的年龄估计模型在哪个数据集上评测的？",
    "您的年龄识别模块准确率多少？",
    "团队里有两位同事要休产假，您这边怎么计划人员安排？",
    "同事请产假期间，您这边打算怎么分配她的工作？",
]


@pytest.mark.parametrize("text", REVIEW18_WORK_TALK)
def test_work_talk_sharing_round_18s_sure_cues_is_not_flagged(model, text):
    assert classify([text], model) == [None]


@pytest.mark.parametrize("text", REVIEW18_WORK_TALK)
def test_work_talk_is_never_an_unmistakable_cue(text):
    category = cue_category(text)
    assert category is None or not sure_cue(category, text)


# Pay documents are the candidate's pay only when asked for; a payroll module, a recursion's base case and
# a detained shipment are work; a passport to book visas is not an unmistakable origin question
REVIEW18_PAY_PAPERS_AND_WORK = [
    "In New York: your last project generated pay stubs; how did you test it?",
    "For the Seattle payroll role, how did your previous team generate W-2s at year end?",
    "这个岗位在纽约，你之前负责的工资单模块怎么测试的？",
    "你之前做过银行流水对账吗？",
    "What was your base case in the recursion?",
    "Have any of your shipments been detained at customs?",
]


@pytest.mark.parametrize("text", REVIEW18_PAY_PAPERS_AND_WORK)
def test_payroll_work_a_base_case_and_a_detained_shipment_are_not_flagged(model, text):
    assert classify([text], model) == [None]


def test_a_passport_for_booking_visas_is_not_an_unmistakable_cue():
    text = "Which passport will you travel on, so our travel team can book the visas?"
    assert cue_category(text) == "ethnicity_origin"
    assert not sure_cue("ethnicity_origin", text)


def test_an_unmistakable_cue_keeps_its_category_against_the_margin():
    th = Thresholds(0.65, 0.2, 0.3)
    probs = _probs(0.9, marital_status=0.9, pregnancy_children=0.05)
    assert decide("您爱人什么时候生？", probs, th) == "pregnancy_children"


def test_a_child_due_from_a_partner_is_named_a_pregnancy(model):
    assert classify(["您爱人什么时候生？"], model) == ["pregnancy_children"]


# which side the candidate takes is politics where the question names a stance, not a design debate
@pytest.mark.parametrize(
    "text, category",
    [
        ("关于这些社会议论，您支持哪一派的立场？", "other_sensitive"),
        ("这次大选你支持哪一边？", "other_sensitive"),
        ("Sorry, are you currently expecting?", "pregnancy_children"),
    ],
)
def test_a_political_side_and_a_current_pregnancy_are_named(model, text, category):
    assert classify([text], model) == [category]


# Round 19: the employer's own trade, what its customers' families say, what it will not ask or test, the
# job's terms and small talk about the weather back home are lawful; the same words beside a question to the
# candidate still flag it.
ROUND19_LAWFUL = [
    "我们是一家婚庆公司，周末要跑婚礼现场，你周末能上班吗？",
    "喜糖厂旺季是国庆前后，结婚的订单多，那时候要加班，你行吗？",
    "We do a lot of wedding catering on Saturdays; can you work weekends?",
    "We're pitching a Ramadan campaign for a snack brand. Any experience with faith-based creative?",
    "入职体检是录用后统一安排的，不查乙肝，你了解一下。",
    "你老家那边最近下雪了吗？我看新闻说挺大。",
    "家长有时会问老师“你结婚了吗”，你会怎么得体地回应？",
    "我们客户里外国人不少，你英语日常交流没问题吧？",
    "Our clinic sees a lot of expecting mothers. Have you done prenatal ultrasound before?",
    "We run a support group for single fathers. Have you facilitated groups before?",
    "我们不问你之前的工资，你觉得这个岗位值多少？",
    "No salary history question from me, but what are you targeting?",
    "What hourly rate are you looking for?",
    "单位的产假、陪产假都按国家规定执行，录用后人事会跟你说明。",
    "你认识的人里有会开叉车的吗？介绍过来有推荐奖金。",
    "宿舍是六人间，男女分楼，你需要住宿舍吗？",
    "What was wrong with the old version of the API?",
    "你们跟医院那边合作的时候，遇到过什么问题？",
]
ROUND19_FLAGGED = [
    ("我们是一家婚庆公司，你自己结婚了吗？", "marital_status"),
    ("Our Ramadan campaign starts soon; do you fast during Ramadan?", "religion"),
    ("我们不查乙肝，但你自己有没有乙肝？", "health_disability"),
    ("你老家是哪里的？那边冷吗？", "regional_origin"),
    ("家长有时会问老师这个，你结婚了吗？", "marital_status"),
    ("我们客户里外国人不少，你是外国人吗？", "ethnicity_origin"),
    ("Our clinic sees a lot of expecting mothers. Are you pregnant yourself?", "pregnancy_children"),
    ("我们是做母婴用品的，你自己有孩子吗？", "pregnancy_children"),
    ("No salary history question from me, but what was your last salary in New York?", "salary_history"),
    ("产假按国家规定执行，你近期有生孩子的打算吗？", "pregnancy_children"),
    ("介绍过来有推荐奖金，你结婚了吗？", "marital_status"),
    ("宿舍男女分楼，你是男的还是女的？", "sexual_orientation_gender"),
    ("Forget the old ones for a moment, how old are you?", "age"),
    ("我们跟医院合作，你自己有什么慢性病吗？", "health_disability"),
]


# Round 20: the household a job serves (a client's baby, elderly parents, a family of five), a business run
# by a couple or a family as its owner describes it, a service named by whom it serves, a price for the
# candidate's own service; the same words beside a question about the candidate still flag it.
ROUND20_LAWFUL = [
    "雇主家宝宝对鸡蛋过敏，做饭要特别小心，你能注意到吗？",
    "这家雇主家里有两位老人、一个小孩，阿姨要照顾一家五口的饭，你做得过来吗？",
    "这家雇主是美国人，跟阿姨说英语，你的英语到什么水平？",
    "我们是夫妻店，我和我老婆一起管，有事找我们俩谁都行，这个你介意吗？",
    "我们是家族企业，我爸是老板，我是他儿子，你以后可能两个人都要对接，这样行吗？",
    "你剪头发大概多久能剪好一个男士短发？",
    "我们店里卖孕妇装，顾客都是准妈妈，你跟她们能聊得来吗？",
    "你以前服务过高端家庭吗？",
    "你做过医院陪护吗？照顾过术后病人没有？",
    "月嫂一单二十六天，你的报价大概是多少？",
    "我们店里员工宿舍分男女，男生住楼上女生住楼下，你住宿舍吗？",
    "Our elder-care client is 92 and needs help transferring from bed to wheelchair. "
    "Have you done transfers?",
]
ROUND20_FLAGGED = [
    ("我们是夫妻店，你结婚了吗？", "marital_status"),
    ("我们是家族企业，你家里几口人？", "family_background"),
    ("我爸是老板，你爸妈是做什么的？", "family_background"),
    ("雇主家宝宝对鸡蛋过敏，你自己有什么过敏或者慢性病吗？", "health_disability"),
    ("这家雇主是美国人，你是哪国人？", "ethnicity_origin"),
    ("月嫂一单二十六天，你之前一单拿多少钱？", "salary_history"),
    ("我们店里卖孕妇装，你怀孕了吗？", "pregnancy_children"),
    ("你剪过男士短发吗？你是男的还是女的？", "sexual_orientation_gender"),
    ("Our client is 92 and needs help walking. Do you have any health problems?", "health_disability"),
    ("你做过医院陪护吗？你自己身体有没有什么病？", "health_disability"),
]


# An employer's own trade and terms (round 19) and the people a job serves (round 20): no cue and no flag alone;
# beside a question about the candidate, the question keeps its cue and its flag.
JOB_TALK_LAWFUL = ROUND19_LAWFUL + ROUND20_LAWFUL
JOB_TALK_FLAGGED = ROUND19_FLAGGED + ROUND20_FLAGGED


@pytest.mark.parametrize("text", JOB_TALK_LAWFUL)
def test_an_employers_trade_or_the_people_a_job_serves_fire_no_cue(text):
    assert cue_category(text) is None


@pytest.mark.parametrize("text", JOB_TALK_LAWFUL)
def test_an_employers_trade_or_the_people_a_job_serves_are_not_flagged(model, text):
    assert classify([text], model) == [None]


@pytest.mark.parametrize("text, category", JOB_TALK_FLAGGED)
def test_a_question_beside_an_employers_trade_or_the_people_a_job_serves_keeps_its_cue(text, category):
    assert cue_category(text) == category


@pytest.mark.parametrize("text, category", JOB_TALK_FLAGGED)
def test_a_question_beside_an_employers_trade_or_the_people_a_job_serves_is_flagged(model, text, category):
    assert classify([text], model) == [category]


# Review of rounds 19-20: each question below was flagged before round 19 and lost its flag to a round 19/20
# pattern that took the candidate's own words out of the clause (an employer's trade swallowing a hiring
# requirement, a household or an owner's family "wanting to know" the candidate's age, fitting into maternity
# clothes, one's own baby, a past employer's pay).
REVIEW20_FLAGGED = [
    ("我们是做婚庆的想了解下结婚没", "marital_status"),
    ("我们是只招未婚女性的。", "marital_status"),
    ("我们是招35岁以下的。", "age"),
    ("你平时吃清真菜吗？", "religion"),
    ("你是不是从来不查乙肝？", "health_disability"),
    ("你照顾过自己的宝宝吗？", "pregnancy_children"),
    ("你带过自己的宝宝吗？", "pregnancy_children"),
    ("你在纽约那家雇主开的工资是多少？", "salary_history"),
    ("雇主想了解阿姨的年龄和籍贯。", "regional_origin"),
    ("我爸想了解一下婚姻状况和籍贯。", "marital_status"),
    ("我老婆想知道结婚了没有", "marital_status"),
    ("Do you fit into maternity clothes yet?", "pregnancy_children"),
    ("Does your bump fit maternity wear yet?", "pregnancy_children"),
    ("Have you had to make maternity clothes for yourself?", "pregnancy_children"),
    ("Do you still fit in women's clothing?", "sexual_orientation_gender"),
    ("Our client is 92 and wants to know the caregiver's age.", "age"),
    ("The family you'd be caring for is Catholic and prefers a Catholic caregiver.", "religion"),
    ("My mother insists on someone under 40.", "age"),
    ("Our patient is Muslim and needs a Muslim aide.", "religion"),
    ("What was your base in NYC and are you looking for more?", "salary_history"),
    ("我们是外地人不要的。", "regional_origin"),
    ("雇主家介意阿姨有孩子。", "pregnancy_children"),
    ("雇主家不接受阿姨有小孩。", "pregnancy_children"),
    ("雇主家喜欢四十岁以下的阿姨。", "age"),
    ("我爸比较喜欢本地人。", "regional_origin"),
]
# the same households, owners' families and trades, with nothing asked of the candidate, stay unflagged
REVIEW20_LAWFUL = [
    "我们是做孕妇装的，你卖过孕妇装吗？",
    "雇主家两位老人都八十多了，你能照顾得过来吗？",
    "老板的女儿负责财务，你跟她对接。",
    "Do you style women's haircuts?",
    "Our client is 92 and hard of hearing. Are you patient?",
    "My wife handles the books; you'd report to her.",
]


@pytest.mark.parametrize("text, category", REVIEW20_FLAGGED)
def test_a_question_hidden_in_a_served_household_or_trade_is_flagged(model, text, category):
    assert classify([text], model) == [category]


# an owner's family's wish about the hire's age is flagged (the head names it a family question, not age)
REVIEW20_FLAGGED_ANY = ["My husband likes young nannies."]


@pytest.mark.parametrize("text", REVIEW20_FLAGGED_ANY)
def test_an_owners_family_wish_about_the_hire_is_flagged(model, text):
    assert classify([text], model) != [None]


@pytest.mark.parametrize("text", REVIEW20_LAWFUL)
def test_a_served_household_or_trade_alone_is_still_not_flagged(model, text):
    assert classify([text], model) == [None]
