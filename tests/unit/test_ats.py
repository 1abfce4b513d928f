"""A scorecard draft in the ATS, exactly once: each connector against a local server speaking its
documented shapes (Lever, Greenhouse Harvest v3; Feishu Hire through the real lark-oapi client), the
claim / marker / look-up flow (an ATS that stores the note and then fails is not posted to twice), a
changed analysis superseding the first note, ambiguity, configuration errors."""

from __future__ import annotations

import asyncio
from contextlib import closing
from datetime import UTC, datetime

import pytest
from ats_mocks import (
    GH_CLIENT,
    GH_SECRET,
    GH_USER,
    LEVER_KEY,
    LEVER_USER,
    FeishuHireMock,
    GreenhouseMock,
    LeverMock,
)
from feishu_mock import APP_ID, APP_SECRET
from history import SCORED_LINES, open_store, store_interview

from bot import ats
from bot.config import ConfigError, load_settings
from bot.service import Service
from handlers.ats import AtsNotConfigured, connector, target_of

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def settings(tmp_path, **env):
    return load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db"), **env})


@pytest.fixture
async def lever(tmp_path):
    mock = await LeverMock().start()
    mock.opportunities = [
        {"id": "opp-1", "name": "Zhang Wei", "headline": "Backend engineer"},
        {"id": "opp-2", "name": "Li Na", "headline": "SRE"},
        {"id": "opp-3", "name": "Wang Fang", "headline": "PM"},
    ]
    env = {"IB_ATS": "lever", "IB_LEVER_API_KEY": LEVER_KEY, "IB_LEVER_USER_ID": LEVER_USER}
    svc = Service(settings(tmp_path, IB_LEVER_URL=mock.url("/v1"), IB_ATS_TIMEOUT_S="1", **env))
    iid = store_interview(svc, lines=SCORED_LINES, candidate="Zhang Wei", round_="1", at=AT)
    yield mock, svc, iid
    svc.db.close()
    await mock.close()


def request(iid: str, **kw) -> ats.SendRequest:
    return ats.SendRequest(iid, user="Ada Recruiter", via="slack", report_url="https://ib.example/r/x", **kw)


async def send(svc, iid, name=None, **kw) -> ats.SendResult:
    conn = connector(svc.settings.ats, name)
    try:
        return await ats.send(svc.db, conn, request(iid, **kw), owner="test")
    finally:
        await conn.close()


def note_text(mock: LeverMock, i: int = -1) -> str:
    return mock.notes[i]["fields"][0]["value"]


async def test_lever_note_is_a_secret_draft_with_scores_evidence_and_marker(lever):
    mock, svc, iid = lever
    result = await send(svc, iid)
    assert (result.target, result.status, result.application_id) == ("lever", "sent", "opp-1")
    [post] = mock.posts()
    assert post[2]["query"] == {"perform_as": LEVER_USER} and post[2]["body"]["secret"] is True
    text = note_text(mock)
    analysis = svc.db.blocking(lambda s: s.interviews.analysis(iid))
    scored = next(c for c in analysis["competencies"].values() if c["score"] is not None)
    assert analysis["summary"]["recommendation"] in text
    assert f"“{scored['evidence'][0]['text']}”" in text and "/5" in text
    assert "Ada Recruiter" in text and "https://ib.example/r/x" in text
    assert analysis["followups"][0]["question"] in text
    assert text.rstrip().endswith("]") and f"[interview-bot:{iid}:" in text
    assert result.external_id == mock.notes[0]["id"]


async def test_sending_again_unchanged_posts_nothing_and_a_verdict_supersedes(lever):
    mock, svc, iid = lever
    first = await send(svc, iid)
    again = await send(svc, iid)
    assert again.status == "already_sent" and again.external_id == first.external_id
    assert len(mock.posts()) == 1
    comp = next(
        k
        for k, c in svc.db.blocking(lambda s: s.interviews.analysis(iid))["competencies"].items()
        if c["score"]
    )
    svc.db.blocking(lambda s: s.verdicts.record(iid, comp, "too_high", "U9", "slack"))
    changed = await send(svc, iid)
    assert changed.status == "superseded" and changed.external_id != first.external_id
    assert f"取代之前的笔记 {first.external_id}" in note_text(mock)  # the analysis is in Chinese
    assert len(mock.posts()) == 2
    assert (await send(svc, iid)).status == "already_sent"


async def test_an_ats_that_stores_the_note_then_fails_is_not_posted_to_twice(lever):
    mock, svc, iid = lever
    mock.fail_posts = ["500-stored"]
    with pytest.raises(ats.AtsFailure, match="HTTP 500"):
        await send(svc, iid)
    assert len(mock.notes) == 1  # it is there, but we were not told
    retry = await send(svc, iid)
    assert retry.status == "sent" and retry.external_id == mock.notes[0]["id"]
    assert len(mock.posts()) == 1 and len(mock.notes) == 1  # found by its marker, not posted again
    assert any(c[1] == "notes/opp-1" and c[0] == "GET" for c in mock.calls)


async def test_a_refusal_or_timeout_stays_retryable_and_posts_once_when_it_works(lever):
    mock, svc, iid = lever
    mock.fail_posts = ["500", "slow"]
    with pytest.raises(ats.AtsFailure, match="HTTP 500"):
        await send(svc, iid)
    with pytest.raises(ats.AtsFailure, match="in time"):
        await send(svc, iid)
    assert (await send(svc, iid)).status == "sent"
    assert len(mock.notes) == 1


async def test_a_send_in_flight_holds_the_claim(lever):
    mock, svc, iid = lever
    mock.fail_posts, mock.slow_s = ["slow"], 0.5
    svc.settings.ats = type(svc.settings.ats)(svc.settings.ats.default, svc.settings.ats.values, 5.0)
    first = asyncio.ensure_future(send(svc, iid))
    await asyncio.sleep(0.2)
    with pytest.raises(ats.ClaimHeld):
        await send(svc, iid)
    with pytest.raises(ats.AtsFailure):  # the slow one's answer is an error
        await first


async def test_two_applications_of_one_name_are_asked_about_and_an_explicit_one_is_used(lever):
    mock, svc, iid = lever
    mock.opportunities.append({"id": "opp-9", "name": "zhang  wei", "headline": "Data engineer"})
    with pytest.raises(ats.Ambiguous) as asked:
        await send(svc, iid)
    assert {a.id for a in asked.value.applications} == {"opp-1", "opp-9"}
    assert "Data engineer" in str(asked.value) and not mock.posts()
    assert (await send(svc, iid, application="opp-9")).application_id == "opp-9"
    assert mock.posts()[0][1] == "notes/opp-9"


async def test_the_upload_names_the_application(lever):
    mock, svc, iid = lever
    svc.db.blocking(lambda s: s.ats.set_application(iid, "opp-3"))
    assert (await send(svc, iid)).application_id == "opp-3"


def test_configuration_names_the_variable_to_set(tmp_path):
    with pytest.raises(ConfigError, match="IB_ATS must be one of feishu-hire, greenhouse, lever"):
        settings(tmp_path, IB_ATS="workday")
    with pytest.raises(ConfigError, match="IB_ATS=lever needs IB_LEVER_API_KEY, IB_LEVER_USER_ID"):
        settings(tmp_path, IB_ATS="lever")
    with pytest.raises(ConfigError, match="IB_LEVER_URL must be an http"):
        settings(tmp_path, IB_LEVER_URL="api.lever.co")
    with pytest.raises(AtsNotConfigured, match="no ATS is configured: set IB_ATS"):
        target_of(settings(tmp_path).ats, None)
    with pytest.raises(AtsNotConfigured, match="set IB_GREENHOUSE_CLIENT_ID"):
        target_of(settings(tmp_path).ats, "greenhouse")


async def test_greenhouse_client_credentials_private_note_and_marker_lookup(tmp_path):
    mock = await GreenhouseMock().start()
    mock.candidates = [{"id": 1, "first_name": "Ann", "last_name": "Lee"}, {"id": 2, "first_name": "Bo", "last_name": "Li"},
                       {"id": 3, "first_name": "Wei", "last_name": "Zhang"}]  # fmt: skip
    mock.applications = [{"id": 30, "candidate_id": 3}, {"id": 10, "candidate_id": 1}]
    mock.notes = [
        {"id": 1, "candidate_id": 3, "body": "older note"},
        {"id": 2, "candidate_id": 3, "body": "another"},
    ]
    env = {
        "IB_GREENHOUSE_CLIENT_ID": GH_CLIENT,
        "IB_GREENHOUSE_CLIENT_SECRET": GH_SECRET,
        "IB_GREENHOUSE_USER_ID": GH_USER,
    }
    svc = Service(
        settings(
            tmp_path, IB_GREENHOUSE_URL=mock.url("/v3"), IB_GREENHOUSE_TOKEN_URL=mock.url("/token"), **env
        )
    )
    iid = store_interview(svc, lines=SCORED_LINES, candidate="Zhang Wei", at=AT)
    try:
        mock.fail_posts = ["500-stored"]
        with pytest.raises(ats.AtsFailure):
            await send(svc, iid, "greenhouse")
        result = await send(svc, iid, "greenhouse")
        assert (result.status, result.application_id) == ("sent", "30")
        [posted] = [c[2] for c in mock.calls if c[:2] == ("POST", "notes")]
        assert posted["visibility"] == "private" and posted["user_id"] == int(GH_USER)
        assert posted["candidate_id"] == 3 and posted["application_id"] == 30
        assert result.external_id == str(mock.notes[-1]["id"]) and len(mock.notes) == 3  # found on page 2
        token_call = next(c[2] for c in mock.calls if c[1] == "token")
        assert token_call == {"grant_type": "client_credentials", "sub": GH_USER}
    finally:
        svc.db.close()
        await mock.close()


@pytest.fixture
async def hire(tmp_path):
    mock = await FeishuHireMock().start()
    mock.applications = {
        "app-1": {"talent_id": "t-1", "name": "张伟"},
        "app-2": {"talent_id": "t-1", "name": "张伟"},
    }
    at_ms = int(AT.timestamp() * 1000)
    mock.interviews = [
        {"id": "iv-1", "application_id": "app-1", "begin_time": at_ms - 30 * 86400_000, "end_time": at_ms},
        {"id": "iv-2", "application_id": "app-2", "begin_time": at_ms - 1800_000, "end_time": at_ms},
    ]
    mock.notes = [
        {"id": "1", "talent_id": "t-1", "content": "a"},
        {"id": "2", "talent_id": "t-1", "content": "b"},
    ]
    env = {"FEISHU_APP_ID": APP_ID, "FEISHU_APP_SECRET": APP_SECRET, "FEISHU_DOMAIN": mock.domain}
    svc = Service(settings(tmp_path, IB_ATS="feishu-hire", **env))
    iid = store_interview(svc, lines=SCORED_LINES, candidate="张伟", at=AT)
    yield mock, svc, iid
    svc.db.close()
    await mock.close()


async def test_feishu_hire_matches_the_application_by_interview_time_and_posts_a_private_note(hire):
    mock, svc, iid = hire
    mock.fail_posts = ["500-stored"]
    with pytest.raises(ats.AtsFailure, match="Feishu Hire"):
        await send(svc, iid)
    result = await send(svc, iid)
    assert (result.target, result.status, result.application_id) == ("feishu-hire", "sent", "app-2")
    [post] = mock.posts()
    assert post[2]["talent_id"] == "t-1" and post[2]["application_id"] == "app-2" and post[2]["privacy"] == 1
    assert result.external_id == mock.notes[-1]["id"] and len(mock.notes) == 3
    assert "面试评估草稿" in post[2]["content"] and f"[interview-bot:{iid}:" in post[2]["content"]


async def test_import_feishu_hire_minutes_is_analysed_and_stored(hire, capsys, monkeypatch):
    mock, svc, _ = hire
    mock.minutes["iv-2"] = [
        {"content": "你们支付回调重复通知怎么处理的？", "speak_time": "00:05", "user_type": 1},
        {"content": "我们用订单号做幂等键，先查 Redis 再落库，保证重复回调只处理一次，上线后重复扣款降到零。",
         "speak_time": "00:12", "user_type": 2},
        {"content": "如果 Redis 挂了呢？", "speak_time": "01:02", "user_type": 1},
        {"content": "数据库唯一索引兜底，我当时写了压测脚本验证过。", "speak_time": "01:10", "user_type": 2},
    ]  # fmt: skip
    from handlers.cli import main

    for key, value in {"IB_DATA_DIR": str(svc.settings.data_dir), "IB_DB": str(svc.settings.db_path),
                       "FEISHU_APP_ID": APP_ID, "FEISHU_APP_SECRET": APP_SECRET, "FEISHU_DOMAIN": mock.domain}.items():  # fmt: skip
        monkeypatch.setenv(key, value)

    def run(*argv: str) -> int:  # in a thread: the mock answers on this test's event loop
        return asyncio.to_thread(main, list(argv))

    assert await run("import", "feishu-hire", "iv-2", "--candidate", "张伟", "--format", "json") == 0
    out = capsys.readouterr()
    assert "imported as" in out.err
    iid = out.err.split("imported as ")[1].split(":")[0]
    with closing(open_store(svc)) as store:
        row, analysis = store.interviews.get(iid), store.interviews.analysis(iid)
    assert row["status"] == "done" and row["source"] == "feishu-hire:iv-2"
    assert [s["speaker"] for s in analysis["segments"]][:2] == ["interviewer", "candidate"]
    assert analysis["segments"][1]["start"] == 12.0
    assert await run("import", "feishu-hire", "iv-2") == 0
    assert "already imported as " + iid in capsys.readouterr().err
    assert await run("import", "feishu-hire", "nope") == 1


async def test_a_note_lost_in_a_failure_is_found_before_a_changed_analysis_is_sent(lever):
    mock, svc, iid = lever
    mock.fail_posts = ["500-stored"]
    with pytest.raises(ats.AtsFailure):
        await send(svc, iid)
    comp = next(
        k
        for k, c in svc.db.blocking(lambda s: s.interviews.analysis(iid))["competencies"].items()
        if c["score"]
    )
    svc.db.blocking(lambda s: s.verdicts.record(iid, comp, "agree", "U9", "slack"))
    changed = await send(svc, iid)
    assert changed.status == "superseded"  # the first note did go out, and the new one says so
    assert f"取代之前的笔记 {mock.notes[0]['id']}" in note_text(mock) and len(mock.notes) == 2


async def test_a_sender_that_died_after_posting_is_taken_over_after_the_stale_time(lever):
    mock, svc, iid = lever

    def claim_as_dead_sender(s) -> str:
        digest = ats.analysis_digest(s.interviews.analysis(iid), s.verdicts.tally(iid))
        s.ats.claim(
            iid, "lever", digest, application_id="opp-1", user="x", owner="dead", supersedes=None, stale_s=120
        )
        return digest

    digest = svc.db.blocking(claim_as_dead_sender)
    mock.notes.append({"id": "note-9", "opportunity": "opp-1", "text": "Note",
                       "fields": [{"value": f"…\n{ats.marker(iid, digest)}"}]})  # fmt: skip
    with pytest.raises(ats.ClaimHeld):  # still fresh: the other sender may be posting right now
        await send(svc, iid)
    svc.db.blocking(lambda s: s.db.execute("update ats_sends set claimed_at = '2026-01-01T00:00:00+00:00'"))
    svc.db.blocking(lambda s: s.db.conn.commit())
    result = await send(svc, iid)
    assert (result.status, result.external_id) == ("sent", "note-9") and not mock.posts()
