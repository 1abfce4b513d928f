"""Reliability and security (issue 15), seen from outside: each test is the failure a user would see."""

from __future__ import annotations

import sqlite3

import aiohttp
import test_http_api
from conftest import FIXTURES, eventually
from test_http_api import AUTH, post_audio, wait_done  # noqa: F401

api = test_http_api.api  # the fixture, shared


async def health(session, server) -> tuple[int, dict]:
    async with session.get(server.make_url("/healthz")) as r:
        return r.status, await r.json()


async def test_a_database_locked_past_the_busy_timeout_stalls_the_queue_only_while_locked(api, tmp_path):
    server, service = await api(IB_DB_BUSY_S="0.2", IB_HEALTH_STALE_S="1")
    async with aiohttp.ClientSession() as s:
        assert (await health(s, server))[0] == 200
        holder = sqlite3.connect(tmp_path / "ib.db", timeout=0, isolation_level=None)
        holder.execute("begin exclusive")
        try:
            status, body = await post_audio(s, server, FIXTURES / "zh_short.flac")
            assert status == 503 and "busy" in body["error"]  # not a 202 that would stay queued

            async def unhealthy():
                code, body = await health(s, server)
                return code == 503 and body

            body = await eventually(unhealthy, timeout=60)
            assert "locked" in body["loops"]["worker"]["last_error"]
            assert body["loops"]["worker"]["ok"] is False
        finally:
            holder.rollback()
            holder.close()

        async def healthy():
            return (await health(s, server))[0] == 200

        await eventually(healthy, timeout=120)
        status, body = await post_audio(s, server, FIXTURES / "zh_short.flac")
        assert status == 202
        assert (await wait_done(s, server, body["id"]))["status"] == "done"
        code, body = await health(s, server)
        assert code == 200 and body["loops"]["worker"]["ok"] is True and body["database"] == "ok"
