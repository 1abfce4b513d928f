"""The output formats, by name: a report, a digest or a panorama as Markdown, an HTML page, Slack Block
Kit, a Feishu card or JSON. A format is one record plus its templates in report_templates/; rendering
itself is bot/render.py. This module stays light: the command line reads the names for its --help."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_TOTAL = 12000  # Slack rejects long block messages somewhere above ~13k characters


@dataclass
class ReportContext:
    title: str
    report_url: str | None = None
    audio_url: str | None = None
    interview_id: str | None = None
    controls: bool = False  # verdict controls on each competency (a report posted in its thread)
    tally: dict[str, dict[str, int]] | None = None  # {competency: {verdict: count}} shown under each
    verdict_url: str | None = None  # the HTML page's verdict endpoint (relative): its controls post there


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


def _as_json(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, indent=2)


def _slack_payload(text: str, ctx: ReportContext | None) -> str:
    payload = json.loads(text)
    payload["blocks"] = (
        fit_slack_blocks(payload["blocks"], ctx) if ctx else payload["blocks"][:SLACK_MAX_BLOCKS]
    )
    return json.dumps(payload, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class Format:
    """One output format: a template per kind of document (report, digest, panorama) under
    report_templates/, "{kind}" filled in; None renders the data itself as JSON. `finish` post-processes
    the rendered text (a platform's size limits). Adding a format is one record plus its templates."""

    name: str
    template: str | None
    finish: Callable[[str, ReportContext | None], str] = lambda text, ctx: text
    kinds: tuple[str, ...] = ("report", "digest", "panorama")


FORMATS: dict[str, Format] = {}


def register_format(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


register_format(Format("md", "{kind}.md.j2"))
register_format(Format("html", "{kind}.html.j2", kinds=("report",)))
register_format(Format("json", None))
register_format(Format("slack", "slack_{kind}.json.j2", _slack_payload))
register_format(Format("qa", "qa.md.j2", kinds=("report",)))  # notes by question, Markdown
register_format(Format("feishu", "feishu_{kind}.json.j2", lambda text, ctx: _as_json(text)))


class UnknownFormat(ValueError):
    pass


def format_names(kind: str = "report") -> list[str]:
    return [name for name, f in FORMATS.items() if kind in f.kinds]
