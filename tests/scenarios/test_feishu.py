"""The Feishu app with the real lark-oapi against a local Feishu: encrypted, signed webhooks, threaded report
cards, @bot commands in Chinese, access control, redelivery, and the long-connection supervisor."""

from __future__ import annotations

import json
import threading
import time

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from audiotools import write_audio
from conftest import FIXTURES, until
from fakes import fake_engine_factory
from feishu_mock import (
    APP_ID,
    APP_SECRET,
    ENCRYPT_KEY,
    VERIFICATION_TOKEN,
    FeishuMock,
    encrypt,
    message_event,
    signed,
)

from asr_engine.audio import decode
from bot import digest
from bot.config import load_settings
from bot.service import Service
from bot.storage import Store
from handlers.feishu import FeishuPlatform, Supervisor
from handlers.server import build_app, platform_apps

CHAT = "oc_hiring"
BOT_MENTION = [
    {"key": "@_user_1", "id": {"open_id": "ou_bot"}, "name": "interview-bot", "tenant_key": "tenant"}
]


class Env:
    def __init__(self, tmp_path, mock: FeishuMock) -> None:
        self.tmp_path, self.mock = tmp_path, mock

    async def start(self) -> Env:
        self.settings = load_settings(
            {
                "IB_DATA_DIR": str(self.tmp_path / "data"),
                "IB_DB": str(self.tmp_path / "ib.db"),
                "IB_POLL_S": "0.1",
                "IB_LANGUAGE": "auto",
                "IB_SWEEP_S": "1",
                "IB_JOB_LEASE_S": "2",  # a job the stopped process held is taken over soon
                "FEISHU_APP_ID": APP_ID,
                "FEISHU_APP_SECRET": APP_SECRET,
                "FEISHU_VERIFICATION_TOKEN": VERIFICATION_TOKEN,
                "FEISHU_ENCRYPT_KEY": ENCRYPT_KEY,
                "FEISHU_DOMAIN": self.mock.domain,
                "FEISHU_ADMIN_USERS": "ou_admin",
            }
        )
        self.service = Service(self.settings, engine_factory=fake_engine_factory(self.settings.engine))
        app = build_app(self.service)
        [self.feishu] = platform_apps(self.service, ["feishu"])
        assert isinstance(self.feishu, FeishuPlatform)
        self.feishu.routes(app)
        self.store = Store(self.settings.db_path)  # the test's own connection, for inspecting
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        self.settings.public_url = str(self.server.make_url("")).rstrip("/")
        await self.service.start()
        await self.feishu.start()
        return self

    async def stop(self) -> None:
        await self.feishu.stop()
        await self.service.stop()
        await self.server.close()
        self.store.close()
        self.service.db.close()

    def count(self, sql: str) -> int:
        return self.store.db.execute(sql).fetchone()[0]

    def seen(self, events: int) -> bool:
        """`events` distinct events have reached the handler (lark-oapi answers before it runs)."""
        return self.count("select count(*) from seen_events") == events

    async def post(self, payload, **kw) -> tuple[int, dict]:
        body, headers = signed(payload, **kw)
        async with aiohttp.ClientSession() as s:
            async with s.post(self.server.make_url("/feishu/events"), data=body, headers=headers) as r:
                return r.status, await r.json(content_type=None)


def report_cards(mock: FeishuMock) -> list[dict]:
    return [r for r in mock.called("reply") if r.get("uuid", "").startswith("report-")]


@pytest.fixture
async def feishu(tmp_path):
    mock = await FeishuMock().start()
    env = await Env(tmp_path, mock).start()
    yield mock, env
    await env.stop()
    await mock.close()


@pytest.fixture(scope="module")
def opus_clip(tmp_path_factory):
    return write_audio(
        tmp_path_factory.mktemp("fs") / "voice.opus", decode(FIXTURES / "zh_short.flac").samples
    )


async def test_url_verification_challenge(feishu):
    mock, env = feishu
    status, body = await env.post(
        {"challenge": "ch-42", "token": VERIFICATION_TOKEN, "type": "url_verification"}
    )
    assert status == 200 and body == {"challenge": "ch-42"}


async def test_bad_signature_token_or_key_is_refused(feishu, opus_clip):
    mock, env = feishu
    mock.resources[("om_x", "file_x")] = opus_clip.read_bytes()
    event = message_event("ev-bad", "om_x", CHAT, "audio", {"file_key": "file_x", "duration": 5000})
    assert (await env.post(event, tamper=True))[0] == 401
    assert (
        await env.post(
            message_event("ev-bad2", "om_x", CHAT, "audio", {"file_key": "file_x"}, token="forged")
        )
    )[0] == 401
    assert (await env.post(event, key="wrong-encrypt-key"))[0] == 401
    assert env.count("select count(*) from seen_events") == 0  # refused before any handler ran
    assert mock.called("reply") == [] and mock.called("resource") == []


async def test_audio_message_gets_one_threaded_report_card_despite_redelivery(feishu, opus_clip):
    mock, env = feishu
    mock.resources[("om_audio1", "file_v2_a")] = opus_clip.read_bytes()
    event = message_event("ev-1", "om_audio1", CHAT, "audio", {"file_key": "file_v2_a", "duration": 5600})
    started = time.perf_counter()
    assert (await env.post(event))[0] == 200
    ack_ms = (time.perf_counter() - started) * 1000
    assert ack_ms < 3000  # Feishu pushes again after 3 s
    assert (await env.post(event))[0] == 200  # redelivery, same event_id
    redelivered = message_event(
        "ev-1b", "om_audio1", CHAT, "audio", {"file_key": "file_v2_a", "duration": 5600}
    )
    assert (await env.post(redelivered))[0] == 200  # a new event id for the same message
    card = (await until(lambda: report_cards(mock)))[0]
    await until(lambda: env.seen(2))  # both event ids handled
    await env.feishu.sweep()  # the sweep for missed reports finds nothing to post again
    assert len(report_cards(mock)) == 1
    assert card["to"] == "om_audio1" and card["reply_in_thread"] is True and card["msg_type"] == "interactive"
    content = json.loads(card["content"])
    assert content["elements"][-1]["actions"][0]["url"].startswith(env.settings.public_url + "/r/")
    acks = [r for r in mock.called("reply") if r["uuid"].startswith("ack-")]
    assert len(acks) == 1 and len(mock.called("resource")) == 1
    # the ack card is updated in place just after the report goes out: waited for, not assumed
    await until(lambda: any("✅" in p["content"] for p in mock.called("patch")))


async def test_file_message_with_m4a_and_commands_with_access_control(feishu, tmp_path):
    mock, env = feishu
    mock.members[CHAT] = ["ou_member"]
    m4a = write_audio(tmp_path / "张三_一面.m4a", decode(FIXTURES / "zh_short.flac").samples)
    mock.resources[("om_file1", "file_v2_m")] = m4a.read_bytes()
    await env.post(
        message_event(
            "ev-2", "om_file1", CHAT, "file", {"file_key": "file_v2_m", "file_name": "张三_一面.m4a"}
        )
    )
    await until(lambda: report_cards(mock))
    # a PDF is not a recording
    await env.post(message_event("ev-3", "om_pdf", CHAT, "file", {"file_key": "k", "file_name": "简历.pdf"}))
    await until(lambda: env.seen(2))
    interview_id = env.store.db.execute("select id from interviews").fetchone()[0]

    async def ask(text: str, user: str = "ou_member", chat: str = CHAT, chat_type: str = "group") -> str:
        n = len(mock.called("reply"))
        mid = f"om_cmd_{time.monotonic_ns()}"
        await env.post(
            message_event(
                f"ev-{mid}",
                mid,
                chat,
                "text",
                {"text": f"@_user_1 {text}"},
                user=user,
                chat_type=chat_type,
                mentions=BOT_MENTION,
            )
        )
        reply = await until(lambda: mock.called("reply")[n:])
        assert reply[0]["to"] == mid and reply[0]["msg_type"] == "interactive"
        return json.dumps(json.loads(reply[0]["content"]), ensure_ascii=False)

    assert "报告 [id|最新]" in await ask("帮助")
    latest = await ask("报告 最新")
    assert "header" in latest and "/r/" in latest
    assert interview_id in await ask("列表")
    assert "«分库分表»" in await ask("搜索 分库分表")
    assert interview_id in await ask("候选人 张三")
    assert "后端工程师" in await ask("岗位 backend")
    # answers across interviews are personal (quotes from every chat the asker is in): by DM, not in the group
    assert "私信" in await ask("提问 谁做过分库分表？")
    [dm] = [c for c in mock.called("create") if c["receive_id_type"] == "open_id"][-1:]
    assert dm["receive_id"] == "ou_member" and "分库分表" in dm["content"]
    assert "Usage" in await ask("help")  # answered in the language typed (IB_LANGUAGE=auto)
    # someone outside the chat, in a private chat with the bot
    denied = await ask(f"报告 {interview_id}", user="ou_stranger", chat="oc_p2p", chat_type="p2p")
    assert "没有找到这个面试" in denied
    assert "/r/" in await ask(f"报告 {interview_id}", user="ou_admin", chat="oc_p2p", chat_type="p2p")
    assert "已删除" in await ask(f"删除 {interview_id}")
    assert env.count("select count(*) from interviews") == 0
    assert len(report_cards(mock)) == 1  # the PDF got nothing


async def test_plain_chat_messages_without_a_mention_are_ignored(feishu):
    mock, env = feishu
    await env.post(message_event("ev-9", "om_chat", CHAT, "text", {"text": "今天面试几点开始？"}))
    await until(lambda: env.seen(1))
    await env.post(
        message_event("ev-10", "om_chat", CHAT, "text", {"text": "@_user_1 帮助"}, mentions=BOT_MENTION)
    )
    await until(lambda: mock.called("reply"))  # events are handled in order: the first got no answer
    assert [r["to"] for r in mock.called("reply")] == ["om_chat"] and len(mock.called("reply")) == 1


def test_supervisor_restarts_a_long_connection_client_that_died():
    starts: list[float] = []
    done = threading.Event()

    class DyingClient:
        def start(self):
            starts.append(time.monotonic())
            if len(starts) >= 3:
                done.set()
                time.sleep(0.05)
                return
            raise ConnectionError("reconnect attempts exhausted")

    sup = Supervisor(lambda: DyingClient(), backoff_s=0.05)
    sup.start()
    assert done.wait(10)
    sup.stop()
    assert len(starts) >= 3 and sup.restarts >= 2
    assert sup.last_error in ("ConnectionError: reconnect attempts exhausted", "the long connection returned")


def test_encryption_helper_matches_lark_oapi():
    from lark_oapi.core.utils import AESCipher

    assert json.loads(AESCipher(ENCRYPT_KEY).decrypt_str(encrypt({"a": "幂等"}))) == {"a": "幂等"}


async def test_restart_in_the_middle_gives_one_report(tmp_path, opus_clip):
    mock = await FeishuMock().start()
    try:
        content = {"file_key": "file_v2_r", "duration": 5600}
        mock.resources[("om_restart", "file_v2_r")] = opus_clip.read_bytes()
        mock.messages["om_restart"] = {"message_type": "audio", "content": json.dumps(content)}
        first = await Env(tmp_path, mock).start()
        await first.post(message_event("ev-r1", "om_restart", CHAT, "audio", content))
        await until(lambda: mock.called("reply"))  # acknowledged, then the process goes away
        await first.stop()
        second = await Env(tmp_path, mock).start()
        # what a restart resumes from: the message described again by the Open API
        resumed = await second.feishu.describe(
            {"file_id": "om_restart", "channel": CHAT, "thread": "om_restart"}
        )
        assert (
            resumed.recording and resumed.ref == {"file_key": "file_v2_r"} and resumed.name.endswith(".opus")
        )
        await second.post(message_event("ev-r1", "om_restart", CHAT, "audio", content))  # Feishu pushes again
        await until(lambda: report_cards(mock))
        await second.feishu.sweep()
        assert len(report_cards(mock)) == 1
        assert len([r for r in mock.called("reply") if r["uuid"].startswith("ack-")]) == 1
        await second.stop()
    finally:
        await mock.close()


async def test_daily_digest_subscription_posts_one_card_per_day(feishu):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from history import store_round

    mock, env = feishu
    mock.members[CHAT] = ["ou_member", "ou_boss"]
    mock.timezones["ou_boss"] = (
        "Asia/Singapore"  # ou_member's profile is not readable: Beijing time by default
    )

    async def ask(text: str, user: str = "ou_member") -> str:
        n = len(mock.called("reply"))
        mid = f"om_cmd_{time.monotonic_ns()}"
        await env.post(
            message_event(
                f"ev-{mid}", mid, CHAT, "text", {"text": f"@_user_1 {text}"}, user=user, mentions=BOT_MENTION
            )
        )
        return json.dumps(
            json.loads((await until(lambda: mock.called("reply")[n:]))[0]["content"]), ensure_ascii=False
        )

    assert "已订阅日报：每天 18:00（Asia/Shanghai）发到本频道" in await ask("日报 订阅")
    assert "09:30（Asia/Singapore）发到你的私信" in await ask("日报订阅 我 9:30 跳过空", user="ou_boss")
    subs = {s.target_kind: s for s in digest.subscriptions(env.store)}
    assert mock.called("user")[-1] == {"user": "ou_boss", "user_id_type": "open_id"}
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    first = min(subs["dm"].scheduled_at(day), subs["channel"].scheduled_at(day))
    store_round(
        env.service, "3", at=first - timedelta(hours=1), platform="feishu", channel=CHAT
    )  # in both windows
    moment = max(subs["dm"].scheduled_at(day), subs["channel"].scheduled_at(day))  # both due, each once
    for tick in range(3):
        await env.service.digests.run_due(moment + timedelta(seconds=3 + 30 * tick))
    created = mock.called("create")
    assert sorted((c["receive_id_type"], c["receive_id"]) for c in created) == [
        ("chat_id", CHAT),
        ("open_id", "ou_boss"),
    ]
    assert all(c["uuid"].startswith("digest-") and c["msg_type"] == "interactive" for c in created)
    card = json.loads(next(c for c in created if c["receive_id"] == CHAT)["content"])
    assert card["header"]["title"]["content"] == f"面试日报 · {day.isoformat()}" and "三面" in json.dumps(
        card, ensure_ascii=False
    )
    assert "日报 订阅" in await ask("帮助")


async def _send_recording(env: Env, mock: FeishuMock, clip, mid: str) -> None:
    env.feishu.retry_base_s = 0.01  # the backoff between tries, shortened
    content = {"file_key": f"file_{mid}", "duration": 5600}
    mock.resources[(mid, f"file_{mid}")] = clip.read_bytes()
    assert (await env.post(message_event(f"ev-{mid}", mid, CHAT, "audio", content)))[0] == 200


def _report_rows(env: Env) -> list[tuple]:
    return env.store.db.execute(
        "select message_id from platform_posts where platform = 'feishu' and kind = 'report'"
    ).fetchall()


async def test_a_report_is_not_lost_when_feishu_answers_5xx_or_rate_limits(feishu, opus_clip):
    mock, env = feishu
    # a gateway page that is not JSON, a rate limit, server errors: more than one post's tries
    mock.report_faults = [("502-html", False), ("429", False), ("500", False), ("503", False), ("500", False)]
    mock.fail_next["patch"] = ["502-html"]  # a card update is retried too
    await _send_recording(env, mock, opus_clip, "om_f5xx")
    [card] = await until(lambda: mock.reports_in_thread("om_f5xx"), timeout=60)  # pending, then posted
    assert len([c for c in mock.calls if c[0] == "FAULT" and c[1].startswith("reply:")]) == 5
    await until(lambda: _report_rows(env) == [(card["message_id"],)], timeout=30)
    assert ("FAULT", "patch:502-html") in [c[:2] for c in mock.calls]
    await env.feishu.sweep()
    assert len(mock.reports_in_thread("om_f5xx")) == 1 and len(report_cards(mock)) == 1
    counted = env.feishu.service.metrics.registry.get_sample_value
    assert counted("ib_reports_failed_total", {"platform": "feishu"}) == 1  # four tries, then pending
    assert counted("ib_reports_posted_total", {"platform": "feishu"}) == 1
    assert counted("ib_platform_rate_limited_total", {"platform": "feishu"}) == 1
    assert counted("ib_platform_retries_total", {"platform": "feishu"}) >= 4


async def test_a_rate_limited_report_waits_for_feishus_reset_before_it_tries_again(feishu, opus_clip):
    """Feishu's 429 says when its window resets (x-ogw-ratelimit-reset): the next try waits for it rather
    than spending the tries inside the window (the backoff alone would be 0.01 s here)."""
    mock, env = feishu
    mock.report_faults = [("429:2", False), ("429:1", False)]
    await _send_recording(env, mock, opus_clip, "om_f429")
    [card] = await until(lambda: mock.reports_in_thread("om_f429"), timeout=60)
    reports = mock.replied_at[-3:]  # the acknowledgement came first
    assert [kind for kind, _ in reports] == ["FAULT", "FAULT", "ok"]
    assert reports[1][1] - reports[0][1] >= 2.0 and reports[2][1] - reports[1][1] >= 1.0
    await until(lambda: _report_rows(env) == [(card["message_id"],)], timeout=30)


async def test_a_report_posted_but_never_recorded_is_found_in_the_thread_not_posted_twice(feishu, opus_clip):
    mock, env = feishu
    mock.dedup = False  # past Feishu's uuid dedup hour: only the look in the thread prevents a second card
    mock.report_faults = [
        ("500", True),
        ("500", False),
        ("500", False),
        ("500", False),
    ]  # posted, answer lost
    await _send_recording(env, mock, opus_clip, "om_fadopt")
    await until(lambda: mock.called("list"), timeout=60)  # the sweep looked in the thread
    [card] = mock.reports_in_thread("om_fadopt")
    await until(lambda: _report_rows(env) == [(card["message_id"],)], timeout=30)  # adopted
    assert mock.called("list")[0] == {
        "container_id_type": "thread",
        "container_id": "omt_om_fadopt",
        "card_msg_content_type": "raw_card_content",
        "page_size": "50",
    }
    await env.feishu.sweep()
    assert len(mock.reports_in_thread("om_fadopt")) == 1
    assert env.count("select count(*) from audit_log where action = 'adopt-report'") == 1


async def test_a_failure_notice_is_not_lost_when_feishu_fails_the_card_update(feishu):
    """A failed interview's reason goes into its acknowledgement card (a patch): when Feishu fails every
    try, the notice stays pending and the sweep delivers it, instead of the card saying "transcribing"
    forever."""
    from datetime import UTC, datetime

    from history import store_round

    mock, env = feishu
    env.feishu.retry_base_s = 0.01
    iid = store_round(env.service, "1", at=datetime.now(UTC), platform="feishu", channel=CHAT)
    with env.store.db.conn:
        env.store.db.conn.execute(
            "update interviews set status = 'failed', error = 'the recording is silent', thread = ? "
            "where id = ?",
            ["om_ffail", iid],
        )
    mock.messages["om_ffail"] = {"message_type": "audio", "content": "{}"}  # the recording, its thread:
    ack = mock._reply({"to": "om_ffail", "uuid": "ack-ffail", "content": "transcribing"})["message_id"]
    env.store.posts.link_ack("feishu", CHAT, iid, ack)
    mock.fail_next["patch"] = ["500"] * 4  # every try of the first delivery
    await env.feishu.post_report(await env.service.db.interviews.get(iid))
    assert len([c for c in mock.calls if c[1] == "patch:500"]) == 4
    assert _report_rows(env) == [(None,)]  # not recorded as delivered: still pending
    await env.feishu.sweep()  # or the service's own sweep (every second here) is already delivering it
    [notice] = await until(lambda: [p for p in mock.called("patch") if p["mid"] == ack])
    assert "the recording is silent" in notice["content"]
    await until(lambda: _report_rows(env) == [(ack,)])
