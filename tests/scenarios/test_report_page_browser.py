"""The HTML report in a real headless browser: clicking a timestamp seeks the recording."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import SAMPLE

from bot.analysis import analyze, transcript_from_text
from bot.render import ReportContext, render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (scripts/test.sh installs it)"
)


@pytest.fixture
def page_file(tmp_path) -> Path:
    audio = tmp_path / "interview.m4a"
    shutil.copyfile(SAMPLE, audio)
    transcript, roles = transcript_from_text(
        "[00:01.0] interviewer: 能讲讲你做过最有挑战的项目吗？\n"
        "[00:18.2] candidate: 我主导了订单系统的重构，把单体服务拆成了微服务。\n"
        "[00:36.1] candidate: 我们用唯一的请求号做幂等键，写入之前先查一下。\n"
        "[01:06.2] candidate: 线程池的核心线程数是根据压测结果来调的。"
    )
    html = render(
        analyze(transcript, known_roles=roles),
        "html",
        ReportContext(title="张伟 · 后端一面", audio_url=audio.name),
    )
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_clicking_a_timestamp_seeks_the_audio(page_file):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
        assert page.evaluate("document.getElementById('player').duration") > 70
        page.locator('#transcript a.ts[data-start="36.1"]').click()
        page.wait_for_function(
            "Math.abs(document.getElementById('player').currentTime - 36.1) < 1.0", timeout=10000
        )
        page.locator('#transcript a.ts[data-start="66.2"]').click()
        page.wait_for_function(
            "Math.abs(document.getElementById('player').currentTime - 66.2) < 1.0", timeout=10000
        )
        # the competency chart is drawn
        assert page.locator("#radar polygon.scores").count() == 1
        # keywords are bold in the transcript
        assert "幂等键" in page.locator("#transcript strong").all_inner_texts()
        browser.close()
