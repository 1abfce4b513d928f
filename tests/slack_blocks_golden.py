"""Slack Block Kit payloads, frozen: what the Slack format posts for the fixture analyses (tests/fixtures
through analyze) under every report context, for digests, panoramas and command replies.

The payloads were first recorded from the Jinja templates (report_templates/slack_*.json.j2) that the Block
Kit builders in bot/render_slack.py replaced; the inputs are recorded beside them, so a later change to the
analysis leaves this comparison alone.

    IB_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_slack_blocks.py   # re-record the payloads on purpose
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis_golden import fixture_inputs

from bot.render import ReportContext

GOLDEN = Path(__file__).resolve().parent / "golden" / "slack_blocks.json"
NASTY = "<!channel> @here *粗体* _斜体_ ~删~ `code` <script>x</script> & <b>"
URL = "https://ib.example/r/abc123def456/1799.sig"
IID = "abc123def456"
# what the Slack report reads of an analysis (the rest is left out of the recorded inputs)
REPORT_KEYS = (
    "language",
    "duration_s",
    "competencies",
    "overall",
    "summary",
    "followups",
    "corrections",
    "notes",
)


def record_inputs(histories: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fixture analyses as analyze() gives them today, plus digests and panoramas as stored."""
    from bot.analysis import analyze

    analyses = {}
    for name, (transcript, roles) in fixture_inputs().items():
        data = analyze(transcript, known_roles=roles).to_dict()
        data = {k: data[k] for k in REPORT_KEYS}
        data["summary"] = {k: v for k, v in data["summary"].items() if k != "items"}
        analyses[name] = data
    return {"analyses": analyses, "histories": histories}


def _long(data: dict[str, Any]) -> dict[str, Any]:
    """An analysis far past Slack's limits: long quotes, many doubts and follow-ups, a long note."""
    data = copy.deepcopy(data)
    for i, comp in enumerate(data["competencies"].values()):
        comp["score"] = 3.0
        comp["evidence"] = [
            {"start": 60.0 * j, "text": f"第{i}-{j}段证据：" + "细节" * 200, "weight": 1.0} for j in range(30)
        ]
        comp["caveats"] = ["说法笼统，缺少数据" * 20] * 10
    data["summary"]["strengths"] = [f"亮点 {j}：" + "很长的说明" * 100 for j in range(50)]
    data["summary"]["to_verify"] = [f"待验证 {j}：" + "很长的说明" * 100 for j in range(200)]
    data["followups"] = [
        {
            "question": f"追问 {j}：" + "为什么" * 300,
            "reason": "理由" * 50,
            "anchor": {"start": j, "text": "原话"},
        }
        for j in range(50)
    ]
    data["notes"] = ["说明" * 2000]
    return data


def _report_cases(analyses: dict[str, Any]) -> dict[str, tuple[str, Any, ReportContext | None]]:
    out: dict[str, tuple[str, Any, ReportContext | None]] = {}
    for name, data in analyses.items():
        scored = [k for k, c in data["competencies"].items() if c["score"] is not None] or ["technical_depth"]
        tally = {scored[0]: {"agree": 2, "too_high": 1, "wrong_evidence": 1}, "learning": {"missed": 1}}
        noted = {
            **data,
            "notes": ["LLM analyst unavailable, local model used", NASTY],
            "corrections": [
                {"original": "瑞迪斯", "corrected": "Redis", "start": 47.98},
                {"original": "<@U1>", "corrected": "*k8s*", "start": 61.0},
            ],
        }
        thread = ReportContext(
            "张伟 · 一面", URL, interview_id=IID, controls=True, tally=tally, ats="greenhouse"
        )
        out[f"{name}/channel"] = ("report", data, ReportContext(title="张伟 · 一面", report_url=URL))
        out[f"{name}/thread"] = ("report", data, thread)
        no_link = ReportContext(title=NASTY, interview_id=IID, controls=True, ats="lever")
        out[f"{name}/no-link"] = ("report", noted, no_link)
        out[f"{name}/bare"] = ("report", data, ReportContext(title="recording.m4a"))
    long = _long(next(iter(analyses.values())))
    out["long/thread"] = (
        "report",
        long,
        ReportContext("长" * 200, URL, interview_id=IID, controls=True, ats="x"),
    )
    out["long/no-link"] = ("report", long, ReportContext(title="长", interview_id=IID, controls=True))
    return out


def _reply_cases() -> dict[str, tuple[str, Any, ReportContext | None]]:
    from bot.commands import Reply

    replies = {
        "short": Reply("最近的面试", ["• 张伟 一面 2.4 ⏸", "• 李雷 一面 2.4 ⏸"]),
        "nasty": Reply(NASTY, [NASTY, "plain"]),
        "chunked": Reply("search", [f"{n:03d} " + "result " * 12 for n in range(120)]),
        "no-lines": Reply("nothing found", []),
    }
    return {f"reply/{k}": ("reply", r, None) for k, r in replies.items()}


def cases(golden: dict[str, Any]) -> dict[str, tuple[str, Any, ReportContext | None]]:
    """{case: (kind, data, context)} from the recorded inputs."""
    histories = {k: (k.split("/")[0], d, None) for k, d in golden["histories"].items()}
    return {**_report_cases(golden["analyses"]), **histories, **_reply_cases()}


def rendered(golden: dict[str, Any], render: Callable[[str, Any, ReportContext | None], dict]) -> dict:
    return {name: render(kind, data, ctx) for name, (kind, data, ctx) in cases(golden).items()}


def load() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def write(golden: dict[str, Any], payloads: dict[str, Any]) -> None:
    # one line per input and per payload: a diff shows which changed (key order kept: it orders blocks)
    def lines(items: dict[str, Any]) -> str:
        rows = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in items.items()]
        return "{\n" + ",\n".join(rows) + "\n}"

    parts = [f'"{key}": {lines(golden[key])}' for key in ("analyses", "histories")]
    parts.append(f'"payloads": {lines(payloads)}')
    GOLDEN.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
