"""Sending a scorecard draft to the ATS over real HTTP and from the command line, against a local Lever:
`POST /v1/interviews/{id}/ats` (bearer token) answers sent / already_sent, 502 with one sentence when the
ATS fails (and a retry posts once), 409 with the applications when several match, 422 naming the
variables when no ATS is configured; the report page shows "Send to ATS" and its signed link plus a name
authorise it; `interview-bot ats send` exits 0 / 1 / 2 with one line."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from ats_mocks import LEVER_KEY, LEVER_USER, LeverMock
from history import SCORED_LINES, store_interview

from bot.config import load_settings
from bot.service import Service
from handlers.server import build_app

TOKEN = "api-token-for-ats"


@pytest.fixture
async def site(tmp_path):
    lever = await LeverMock().start()
    lever.opportunities = [{"id": "opp-1", "name": "张伟", "headline": "Backend"}]
    env = {
        "IB_DATA_DIR": str(tmp_path / "data"),
        "IB_DB": str(tmp_path / "ib.db"),
        "IB_API_TOKENS": TOKEN,
        "IB_LINK_SECRET": "secret-for-ats-tests",
        "IB_ATS": "lever",
        "IB_LEVER_API_KEY": LEVER_KEY,
        "IB_LEVER_USER_ID": LEVER_USER,
        "IB_LEVER_URL": lever.url("/v1"),
        "IB_ATS_TIMEOUT_S": "2",
    }
    service = Service(load_settings(env))
    iid = store_interview(
        service, lines=SCORED_LINES, candidate="张伟", at=datetime(2026, 11, 24, tzinfo=UTC)
    )
    server = TestServer(build_app(service), host="127.0.0.1")
    await server.start_server()
    service.settings.public_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        yield service, iid, session, server, lever, env
    await server.close()
    service.db.close()
    await lever.close()


async def post(session, url, body=None, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, json=body, headers=headers) as r:
        return r.status, await r.json()


async def test_api_sends_once_and_reports_failures_in_one_sentence(site):
    service, iid, session, server, lever, _ = site
    url = server.make_url(f"/v1/interviews/{iid}/ats")
    assert (await post(session, url, {}, token=None))[0] == 401
    lever.fail_posts = ["500-stored"]
    status, body = await post(session, url, {})
    assert status == 502 and body == {"error": "Lever answered HTTP 500 for POST opportunities/opp-1/notes"}
    status, body = await post(session, url, {"to": "lever"})
    assert status == 200 and body["status"] == "sent" and body["target"] == "lever"
    assert body["external_id"] == lever.notes[0]["id"] and len(lever.notes) == 1
    assert (await post(session, url))[1]["status"] == "already_sent"
    assert len(lever.posts()) == 1
    status, body = await post(session, url, {"to": "greenhouse"})
    assert status == 422 and "IB_GREENHOUSE_CLIENT_ID" in body["error"]
    status, body = await post(session, server.make_url("/v1/interviews/nope/ats"), {})
    assert status == 404
    assert (await post(session, url, {"to": 3}))[0] == 400
    async with session.get(server.make_url("/openapi.json")) as r:
        paths = (await r.json())["paths"]
    assert {"/v1/interviews/{id}/ats", "/r/{id}/{token}/ats"} <= set(paths)


async def test_several_applications_answer_409_with_the_list(site):
    service, iid, session, server, lever, _ = site
    lever.opportunities.append({"id": "opp-2", "name": "张伟", "headline": "SRE"})
    url = server.make_url(f"/v1/interviews/{iid}/ats")
    status, body = await post(session, url, {})
    assert status == 409 and [a["id"] for a in body["applications"]] == ["opp-1", "opp-2"]
    status, body = await post(session, url, {"application": "opp-2", "user": "Ada"})
    assert status == 200 and body["application_id"] == "opp-2"
    assert "Ada (api)" in lever.notes[0]["fields"][0]["value"]


async def test_the_report_page_sends_under_the_signed_link_and_a_name(site):
    service, iid, session, server, lever, _ = site
    page = service.report_url(iid)
    async with session.get(page) as r:
        html = await r.text()
    assert 'id="send-ats"' in html and "发送到 ATS" in html
    status, body = await post(session, f"{page}/ats", {"user": "李雷"}, token=None)
    assert status == 200 and body["status"] == "sent"
    assert (
        "李雷 (web)" in lever.notes[0]["fields"][0]["value"]
        and "已作为草稿笔记发送到 lever" in body["message"]
    )
    assert (await post(session, f"{page}/ats", {"user": ""}, token=None))[0] == 400
    forged = page.rsplit("/", 1)[0] + "/123.abc"
    assert (await post(session, f"{forged}/ats", {"user": "x"}, token=None))[0] == 403


async def test_without_an_ats_the_page_has_no_control_and_the_api_names_the_variables(tmp_path):
    env = {"IB_DATA_DIR": str(tmp_path / "d"), "IB_DB": str(tmp_path / "ib.db"), "IB_API_TOKENS": TOKEN}
    service = Service(load_settings(env))
    iid = store_interview(
        service, lines=SCORED_LINES, candidate="张伟", at=datetime(2026, 11, 24, tzinfo=UTC)
    )
    server = TestServer(build_app(service), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as session:
            status, body = await post(session, server.make_url(f"/v1/interviews/{iid}/ats"), {})
            assert status == 422 and body["error"].startswith("no ATS is configured: set IB_ATS")
            service.settings.public_url = str(server.make_url("")).rstrip("/")
            async with session.get(service.report_url(iid)) as r:
                assert 'id="send-ats"' not in await r.text()
    finally:
        await server.close()
        service.db.close()


async def test_cli_ats_send_exit_codes(site, monkeypatch, capsys):
    service, iid, session, server, lever, env = site
    from handlers.cli import main

    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def run(*argv: str):  # in a thread: the local Lever answers on this test's event loop
        return asyncio.to_thread(main, list(argv))

    lever.fail_posts = ["500"]
    assert await run("ats", "send", iid) == 1
    assert (
        capsys.readouterr().err.strip() == "error: Lever answered HTTP 500 for POST opportunities/opp-1/notes"
    )
    assert await run("ats", "send", iid, "--json", "--user", "Ada") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "sent"
    assert await run("ats", "send", iid) == 0
    assert capsys.readouterr().out.startswith("already_sent: note ")
    assert await run("ats", "send", iid, "--to", "greenhouse") == 2
    assert "IB_GREENHOUSE_CLIENT_ID" in capsys.readouterr().err
    assert await run("ats", "send", "nope") == 2


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Debian chromium is not installed (scripts/test.sh installs it)",
)
async def test_in_a_real_browser_send_to_ats_asks_which_application_then_sends(site):
    pw = pytest.importorskip("playwright.async_api")
    service, iid, _, _, lever, _ = site
    lever.opportunities.append({"id": "opp-2", "name": "张伟", "headline": "SRE"})
    async with pw.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            page = await browser.new_page()
            refused: list[str] = []
            page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
            await page.goto(service.report_url(iid))
            button = page.locator("#send-ats")
            await button.wait_for(state="visible", timeout=15000)  # report.js ran under the CSP
            await button.click()
            await page.locator("#vote-status.bad").wait_for(timeout=10000)  # a name first
            await page.fill("#voter", "Li Na")
            await button.click()
            choice = page.locator("#ats-choices button", has_text="SRE")
            await choice.wait_for(timeout=15000)
            await choice.click()
            await pw.expect(page.locator("#vote-status")).to_contain_text(
                "已作为草稿笔记发送到 lever", timeout=15000
            )
            assert refused == []
        finally:
            await browser.close()
    [note] = lever.notes
    assert note["opportunity"] == "opp-2" and "Li Na (web)" in note["fields"][0]["value"]
