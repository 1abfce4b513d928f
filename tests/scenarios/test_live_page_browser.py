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
            refused: list[str] = []  # what the Content-Security-Policy blocked of the page's own
            page.on(
                "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
            )
            response = await page.goto(str(server.make_url(f"/live?token={TOKEN}")))
            headers = response.headers
            await page.select_option("#language", "zh")
            await page.fill("#candidate", "王芳")
            await page.click("#start")
            await page.wait_for_selector("#captions p.final", timeout=60000)
            await page.click("#stop")
            link = await page.wait_for_selector("#report-link", timeout=60000)
            report_url = await link.get_attribute("href")
            captions = await page.locator("#captions p.final").all_inner_texts()
            assert refused == []  # its script, worklet, style and WebSocket all allowed
            injected = await page.evaluate(
                "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
                " document.body.appendChild(s); return window.pwned === 1; }"
            )
            assert injected is False and refused  # an injected script is refused
        finally:
            await browser.close()
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src 'sha256-" in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert captions and all(c.strip() for c in captions)
    interview_id = report_url.split("/r/")[1].split("/")[0]
    async with aiohttp.ClientSession() as http:
        status = await wait_done(http, server, interview_id)
        assert status["status"] == "done", status
        async with http.get(report_url) as r:
            assert r.status == 200
