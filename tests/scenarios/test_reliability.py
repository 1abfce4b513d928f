"""Reliability and security (issue 15), seen from outside: each test is the failure a user would see."""

from __future__ import annotations

import sqlite3

import aiohttp
import test_http_api
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import FIXTURES, eventually
from test_http_api import AUTH, post_audio, wait_done

api = test_http_api.api  # the fixture, shared


async def health(session, server) -> tuple[int, dict]:
    async with session.get(server.make_url("/healthz")) as r:
        return r.status, await r.json()


async def test_a_database_locked_past_the_busy_timeout_stalls_the_queue_only_while_locked(api, tmp_path):
    server, service = await api(IB_DB_BUSY_S="0.2", IB_HEALTH_STALE_S="1")
    async with aiohttp.ClientSession() as s:
        assert (await health(s, server))[0] == 200
        # waits out the worker's own short writes, then holds the lock for as long as the test needs
        holder = sqlite3.connect(tmp_path / "ib.db", timeout=30, isolation_level=None)
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


async def test_the_api_profile_is_a_name_or_an_uploaded_file_never_a_server_path(api, tmp_path):
    server, service = await api()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as s:
        answers = {}
        for spec in ("/etc/hostname", "/etc", "/nonexistent/x.toml", "/dev/zero", "../../etc/passwd"):
            status, body = await post_audio(s, server, FIXTURES / "zh_short.flac", profile=spec)
            answers[spec] = (status, body["error"].replace(repr(spec), "SPEC"))
        # the same refusal whether or not the path exists: no oracle, no read, no 500
        assert set(answers.values()) == {(422, answers["/etc"][1])}, answers  # well-formed, no such profile
        assert "unknown profile" in answers["/etc"][1]

        form = aiohttp.FormData()
        form.add_field("audio", (FIXTURES / "zh_short.flac").read_bytes(), filename="a.flac")
        toml = b'name = "sre"\nbase = "backend"\n[weights]\nsystem_design = 60\n'
        form.add_field("profile", toml, filename="sre.toml", content_type="application/toml")
        async with s.post(server.make_url("/v1/interviews"), data=form, headers=AUTH) as r:
            assert r.status == 202, await r.text()
            uploaded = await r.json()
        done = await wait_done(s, server, uploaded["id"])
        assert done["status"] == "done" and done["analysis"]["profile"] == "sre"

        form = aiohttp.FormData()
        form.add_field("audio", (FIXTURES / "zh_short.flac").read_bytes(), filename="b.flac")
        form.add_field("profile", b"#" * (65 * 1024), filename="big.txt")
        async with s.post(server.make_url("/v1/interviews"), data=form, headers=AUTH) as r:
            assert r.status == 400 and "longer than" in (await r.json())["error"]
        status, body = await post_audio(s, server, FIXTURES / "zh_short.flac", candidate="x" * 5000)
        assert status == 400 and "longer than" in body["error"]


async def test_bad_requests_get_a_4xx_json_answer_never_a_500(api):
    server, service = await api()
    url = server.make_url("/v1/interviews")
    async with aiohttp.ClientSession() as s:
        answers = []
        for body, ctype in (
            (b"", "multipart/form-data; boundary=xyz"),
            (b"garbage without any boundary", "multipart/form-data; boundary=xyz"),
            (b"--xyz\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=xyz"),
            (b"--xyz\r\n", "multipart/form-data"),
        ):
            async with s.post(url, data=body, headers={**AUTH, "Content-Type": ctype}) as r:
                answers.append((r.status, r.content_type, (await r.json())["error"]))
        assert all(400 <= code < 500 and kind == "application/json" for code, kind, _ in answers), answers
        for header in ("Bearer pässwörd", "Bearer 令牌"):
            async with s.get(server.make_url("/v1/interviews"), headers={"Authorization": header}) as r:
                assert r.status == 401 and r.content_type == "application/json"
        status, body = await post_audio(s, server, FIXTURES / "zh_short.flac")
        done = await wait_done(s, server, body["id"])
        for token in ("999999999999.令牌", "１２.abc", "9" * 5000 + ".x"):
            async with s.get(server.make_url(f"/r/{body['id']}/{token}")) as r:
                assert r.status == 404, token
        async with s.get(done["report_url"]) as r:
            assert r.status == 200


async def test_a_callback_is_retried_across_a_restart_and_every_attempt_is_audited(api):
    answers, received = [500, 500], []
    app = web.Application()

    async def callback(request):
        body = await request.json()
        if answers:
            return web.Response(status=answers.pop(0))
        received.append(body)
        return web.json_response({"ok": True})

    app.router.add_post("/cb", callback)
    ats = TestServer(app, host="127.0.0.1")
    await ats.start_server()
    env = dict(IB_FETCH_ALLOW_NETS="127.0.0.1/32", IB_CALLBACK_BACKOFF_S="0.2", IB_CALLBACK_RETRIES="5")
    try:
        server, service = await api(**env)
        async with aiohttp.ClientSession() as s:
            status, body = await post_audio(
                s, server, FIXTURES / "zh_short.flac", callback_url=str(ats.make_url("/cb"))
            )
            assert status == 202
            iid = body["id"]
            await wait_done(s, server, iid)
        await eventually(lambda: _actions(service, iid, "callback-retry"))
        await service.stop()  # the process goes away with the callback still owed
        await server.close()
        _server2, service2 = await api(**env)
        await eventually(lambda: _actions(service2, iid, "callback"))
        assert len(received) == 1 and received[0]["id"] == iid and received[0]["status"] == "done"
        actions = [a for a in await service2.db.audit.actions(iid) if a.startswith("callback")]
        assert actions == ["callback-retry", "callback-retry", "callback"]
    finally:
        await ats.close()


async def _actions(service, interview_id, action):
    return action in await service.db.audit.actions(interview_id)


async def test_a_private_callback_address_is_refused_at_submit(api):
    server, service = await api()
    async with aiohttp.ClientSession() as s:
        for url in (
            "http://127.0.0.1:9/cb",
            "http://localhost/cb",
            "http://[2002:a01:203::1]/cb",
            "file:///x",
        ):
            status, body = await post_audio(s, server, FIXTURES / "zh_short.flac", callback_url=url)
            expected = 400 if url.startswith("file:") else 422  # malformed, or a place we will not call
            assert status == expected and body["error"].startswith("callback_url"), (url, body)
            assert "127.0.0.1" not in body["error"] or "127.0.0.1" in url
    assert sum((await service.db.jobs.counts()).values()) == 0


async def test_delete_leaves_no_trace_of_the_candidate(api, tmp_path):
    server, service = await api()
    name = "Zedediah Quuxley"
    async with aiohttp.ClientSession() as s:
        form = aiohttp.FormData()
        form.add_field("audio", (FIXTURES / "zh_short.flac").read_bytes(), filename="Zedediah_secret.flac")
        form.add_field("candidate", name)
        async with s.post(server.make_url("/v1/interviews"), data=form, headers=AUTH) as r:
            iid = (await r.json())["id"]
        await wait_done(s, server, iid)
        async with s.delete(server.make_url(f"/v1/interviews/{iid}"), headers=AUTH) as r:
            assert r.status == 204

    def leftovers(store):
        rows = store.db.execute("select count(*) from candidates where name = ?", [name]).fetchone()[0]
        audit = [r[0] for r in store.db.execute("select detail from audit_log")]
        return rows, [d for d in audit if "Zedediah" in d], store.audit.actions(iid)

    rows, audit, actions = await service.db.run(leftovers)
    assert rows == 0 and audit == [] and "delete" in actions  # the trail: who deleted what, when
    wal = tmp_path / "ib.db-wal"
    assert not wal.exists() or b"Zedediah" not in wal.read_bytes()  # checkpointed (TRUNCATE)
    assert b"Zedediah" not in (tmp_path / "ib.db").read_bytes()  # secure_delete overwrote it
