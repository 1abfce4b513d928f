"""Analysis -> Markdown, HTML page, Slack Block Kit, Feishu card or JSON, all through jinja2 templates.

User text (a transcript can hold `<`, `*`, `@channel`, Slack mrkdwn or Feishu markup) is escaped for the
target on the way in, by the filters below, never trusted.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from .analysis.model import COMPETENCIES, Analysis
from .analysis.summary import competency_name, stamp

FORMATS = ("md", "html", "json", "slack", "feishu")
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_TOTAL = 12000  # Slack rejects long block messages somewhere above ~13k characters
ZWSP = "\u200b"


def slack_escape(text: str) -> str:
    """Escape for Slack mrkdwn: entities, and break *bold* _italic_ ~strike~ `code` pairs and mentions."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([*_~`])", lambda m: m.group(1) + ZWSP, text)
    return re.sub(r"@(channel|here|everyone)", "@" + ZWSP + r"\1", text)


def md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+\-!|~])", r"\\\1", str(text))


def feishu_escape(text: str) -> str:
    """For lark_md: HTML entities for markup characters and a broken <at> tag."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([*_~`\[\]])", lambda m: f"&#{ord(m.group(1))};", text)


def highlight(text: str, keywords: list[str]) -> Markup:
    """HTML: escape the text, then bold the keywords."""
    if not keywords:
        return escape(text)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True)), re.I)
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(Markup("<strong>") + escape(m.group()) + Markup("</strong>"))
        last = m.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def radar_points(scores: list[float | None], radius: float = 100.0, center: float = 130.0) -> str:
    pts = []
    for i, s in enumerate(scores):
        angle = -math.pi / 2 + 2 * math.pi * i / len(scores)
        r = radius * (s or 0) / 5
        pts.append(f"{center + r * math.cos(angle):.1f},{center + r * math.sin(angle):.1f}")
    return " ".join(pts)


def axis_end(i: int, n: int, radius: float = 100.0, center: float = 130.0) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    return round(center + radius * math.cos(angle), 1), round(center + radius * math.sin(angle), 1)


def localize(pair: tuple[str, str], language: str, *args: Any) -> str:
    """A (Chinese, English) text pair in the user's language, filled in."""
    return pair[0 if language == "zh" else 1].format(*args)


def clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("report_templates", ""),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        slack=slack_escape,
        md=md_escape,
        feishu=feishu_escape,
        stamp=stamp,
        clip=clip,
        highlight=highlight,
        score=_score,
    )
    env.globals.update(radar_points=radar_points, axis_end=axis_end)
    return env


@dataclass
class ReportContext:
    title: str
    report_url: str | None = None
    audio_url: str | None = None
    interview_id: str | None = None


def _view(data: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    lang = data["language"]
    comps = [{"key": k, "name": competency_name(k, lang), **data["competencies"][k]} for k in COMPETENCIES]
    labels = {
        "zh": dict(
            summary="摘要",
            strengths="核心优势",
            to_verify="待验证点",
            recommendation="综合建议",
            competencies="能力评估",
            followups="建议追问",
            corrections="术语修正",
            transcript="逐字稿",
            overall="综合",
            no_evidence="无证据",
            full_report="查看完整报告",
            evidence="证据",
            original="原始识别",
            corrected="上下文修正",
            interviewer="面试官",
            candidate="候选人",
            speech="表达特征（仅供参考，不计分）",
            pause="思考停顿",
            filler="语气词",
            none="无",
        ),
        "en": dict(
            summary="Summary",
            strengths="Strengths",
            to_verify="To verify",
            recommendation="Recommendation",
            competencies="Competencies",
            followups="Suggested follow-up questions",
            corrections="Term corrections",
            transcript="Transcript",
            overall="Overall",
            no_evidence="no evidence",
            full_report="Open the full report",
            evidence="Evidence",
            original="heard",
            corrected="corrected to",
            interviewer="Interviewer",
            candidate="Candidate",
            speech="Speech features (for context, never scored)",
            pause="thinking pause",
            filler="filler",
            none="none",
        ),
    }["zh" if lang == "zh" else "en"]
    rec = {"advance": ("✅", "advance"), "hold": ("⏸", "hold"), "decline": ("⛔", "decline")}[
        data["overall"]["recommendation"]
    ]
    correction_lines = [
        f"{c['original']} → {c['corrected']} ({stamp(c['start'])})" for c in data["corrections"]
    ]
    return {
        "a": data,
        "comps": comps,
        "L": labels,
        "ctx": ctx,
        "rec_icon": rec[0],
        "lang": lang,
        "correction_lines": correction_lines,
    }


def render(analysis: Analysis, fmt: str, ctx: ReportContext) -> str:
    return render_stored(analysis.to_dict(), fmt, ctx)


def render_stored(data: dict[str, Any], fmt: str, ctx: ReportContext) -> str:
    """Render an analysis JSON (as stored) in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    view = _view(data, ctx)
    if fmt == "md":
        return environment().get_template("report.md.j2").render(view)
    if fmt == "html":
        return environment().get_template("report.html.j2").render(view)
    if fmt == "slack":
        payload = json.loads(environment().get_template("slack_report.json.j2").render(view))
        payload["blocks"] = fit_slack_blocks(payload["blocks"], ctx)
        return json.dumps(payload, ensure_ascii=False, indent=2)
    payload = json.loads(environment().get_template("feishu_card.json.j2").render(view))
    return json.dumps(payload, ensure_ascii=False, indent=2)


def fit_slack_blocks(blocks: list[dict[str, Any]], ctx: ReportContext) -> list[dict[str, Any]]:
    """Stay inside Slack's limits: section text, block count, total size; the full report is linked."""
    for b in blocks:
        text = b.get("text")
        if isinstance(text, dict) and len(text.get("text", "")) > SLACK_MAX_SECTION:
            text["text"] = text["text"][: SLACK_MAX_SECTION - 1] + "…"
        for el in b.get("elements", []):
            if isinstance(el, dict) and len(el.get("text", "")) > SLACK_MAX_SECTION:
                el["text"] = el["text"][: SLACK_MAX_SECTION - 1] + "…"
    footer = blocks[-1:] if ctx.report_url else []
    body = blocks[: len(blocks) - len(footer)]
    while body and (
        len(body) + len(footer) > SLACK_MAX_BLOCKS
        or len(json.dumps(body + footer, ensure_ascii=False)) > SLACK_MAX_TOTAL
    ):
        body.pop()
    return body + footer


# ---- digests and panoramas ---------------------------------------------------------------------------------

REC_WORDS = {
    "zh": {"advance": "建议推进", "hold": "暂缓", "decline": "不建议"},
    "en": {"advance": "advance", "hold": "hold", "decline": "decline"},
}
REC_ICONS = {"advance": "✅", "hold": "⏸", "decline": "⛔"}
DECISION_WORDS = {
    "zh": {"advance": "已决定：进入下一轮", "reject": "已决定：不通过", "offer": "已决定：录用"},
    "en": {"advance": "decided: next round", "reject": "decided: rejected", "offer": "decided: offer"},
}
TREND_ARROWS = {"up": "↑", "down": "↓", "flat": "→", "once": "·", "none": "–"}
DIGEST_LABELS = {
    "zh": dict(
        title="面试日报",
        window="时间段",
        late="迟发：原定 {0}（{1}）发送，当时服务不在线；本期覆盖上次日报以来的全部面试。",
        empty="这段时间没有完成的面试。",
        interviews="今日面试",
        waiting="等待决定的候选人",
        questions="尚未追问的问题",
        strength="亮点",
        to_verify="待验证",
        report="查看报告",
        processing="另有 {0} 场面试正在处理。",
        failed="处理失败：{0}",
        days="已等待 {0} 天",
        rounds="{0} 轮",
        more="……另有 {0} 场，见 `list`",
    ),
    "en": dict(
        title="Interview digest",
        window="Window",
        late="Late: this digest was due at {0} ({1}) while the service "
        "was down; it covers everything since the last one.",
        empty="No interviews were completed in this period.",
        interviews="Interviews",
        waiting="Waiting for a decision",
        questions="Follow-up questions not yet asked",
        strength="Strength",
        to_verify="To verify",
        report="Open report",
        processing="{0} more interviews are still being processed.",
        failed="Failed: {0}",
        days="waiting {0} days",
        rounds="{0} rounds",
        more="…and {0} more, see `list`",
    ),
}
PANORAMA_LABELS = {
    "zh": dict(
        title="候选人全景图",
        rounds="各轮面试",
        trend="能力走势",
        unverified="仍待验证",
        pending="尚未追问",
        contradictions="前后矛盾的说法",
        focus="下一轮建议重点",
        none="无",
        interviewer="面试官",
        report="报告",
        overall="综合",
    ),
    "en": dict(
        title="Candidate panorama",
        rounds="Rounds",
        trend="Competency trend",
        unverified="Still unverified",
        pending="Not yet asked",
        contradictions="Statements that contradict each other",
        focus="Focus for the next round",
        none="none",
        interviewer="interviewer",
        report="report",
        overall="overall",
    ),
}


def _score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "–"


def _history_view(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    lang = "zh" if data["language"] == "zh" else "en"
    labels = (DIGEST_LABELS if kind == "digest" else PANORAMA_LABELS)[lang]
    return {
        "d": data,
        "L": labels,
        "lang": lang,
        "rec": REC_WORDS[lang],
        "icons": REC_ICONS,
        "decisions": DECISION_WORDS[lang],
        "arrows": TREND_ARROWS,
        "score": _score,
    }


def render_history(kind: str, data: dict[str, Any], fmt: str) -> str:
    """A digest or a panorama (their `to_dict()`) as md, json, slack or feishu."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt not in ("md", "slack", "feishu"):
        raise ValueError(f"unknown format {fmt!r}; choose md, json, slack or feishu")
    name = {"md": f"{kind}.md.j2", "slack": f"slack_{kind}.json.j2", "feishu": f"feishu_{kind}.json.j2"}[fmt]
    text = environment().get_template(name).render(_history_view(kind, data))
    if fmt == "md":
        return text
    payload = json.loads(text)
    if fmt == "slack":
        payload["blocks"] = payload["blocks"][:SLACK_MAX_BLOCKS]
    return json.dumps(payload, ensure_ascii=False, indent=2)
