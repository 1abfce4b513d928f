"""Recipe: adding a report format is one record (plus its template). A toy plain-text format built on the
Markdown template is rendered for reports and refused for what it has no template for."""

from __future__ import annotations

import re

import pytest

from bot.analysis import analyze, transcript_from_text
from bot.formats import FORMATS, Format, format_names, register_format
from bot.render import ReportContext, UnknownFormat, render, render_history


@pytest.fixture
def plain_text_format():
    register_format(
        Format("txt", "{kind}.md.j2", lambda text, ctx: re.sub(r"[*_#`\\]", "", text), ("report",))
    )
    yield
    FORMATS.pop("txt")


def test_a_registered_format_renders_reports(plain_text_format):
    transcript, roles = transcript_from_text(
        "interviewer: 说说项目？\ncandidate: 我主导了订单系统的重构，延迟从800毫秒降到120毫秒。"
    )
    text = render(analyze(transcript, known_roles=roles), "txt", ReportContext(title="t"))
    assert "txt" in format_names("report") and "txt" not in format_names("digest")
    assert "订单系统" in text and "**" not in text and "#" not in text


def test_an_unknown_format_is_an_error_not_a_fallback():
    transcript, roles = transcript_from_text("candidate: hello there, thanks")
    with pytest.raises(UnknownFormat, match="unknown format 'pdf'"):
        render(analyze(transcript, known_roles=roles), "pdf", ReportContext(title="t"))
    with pytest.raises(UnknownFormat, match="for a digest"):
        render_history("digest", {"language": "en"}, "html")
