"""The output formats, by name: a report, a digest or a panorama as Markdown, an HTML page, Slack Block
Kit, a Feishu card or JSON. A format is one record: its templates in report_templates/, or the module that
builds its payload as data (Slack Block Kit, bot/render_slack.py); rendering itself is bot/render.py. This
module stays light (the command line reads the names for its --help): a builder is named, not imported."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ReportContext:
    title: str
    report_url: str | None = None
    audio_url: str | None = None
    interview_id: str | None = None
    controls: bool = False  # verdict controls on each competency (a report posted in its thread)
    tally: dict[str, dict[str, int]] | None = None  # {competency: {verdict: count}} shown under each
    verdict_url: str | None = None  # the HTML page's verdict endpoint (relative): its controls post there
    ats: str | None = None  # the ATS a "Send to ATS" control sends to (chat reports); None: no control
    ats_url: str | None = None  # the HTML page's send-to-ATS endpoint (relative)


def _as_json(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class Format:
    """One output format: a template per kind of document (report, digest, panorama; a chat command's
    `reply`) under report_templates/, "{kind}" filled in, or `build`, "module:function" taking the kind and
    the same view a template gets and returning the payload as data (serialised once, by its sender). With
    neither, the data itself is rendered as JSON. `finish` post-processes a template's text. Adding a
    format is one record plus its templates or its builder."""

    name: str
    template: str | None
    finish: Callable[[str, ReportContext | None], str] = lambda text, ctx: text
    kinds: tuple[str, ...] = ("report", "digest", "panorama")
    build: str | None = None


FORMATS: dict[str, Format] = {}


def register_format(fmt: Format) -> Format:
    FORMATS[fmt.name] = fmt
    return fmt


register_format(Format("md", "{kind}.md.j2"))
register_format(Format("html", "{kind}.html.j2", kinds=("report",)))
register_format(Format("json", None))
CHAT_KINDS = ("report", "digest", "panorama", "reply")
register_format(Format("slack", None, kinds=CHAT_KINDS, build="bot.render_slack:build"))
register_format(Format("qa", "qa.md.j2", kinds=("report",)))  # notes by question, Markdown
# Feishu cards stay Jinja templates for now (the Slack format's builder is the pattern to follow)
register_format(Format("feishu", "feishu_{kind}.json.j2", lambda text, ctx: _as_json(text), CHAT_KINDS))


class UnknownFormat(ValueError):
    pass


def format_names(kind: str = "report") -> list[str]:
    return [name for name, f in FORMATS.items() if kind in f.kinds]
