"""What the analysis promises a hiring team, on text transcripts in Chinese and English."""

from __future__ import annotations

import pytest

from bot.analysis import analyze, transcript_from_text
from bot.analysis.results import COMPETENCIES


def run(text: str, profile=None):
    transcript, roles = transcript_from_text(text)
    return analyze(transcript, profile, known_roles=roles)


def comp(analysis, key):
    return analysis.to_dict()["competencies"][key]


ZH_STRONG = """\
interviewer: 能讲讲你最有挑战的项目吗？
candidate: 我主导了支付系统的重构，把单体服务拆成了微服务，用消息队列做削峰。
candidate: 高峰期每秒能处理两万个请求，接口延迟从800毫秒降到了120毫秒。
interviewer: 幂等性怎么保证？
candidate: 我们通过唯一的请求号做幂等键，写入之前先查一下，重复请求直接返回上次的结果。
interviewer: 遇到过线上问题吗？
candidate: 有一次数据库慢查询拖垮了服务，我用火焰图定位到瓶颈，加了联合索引解决了。
interviewer: 怎么和其他团队合作？
candidate: 首先和产品对齐需求，其次跨团队一起评审方案，最后按周同步进度。
"""


def test_strong_answers_are_credited_with_timestamped_evidence():
    # The semantic model credits what the answers show, not every keyword: this transcript earns several
    # competencies (not all eight: nothing in it is about learning).
    a = run(ZH_STRONG)
    d = a.to_dict()
    assert set(d["competencies"]) == set(COMPETENCIES)
    scored = [k for k in COMPETENCIES if d["competencies"][k]["score"] is not None]
    assert len(scored) >= 3 and "learning" not in scored
    for key in scored:
        c = d["competencies"][key]
        assert 0 < c["score"] <= 5
        for ev in c["evidence"]:
            assert ev["start"] >= 0 and ev["text"] and ev["weight"] > 0
    assert d["overall"]["recommendation"] in ("advance", "hold", "decline")
    assert all(s["speaker"] in ("interviewer", "candidate") for s in d["segments"])


def test_no_evidence_is_null_not_zero():
    a = run(
        "interviewer: 你好\ncandidate: 您好，很高兴见到你。\ninterviewer: 谢谢，再见。\ncandidate: 谢谢您，再见。"
    )
    d = a.to_dict()
    assert all(c["score"] is None for c in d["competencies"].values())  # small talk is not evidence
    assert d["overall"]["score"] is None and d["overall"]["recommendation"] == "hold"


LEAD = "interviewer: 你带过团队吗？\ncandidate: 我带了五个人的小组做订单系统重构，负责排期和分工，每周一对一带新人。"


def test_not_shipped_lowers_leadership_with_a_caveat():
    # A bare "我主导了订单系统的重构" is a claim, not evidence; the answer has to show the leading.
    plain = comp(run(LEAD), "leadership")
    qualified = comp(run(LEAD + "但最后项目没上线，被砍掉了。"), "leadership")
    assert qualified["score"] < plain["score"]
    assert any("未上线" in c for c in qualified["caveats"])


def test_qualifier_in_the_next_utterance_still_counts():
    a = comp(run(LEAD + "\ncandidate: 不过最后项目没上线"), "leadership")
    assert any("未上线" in c for c in a["caveats"])


def test_test_environment_result_needs_production_evidence():
    zh = run(
        "interviewer: 优化效果怎么样？\ncandidate: 我给慢查询加了联合索引，接口 P99 从 800 毫秒降到了 120 毫秒，"
        "不过这是在测试环境压出来的。"
    ).to_dict()
    assert any("需要生产环境证据" in c for k in zh["competencies"].values() for c in k["caveats"])
    en = run(
        "interviewer: What did the change give you?\ncandidate: I added a composite index and p99 dropped "
        "from 800 ms to 120 ms, but we only measured it in staging."
    ).to_dict()
    assert "test_env_only" in {q["type"] for q in en["qualifiers"]}


def test_negation_is_not_evidence():
    a = run("interviewer: 你带过团队吗？\ncandidate: 我没有带过团队。")
    lead = comp(a, "leadership")
    assert lead["score"] is None
    assert any("没有相关经历" in c for c in lead["caveats"])
    en = comp(run("candidate: I have never led a team."), "leadership")
    assert en["score"] is None


def test_vague_claims_weigh_less_and_go_to_verify():
    q = "interviewer: 你做过什么性能优化？\ncandidate: "
    vague = run(q + "我们做了很多性能优化，效果挺好的。")
    exact = run(
        q + "慢查询拖垮了订单服务，我用火焰图定位到瓶颈，加了联合索引，P99 延迟从 300 毫秒降到了 80 毫秒。"
    )

    def best(a):
        return max((c["score"] or 0) for c in a.to_dict()["competencies"].values())

    assert best(vague) < best(exact)
    assert any("缺少数据" in line for line in vague.summary["to_verify"])


def test_english_interview_end_to_end():
    text = """\
interviewer: Can you tell me about a system you designed?
candidate: I led the redesign of our checkout service and split it into microservices behind a message queue.
candidate: We cut p99 latency from 900 ms to 150 ms and the error rate by 60%.
interviewer: How did you find the bottleneck?
candidate: I profiled the service with flame graphs and found lock contention in the connection pool, because every request took a global lock.
interviewer: How do you work with other teams?
candidate: I worked with the payments team and aligned with product every week.
"""
    d = run(text).to_dict()
    assert d["language"] == "en"
    # what two blind annotators both required of these answers (the one-line microservices redesign is
    # system design they would allow, not require: docs/analysis-encoder.md)
    for key in ("result_orientation", "problem_solving", "collaboration", "technical_depth"):
        assert d["competencies"][key]["score"] is not None, key
    assert d["summary"]["strengths"]
    assert d["summary"]["recommendation"].split(":")[0] in ("Advance", "Hold", "Decline")


def test_an_english_design_trade_off_is_credited_as_system_design():
    d = run(
        "interviewer: Tell me about a design decision you made.\n"
        "candidate: For the order service we kept writes on a single primary and moved reads to replicas, "
        "accepting a second of staleness on the order history page so checkout stayed consistent.\n"
    ).to_dict()
    assert d["competencies"]["system_design"]["score"] is not None


def test_fillers_are_flagged_and_kept_out_of_evidence():
    a = run(
        "interviewer: 说说你排查过的问题？\ncandidate: 嗯，然后，那个，有一次订单服务超时，我先看监控，"
        "然后抓了线程栈，定位到连接池被慢查询占满了，加了索引就好了。"
    )
    seg = a.to_dict()["segments"][1]
    assert "filler" in seg["flags"]
    quotes = [e["text"] for c in a.to_dict()["competencies"].values() for e in c["evidence"]]
    assert quotes and not any(q.startswith(("嗯", "然后", "那个")) for q in quotes)


def test_thinking_pause_is_reported_and_never_scored():
    quick = "[00:00.0] interviewer: 你主导过什么项目？\n[00:02.0] candidate: 我主导了订单系统的重构，把单体拆成了微服务。"
    slow = "[00:00.0] interviewer: 你主导过什么项目？\n[00:09.0] candidate: 我主导了订单系统的重构，把单体拆成了微服务。"
    a, b = run(quick), run(slow)
    assert "thinking_pause" in b.to_dict()["segments"][1]["flags"]
    assert "thinking_pause" not in a.to_dict()["segments"][1]["flags"]

    def scores(x):
        return {
            k: (c["score"], [e["text"] for e in c["evidence"]])
            for k, c in x.to_dict()["competencies"].items()
        }

    assert scores(a) == scores(b)
    assert a.overall_score == b.overall_score


def test_profile_weights_change_the_overall_not_the_evidence():
    from bot.analysis import load_profile

    text = "candidate: 我主导了团队的招聘和绩效改革，和各部门沟通协调，首先对齐目标，其次按月复盘。"
    hr, backend = run(text, load_profile("hrbp")), run(text, load_profile("backend"))
    assert hr.to_dict()["competencies"] == backend.to_dict()["competencies"]
    assert hr.profile == "hrbp" and backend.profile == "backend_engineer"


@pytest.mark.parametrize("line", ["你好，很高兴认识你", "谢谢您今天的时间", "Thanks for having me today"])
def test_small_talk_is_never_evidence(line):
    d = run(f"candidate: {line}").to_dict()
    assert all(not c["evidence"] for c in d["competencies"].values())


def test_a_metric_the_candidate_moved_is_result_orientation_quoted_from_its_sentence():
    own = run(
        "interviewer: 这个项目结果怎么样？\ncandidate: 我主导了订单系统的重构，接口延迟从 800 毫秒降到了 120 毫秒。"
    )
    result = comp(own, "result_orientation")
    assert result["score"] is not None and "800" in result["evidence"][0]["text"]
    # not when it is a hypothetical, or someone else's outcome told in the third person
    maybe = run("interviewer: 你会怎么优化？\ncandidate: 如果让我做，应该能把延迟从 800 毫秒降到 120 毫秒。")
    theirs = run("interviewer: 结果呢？\ncandidate: 他们那个组后来把延迟从 800 毫秒降到了 120 毫秒。")
    assert comp(maybe, "result_orientation")["score"] is None
    assert comp(theirs, "result_orientation")["score"] is None


OWN = {
    "leadership": "我带了一个五个人的小组，每周跟每个人做一对一，帮新人定成长计划，半年没人离职。",
    "result_orientation": "我主导了接口优化，p99 从 900 毫秒降到了 150 毫秒，成本也降了 30%。",
}


# Each of these is credited by the model's heads alone; the guidelines' rules for hypotheticals and for
# others' work are what keep them out of the report.
@pytest.mark.parametrize(
    "key, answer",
    [
        ("leadership", "如果让我带团队，我会每周和每个人做一对一，帮新人定成长计划。"),
        (
            "leadership",
            "If I were the lead I would hold weekly one-on-ones with each engineer, write a growth plan for "
            "every new hire and run the sprint planning myself.",
        ),
        (
            "leadership",
            "I would set up weekly one-on-ones, pair every new hire with a mentor and own the hiring loop.",
        ),
        ("result_orientation", "后来他们组把接口的 p99 从 900 毫秒降到了 150 毫秒，成本也降了 30%。"),
        (
            "result_orientation",
            "They cut checkout latency from 900 ms to 150 ms and conversion went up 4 percent.",
        ),
    ],
)
def test_what_a_candidate_would_do_or_others_achieved_is_not_their_evidence(key, answer):
    assert comp(run(f"candidate: {OWN[key]}"), key)["score"] is not None  # told as their own: credited
    assert comp(run(f"interviewer: 说说看？\ncandidate: {answer}"), key)["score"] is None


@pytest.mark.parametrize(
    "sentence",
    [
        "主要是我来推动的，上线后 p99 从 900 毫秒降到了 150 毫秒。",
        "I'd say we cut p99 from 900 ms to 150 ms myself.",
    ],
)
def test_phrases_that_only_look_hypothetical_still_credit(sentence):
    assert comp(run(f"candidate: {sentence}"), "result_orientation")["score"] is not None


def test_a_vague_caveat_on_evidence_names_what_the_vague_claim_misses():
    """Evidence that overlaps a vague claim carries that claim's own missing piece: an answer with figures
    (两万个请求, 八百毫秒降到一百二十毫秒) that names a step without its how is asked for the how, never told it
    lacks numbers."""
    from analysis_golden import fixture_inputs

    from bot.analysis.detectors import NUMBER
    from bot.analysis.followups import VAGUE_REASON

    every_note = {note for notes in VAGUE_REASON.values() for note in notes}
    checked = 0
    for name, (transcript, speakers) in fixture_inputs().items():
        d = analyze(transcript, known_roles=speakers).to_dict()
        named = {note for v in d["vague_claims"] for note in VAGUE_REASON[v["missing"]]}
        for comp in d["competencies"].values():
            for ev in comp["evidence"]:
                notes = set(ev["caveats"]) & every_note
                assert notes <= named, (name, ev["text"], notes)
                if NUMBER.search(ev["text"]):
                    assert not notes & set(VAGUE_REASON["number"]), (name, ev["text"])
                checked += len(notes)
    assert checked  # the fixtures do hold evidence told vaguely


def test_a_quote_with_figures_is_never_captioned_as_lacking_numbers():
    """The vague claim is one clause ("效果很好"), the quote the whole sentence: its figures answer "how much",
    while a clause that misses its how still says so; each missing piece is named once."""
    from bot.analysis.followups import VAGUE_REASON, vague_notes
    from bot.analysis.results import VagueClaim

    sentence = "接口延迟从800毫秒降到了120毫秒，效果很好，用了很多优化"
    no_number = VagueClaim(3.0, "效果很好", "number", "q")
    no_how = VagueClaim(4.0, "用了很多优化", "mechanism", "q")
    assert vague_notes(sentence, [no_number], zh=True) == []
    assert vague_notes(sentence, [no_number, no_how, no_how], zh=True) == [VAGUE_REASON["mechanism"][0]]
    assert vague_notes("效果很好", [no_number], zh=False) == [VAGUE_REASON["number"][1]]
