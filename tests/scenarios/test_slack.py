"""The Slack app with the real slack-bolt / slack_sdk against a local Slack: signed events, one threaded
report per recording, commands, access control, rate limits, restarts and Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from audiotools import write_audio
from conftest import FIXTURES, until
from fakes import fake_engine_factory
from slack_mock import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackMock,
    file_shared_event,
    message_event,
    sign,
)

from asr_engine.audio import decode
from bot import digest
from bot.config import load_settings
from bot.service import Service
from bot.storage import Store
from handlers.server import build_app, platform_apps
from handlers.slack import SlackPlatform

CHANNEL = "C0INTERVIEW"


class Env:
    def __init__(self, tmp_path, mock: SlackMock, **extra) -> None:
        self.tmp_path, self.mock, self.extra = tmp_path, mock, extra
        self.ack_ms: list[float] = []

    async def start(self) -> Env:
        env = {
            "IB_DATA_DIR": str(self.tmp_path / "data"),
            "IB_DB": str(self.tmp_path / "ib.db"),
            "IB_POLL_S": "0.1",
            "IB_LANGUAGE": "zh",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.mock.api_url,
            "SLACK_ADMIN_USERS": "UADMIN",
            "IB_JOB_LEASE_S": "2",
            "IB_SWEEP_S": "1",
            **self.extra,
        }
        self.settings = load_settings(env)
        self.service = Service(self.settings, engine_factory=fake_engine_factory(self.settings.engine))
        app = build_app(self.service)
        [self.slack] = platform_apps(self.service, ["slack"])
        assert isinstance(self.slack, SlackPlatform)
        self.slack.routes(app)
        self.store = Store(self.settings.db_path)  # the test's own connection, for inspecting
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.settings.public_url = str(self.server.make_url("")).rstrip("/")
        await self.service.start()
        await self.slack.start()
        return self

    async def stop(self) -> None:
        await self.slack.stop()
        await self.service.stop()
        await self.server.close()
        self.store.close()
        self.service.db.close()

    def count(self, sql: str) -> int:
        return self.store.db.execute(sql).fetchone()[0]

    def settled(self, files: int) -> bool:
        """Every one of `files` uploads is out of the inbox (queued, refused or ignored)."""
        return self.count("select count(*) from pending_files where finished = 1") == files

    async def post(
        self,
        payload: dict,
        *,
        retry: int | None = None,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> int:
        body = json.dumps(payload)
        headers = {"Content-Type": "application/json", **sign(body, timestamp, secret)}
        if retry is not None:
            headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
        t0 = time.perf_counter()
        async with aiohttp.ClientSession() as s:
            async with s.post(self.server.make_url("/slack/events"), data=body, headers=headers) as r:
                self.ack_ms.append((time.perf_counter() - t0) * 1000)
                return r.status

    async def command(self, text: str, user: str = "U1", channel: str = CHANNEL) -> dict:
        n = len(self.mock.responses)
        body = urlencode(
            {
                "token": "x",
                "team_id": "T1",
                "channel_id": channel,
                "user_id": user,
                "command": "/interview",
                "text": text,
                "response_url": self.mock.url(f"/respond/{n}"),
                "trigger_id": "1.2.3",
                "api_app_id": "A1",
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        t0 = time.perf_counter()
        async with aiohttp.ClientSession() as s:
            async with s.post(self.server.make_url("/slack/events"), data=body, headers=headers) as r:
                assert r.status == 200
                self.ack_ms.append((time.perf_counter() - t0) * 1000)
        return await until(lambda: self.mock.responses[n] if len(self.mock.responses) > n else None)


def reports(mock: SlackMock) -> list[dict]:
    """Reports posted (their marker says so): not the interviewer's private note, not command answers."""
    return [
        a
        for a in mock.called("chat.postMessage")
        if a.get("blocks")
        and str(((a.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith("report-")
    ]


@pytest.fixture
async def slack(tmp_path):
    mock = await SlackMock().start()
    envs: list[Env] = []

    async def make(**extra) -> Env:
        env = await Env(tmp_path, mock, **extra).start()
        envs.append(env)
        return env

    yield mock, make
    for env in envs:
        with contextlib.suppress(Exception):  # a test may have stopped it already
            await env.stop()
    await mock.close()


@pytest.fixture(scope="module")
def voice_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clips") / "audio_message_1a2b.mp4"
    return write_audio(path, decode(FIXTURES / "zh_short.flac").samples)


async def test_voice_clip_gets_one_threaded_report(slack, voice_clip):
    mock, make = slack
    env = await make()
    file = mock.add_file(
        "F1VOICE",
        voice_clip,
        name="audio_message_1a2b.mp4",
        mimetype="video/mp4",
        filetype="mp4",
        channel=CHANNEL,
        ts="1700000000.000001",
        subtype="slack_audio",
    )
    assert await env.post(message_event("Ev1", file, CHANNEL, "1700000000.000001")) == 200
    report = (await until(lambda: reports(mock)))[0]
    assert report["channel"] == CHANNEL and report["thread_ts"] == "1700000000.000001"
    blocks = json.loads(report["blocks"]) if isinstance(report["blocks"], str) else report["blocks"]
    assert blocks[0]["type"] == "header" and blocks[-1]["type"] == "actions"
    assert "/r/" in blocks[-1]["elements"][0]["url"]
    acks = [a for a in mock.called("chat.postMessage") if not a.get("blocks")]
    assert len(acks) == 1 and acks[0]["thread_ts"] == "1700000000.000001"
    # the one ack message is edited in place once the report is out (an edit just after the post: waited for)
    await until(lambda: any("✅" in u["text"] for u in mock.called("chat.update")))
    await env.slack.sweep()  # the sweep for missed reports finds nothing to post again
    assert len(reports(mock)) == 1
    assert max(env.ack_ms) < 3000


async def test_message_file_shared_and_retries_make_one_report(slack, tmp_path):
    mock, make = slack
    env = await make()
    m4a = write_audio(tmp_path / "张三_一面.m4a", decode(FIXTURES / "zh_short.flac").samples)
    file = mock.add_file(
        "F2M4A",
        m4a,
        name="张三_一面.m4a",
        mimetype="audio/mp4",
        filetype="m4a",
        channel=CHANNEL,
        ts="1700000000.000002",
    )
    msg = message_event("Ev2", file, CHANNEL, "1700000000.000002")
    shared = file_shared_event("Ev3", "F2M4A", CHANNEL)
    statuses = await asyncio.gather(
        env.post(msg), env.post(shared), env.post(msg, retry=1), env.post(shared, retry=2)
    )
    assert statuses == [200, 200, 200, 200]
    await until(lambda: reports(mock))
    await until(lambda: env.settled(1))
    await env.slack.sweep()
    assert len(reports(mock)) == 1
    assert len([a for a in mock.called("chat.postMessage") if not a.get("blocks")]) == 1
    assert len(mock.called("download")) == 1
    assert max(env.ack_ms) < 3000


async def test_restart_in_the_middle_still_gives_one_report(slack):
    mock, make = slack
    first = await make()
    file = mock.add_file(
        "F3",
        FIXTURES / "zh_short.flac",
        name="李四_二面.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="1700000000.000003",
    )
    await first.post(message_event("Ev4", file, CHANNEL, "1700000000.000003"))
    await until(lambda: mock.called("chat.postMessage"))  # acknowledged
    await first.stop()  # the process goes away before the report is posted
    second = await make()
    resumed = await second.slack.describe(
        {"file_id": "F3", "channel": CHANNEL, "thread": "1700000000.000003"}
    )
    assert resumed.recording and resumed.name == "李四_二面.flac" and resumed.ref["url"].endswith("/files/F3")
    await until(lambda: reports(mock))
    await second.post(message_event("Ev4", file, CHANNEL, "1700000000.000003"), retry=1)  # Slack retries too
    await until(lambda: second.settled(1))
    await second.slack.sweep()
    assert len(reports(mock)) == 1
    assert len([a for a in mock.called("chat.postMessage") if not a.get("blocks")]) == 1  # one ack


async def test_rate_limited_then_success(slack):
    mock, make = slack
    env = await make()
    mock.rate_limit_next["chat.postMessage"] = 1
    file = mock.add_file(
        "F4",
        FIXTURES / "zh_short.flac",
        name="x.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="1700000000.000004",
    )
    await env.post(message_event("Ev5", file, CHANNEL, "1700000000.000004"))
    await until(lambda: reports(mock))
    assert [m for m, _ in mock.calls].count("chat.postMessage:429") == 1
    assert len([a for a in mock.called("chat.postMessage") if not a.get("blocks")]) == 1  # retried, not lost
    counted = env.service.metrics.registry.get_sample_value
    assert counted("ib_platform_rate_limited_total", {"platform": "slack"}) == 1
    assert counted("ib_platform_retries_total", {"platform": "slack"}) == 1
    await until(lambda: counted("ib_reports_posted_total", {"platform": "slack"}) == 1)


async def test_forged_and_stale_signatures_are_refused(slack):
    mock, make = slack
    env = await make()
    file = mock.add_file(
        "F5",
        FIXTURES / "zh_short.flac",
        name="x.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="1.1",
    )
    event = message_event("Ev6", file, CHANNEL, "1.1")
    assert await env.post(event, secret="not-the-secret") == 401
    assert await env.post(event, timestamp=int(time.time()) - 6 * 60) == 401
    assert env.count("select count(*) from seen_events") == 0  # refused before any listener ran
    assert mock.called("chat.postMessage") == [] and mock.called("download") == []


async def test_non_audio_is_ignored_and_oversized_gets_one_explanation(slack, tmp_path):
    mock, make = slack
    env = await make(IB_MAX_UPLOAD_BYTES="50000")
    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    f1 = mock.add_file(
        "F6", pdf, name="cv.pdf", mimetype="application/pdf", filetype="pdf", channel=CHANNEL, ts="2.1"
    )
    await env.post(message_event("Ev7", f1, CHANNEL, "2.1"))
    f2 = mock.add_file(
        "F7",
        FIXTURES / "zh_short.flac",
        name="long.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="2.2",
    )
    await env.post(message_event("Ev8", f2, CHANNEL, "2.2"))
    await env.post(message_event("Ev8", f2, CHANNEL, "2.2"), retry=1)
    await until(lambda: env.settled(2))
    posts = mock.called("chat.postMessage")
    assert len(posts) == 1 and posts[0]["thread_ts"] == "2.2" and "上限" in posts[0]["text"]
    assert mock.called("download") == []


async def test_every_interview_command_and_access_control(slack):
    mock, make = slack
    env = await make()
    mock.members[CHANNEL] = ["U1"]
    file = mock.add_file(
        "F8",
        FIXTURES / "zh_short.flac",
        name="王五_一面.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="3.1",
    )
    await env.post(message_event("Ev9", file, CHANNEL, "3.1"))
    await until(lambda: reports(mock))
    interview_id = env.store.db.execute("select id from interviews").fetchone()[0]

    def text(resp):
        return json.dumps(resp, ensure_ascii=False)

    help_ = await env.command("help")  # IB_LANGUAGE=zh: answers in Chinese whatever was typed
    assert "报告 [id|最新]" in text(help_) and help_["response_type"] == "ephemeral"
    assert "报告" in text(await env.command("帮助"))
    latest = await env.command("report latest")
    assert latest["blocks"][0]["type"] == "header" and "/r/" in text(latest)
    by_id = await env.command(f"report {interview_id}")
    assert by_id["blocks"][0] == latest["blocks"][0] and by_id["blocks"][0]["type"] == "header"
    assert any(b.get("action_id") == "open_qa" for b in latest["blocks"][-1].get("elements", []))
    notes = await env.command("qa latest")  # notes by question: quotes with times, and the page's tab
    assert "按问题整理的笔记" in text(notes) and "“" in text(notes) and "#qa" in text(notes)
    asked = await env.command("ask 谁做过分库分表？")  # answers across interviews, quoted with a link
    assert "王五" in text(asked) and "分库分表" in text(asked) and "/r/" in text(asked)
    listed = await env.command("list 5")
    assert interview_id in text(listed) and "王五" in text(listed)
    found = await env.command("search 分库分表")
    assert "«分库分表»" in text(found) and "王五" in text(found)
    assert interview_id in text(await env.command("candidate 王五"))
    prof = await env.command("profile backend")
    assert prof["response_type"] == "in_channel" and "后端工程师" in text(prof)
    assert env.store.db.execute("select profile from channel_settings").fetchone()[0] == "backend_engineer"
    assert "不认识的命令" in text(await env.command("报销 100"))

    # U2 is not in the channel the recording was uploaded to
    denied = await env.command(f"report {interview_id}", user="U2", channel="C0OTHER")
    assert "没有找到这个面试" in text(denied)
    assert "没有找到这个面试" in text(await env.command(f"qa {interview_id}", user="U2", channel="C0OTHER"))
    assert "王五" not in text(await env.command("ask 谁做过分库分表？", user="U2", channel="C0OTHER"))
    assert interview_id not in text(await env.command("list", user="U2", channel="C0OTHER"))
    assert "«分库分表»" not in text(await env.command("search 分库分表", user="U2", channel="C0OTHER"))
    assert "没有找到这个面试" in text(
        await env.command(f"delete {interview_id}", user="U2", channel="C0OTHER")
    )
    # an admin sees everything
    assert "header" in text(await env.command(f"report {interview_id}", user="UADMIN", channel="C0OTHER"))

    deleted = await env.command(f"delete {interview_id}")
    assert "已删除" in text(deleted)
    assert env.count("select count(*) from interviews") == 0
    audit = env.store.audit.actions()
    assert "command:report" in audit and "view-report" in audit and "delete" in audit
    assert max(env.ack_ms) < 3000


async def test_withdrawn_consent_erases_the_candidate_and_the_bots_messages(slack):
    mock, make = slack
    env = await make(IB_REQUIRE_CONSENT="1")
    mock.members[CHANNEL] = ["U1"]
    file = mock.add_file(
        "F11",
        FIXTURES / "zh_short.flac",
        name="赵六_一面.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="5.1",
    )
    await env.post(message_event("Ev11", file, CHANNEL, "5.1"))
    await until(lambda: any("尚未转写" in (a.get("text") or "") for a in mock.called("chat.update")))
    assert not reports(mock)  # held: nothing transcribed before consent

    def text(resp):
        return json.dumps(resp, ensure_ascii=False)

    assert "赵六" in text(await env.command("consent 赵六 grant"))
    await until(lambda: reports(mock))
    notice = await env.command("notice")
    assert notice["response_type"] == "in_channel" and "撤回" in text(notice)
    assert "没有找到候选人" in text(await env.command("consent 赵六 withdraw", user="U2", channel="C0OTHER"))
    gone = await env.command("consent 赵六 withdraw 候选人邮件")
    assert "已删除 1 场面试" in text(gone)
    assert mock.called("chat.delete") and env.count("select count(*) from interviews") == 0
    assert "erase-candidate" in env.store.audit.actions()


async def test_socket_mode(slack):
    mock, make = slack
    await make(SLACK_APP_TOKEN=APP_TOKEN)
    file = mock.add_file(
        "F9",
        FIXTURES / "zh_short.flac",
        name="sock.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts="4.1",
    )
    await mock.ws_queue.put(
        {
            "envelope_id": "env-1",
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": message_event("Ev10", file, CHANNEL, "4.1"),
        }
    )
    await until(lambda: reports(mock))
    assert any(a.get("envelope_id") == "env-1" for a in mock.ws_acks)  # acknowledged over the socket
    assert mock.called("apps.connections.open")


async def test_digest_subscriptions_post_once_in_the_channel_and_by_dm(slack):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from history import store_round

    mock, make = slack
    env = await make()
    mock.members[CHANNEL] = ["U1", "UBOSS"]
    mock.timezones["UBOSS"] = "Europe/Berlin"
    channel_sub = await env.command("digest subscribe 09:00 Asia/Shanghai")
    assert channel_sub["response_type"] == "in_channel" and "09:00（Asia/Shanghai）" in json.dumps(
        channel_sub, ensure_ascii=False
    )
    personal = await env.command(
        "digest subscribe me 08:30 skip-empty", user="UBOSS"
    )  # zone from the Slack profile
    assert personal["response_type"] == "ephemeral" and "Europe/Berlin" in json.dumps(
        personal, ensure_ascii=False
    )
    assert "不是" in json.dumps(await env.command("digest subscribe 25:99"), ensure_ascii=False)
    subs = {s.target_kind: s for s in digest.subscriptions(env.store)}
    assert subs["dm"].target == "UBOSS" and subs["dm"].timezone == "Europe/Berlin" and subs["dm"].skip_empty

    # the next morning in Beijing: yesterday's interview is in the channel's digest
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    due = subs["channel"].scheduled_at(day)
    store_round(env.service, "2", at=due - timedelta(hours=2), channel=CHANNEL)
    outcomes = await env.service.digests.run_due(due + timedelta(seconds=5))
    assert [(o.subscription, o.status) for o in outcomes if o.subscription == subs["channel"].id] == [
        (subs["channel"].id, "posted")
    ]
    posted = [
        a
        for a in mock.called("chat.postMessage")
        if a.get("channel") == CHANNEL and a["text"].startswith("面试日报")
    ]
    assert (
        len(posted) == 1 and "thread_ts" not in posted[0]
    )  # a message of its own, not in a recording's thread
    blocks = json.loads(posted[0]["blocks"]) if isinstance(posted[0]["blocks"], str) else posted[0]["blocks"]
    assert blocks[0]["text"]["text"] == f"面试日报 · {day.isoformat()}" and "张伟" in json.dumps(
        blocks, ensure_ascii=False
    )
    # Berlin's 08:30 comes later; the manager gets it in a DM
    berlin = subs["dm"].scheduled_at(day)
    await env.service.digests.run_due(berlin + timedelta(seconds=5))
    assert mock.called("conversations.open")[-1]["users"] == "UBOSS"
    assert [
        a["channel"] for a in mock.called("chat.postMessage") if a.get("blocks") and a["channel"] == "DUBOSS"
    ] == ["DUBOSS"]
    # restarts and later ticks the same day post nothing more
    digests = lambda: [a for a in mock.called("chat.postMessage") if a["text"].startswith("面试日报")]  # noqa: E731
    assert len(digests()) == 2
    assert await env.service.digests.run_due(berlin + timedelta(minutes=30)) == []
    assert len(digests()) == 2
    preview = await env.command("digest")
    assert preview["blocks"][0]["type"] == "header" and preview["response_type"] == "ephemeral"
    assert "Asia/Shanghai" in json.dumps(await env.command("digest list"), ensure_ascii=False)
    assert "已退订" in json.dumps(
        await env.command("digest unsubscribe me", user="UBOSS"), ensure_ascii=False
    )
    assert [s.target_kind for s in digest.subscriptions(env.store)] == ["channel"]


def add_recording(mock: SlackMock, file_id: str, ts: str) -> dict:
    return mock.add_file(
        file_id,
        FIXTURES / "zh_short.flac",
        name=f"{file_id}.flac",
        mimetype="audio/flac",
        filetype="flac",
        channel=CHANNEL,
        ts=ts,
    )


async def test_a_report_is_not_lost_when_slack_answers_500(slack):
    mock, make = slack
    env = await make()
    mock.report_faults = [(500, False), (503, False)]  # two failed posts (not retried blindly)
    mock.fail_next["chat.update"] = [500]  # an edit is retried by slack_sdk's server-error handler
    ts = "1700000000.000015"
    await env.post(message_event("Ev15", add_recording(mock, "F15", ts), CHANNEL, ts))
    await until(lambda: reports(mock))  # pending until truly posted: the sweep tried again
    assert [m for m, _ in mock.calls].count("chat.postMessage:500") == 1
    assert len(reports(mock)) == 1 and len(mock.reports_in_thread(CHANNEL, ts)) == 1
    posted = await until(lambda: env.count("select count(*) from platform_posts where message_id like '17%'"))
    assert posted >= 1 and env.count("select count(*) from platform_posts where message_id = '-'") == 0
    assert [m for m, _ in mock.calls].count("chat.update:500") == 1
    await env.slack.sweep()
    assert len(mock.reports_in_thread(CHANNEL, ts)) == 1


async def test_a_report_posted_but_never_recorded_is_found_in_the_thread_not_posted_twice(slack):
    mock, make = slack
    env = await make()
    mock.report_faults = [(500, True)]  # Slack posted it; the answer never reached the bot
    ts = "1700000000.000016"
    await env.post(message_event("Ev16", add_recording(mock, "F16", ts), CHANNEL, ts))
    await until(lambda: mock.called("conversations.replies"))  # the sweep looked in the thread
    [report] = mock.reports_in_thread(CHANNEL, ts)
    sql = f"select count(*) from platform_posts where kind = 'report' and message_id = '{report['ts']}'"
    await until(lambda: env.count(sql))  # adopted: the store knows the post that is in the thread
    await env.slack.sweep()
    assert len(mock.reports_in_thread(CHANNEL, ts)) == 1


async def test_a_failure_notice_is_not_lost_when_slack_fails_the_update(slack):
    """A failed interview's reason is edited into its acknowledgement: when Slack fails every try of
    that edit, the notice stays pending and the sweep delivers it, instead of "transcribing" forever."""
    from datetime import UTC, datetime

    from history import store_round

    mock, make = slack
    env = await make()
    ts = "1700000000.000017"
    iid = store_round(env.service, "1", at=datetime.now(UTC), platform="slack", channel=CHANNEL)
    with env.store.db.conn:
        env.store.db.conn.execute(
            "update interviews set status = 'failed', error = 'the recording is silent', thread = ? "
            "where id = ?",
            [ts, iid],
        )
    ack = "1700000001.000170"
    env.store.posts.link_ack("slack", CHANNEL, iid, ack)
    mock.fail_next["chat.update"] = [500] * 4  # the first try and slack_sdk's three retries
    await env.slack.post_report(await env.service.db.interviews.get(iid))
    assert [m for m, _ in mock.calls].count("chat.update:500") == 4
    sql = "select message_id from platform_posts where platform = 'slack' and kind = 'report'"
    assert env.store.db.execute(sql).fetchall() == [(None,)]  # not recorded as delivered: still pending
    await env.slack.sweep()  # or the service's own sweep (every second here) is already delivering it
    [notice] = await until(lambda: [a for a in mock.called("chat.update") if a["ts"] == ack])
    assert "the recording is silent" in notice["text"]
    await until(lambda: env.store.db.execute(sql).fetchall() == [(ack,)])


async def test_the_interviewer_alone_gets_their_metrics_and_flags_and_compliance_the_flags(slack):
    from history import store_interview

    mock, make = slack
    env = await make(IB_COMPLIANCE_CHANNEL="slack:C0COMPLIANCE")
    mock.members[CHANNEL] = ["U1"]
    lines = [
        ("interviewer", "先简单介绍一下你自己吧。"),
        ("candidate", "我在上一家公司做支付系统，负责幂等和对账，把重复扣款降到了零。"),
        ("interviewer", "你结婚了吗？打算什么时候要孩子？"),
        ("candidate", "这个和工作有关系吗？"),
    ]
    at = __import__("datetime").datetime.now(__import__("datetime").UTC)
    iid = store_interview(env.service, lines=lines, candidate="周七", at=at, channel=CHANNEL)
    with env.store.db.conn:
        env.store.db.execute("update interviews set uploader = 'U1', thread = '9.1' where id = ?", [iid])
    interview = env.store.interviews.get(iid)
    await env.slack.deliver_coaching(interview)
    await env.slack.deliver_coaching(interview)  # once only

    posts = mock.called("chat.postMessage")
    dm = [p for p in posts if p["channel"].startswith("D")]  # the app's direct message with U1
    compliance = [p for p in posts if p["channel"] == "C0COMPLIANCE"]
    assert len(dm) == 1 and len(compliance) == 1 and mock.called("conversations.open")[0]["users"] == "U1"
    text = json.dumps(dm[0], ensure_ascii=False)
    assert "仅你可见" in text and "/i/" + iid in text and "结婚" in text and "妇女权益保障法" in text
    assert "结婚" in json.dumps(compliance[0], ensure_ascii=False)
    assert not [p for p in posts if p["channel"] == CHANNEL]  # never into the hiring thread

    async with aiohttp.ClientSession() as s:  # the private page opens with its own link only
        page = env.service.interviewer_url(iid)
        async with s.get(page) as r:
            assert r.status == 200 and "结婚" in await r.text()
        report_token = env.service.report_url(iid).rsplit("/", 1)[1]
        async with s.get(env.server.make_url(f"/i/{iid}/{report_token}")) as r:
            assert r.status == 404  # a report link does not open the interviewer's page
    coach = await env.command("coach")  # the caller's own trend, to the caller alone
    said = json.dumps(coach, ensure_ascii=False)
    assert coach["response_type"] == "ephemeral" and "1 场面试" in said and "提问数: 3 (团队 –)" in said
