"""Interviewer metrics (issue 26) on scripted interviews whose answers were worked out by hand."""

from __future__ import annotations

import pytest

from bot.analysis.interviewer import interviewer_report, is_leading, is_open, is_question
from bot.analysis.results import CANDIDATE, INTERVIEWER, Utterance

I, C = INTERVIEWER, CANDIDATE  # noqa: E741 (the script reads like a transcript)

# (speaker, start, end, text)
SCRIPT = [
    (I, 2.0, 6.0, "Tell me about your last project."),
    (C, 6.5, 30.5, "I built the billing service for our marketplace and ran it for two years."),
    (I, 30.0, 34.0, "Why did you pick Kafka?"),  # starts 0.5 s before the candidate stops: a cut-in
    (C, 34.5, 50.5, "We needed replay after outages, so a log was the natural fit."),
    (I, 51.0, 55.0, "You must have tested it, right?"),
    (C, 55.5, 57.5, "Yes, we tested it."),
    (I, 58.0, 61.0, "Are you married?"),
    (C, 61.5, 63.5, "I'd rather not say."),
    (I, 64.0, 70.0, "Okay. Let me describe the team. We have six engineers."),
    (I, 70.0, 76.0, "Do you have any questions for us?"),
    (C, 76.5, 80.0, "What is the on-call like?"),
]


def utterances(script=SCRIPT) -> list[Utterance]:
    return [Utterance(start=s, end=e, speaker=who, text=text) for who, s, e, text in script]


def report(script=SCRIPT, *, timed: bool = True, jurisdictions=("cn", "us")):
    return interviewer_report(
        utterances(script), "en", timed=timed, jurisdictions=jurisdictions, flag_model=lambda: None
    )


def test_metrics_of_a_scripted_interview_match_the_hand_computed_answers():
    r = report()
    # interviewer 4+4+4+3+6+6 = 27 s, candidate 24+16+2+2+3.5 = 47.5 s
    assert r.talk_share == pytest.approx(27 / 74.5, abs=1e-3)
    assert r.longest_monologue_s == 12.0  # 64.0 -> 76.0, two utterances in a row
    assert (r.questions, r.open_questions, r.leading_questions) == (5, 2, 1)
    assert r.interruptions == 1
    assert r.first_question_s == 2.0
    assert r.speech_rate == pytest.approx(37 / 27 * 60, abs=0.1)  # 6+5+6+3+10+7 = 37 words in 27 s
    # last third: 54.0 -> 80.0; candidate 2+2+3.5 = 7.5 s, interviewer 1+3+6+6 = 16 s
    assert r.candidate_share_last_third == pytest.approx(7.5 / 23.5, abs=1e-3)


def test_a_protected_question_is_flagged_with_its_time_rule_and_a_lawful_alternative():
    flags = report().flags
    assert [(f.category, f.quote, f.start) for f in flags] == [("marital_status", "Are you married?", 58.0)]
    assert "EEOC" in flags[0].rule and "art. 43" in flags[0].rule
    assert flags[0].rule in flags[0].reason and flags[0].alternative
    us_only = report(jurisdictions=("us",)).flags[0]
    assert us_only.rule == "EEOC: pre-employment inquiries (marital status, Title VII)"


def test_without_real_times_every_time_figure_is_none_but_questions_are_counted():
    r = report(timed=False)
    assert (r.talk_share, r.longest_monologue_s, r.interruptions, r.first_question_s) == (None,) * 4
    assert (r.speech_rate, r.candidate_share_last_third) == (None, None)
    assert r.questions == 5 and r.flags[0].start is None


def test_without_both_roles_the_time_figures_are_none():
    only_interviewer = [(I, 0.0, 3.0, "Tell me about yourself."), (I, 3.5, 6.0, "Why this job?")]
    r = report(only_interviewer)
    assert r.talk_share is None and r.candidate_share_last_third is None and r.interruptions is None
    assert r.questions == 2


def test_a_candidate_acknowledgement_does_not_end_an_interviewer_monologue_nor_count_as_a_cut_in():
    script = [
        (I, 0.0, 10.0, "我先介绍一下我们团队的情况。"),
        (C, 10.2, 10.6, "嗯。"),
        (I, 10.8, 20.0, "我们主要做支付系统，你能说说你做过的相关项目吗？"),
        (C, 20.5, 40.0, "我之前在一家电商公司负责支付网关。"),
        (I, 30.0, 30.4, "嗯"),  # listening while the candidate speaks
    ]
    r = report(script)
    assert r.longest_monologue_s == 20.0
    assert r.interruptions == 0
    assert r.first_question_s is not None and 10.8 <= r.first_question_s < 20.0


@pytest.mark.parametrize(
    "text, question, open_, leading",
    [
        ("你能说说为什么选择这个方案吗？", True, True, False),
        ("你用过Redis吗？", True, False, False),
        ("这个设计有问题，对吧？", True, False, True),
        ("我们团队有六个人。", False, False, False),
        ("Walk me through the design.", True, True, False),
        ("Don't you think that was risky?", True, False, True),
        ("Did you own the rollout?", True, False, False),
    ],
)
def test_question_kinds(text, question, open_, leading):
    assert is_question(text) is question
    if question:
        assert is_open(text) is open_
        assert is_leading(text) is leading


def test_stereo_sides_overlap_as_recorded_and_word_times_place_the_question():
    from asr_engine import Segment, Transcript, Word
    from bot.analysis import analyze

    words = [Word(20.0, 20.4, "Okay."), Word(21.0, 21.3, "Why"), Word(21.3, 21.5, "that?")]
    segments = [
        Segment(0.0, 4.0, "Tell me about the migration you led.", channel=0),
        Segment(4.5, 30.0, "I led the move of our billing data to Postgres over six months.", channel=1),
        Segment(20.0, 21.5, "Okay. Why that?", words=words, channel=0),  # cuts in on the other side
        Segment(31.0, 40.0, "Because we needed transactions across the ledger tables.", channel=1),
    ]
    t = Transcript(language="en", duration_s=40.0, segments=segments, engine="test", channels=2)
    section = analyze(t).to_dict()["interviewer"]
    assert section["interruptions"] == 1
    assert section["questions"] == 2 and section["first_question_s"] == 0.0
    assert section["talk_share"] == pytest.approx(5.5 / (5.5 + 34.5), abs=1e-3)


def test_a_question_inside_an_utterance_starts_at_its_first_word():
    from bot.analysis.interviewer import interviewer_sentences

    words = [
        {"start": 20.0, "text": "Okay."},
        {"start": 21.0, "text": "Why"},
        {"start": 21.3, "text": "that?"},
    ]
    u = Utterance(start=20.0, end=21.5, speaker=I, text="Okay. Why that?", words=words)
    assert [(a.text, a.start) for a in interviewer_sentences([u], timed=True)] == [
        ("Okay.", 20.0),
        ("Why that?", 21.0),
    ]
    plain = Utterance(start=10.0, end=20.0, speaker=I, text="0123456789")  # no words: interpolated
    assert interviewer_sentences([plain], timed=True)[0].start == 10.0
