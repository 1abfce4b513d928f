"""Fault injection against the real server process (`python -m bot serve --http --slack`), the local Slack
mock and a stand-in transcription server (the `remote` ASR backend): SIGKILL at each step of a job, a
database locked past the busy timeout, Slack answering 500 / 429 / nothing at all, a full disk.

What a user must see after each fault (and a restart where the process died): every recording that was
accepted ends in exactly one report in its thread, or a failure with its reason; never silence, never a
second report. Faults are timed from outside, by condition (the ASR call is waiting, Slack has taken the
report), never by sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sqlite3
from collections import Counter
from collections.abc import Callable

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from audiotools import write_audio
from helpers import FIXTURES, SAMPLE, eventually, until
from slack_mock import BOT_TOKEN, SIGNING_SECRET, SlackMock, message_event, sign

from bench.fake_asr import FakeASR
from bench.server_process import ServerProcess

CHANNEL = "C0FAULTS"
TOKEN = "faults-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class FaultySlack(SlackMock):
    """The Slack mock with faults on every Web API call: `fault(method, nth call of it)` answers
    500, 429 (Retry-After: 1) or "hang" (no answer at all); `hold_reports` takes a report post into the
    thread and then keeps the answer back, as when the bot dies before it hears Slack's reply."""

    def __init__(self) -> None:
        super().__init__()
        self.fault: Callable[[str, int], int | str | None] | None = None
        self.hold_reports = False
        self.report_taken = asyncio.Event()
        self.seen: Counter[str] = Counter()

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.seen[method] += 1
        fault = self.fault(method, self.seen[method]) if self.fault else None
        if fault is not None:
            self.calls.append((f"{method}:{fault}", {}))
        if fault == "hang":
            await asyncio.sleep(3600)
        if fault == 429:
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if fault == 500:
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        before = len(self.reports_in_thread_all())
        response = await super().api(request)
        if self.hold_reports and len(self.reports_in_thread_all()) > before:
            self.report_taken.set()
            await asyncio.sleep(3600)  # the bot is killed while it waits for this answer
        return response

    def reports_in_thread_all(self) -> list[dict]:
        return [m for channel, thread in self.threads for m in self.reports_in_thread(channel, thread)]


class Rig:
    """One fault scenario: the Slack mock, the transcription stand-in, the server process (restartable)
    and a read-only look at its database."""

    def __init__(self, tmp_path, slack: FaultySlack, asr: FakeASR) -> None:
        self.tmp_path, self.slack, self.asr = tmp_path, slack, asr
        (tmp_path / "data").mkdir(exist_ok=True)
        self.db_path = tmp_path / "ib.db"
        self.env = {
            "IB_DATA_DIR": str(tmp_path / "data"),
            "IB_DB": str(self.db_path),
            "IB_API_TOKENS": TOKEN,
            "IB_ASR_ENGINE": "remote",
            "IB_REMOTE_ASR_URLS": asr.url,
            "IB_LANGUAGE": "zh",
            "IB_POLL_S": "0.2",
            "IB_JOB_LEASE_S": "3",
            "IB_JOB_BACKOFF_S": "0.5",
            "IB_SWEEP_S": "1",
            "IB_REPORT_CLAIM_STALE_S": "3",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "SLACK_TIMEOUT_S": "2",
        }
        self.server: ServerProcess | None = None
        self.files = 0

    async def start(self, preexec=None, **env) -> ServerProcess:
        self.env.update(env)
        self.server = ServerProcess(self.env, self.tmp_path / "server.log", ("slack",), preexec)
        return await self.server.start()

    async def restart(self) -> ServerProcess:
        self.server.kill9()
        return await self.server.start()

    def query(self, sql: str, *args) -> list[tuple]:
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    # ---- Slack uploads, delivered as Slack does: retried while the bot does not answer 200 ---------------
    async def share(self, path=FIXTURES / "zh_short.flac") -> str:
        """A recording shared in a new thread of the channel; the thread's ts."""
        self.files += 1
        ts = f"1700000100.{self.files:06d}"
        file = self.slack.add_file(
            f"F{self.files}",
            path,
            name=f"候选人{self.files}_一面{path.suffix}",
            mimetype={".flac": "audio/flac", ".wav": "audio/wav"}.get(path.suffix, "audio/mp4"),
            filetype=path.suffix[1:],
            channel=CHANNEL,
            ts=ts,
        )
        await self.deliver(message_event(f"Ev{self.files}", file, CHANNEL, ts))
        return ts

    async def deliver(self, payload: dict, attempts: int = 4) -> None:
        body = json.dumps(payload)
        timeout = aiohttp.ClientTimeout(total=10)  # Slack waits 3 s, then retries
        async with aiohttp.ClientSession(timeout=timeout) as s:
            for n in range(attempts):
                headers = {"Content-Type": "application/json", **sign(body)}
                if n:
                    headers.update({"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_error"})
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with s.post(self.server.url("/slack/events"), data=body, headers=headers) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.5)
        raise AssertionError("the bot never acknowledged the event")

    # ---- what the user sees ---------------------------------------------------------------------------
    def recorded_report(self, thread: str) -> str | None:
        rows = self.query(
            "select message_id from platform_posts where platform = 'slack' and thread = ? and kind = 'report'"
            " and message_id is not null and message_id != '-'",
            thread,
        )
        return rows[0][0] if rows else None

    async def one_report(self, thread: str, timeout: float = 120) -> dict:
        """The thread's report, once the bot has recorded it (nothing for it is in flight after that):
        exactly one in the thread, and the one the bot knows about."""
        ts = await until(lambda: self.recorded_report(thread), timeout)
        reports = self.slack.reports_in_thread(CHANNEL, thread)
        assert len(reports) == 1, f"{len(reports)} reports in thread {thread}"
        assert reports[0]["ts"] == ts
        return reports[0]

    async def api_status(self, interview_id: str) -> dict:
        async with aiohttp.ClientSession() as s:
            async with s.get(self.server.url(f"/v1/interviews/{interview_id}"), headers=AUTH) as r:
                return await r.json()

    async def upload(self, path=FIXTURES / "zh_short.flac") -> tuple[int, dict]:
        form = aiohttp.FormData()
        form.add_field("audio", path.read_bytes(), filename=path.name)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as s:
            async with s.post(self.server.url("/v1/interviews"), data=form, headers=AUTH) as r:
                return r.status, await r.json()

    async def finished(self, interview_id: str, timeout: float = 120) -> dict:
        async def probe():
            status = await self.api_status(interview_id)
            return status if status["status"] in ("done", "failed") else None

        return await eventually(probe, timeout)


@pytest.fixture
async def rig(tmp_path):
    slack = await FaultySlack().start()
    asr = await FakeASR().start()
    rig = Rig(tmp_path, slack, asr)
    try:
        yield rig
    finally:
        if rig.server is not None:
            rig.server.stop()
        asr.release()
        await asr.close()
        await slack.close()


def posted(rig: Rig, thread: str, prefix: str) -> list[dict]:
    """The bot's messages in a thread whose marker starts with `prefix` (ack-, report-)."""
    keys = [
        ((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")
        for m in rig.slack.threads.get((CHANNEL, thread), [])
    ]
    return [k for k in keys if k.startswith(prefix)]


def interview_for(rig: Rig, thread: str) -> str | None:
    rows = rig.query("select id from interviews where thread = ?", thread)
    return rows[0][0] if rows else None


# ---- SIGKILL at each step of a job ------------------------------------------------------------------------
async def test_killed_just_after_the_upload_was_committed_the_recording_still_gets_one_report(rig):
    await rig.start()
    rig.asr.hold()  # the job cannot get past transcription: the kill lands between commit and report
    thread = await rig.share()
    await until(lambda: interview_for(rig, thread))  # the intake committed it
    rig.server.kill9()
    rig.asr.release()
    await rig.server.start()
    await rig.one_report(thread)
    assert len(rig.slack.called("download")) <= 2  # resumed from the inbox at most once
    assert len(posted(rig, thread, "ack-")) == 1  # one acknowledgement, also across the restart


async def test_killed_during_transcription_every_recording_still_ends_once(rig):
    await rig.start()
    rig.asr.hold()
    thread = await rig.share()
    status, body = await rig.upload(SAMPLE)  # an API upload queued behind it
    assert status == 202
    await asyncio.wait_for(rig.asr.arrived.wait(), 120)  # the ASR call is in flight
    rig.server.kill9()
    rig.asr.release()
    await rig.server.start()
    await rig.one_report(thread)
    done = await rig.finished(body["id"])
    assert done["status"] == "done" and done["analysis"]["language"] == "zh"
    assert rig.query("select count(*) from analyses") == [(2,)]


async def test_killed_after_slack_took_the_report_but_before_the_bot_heard_back_no_second_report(rig):
    await rig.start()
    rig.slack.hold_reports = True
    thread = await rig.share()
    await asyncio.wait_for(rig.slack.report_taken.wait(), 120)  # in the thread; the answer is held
    rig.server.kill9()
    rig.slack.hold_reports = False
    await rig.server.start()
    await rig.one_report(thread)  # the restarted bot found its post in the thread and adopted it
    assert rig.query("select count(*) from audit_log where action = 'adopt-report'") == [(1,)]


# ---- the database locked by another process past the busy timeout ----------------------------------------
async def test_a_database_locked_past_the_busy_timeout_delays_reports_but_loses_none(rig):
    await rig.start(IB_DB_BUSY_S="0.5", IB_HEALTH_STALE_S="2")
    rig.asr.hold()
    first = await rig.share()
    await asyncio.wait_for(rig.asr.arrived.wait(), 120)
    holder = sqlite3.connect(rig.db_path, timeout=30, isolation_level=None)
    holder.execute("begin exclusive")  # waits out the server's own short writes
    try:
        rig.asr.release()  # the transcript is ready while the database is locked
        second = await rig.share()  # a new upload arrives while locked

        async def unhealthy():
            async with aiohttp.ClientSession() as s:
                async with s.get(rig.server.url("/healthz")) as r:
                    return r.status == 503

        await eventually(unhealthy, timeout=60)
        status, body = await rig.upload()
        assert status == 503 and "busy" in body["error"]  # said plainly, not accepted and stuck
    finally:
        holder.rollback()
        holder.close()
    await rig.one_report(first)
    await rig.one_report(second)


# ---- Slack failing every call ---------------------------------------------------------------------------
FAULTS = {
    "500 twice on every method": lambda method, n: 500 if n <= 2 else None,
    "429 with Retry-After on every method": lambda method, n: 429 if n == 1 else None,
    "no answer (timeout) on every method": lambda method, n: "hang" if n == 1 else None,
}


@pytest.mark.parametrize("fault", FAULTS)
async def test_slack_failing_every_call_still_gives_one_report_per_recording(rig, fault):
    rig.slack.fault = FAULTS[fault]
    await rig.start()
    threads = [await rig.share(), await rig.share()]
    for thread in threads:
        await rig.one_report(thread)
    failed = {m.split(":")[0] for m, _ in rig.slack.calls if ":" in m}
    assert {"chat.postMessage", "auth.test"} <= failed  # the faults did hit the bot's calls


# ---- the data directory's disk full -----------------------------------------------------------------------
def file_size_limit(limit: int) -> Callable[[], None]:
    """RLIMIT_FSIZE in the server process: a write past `limit` bytes in any file fails with EFBIG, as
    on a full disk (Python ignores SIGXFSZ, so it is an OSError, not a kill). No root needed."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


async def test_a_full_disk_refuses_uploads_plainly_and_loses_nothing_accepted(rig, tmp_path, zh_samples):
    limit = 8 * 1024**2  # room for the database and short recordings, not for a long one
    long = write_audio(tmp_path / "long_interview.wav", np.tile(zh_samples, 60))
    assert long.stat().st_size > limit
    await rig.start(preexec=file_size_limit(limit))
    status, body = await rig.upload(long)
    assert status == 507 and "space" in body["error"], (status, body)  # said plainly, not a 500
    assert rig.query("select count(*) from interviews") == [(0,)]  # nothing half-accepted
    thread = await rig.share(long)  # the same in Slack: the thread says why

    def told():
        return any("存储空间已满" in (u.get("text") or "") for u in rig.slack.called("chat.update"))

    await until(told)
    assert interview_for(rig, thread) is None and rig.slack.reports_in_thread(CHANNEL, thread) == []
    status, body = await rig.upload()  # what fits is still taken and finished
    assert status == 202
    assert (await rig.finished(body["id"]))["status"] == "done"
    await rig.one_report(await rig.share())
    assert rig.server.alive
