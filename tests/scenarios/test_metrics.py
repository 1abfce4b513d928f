"""/metrics on a real aiohttp server with the real worker (fake ASR backend): the counters move when a job
goes through the HTTP API, each service has its own registry, and a scrape while the database is locked
answers at once from memory."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import aiohttp
from conftest import FIXTURES, eventually
from prometheus_client.parser import text_string_to_metric_families
from test_http_api import api, file_host, post_audio, wait_done  # noqa: F401  (fixtures)


async def scrape(session, server) -> tuple[dict[tuple[str, frozenset], float], aiohttp.ClientResponse]:
    async with session.get(server.make_url("/metrics")) as r:
        text = await r.text()
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return samples, r


def value(samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_a_job_through_the_api_moves_the_counters(api, file_host):  # noqa: F811
    host, calls = file_host
    server, _service = await api(IB_FETCH_ALLOW_NETS="127.0.0.1/32")
    async with aiohttp.ClientSession() as s:
        status, body = await post_audio(
            s, server, FIXTURES / "zh_short.flac", callback_url=str(host.make_url("/callback"))
        )
        assert status == 202
        assert (await wait_done(s, server, body["id"]))["status"] == "done"
        await eventually(lambda: _delivered(s, server))
        m, response = await scrape(s, server)
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert value(m, "ib_jobs", state="done") == 1 and value(m, "ib_queue_depth") == 0
        assert value(m, "ib_audio_seconds_total") > 4 and value(m, "ib_x_real_time") > 0
        assert value(m, "ib_jobs_finished_total", source="api", outcome="done") == 1
        assert value(m, "ib_job_seconds_count", source="api", outcome="done") == 1
        assert value(m, "ib_job_seconds_sum", source="api", outcome="done") > 0
        assert value(m, "ib_queue_wait_seconds_count", source="api") == 1
        assert value(m, "ib_asr_x_real_time_count") == 1 and value(m, "ib_analysis_seconds_count") == 1
        assert value(m, "ib_callback_attempts_total", result="delivered") == 1 and len(calls) == 1
        assert value(m, "ib_loop_seconds_since_ok", loop="worker") < 60
        assert value(m, "ib_db_busy_total") == 0


def test_each_service_has_its_own_registry():
    from bot.metrics import Metrics

    first, second = Metrics(), Metrics()  # the global registry would refuse the second set of names
    first.db_busy.inc()
    assert b"ib_db_busy_total 1.0" in first.exposition()
    assert b"ib_db_busy_total 0.0" in second.exposition()


async def _delivered(session, server) -> bool:
    m, _ = await scrape(session, server)
    return value(m, "ib_callback_attempts_total", result="delivered") == 1


async def test_a_scrape_while_the_database_is_locked_answers_from_memory(api):  # noqa: F811
    server, service = await api(IB_DB_BUSY_S="1")
    async with aiohttp.ClientSession() as s:
        _, body = await post_audio(s, server, FIXTURES / "zh_short.flac")
        await wait_done(s, server, body["id"])
        before, _ = await scrape(s, server)
        assert value(before, "ib_jobs", state="done") == 1
        holder = sqlite3.connect(service.settings.db_path, isolation_level=None, timeout=0)
        holder.execute("begin exclusive")  # another process holds the write lock past the busy timeout
        try:
            for _ in range(6):  # the worker's polls queue behind the lock on the database thread
                started = time.monotonic()
                (m, response), openapi = await asyncio.gather(scrape(s, server), _timed_get(s, server))
                assert response.status == 200 and time.monotonic() - started < 1.5
                assert openapi < 1.0  # the event loop kept serving while the scrape waited
                assert value(m, "ib_jobs", state="done") == 1  # the last snapshot, not a 503
            busy = await eventually(lambda: _busy(s, server), timeout=30)
            assert busy >= 1
        finally:
            holder.execute("rollback")
            holder.close()


async def _timed_get(session, server) -> float:
    started = time.monotonic()
    async with session.get(server.make_url("/openapi.json")) as r:
        assert r.status == 200
    return time.monotonic() - started


async def _busy(session, server) -> float:
    m, _ = await scrape(session, server)
    return value(m, "ib_db_busy_total")
