"""The HTTP API on a real aiohttp server (free localhost port), with the real worker and Whisper engine."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import FIXTURES, SAMPLE
from fakes import fake_engine_factory

from bot.config import load_settings
from bot.service import Service
from bot.storage import Store
from handlers.server import build_app

TOKEN = "test-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_settings(tmp_path, data_dir, **extra):
    env = {
        "IB_DATA_DIR": str(tmp_path / "data"),
        "IB_DB": str(tmp_path / "ib.db"),
        "IB_API_TOKENS": TOKEN,
        "IB_POLL_S": "0.1",
        "IB_ASR_ENGINE": "whisper",
        "IB_CALLBACK_BACKOFF_S": "0.05",
        "IB_PUBLIC_URL": "http://127.0.0.1:1",
        **extra,
    }
    settings = load_settings(env)
    # share the session's assembled Whisper weights
    (tmp_path / "data").mkdir(exist_ok=True)
    return settings


@pytest.fixture
async def api(tmp_path, data_dir):
    servers = []

    async def start(**extra):
        settings = make_settings(tmp_path, data_dir, **extra)
        service = Service(settings, engine_factory=fake_engine_factory(settings.engine))
        server = TestServer(build_app(service), host="127.0.0.1")
        await server.start_server()
        settings.public_url = str(server.make_url("")).rstrip("/")
        await service.start()
        servers.append((server, service))
        return server, service

    yield start
    for server, service in servers:
        await service.stop()
        await server.close()


async def post_audio(session, server, path, headers=None, **fields):
    form = aiohttp.FormData()
    form.add_field("audio", path.read_bytes(), filename=path.name, content_type="audio/flac")
    for k, v in fields.items():
        form.add_field(k, v)
    async with session.post(
        server.make_url("/v1/interviews"), data=form, headers={**AUTH, **(headers or {})}
    ) as r:
        return r.status, await r.json()


async def wait_done(session, server, interview_id, timeout=120):
    for _ in range(int(timeout / 0.2)):
        async with session.get(server.make_url(f"/v1/interviews/{interview_id}"), headers=AUTH) as r:
            data = await r.json()
        if data["status"] in ("done", "failed"):
            return data
        await asyncio.sleep(0.2)
    raise AssertionError(f"not finished: {data}")


async def test_upload_poll_and_fetch_the_analysis(api):
    server, service = await api()
    async with aiohttp.ClientSession() as s:
        status, body = await post_audio(
            s, server, FIXTURES / "zh_short.flac", profile="backend", candidate="张三"
        )
        assert status == 202 and body["status"] == "queued"
        done = await wait_done(s, server, body["id"])
        assert done["status"] == "done" and done["error"] is None
        assert done["analysis"]["language"] == "zh" and done["analysis"]["profile"] == "backend_engineer"
        assert set(done["analysis"]["interviewer"]) >= {"talk_share", "questions", "flags"}  # issue 26
        assert done["report_url"].startswith(service.settings.public_url + "/r/" + body["id"] + "/")
        async with s.get(server.make_url("/v1/interviews?candidate=张三"), headers=AUTH) as r:
            listed = (await r.json())["interviews"]
        assert [i["id"] for i in listed] == [body["id"]]
        async with s.get(server.make_url("/metrics")) as r:
            text = await r.text()
        assert 'ib_jobs{state="done"} 1' in text and "ib_audio_seconds_total 5." in text
        async with s.get(done["report_url"]) as r:
            assert r.status == 200 and "<audio" in await r.text()
        async with s.get(done["report_url"] + "/audio", headers={"Range": "bytes=0-99"}) as r:
            assert r.status == 206 and len(await r.read()) == 100  # seekable


async def test_repeated_idempotency_key_returns_the_same_interview(api):
    server, service = await api()
    async with aiohttp.ClientSession() as s:
        a = await post_audio(s, server, FIXTURES / "zh_short.flac", headers={"Idempotency-Key": "ats-123"})
        b = await post_audio(s, server, FIXTURES / "zh_short.flac", headers={"Idempotency-Key": "ats-123"})
        c = await post_audio(s, server, FIXTURES / "zh_short.flac")  # no header: the content hash is the key
        d = await post_audio(s, server, FIXTURES / "zh_short.flac")
    assert a[0] == b[0] == 202 and a[1]["id"] == b[1]["id"] and b[1]["duplicate"] is True
    assert c[1]["id"] == d[1]["id"] and d[1]["duplicate"] is True
    counts = await service.db.jobs.counts()
    assert sum(counts.values()) == 2


async def test_a_reused_idempotency_key_with_other_audio_is_refused_not_answered_with_the_old_one(api):
    server, service = await api()
    async with aiohttp.ClientSession() as s:
        a = await post_audio(s, server, FIXTURES / "zh_short.flac", headers={"Idempotency-Key": "ats-123"})
        b = await post_audio(
            s, server, FIXTURES / "en_two_cities.ogg", headers={"Idempotency-Key": "ats-123"}
        )
    assert a[0] == 202 and b[0] == 409
    assert "different recording" in b[1]["error"] and a[1]["id"] in b[1]["error"]
    assert sum((await service.db.jobs.counts()).values()) == 1
    assert not list((service.settings.data_dir / "incoming").iterdir())  # nothing left behind


async def test_caller_errors_are_4xx_with_one_sentence(api, tmp_path):
    server, _ = await api(IB_MAX_UPLOAD_BYTES="200000")
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + b"\0" * 300_000)
    notes = tmp_path / "notes.wav"
    notes.write_text("not audio at all\n" * 10)
    async with aiohttp.ClientSession() as s:
        async with s.post(server.make_url("/v1/interviews"), data=b"x") as r:
            assert r.status == 401 and "bearer token" in (await r.json())["error"]
        async with s.post(
            server.make_url("/v1/interviews"), headers={"Authorization": "Bearer nope"}, json={}
        ) as r:
            assert r.status == 401
        assert (await post_audio(s, server, big))[0] == 413
        status, body = await post_audio(s, server, notes)
        assert status == 422 and "notes.wav is not a readable audio" in body["error"]
        status, body = await post_audio(s, server, FIXTURES / "zh_short.flac", profile="astronaut")
        assert status == 422 and "unknown profile" in body["error"]  # well-formed, nothing to process
        async with s.post(
            server.make_url("/v1/interviews"),
            headers={**AUTH, "Content-Type": "application/json"},
            data=b"{broken",
        ) as r:
            assert r.status == 400 and "not valid JSON" in (await r.json())["error"]
        async with s.post(
            server.make_url("/v1/interviews"),
            headers=AUTH,
            data=b"raw",
        ) as r:
            assert r.status == 415
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("profile", "backend")
        async with s.post(server.make_url("/v1/interviews"), data=form, headers=AUTH) as r:
            assert r.status == 400 and "'audio'" in (await r.json())["error"]
        async with s.get(server.make_url("/v1/interviews/nope"), headers=AUTH) as r:
            assert r.status == 404 and (await r.json())["error"]
        async with s.get(server.make_url("/r/nope/123.abc")) as r:
            assert r.status == 404


@pytest.mark.parametrize(
    "url, status, needle",
    [  # a URL the schema refuses is 400; a well-formed one this server will not fetch is 422
        ("http://127.0.0.1:9/a.wav", 422, "not a public address"),
        ("http://169.254.169.254/latest/meta-data/", 422, "not a public address"),
        ("http://[::1]/a.wav", 422, "not a public address"),
        ("http://10.0.0.8/a.wav", 422, "not a public address"),
        ("file:///etc/passwd", 400, "only http and https"),
        ("gopher://example.com/", 400, "only http and https"),
    ],
)
async def test_ssrf_attempts_are_refused(api, url, status, needle):
    server, _ = await api()
    async with aiohttp.ClientSession() as s:
        async with s.post(server.make_url("/v1/interviews"), json={"audio_url": url}, headers=AUTH) as r:
            assert r.status == status and needle in (await r.json())["error"]


@pytest.fixture
async def file_host(tmp_path):
    """A local 'ATS' that serves a recording, redirects to a private address, and receives callbacks."""
    calls: list[dict] = []
    app = web.Application()

    async def recording(request):
        return web.FileResponse(FIXTURES / "zh_short.flac")

    async def redirect(request):
        raise web.HTTPFound("http://10.1.2.3/internal.wav")

    app.router.add_get("/rec.flac", recording)
    app.router.add_get("/redirect", redirect)

    async def callback(request):
        calls.append(await request.json())
        return web.json_response({"ok": True})

    app.router.add_post("/callback", callback)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, calls
    await server.close()


async def test_audio_url_and_callback_when_the_network_is_allowed(api, file_host):
    host, calls = file_host
    server, _ = await api(IB_FETCH_ALLOW_NETS="127.0.0.1/32")
    async with aiohttp.ClientSession() as s:
        body = {"audio_url": str(host.make_url("/rec.flac")), "callback_url": str(host.make_url("/callback"))}
        async with s.post(server.make_url("/v1/interviews"), json=body, headers=AUTH) as r:
            assert r.status == 202
            interview_id = (await r.json())["id"]
        done = await wait_done(s, server, interview_id)
        assert done["status"] == "done"
        for _ in range(50):
            if calls:
                break
            await asyncio.sleep(0.1)
        assert len(calls) == 1 and calls[0]["id"] == interview_id and calls[0]["analysis"]["language"] == "zh"
        # a redirect into a private network is refused even though the first hop was allowed
        async with s.post(
            server.make_url("/v1/interviews"),
            json={"audio_url": str(host.make_url("/redirect"))},
            headers=AUTH,
        ) as r:
            assert r.status == 422 and "10.1.2.3" in (await r.json())["error"]


async def test_delete_removes_everything(api):
    server, service = await api()
    async with aiohttp.ClientSession() as s:
        _, body = await post_audio(s, server, FIXTURES / "zh_short.flac")
        await wait_done(s, server, body["id"])
        audio = await service.db.interviews.recording_path(body["id"])
        assert audio.exists()
        async with s.delete(server.make_url(f"/v1/interviews/{body['id']}"), headers=AUTH) as r:
            assert r.status == 204
        async with s.get(server.make_url(f"/v1/interviews/{body['id']}"), headers=AUTH) as r:
            assert r.status == 404
    assert not audio.exists()
    db = Store(service.settings.db_path).db
    for table in ("transcripts", "analyses", "segments", "jobs", "recordings", "reports"):
        assert (
            db.execute(f"select count(*) from {table} where interview_id = ?", [body["id"]]).fetchone()[0]
            == 0
        )
    assert db.execute("select count(*) from audit_log where action = 'delete'").fetchone()[0] == 1


@pytest.mark.slow
async def test_report_page_in_a_real_browser(api):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    sync_api = pytest.importorskip("playwright.async_api")
    server, _ = await api()
    async with aiohttp.ClientSession() as s:
        form = aiohttp.FormData()
        form.add_field("audio", SAMPLE.read_bytes(), filename="张三_一面.m4a", content_type="audio/mp4")
        async with s.post(server.make_url("/v1/interviews"), data=form, headers=AUTH) as r:
            interview_id = (await r.json())["id"]
        done = await wait_done(s, server, interview_id)
    async with sync_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        page = await browser.new_page()
        refused: list[str] = []  # what the Content-Security-Policy blocked of the page's own
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        response = await page.goto(done["report_url"])
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src 'sha256-" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        await page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=20000)
        target = done["analysis"]["segments"][-1]["start"]  # a moment well into the recording
        assert target > 20
        await page.locator(f'#transcript a.ts[data-start="{target}"]').click()
        await page.wait_for_function(
            f"Math.abs(document.getElementById('player').currentTime - {target}) < 1.0", timeout=10000
        )
        assert refused == []  # the page's own script, style and audio all allowed
        injected = await page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.pwned = 1';"
            " document.body.appendChild(s); return window.pwned === 1; }"
        )
        assert injected is False and refused  # an injected script is refused
        await browser.close()


async def test_candidate_panorama_and_search_for_an_ats(api):
    from datetime import datetime

    from history import store_round

    server, service = await api()
    for n in ("1", "2"):
        store_round(service, n, at=datetime(2026, 11, 10 + int(n), tzinfo=UTC))
    async with aiohttp.ClientSession() as s:
        async with s.get(server.make_url("/v1/candidates/张伟"), headers=AUTH) as r:
            assert r.status == 200
            pano = await r.json()
        assert [rd["label"] for rd in pano["rounds"]] == ["一面", "二面"]
        assert {c["kind"] for c in pano["contradictions"]} == {"role", "peak_requests"}
        async with s.get(server.make_url("/v1/candidates/nobody"), headers=AUTH) as r:
            assert r.status == 404 and "no candidate" in (await r.json())["error"]
        async with s.get(server.make_url("/v1/search"), params={"q": "幂等"}, headers=AUTH) as r:
            hits = (await r.json())["hits"]
        assert hits and "«幂等»" in hits[0]["snippet"] and "/r/" in hits[0]["link"]
        async with s.get(server.make_url("/v1/search"), headers=AUTH) as r:
            assert r.status == 400
        async with s.get(server.make_url("/v1/search"), params={"q": "幂等"}) as r:
            assert r.status == 401
