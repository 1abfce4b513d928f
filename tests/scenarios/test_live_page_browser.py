"""The live captions page in a real headless browser: chromium's fake capture device plays a WAV made
from the Mandarin fixture into getUserMedia, the page streams it through its AudioWorklet to /v1/live
(fake ASR backend behind the real streaming session), captions appear, and the report link works."""

from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest
from test_http_api import AUTH, TOKEN, api, wait_done  # noqa: F401  (api is a fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (scripts/test.sh installs it)"
)


@pytest.fixture
def capture_wav(tmp_path, zh_samples):
    """What the fake microphone says: the fixture twice with pauses (chromium loops the file)."""
    pause = np.zeros(16000, np.float32)
    audio = np.concatenate([pause, zh_samples, pause, zh_samples, pause])
    path = tmp_path / "mic.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


async def test_the_live_page_shows_captions_and_links_the_report(api, capture_wav):  # noqa: F811
    async_api = pytest.importorskip("playwright.async_api")
    import aiohttp

    server, _service = await api()
    async with async_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={capture_wav}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            page = await browser.new_page()
            await page.goto(str(server.make_url(f"/live?token={TOKEN}")))
            await page.select_option("#language", "zh")
            await page.fill("#candidate", "王芳")
            await page.click("#start")
            await page.wait_for_selector("#captions p.final", timeout=60000)
            await page.click("#stop")
            link = await page.wait_for_selector("#report-link", timeout=60000)
            report_url = await link.get_attribute("href")
            captions = await page.locator("#captions p.final").all_inner_texts()
        finally:
            await browser.close()
    assert captions and all(c.strip() for c in captions)
    interview_id = report_url.split("/r/")[1].split("/")[0]
    async with aiohttp.ClientSession() as http:
        status = await wait_done(http, server, interview_id)
        assert status["status"] == "done", status
        async with http.get(report_url) as r:
            assert r.status == 200
