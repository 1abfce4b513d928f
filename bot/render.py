"""Analysis -> Markdown, HTML page, Slack Block Kit, Feishu card or JSON: jinja2 templates, or a builder
that makes the payload as data (Slack Block Kit: bot/render_slack.py), both fed the same view.

User text (a transcript can hold `<`, `*`, `@channel`, Slack mrkdwn or Feishu markup) is escaped for the
target on the way in, by the filters below, never trusted.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from . import texts
from .analysis.qa import notes_by_question
from .analysis.results import COMPETENCIES, Analysis
from .analysis.summary import competency_name, stamp
from .formats import FORMATS, Format, ReportContext, UnknownFormat, format_names

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


def highlight(text: str, keywords: list[str]):
    """HTML: escape the text, then bold the keywords."""
    from markupsafe import Markup, escape

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


def clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

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
        competency_name=competency_name,
    )
    env.globals.update(radar_points=radar_points, axis_end=axis_end)
    return env


_VERDICT_ORDER = ("agree", "too_high", "too_low", "wrong_evidence", "missed")


def tally_texts(tally: dict[str, dict[str, int]], lang: str) -> dict[str, str]:
    """{competency: "2 agree, 1 too high"}, in the report's labels (the report page updates with these)."""
    labels = texts.table(texts.REPORT, lang)
    return {
        comp: ", ".join(f"{counts[v]} {labels[v]}" for v in _VERDICT_ORDER if counts.get(v))
        for comp, counts in tally.items()
    }


def _view(data: dict[str, Any], ctx: ReportContext) -> dict[str, Any]:
    lang = data["language"]
    # an analysis stored before a competency existed simply lacks it: shown as no evidence
    empty = {"score": None, "evidence": [], "caveats": []}
    comps = [
        {"key": k, "name": competency_name(k, lang), **data["competencies"].get(k, empty)}
        for k in COMPETENCIES
    ]
    labels = texts.table(texts.REPORT, lang)
    rec = {"advance": ("✅", "advance"), "hold": ("⏸", "hold"), "decline": ("⛔", "decline")}[
        data["overall"]["recommendation"]
    ]
    shown = tally_texts(ctx.tally or {}, lang)
    for c in comps:
        c["tally"] = shown.get(c["key"], "")
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
        "notes": data.get("notes") or [],
        "qa": data.get("qa")
        or notes_by_question(
            data
        ),  # stored before notes by question existed  # e.g. why the LLM analyst fell back to the local model
        "verdict_keys": ("agree", "too_high", "too_low", "wrong_evidence"),
    }


# ---- digests and panoramas ---------------------------------------------------------------------------------

REC_ICONS = {"advance": "✅", "hold": "⏸", "decline": "⛔"}
TREND_ARROWS = {"up": "↑", "down": "↓", "flat": "→", "once": "·", "none": "–"}


def _score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "–"


def _history_view(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    lang = "zh" if data["language"] == "zh" else "en"
    labels = texts.table(texts.DIGEST if kind == "digest" else texts.PANORAMA, lang)
    return {
        "d": data,
        "L": labels,
        "lang": lang,
        "rec": texts.table(texts.RECOMMENDATION, lang),
        "icons": REC_ICONS,
        "decisions": texts.table(texts.DECISION, lang),
        "arrows": TREND_ARROWS,
        "score": _score,
    }


_VIEWS: dict[str, Callable[[Any, ReportContext | None], dict[str, Any]]] = {
    "report": lambda data, ctx: _view(data, ctx or ReportContext(title="")),
    "digest": lambda data, ctx: _history_view("digest", data),
    "panorama": lambda data, ctx: _history_view("panorama", data),
    "reply": lambda reply, ctx: {"reply": reply},  # a chat command's answer (bot.commands.Reply)
}


def _spec(kind: str, fmt: str) -> Format:
    spec = FORMATS.get(fmt)
    if spec is None or kind not in spec.kinds:
        raise UnknownFormat(
            f"unknown format {fmt!r} for a {kind}; choose one of {', '.join(format_names(kind))}"
        )
    return spec


@cache
def _builder(path: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def build_payload(kind: str, data: Any, fmt: str, ctx: ReportContext | None = None) -> dict[str, Any]:
    """A document as the payload a chat platform's client sends (a format built as data: Slack)."""
    spec = _spec(kind, fmt)
    if spec.build is None:
        raise UnknownFormat(f"format {fmt!r} is rendered as text, not built as data")
    return _builder(spec.build)(kind, _VIEWS[kind](data, ctx))


def render_document(kind: str, data: Any, fmt: str, ctx: ReportContext | None = None) -> str:
    """A report, digest, panorama or command reply as text in one of the formats that has it."""
    spec = _spec(kind, fmt)
    if spec.build is not None:
        return json.dumps(build_payload(kind, data, fmt, ctx), ensure_ascii=False, indent=2)
    if spec.template is None:
        return json.dumps(data, ensure_ascii=False, indent=2)
    text = environment().get_template(spec.template.format(kind=kind)).render(_VIEWS[kind](data, ctx))
    return spec.finish(text, ctx)


def render(analysis: Analysis, fmt: str, ctx: ReportContext) -> str:
    return render_stored(analysis.to_dict(), fmt, ctx)


def render_stored(data: dict[str, Any], fmt: str, ctx: ReportContext) -> str:
    """Render an analysis JSON (as stored) in one of the report formats."""
    return render_document("report", data, fmt, ctx)


def render_history(kind: str, data: dict[str, Any], fmt: str) -> str:
    """A digest or a panorama (their `to_dict()`) in one of the formats that has a template for it."""
    return render_document(kind, data, fmt)
