"""A worker killed with SIGKILL mid-job leaves a job that completes exactly once after restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from helpers import SAMPLE

pytestmark = pytest.mark.slow
TOKEN = "crash-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(env["IB_DATA_DIR"] + "/server.log", "ab"),
    )


async def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < deadline:
            try:
                async with s.get(url) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("server did not come up")


async def test_sigkill_mid_job_then_restart_completes_once(tmp_path, data_dir, whisper_engine):
    callbacks: list[dict] = []

    async def receive(request):
        callbacks.append(await request.json())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/cb", receive)
    cb_server = TestServer(app, host="127.0.0.1")
    await cb_server.start_server()

    port = free_port()
    (tmp_path / "data").mkdir()
    env = dict(
        os.environ,
        IB_DATA_DIR=str(tmp_path / "data"),
        IB_DB=str(tmp_path / "ib.db"),
        IB_API_TOKENS=TOKEN,
        IB_HTTP_PORT=str(port),
        IB_JOB_LEASE_S="2",
        IB_POLL_S="0.2",
        IB_ASR_ENGINE="whisper",
        IB_WHISPER_MODEL=str(data_dir / "models" / "whisper-base"),
        IB_FETCH_ALLOW_NETS="127.0.0.1/32",
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    proc = start_server(env)
    try:
        await wait_http(base + "/healthz")
        async with aiohttp.ClientSession() as s:
            form = aiohttp.FormData()
            form.add_field("audio", SAMPLE.read_bytes(), filename="interview.m4a")
            form.add_field("callback_url", str(cb_server.make_url("/cb")))
            async with s.post(base + "/v1/interviews", data=form, headers=auth) as r:
                interview_id = (await r.json())["id"]
            for _ in range(300):  # wait until it is really transcribing
                async with s.get(f"{base}/v1/interviews/{interview_id}", headers=auth) as r:
                    status = await r.json()
                if status["progress"]["stage"] == "transcribing":
                    break
                await asyncio.sleep(0.1)
            assert status["status"] == "running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)

        proc = start_server(env)  # the restarted service finds the abandoned lease and takes over
        await wait_http(base + "/healthz")
        async with aiohttp.ClientSession() as s:
            for _ in range(600):
                async with s.get(f"{base}/v1/interviews/{interview_id}", headers=auth) as r:
                    status = await r.json()
                if status["status"] in ("done", "failed"):
                    break
                await asyncio.sleep(0.2)
        assert status["status"] == "done", status
        for _ in range(50):
            if callbacks:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # a duplicate delivery would arrive by now
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        await cb_server.close()

    db = sqlite3.connect(tmp_path / "ib.db")
    assert db.execute("select attempts, status from jobs").fetchall() == [(2, "done")]
    assert db.execute("select count(*) from analyses").fetchone()[0] == 1
    assert len(callbacks) == 1 and callbacks[0]["id"] == interview_id and callbacks[0]["status"] == "done"
    assert json.loads(db.execute("select body from analyses").fetchone()[0])["language"] == "zh"
