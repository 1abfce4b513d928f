"""Every format stays inside its platform's documented limits and escapes whatever the transcript says."""

from __future__ import annotations

import copy
import json
import re

import pytest

from bot.analysis import analyze, transcript_from_text
from bot.render import ReportContext, render, render_stored
from bot.render_slack import SLACK_MAX_BLOCKS, SLACK_MAX_SECTION

NASTY = "<!channel> @channel *粗体* _斜体_ ~删除~ `code` <at id=all></at> [链接](http://evil) <script>alert(1)</script> & <b>"


@pytest.fixture(scope="module")
def analysis():
    text = "\n".join(
        [
            "interviewer: 能讲讲你主导的项目吗？",
            f"candidate: 我主导了订单系统的重构，{NASTY}，接口延迟从800毫秒降到了120毫秒。",
            "candidate: 我们用 Redis 做分布式锁，做了很多性能优化，不过最后项目没上线。",
        ]
    )
    transcript, roles = transcript_from_text(text)
    return analyze(transcript, known_roles=roles)


@pytest.fixture(scope="module")
def long_analysis(analysis):
    """The real analysis blown up far past Slack's limits: 30 long quotes per competency, 200 doubts,
    50 follow-ups (building it by analysing a 400-answer transcript would cost minutes for the same)."""
    data = copy.deepcopy(analysis.to_dict())
    for i, comp in enumerate(data["competencies"].values()):
        comp["score"] = 3.0
        comp["evidence"] = [
            {"start": 60.0 * j, "text": f"第{i}-{j}段证据：" + "细节" * 200, "weight": 1.0} for j in range(30)
        ]
        comp["caveats"] = ["说法笼统，缺少数据" * 20] * 10
    summary = data["summary"]
    summary["strengths"] = [f"亮点 {j}：" + "很长的说明" * 100 for j in range(50)]
    summary["to_verify"] = [f"待验证 {j}：" + "很长的说明" * 100 for j in range(200)]
    data["followups"] = [
        {
            "question": f"追问 {j}：" + "为什么" * 300,
            "reason": "理由" * 50,
            "anchor": {"start": j, "text": "原话"},
        }
        for j in range(50)
    ]
    return data


CTX = ReportContext(title="张伟 · 后端一面 <script>", report_url="https://ib.example/r/x1", audio_url="a.m4a")


def _texts(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("text", "content") and isinstance(v, str):
                yield v
            else:
                yield from _texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _texts(v)


@pytest.mark.parametrize("which", ["analysis", "long_analysis"])
def test_slack_block_kit_limits_and_structure(request, which):
    value = request.getfixturevalue(which)
    data = value if isinstance(value, dict) else value.to_dict()
    payload = json.loads(render_stored(data, "slack", CTX))
    blocks = payload["blocks"]
    assert payload["text"]  # notification fallback
    assert 1 <= len(blocks) <= SLACK_MAX_BLOCKS
    assert len(json.dumps(blocks, ensure_ascii=False)) < 13000
    for b in blocks:
        assert b["type"] in {"header", "section", "divider", "context", "actions"}
        if b["type"] == "section":
            assert b["text"]["type"] == "mrkdwn" and len(b["text"]["text"]) <= SLACK_MAX_SECTION
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and len(b["text"]["text"]) <= 150
        if b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10
    assert blocks[-1]["type"] == "actions"  # the link to the full report survives trimming
    assert blocks[-1]["elements"][0]["url"] == CTX.report_url


def test_slack_escapes_mentions_and_markup(analysis):
    payload = json.loads(render(analysis, "slack", CTX))
    assert payload["blocks"][0]["text"]["type"] == "plain_text"  # the title is inert there
    text = "\n".join(t for t in _texts({"text": payload["text"], "blocks": payload["blocks"][1:]}))
    assert "<!channel>" not in text and "<script>" not in text
    assert "@channel" not in text  # broken with a zero-width space
    assert "*粗体*" not in text


def test_feishu_card_structure_and_plain_user_text(analysis):
    card = json.loads(render(analysis, "feishu", CTX))
    assert card["config"]["wide_screen_mode"] is True
    assert card["header"]["template"] in ("green", "orange", "red")
    assert card["header"]["title"]["tag"] == "plain_text"
    allowed = {"div", "hr", "note", "action"}
    assert {e["tag"] for e in card["elements"]} <= allowed
    # transcript text only ever appears as plain_text, never in lark_md
    lark_md = [
        e["text"]["content"]
        for e in card["elements"]
        if e["tag"] == "div" and e.get("text", {}).get("tag") == "lark_md"
    ]
    assert not any("粗体" in t or "at id" in t for t in lark_md)
    assert card["elements"][-1]["actions"][0]["url"] == CTX.report_url
    assert len(json.dumps(card, ensure_ascii=False)) < 30000  # Feishu's card size limit


def test_markdown_escapes_user_text(analysis):
    md = render(analysis, "md", CTX)
    assert "\\*粗体\\*" in md and "\\<script\\>" in md
    assert md.count("\n## ") >= 4  # summary, competencies, follow-ups, transcript sections


def test_html_page_escapes_and_links_every_timestamp(analysis):
    html = render(analysis, "html", CTX)
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;" in html
    assert re.search(r"&lt;(<strong>)?script(</strong>)?&gt;", html)  # escaped (keywords may be bolded)
    assert "<title>张伟 · 后端一面 &lt;script&gt;</title>" in html
    assert html.count('class="ts"') >= len(analysis.utterances)
    assert '<svg id="radar"' in html and '<audio id="player"' in html
    assert "<strong>Redis</strong>" in html  # keywords bolded


def test_json_is_the_analysis_contract(analysis):
    data = json.loads(render(analysis, "json", CTX))
    assert set(data) >= {
        "language",
        "duration_s",
        "segments",
        "competencies",
        "overall",
        "summary",
        "followups",
        "corrections",
    }
    assert data["overall"]["recommendation"] in ("advance", "hold", "decline")
    for f in data["followups"]:
        assert f["anchor"]["text"] and f["anchor"]["start"] >= 0


def test_english_labels_for_english_interviews():
    transcript, roles = transcript_from_text(
        "interviewer: Tell me about a project.\ncandidate: I led the migration to Kafka and cut latency by 40%."
    )
    md = render(analyze(transcript, known_roles=roles), "md", ReportContext(title="Jane Doe"))
    assert "## Competencies" in md and "## Suggested follow-up questions" in md
