"""What every chat platform owes a team, tested once over Slack and Feishu: a report is delivered exactly
once through a restart, server errors, a post whose answer was lost, and an edit that keeps failing; a
verdict click on a report is stored once per person, and refused for outsiders and deleted interviews.

Each platform runs its real SDK against its local stand-in (tests/slack_mock.py, tests/feishu_mock.py); a
`Side` says how this platform's events, faults and threads look. What only one platform has (signatures,
Socket Mode, card and Block Kit shapes, Feishu's rate-limit reset header) stays in test_slack.py and
test_feishu.py.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from audiotools import write_audio
from feishu_mock import FeishuMock
from feishu_mock import message_event as feishu_event
from helpers import FIXTURES, until
from history import store_round
from slack_mock import SlackMock
from slack_mock import message_event as slack_event
from test_feishu import CHAT
from test_feishu import Env as FeishuEnv
from test_feishu_verdicts import card_action, tally_patches
from test_slack import CHANNEL, add_recording
from test_slack import Env as SlackEnv
from test_slack_verdicts import click, updates_of

from asr_engine.audio import decode


class Side:
    """One platform as the contract sees it: a recording sent into a thread, faults to inject, and what
    landed in the thread. `thread` is the platform's own id for the recording's thread."""

    name: str
    channel: str

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.envs: list[Any] = []

    async def start(self) -> Any:
        env = await self._env()
        self.envs.append(env)
        return env

    async def close(self) -> None:
        for env in self.envs:
            with contextlib.suppress(Exception):  # a test may have stopped it already
                await env.stop()
        await self.mock.close()

    @staticmethod
    def settled(env: Any, files: int) -> bool:
        """Every one of `files` uploads is out of the inbox (queued, refused or ignored)."""
        return env.count("select count(*) from pending_files where finished = 1") == files

    async def reported(self, env: Any, key: int) -> tuple[str, str]:
        """Send one recording and wait for its report: (interview id, the report message's id)."""
        thread = await self.send(env, key)
        [report] = await until(lambda: self.reports_in_thread(thread))
        message = self.message_id(report)
        await until(lambda: self.report_rows(env) == [(message,)])
        return env.store.db.execute("select id from interviews").fetchone()[0], message

    def report_rows(self, env: Any) -> list[tuple]:
        sql = f"select message_id from platform_posts where platform = '{self.name}' and kind = 'report'"
        return env.store.db.execute(sql).fetchall()


class Slack(Side):
    name, channel = "slack", CHANNEL
    tries_per_post = 1  # a failed report post waits for the sweep

    async def open(self) -> Slack:
        self.mock = await SlackMock().start()
        return self

    async def _env(self) -> SlackEnv:
        return await SlackEnv(self.tmp_path, self.mock).start()

    @staticmethod
    def platform(env: SlackEnv) -> Any:
        return env.slack

    def thread_of(self, key: int) -> str:
        return f"1700000000.{key:06d}"

    async def send(self, env: SlackEnv, key: int, *, again: bool = False) -> str:
        ts = self.thread_of(key)
        file = self.mock.files.get(f"F{key}") or add_recording(self.mock, f"F{key}", ts)
        assert await env.post(slack_event(f"Ev{key}", file, CHANNEL, ts), retry=1 if again else None) == 200
        return ts

    def file_id(self, key: int) -> str:
        return f"F{key}"

    @staticmethod
    def message_id(message: dict) -> str:
        return message["ts"]

    def check_resumed(self, resumed: Any, key: int) -> None:
        assert resumed.name == f"F{key}.flac" and resumed.ref["url"].endswith(f"/files/F{key}")

    def reports_in_thread(self, thread: str) -> list[dict]:
        return self.mock.reports_in_thread(CHANNEL, thread)

    def acks(self) -> list[dict]:
        return [a for a in self.mock.called("chat.postMessage") if not a.get("blocks")]

    def fail_reports(self, *posted: bool) -> None:
        self.mock.report_faults = [(500, p) for p in posted]

    def failed_reports(self) -> int:
        return [m for m, _ in self.mock.calls].count("chat.postMessage:500")

    def fail_edits(self, n: int) -> None:
        self.mock.fail_next["chat.update"] = [500] * n

    def failed_edits(self) -> int:
        return [m for m, _ in self.mock.calls].count("chat.update:500")

    def edits_of(self, message: str) -> list[str]:
        return [a["text"] for a in self.mock.called("chat.update") if a["ts"] == message]

    def looked_in_thread(self) -> bool:
        return bool(self.mock.called("conversations.replies"))

    def ack_for(self, thread: str) -> str:
        return "1700000001.000170"  # an acknowledgement Slack holds in the thread

    member, stranger = "U1", "USTRANGER"

    async def vote(self, env: SlackEnv, value: str, user: str, message: str) -> None:
        assert await click(env, value, user, message) == 200

    async def refusal(self, env: SlackEnv, value: str, user: str, message: str) -> str:
        """Refused with a note only the clicker sees (an ephemeral answer that leaves the report alone)."""
        n = len(self.mock.responses)
        assert await click(env, value, user, message) == 200
        note = await until(lambda: self.mock.responses[n] if len(self.mock.responses) > n else None)
        assert note["response_type"] == "ephemeral" and note.get("replace_original") is False
        return note["text"]

    def tally_updates(self, message: str) -> list:
        return updates_of(self.mock, message)

    def edit_retries(self) -> int:
        return 4  # the first try and slack_sdk's three retries


class Feishu(Side):
    name, channel = "feishu", CHAT
    tries_per_post = 4  # a report post is tried four times before it waits for the sweep

    async def open(self) -> Feishu:
        self.mock = await FeishuMock().start()
        self.actions = itertools.count(1)
        self.clip = write_audio(self.tmp_path / "voice.opus", decode(FIXTURES / "zh_short.flac").samples)
        return self

    async def _env(self) -> FeishuEnv:
        env = await FeishuEnv(self.tmp_path, self.mock).start()
        env.feishu.retry_base_s = 0.01  # the backoff between tries, shortened
        return env

    @staticmethod
    def platform(env: FeishuEnv) -> Any:
        return env.feishu

    def thread_of(self, key: int) -> str:
        return f"om_rec{key}"

    async def send(self, env: FeishuEnv, key: int, *, again: bool = False) -> str:
        mid = self.thread_of(key)
        content = {"file_key": f"file_{key}", "duration": 5600}
        self.mock.resources[(mid, f"file_{key}")] = self.clip.read_bytes()
        self.mock.messages[mid] = {"message_type": "audio", "content": json.dumps(content)}
        status, _ = await env.post(feishu_event(f"ev-{key}", mid, CHAT, "audio", content))  # pushed again
        assert status == 200
        return mid

    def file_id(self, key: int) -> str:
        return self.thread_of(key)

    @staticmethod
    def message_id(message: dict) -> str:
        return message["message_id"]

    def check_resumed(self, resumed: Any, key: int) -> None:
        assert resumed.ref == {"file_key": f"file_{key}"} and resumed.name.endswith(".opus")

    def reports_in_thread(self, thread: str) -> list[dict]:
        return self.mock.reports_in_thread(thread)

    def acks(self) -> list[dict]:
        return [r for r in self.mock.called("reply") if r["uuid"].startswith("ack-")]

    def fail_reports(self, *posted: bool) -> None:
        self.mock.report_faults = [("500", p) for p in posted]

    def failed_reports(self) -> int:
        return len([c for c in self.mock.calls if c[0] == "FAULT" and c[1] == "reply:500"])

    def fail_edits(self, n: int) -> None:
        self.mock.fail_next["patch"] = ["500"] * n

    def failed_edits(self) -> int:
        return len([c for c in self.mock.calls if c[1] == "patch:500"])

    def edits_of(self, message: str) -> list[str]:
        return [p["content"] for p in self.mock.called("patch") if p["mid"] == message]

    def looked_in_thread(self) -> bool:
        return bool(self.mock.called("list"))

    def ack_for(self, thread: str) -> str:
        self.mock.messages[thread] = {"message_type": "audio", "content": "{}"}  # the recording, its thread
        return self.mock._reply({"to": thread, "uuid": f"ack-{thread}", "content": "transcribing"})[
            "message_id"
        ]

    member, stranger = "ou_member", "ou_stranger"

    async def vote(self, env: FeishuEnv, value: str, user: str, message: str) -> None:
        status, body = await env.post(card_action(f"ca-{next(self.actions)}", value, user, message))
        assert status == 200 and body["toast"]["type"] == "success"

    async def refusal(self, env: FeishuEnv, value: str, user: str, message: str) -> str:
        """Refused with a toast only the clicker sees."""
        status, body = await env.post(card_action(f"ca-{next(self.actions)}", value, user, message))
        assert status == 200 and body["toast"]["type"] == "error"
        return body["toast"]["content"]

    def tally_updates(self, message: str) -> list:
        return tally_patches(self.mock, message)

    def edit_retries(self) -> int:
        return 4  # every try of the first delivery


@pytest.fixture(params=[Slack, Feishu], ids=["slack", "feishu"])
async def side(request, tmp_path) -> AsyncIterator[Side]:
    opened = await request.param(tmp_path).open()
    yield opened
    await opened.close()


async def test_a_restart_in_the_middle_still_gives_one_report(side):
    first = await side.start()
    thread = await side.send(first, 3)
    await until(side.acks)  # acknowledged, then the process goes away before the report is posted
    await first.stop()
    second = await side.start()
    # what a restart resumes from: the recording described again through the platform's API
    ref = {"file_id": side.file_id(3), "channel": side.channel, "thread": thread}
    resumed = await side.platform(second).describe(ref)
    assert resumed.recording
    side.check_resumed(resumed, 3)
    await side.send(second, 3, again=True)  # the platform delivers the event again too
    await until(lambda: side.reports_in_thread(thread))
    await until(lambda: side.settled(second, 1))  # the delivery again was handled too
    await side.platform(second).sweep()
    assert len(side.reports_in_thread(thread)) == 1 and len(side.acks()) == 1


async def test_a_report_is_not_lost_when_the_platform_answers_500(side):
    env = await side.start()
    side.fail_reports(False, False)  # two failed posts (not retried blindly): pending, then the sweep
    side.fail_edits(1)  # the acknowledgement's edit is retried too
    thread = await side.send(env, 15)
    [report] = await until(lambda: side.reports_in_thread(thread), timeout=60)
    assert side.failed_reports() == 2
    await until(lambda: side.report_rows(env) == [(side.message_id(report),)])  # recorded as delivered
    assert env.count("select count(*) from platform_posts where message_id = '-'") == 0
    await until(lambda: side.failed_edits() == 1)
    await side.platform(env).sweep()
    assert len(side.reports_in_thread(thread)) == 1


async def test_a_report_posted_but_never_recorded_is_found_in_the_thread_not_posted_twice(side):
    env = await side.start()
    if side.name == "feishu":
        side.mock.dedup = False  # past Feishu's uuid dedup hour: only the look in the thread prevents it
    # the platform took the post but the answer never came back; every further try of that post fails
    side.fail_reports(True, *[False] * (side.tries_per_post - 1))
    thread = await side.send(env, 16)
    await until(side.looked_in_thread, timeout=60)  # the sweep looked in the thread
    [report] = side.reports_in_thread(thread)
    await until(lambda: side.report_rows(env) == [(side.message_id(report),)])  # adopted
    await side.platform(env).sweep()
    assert len(side.reports_in_thread(thread)) == 1
    assert env.count("select count(*) from audit_log where action = 'adopt-report'") == 1


async def test_a_failure_notice_is_not_lost_when_the_platform_fails_the_edit(side):
    """A failed interview's reason is edited into its acknowledgement: when the platform fails every try
    of that edit, the notice stays pending and the sweep delivers it, instead of "transcribing" forever."""
    env = await side.start()
    thread = side.thread_of(17)
    iid = store_round(env.service, "1", at=datetime.now(UTC), platform=side.name, channel=side.channel)
    with env.store.db.conn:
        env.store.db.conn.execute(
            "update interviews set status = 'failed', error = 'the recording is silent', thread = ? "
            "where id = ?",
            [thread, iid],
        )
    ack = side.ack_for(thread)
    env.store.posts.link_ack(side.name, side.channel, iid, ack)
    side.fail_edits(side.edit_retries())
    await side.platform(env).post_report(await env.service.db.interviews.get(iid))
    assert side.failed_edits() == side.edit_retries()
    assert side.report_rows(env) == [(None,)]  # not recorded as delivered: still pending
    await side.platform(env).sweep()  # or the service's own sweep (every second here) is delivering it
    [notice] = await until(lambda: side.edits_of(ack))
    assert "the recording is silent" in notice
    await until(lambda: side.report_rows(env) == [(ack,)])


async def test_a_verdict_is_stored_once_per_person_and_the_report_shows_the_tally(side):
    side.mock.members[side.channel] = [side.member]
    env = await side.start()
    iid, message = await side.reported(env, 21)
    await side.vote(env, f"{iid}|technical_depth|agree", side.member, message)
    await until(lambda: side.tally_updates(message))  # the report itself shows "1 同意"
    await side.vote(env, f"{iid}|technical_depth|too_low", side.member, message)
    await until(lambda: env.count("select count(*) from verdicts where verdict = 'too_low'"))
    rows = list(env.store.db.execute("select platform, user, verdict, analysis_version from verdicts"))
    assert [r[:3] for r in rows] == [
        (side.name, side.member, "too_low")
    ]  # the second click replaced the first
    assert rows[0][3] is not None


async def test_verdicts_from_outside_the_channel_or_on_a_deleted_interview_are_refused(side):
    side.mock.members[side.channel] = [side.member]
    env = await side.start()
    iid, message = await side.reported(env, 22)
    assert "成员" in await side.refusal(env, f"{iid}|technical_depth|agree", side.stranger, message)
    await env.service.delete(iid, "test")
    assert "删除" in await side.refusal(env, f"{iid}|technical_depth|agree", side.member, message)
    assert env.count("select count(*) from verdicts") == 0 and not side.tally_updates(message)
