"""Verdicts on the HTML report page, over real HTTP (aiohttp server on a free localhost port): the signed
report link authorises a vote, recorded as platform "web" under the name the interviewer typed; a forged
or expired link, a deleted interview and bad input are refused with JSON; the page renders the tally
without JavaScript, and in a real browser a click updates the tally in place."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from history import SCORED_LINES, open_store, store_interview

from bot import links
from bot.config import load_settings
from bot.service import Service
from handlers.server import build_app

SECRET = "report-link-secret-for-tests"
LINES = SCORED_LINES


@pytest.fixture
async def site(tmp_path):
    settings = load_settings(
        {
            "IB_DATA_DIR": str(tmp_path / "data"),
            "IB_DB": str(tmp_path / "ib.db"),
            "IB_LINK_SECRET": SECRET,
            "IB_PUBLIC_URL": "http://127.0.0.1:1",
        }
    )
    service = Service(settings)
    iid = store_interview(service, lines=LINES, candidate="张伟", at=datetime(2026, 11, 24, tzinfo=UTC))
    server = TestServer(build_app(service), host="127.0.0.1")
    await server.start_server()
    settings.public_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        yield service, iid, session
    await server.close()
    service.db.close()


def scored(service, iid) -> list[str]:
    store = open_store(service)
    try:
        comps = store.interviews.analysis(iid)["competencies"]
        return [k for k, c in comps.items() if c["score"] is not None and c["evidence"]]
    finally:
        store.close()


def stored(service) -> list[dict]:
    store = open_store(service)
    try:
        return store.verdicts.export()
    finally:
        store.close()


async def post(session, url: str, body):
    async with session.post(f"{url}/verdicts", json=body) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.json()


async def vote(session, url: str, **body):
    return await post(session, url, body)


async def test_the_page_shows_controls_for_scored_competencies_and_renders_without_javascript(site):
    service, iid, session = site
    comp = scored(service, iid)[0]
    url = service.report_url(iid)
    assert (await vote(session, url, competency=comp, verdict="too_high", user="Li Na"))[0] == 200
    async with session.get(url) as r:
        html, csp = await r.text(), r.headers["Content-Security-Policy"]
    # the tally is in the HTML itself; the controls are there but hidden until report.js shows them
    assert re.search(rf'data-tally="{comp}">评价: 1 偏高</span>', html)
    assert f'<div class="vote" data-competency="{comp}" hidden>' in html
    assert '<div id="verdicts" class="vote-bar" hidden' in html
    assert "onclick" not in html and '<script src="../report.js" defer></script>' in html
    assert "script-src 'sha256-" in csp and "'self'" in csp.split("script-src")[1].split(";")[0]
    assert "unsafe-inline" not in csp
    async with session.get(url.rsplit("/", 2)[0] + "/report.js") as r:  # where ../report.js resolves
        assert r.status == 200 and r.content_type == "text/javascript"
        assert "addEventListener" in await r.text()


async def test_a_vote_is_stored_as_web_and_the_latest_of_a_person_wins(site):
    service, iid, session = site
    comp, other = scored(service, iid)[:2]
    url = service.report_url(iid)
    status, ctype, body = await vote(session, url, competency=comp, verdict="agree", user="  Li   Na ")
    assert status == 200 and ctype.startswith("application/json")
    assert body["tally"] == {comp: {"agree": 1}} and body["tally_text"] == {comp: "1 同意"}
    await vote(session, url, competency=comp, verdict="wrong_evidence", user="Li Na")
    _, _, body = await vote(session, url, competency=comp, verdict="agree", user="王强")
    assert body["tally"][comp] == {"agree": 1, "wrong_evidence": 1}
    _, _, body = await vote(session, url, competency=other, verdict="missed", user="王强")
    assert body["tally"][other] == {"missed": 1}
    rows = {(r["user"], r["competency"]): r for r in stored(service)}
    assert set(rows) == {("Li Na", comp), ("王强", comp), ("王强", other)}
    assert {r["platform"] for r in rows.values()} == {"web"}
    mine = rows[("Li Na", comp)]
    assert mine["verdict"] == "wrong_evidence" and mine["evidence_text"] in mine["answer_text"]


async def test_forged_or_expired_links_are_refused_with_json_and_store_nothing(site):
    service, iid, session = site
    comp = scored(service, iid)[0]
    base = service.report_url(iid).rsplit("/", 1)[0]
    expired = links.sign(SECRET.encode(), iid, -60)
    forged = service.report_url(iid)[:-4] + "beef"
    for url in (f"{base}/{expired}", forged, f"{base}/not-a-token"):
        status, ctype, body = await vote(session, url, competency=comp, verdict="agree", user="Li Na")
        assert status == 403 and ctype.startswith("application/json") and "expired" in body["error"]
    assert stored(service) == []


async def test_a_vote_on_a_deleted_interview_is_refused_cleanly(site):
    service, iid, session = site
    comp = scored(service, iid)[0]
    url = service.report_url(iid)
    assert await service.delete(iid, "test")
    status, ctype, body = await vote(session, url, competency=comp, verdict="agree", user="Li Na")
    assert (status, body) == (410, {"error": "this interview was deleted"})
    assert ctype.startswith("application/json") and stored(service) == []


async def test_bad_votes_get_one_sentence_and_store_nothing(site):
    service, iid, session = site
    comp = scored(service, iid)[0]
    url = service.report_url(iid)
    for body, needle in (
        ({"competency": comp, "verdict": "meh", "user": "Li"}, "verdict must be"),
        ({"competency": "charisma", "verdict": "agree", "user": "Li"}, "unknown competency"),
        ({"competency": comp, "verdict": "agree", "user": "   "}, "user must be a name"),
        ({"competency": comp, "verdict": "agree", "user": "x" * 41}, "user must be a name"),
        ({"competency": comp, "verdict": "agree"}, "user is required"),
        ({"competency": comp, "verdict": "agree", "user": 7}, "user must be a name"),
        (["agree"], "must be an object"),
    ):
        status, _, answer = await post(session, url, body)
        assert status == 400 and needle in answer["error"], (body, answer)
    async with session.post(
        f"{url}/verdicts", data="competency=x", headers={"Content-Type": "text/plain"}
    ) as r:
        assert r.status == 415 and "JSON" in (await r.json())["error"]
    async with session.post(f"{url}/verdicts", data="{", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400 and "not valid JSON" in (await r.json())["error"]
    assert stored(service) == []


@pytest.mark.skipif(
    not (shutil.which("chromium") or shutil.which("chromium-browser")),
    reason="Debian chromium is not installed (scripts/test.sh installs it)",
)
async def test_in_a_real_browser_a_click_updates_the_tally_in_place(site):
    pw = pytest.importorskip("playwright.async_api")
    service, iid, _ = site
    comp = scored(service, iid)[0]
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
            controls = page.locator(f'.vote[data-competency="{comp}"]')
            await controls.wait_for(state="visible", timeout=15000)  # report.js ran under the CSP
            await page.evaluate("window.notReloaded = true")
            await controls.locator('button[data-verdict="too_high"]').click()
            await page.locator("#vote-status.bad").wait_for(timeout=10000)  # a name first
            await page.fill("#voter", "Li Na")
            await controls.locator('button[data-verdict="too_high"]').click()
            tally = page.locator(f'[data-tally="{comp}"]')
            await pw.expect(tally).to_contain_text("1 偏高", timeout=15000)
            assert await page.evaluate("window.notReloaded") is True  # in place, no reload
            assert "偏高" in await tally.inner_text()
            assert await controls.locator('button[data-verdict="too_high"]').get_attribute(
                "aria-pressed"
            ) == ("true")
            assert await page.evaluate("localStorage.getItem('interview-bot-voter')") == "Li Na"
            assert refused == []
        finally:
            await browser.close()
    [row] = stored(service)
    assert (row["user"], row["platform"], row["verdict"]) == ("Li Na", "web", "too_high")
    assert json.dumps(row, ensure_ascii=False)
