"""Notes by question (`qa` in the analysis JSON, `--format qa`, the report page's tab): each interviewer
question with the candidate's answer condensed to its key sentences, quoted as said and timed, plus the
competencies it evidenced, its caveats and its follow-ups."""

from __future__ import annotations

import json

from conftest import FIXTURES

from asr_engine import Segment, Transcript
from bot.analysis import analyze
from bot.render import ReportContext, render, render_stored


def scripted(name: str):
    script = json.loads((FIXTURES / name).read_text())
    segs = [Segment(start=s["start"], end=s["end"], text=s["text"]) for s in script]
    transcript = Transcript(language="zh", duration_s=segs[-1].end, segments=segs, engine="text")
    return script, analyze(transcript, known_roles=[s["speaker"] for s in script])


def test_every_question_is_noted_with_its_answer_quoted_as_said():
    script, analysis = scripted("interview_zh.script.json")
    qa = analysis.to_dict()["qa"]
    questions = [s for s in script if s["speaker"] == "interviewer" and s["text"].endswith("？")]
    assert [n["question"]["text"] for n in qa] == [script[0]["text"], *(q["text"] for q in questions)]
    said = " ".join(s["text"] for s in script if s["speaker"] == "candidate")
    for note in qa:
        assert note["answer"], note
        for sentence in note["answer"]:
            assert sentence["text"] in said  # extractive: never reworded
            assert note["question"]["start"] < sentence["start"] <= script[-1]["end"]


def test_an_answer_carries_its_competencies_caveats_and_followups():
    _, analysis = scripted("interview_zh.script.json")
    qa = {n["question"]["text"]: n for n in analysis.to_dict()["qa"]}
    project = qa["能讲讲你做过最有挑战的项目吗？"]
    assert "result_orientation" in project["competencies"]
    assert any("两万" in s["text"] for s in project["answer"])
    team = qa["你带过团队吗？"]
    assert any("上线" in c for c in team["caveats"])
    cache = qa["缓存这块你们是怎么做的？"]
    assert cache["competencies"] == [] and any("具体数字" in f for f in cache["followups"])
    for key in analysis.competencies:  # every competency credited appears under some question
        if analysis.competencies[key].score is not None:
            assert any(key in n["competencies"] for n in qa.values())


def test_a_long_answer_is_condensed_to_its_key_sentences():
    from bot.analysis.qa import KEY_SENTENCES, notes_by_question

    filler = "这个项目前后做了挺久的。"
    data = {
        "segments": [
            {"speaker": "interviewer", "start": 0.0, "end": 2.0, "text": "讲讲你的项目？"},
            {
                "speaker": "candidate",
                "start": 3.0,
                "end": 40.0,
                "text": filler * 3 + "我们把接口延迟从八百毫秒降到了一百二十毫秒。" + filler * 3,
            },
        ],
        "competencies": {},
        "qualifiers": [],
        "vague_claims": [],
        "followups": [],
    }
    (note,) = notes_by_question(data)
    assert len(note["answer"]) <= KEY_SENTENCES
    assert any("一百二十毫秒" in s["text"] for s in note["answer"])
    starts = [s["start"] for s in note["answer"]]
    assert starts == sorted(starts) and 3.0 <= starts[0] <= 40.0


def test_qa_format_prints_markdown_and_the_page_has_a_tab():
    _, analysis = scripted("interview_zh_round2.script.json")
    ctx = ReportContext(title="二面", report_url="https://bot.example/r/x/t")
    md = render(analysis, "qa", ctx)
    assert md.startswith("# 二面 · 按问题整理的笔记")
    assert "## 3. [00:20] 当时系统的峰值流量有多大？" in md and "https://bot.example/r/x/t#qa" in md
    page = render(analysis, "html", ctx)
    assert 'href="#qa"' in page and 'id="qa"' in page and "当时系统的峰值流量有多大？" in page


def test_an_analysis_stored_before_notes_existed_still_gets_them():
    _, analysis = scripted("interview_zh.script.json")
    stored = analysis.to_dict()
    del stored["qa"]
    md = render_stored(stored, "qa", ReportContext(title="old"))
    assert "你带过团队吗？" in md and "“我带过一个四个人的小组" in md
