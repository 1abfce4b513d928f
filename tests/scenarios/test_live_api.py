"""`GET /v1/live` on a real aiohttp server (free localhost port) with the fake ASR backend behind the real
streaming session, VAD, intake and worker."""

from __future__ import annotations

import aiohttp
import numpy as np
import pytest
from helpers import eventually
from test_http_api import AUTH, TOKEN, api, wait_done  # noqa: F401  (api is a fixture)

PCM_FRAME = 3200  # 100 ms of 16 kHz int16


def pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


async def frames_until(ws, kind: str, timeout: float = 60.0) -> list[dict]:
    """Server frames up to and including the first of type `kind`."""
    out = []
    while True:
        frame = await ws.receive_json(timeout=timeout)
        out.append(frame)
        if frame["type"] == kind:
            return out


async def test_live_is_refused_before_the_upgrade_without_a_valid_token(api):  # noqa: F811
    server, _service = await api()
    async with aiohttp.ClientSession() as http:
        for url in ("/v1/live", "/v1/live?token=wrong", "/live", "/live?token=wrong"):
            async with http.get(server.make_url(url)) as r:
                assert r.status == 401, url
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(server.make_url("/v1/live"))
        assert refused.value.status == 401
        async with http.get(server.make_url(f"/live?token={TOKEN}")) as r:
            assert r.status == 200 and "AudioWorklet" in await r.text()
            # the page's own script and worklet only: an injected script or an outside request is refused
            assert "default-src 'none'" in r.headers["Content-Security-Policy"]
            assert r.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(server.make_url("/v1/live?language=fr"), headers=AUTH) as r:
            assert r.status == 400


async def test_a_malformed_frame_gets_an_error_frame_and_the_server_stays_healthy(api):  # noqa: F811
    server, _service = await api()
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(server.make_url("/v1/live?language=zh"), headers=AUTH) as ws:
            await ws.send_str("not json")
            assert (await ws.receive_json(timeout=30))["type"] == "error"
            await ws.send_str('{"type": "start", "sample_rate": "fast"}')
            assert "sample_rate" in (await ws.receive_json(timeout=30))["message"]
            await ws.send_bytes(b"\x01\x00\x02")  # an odd byte count is kept for the next frame
            await ws.send_str('{"type": "start", "sample_rate": 48000}')
            assert "before any audio" in (await ws.receive_json(timeout=30))["message"]
            await ws.send_str('{"type": "stop"}')
            frames = await frames_until(ws, "done")
            assert frames[-1]["interview_id"]
        async with http.get(server.make_url("/healthz")) as r:
            assert r.status == 200


async def test_stop_gives_captions_and_a_report_link_that_works(api, zh_samples):  # noqa: F811
    server, _service = await api()
    audio = np.concatenate([zh_samples, np.zeros(16000, np.float32), zh_samples])
    data = pcm(np.repeat(audio, 3))  # sent at 48 kHz, resampled by the server
    url = server.make_url("/v1/live?language=zh&candidate=张伟&round=一面&profile=backend")
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url, headers=AUTH) as ws:
            await ws.send_str('{"type": "start", "sample_rate": 48000}')
            for i in range(0, len(data), 3 * PCM_FRAME):
                await ws.send_bytes(data[i : i + 3 * PCM_FRAME])
            await ws.send_str('{"type": "stop"}')
            frames = await frames_until(ws, "done")
        finals = [f for f in frames if f["type"] == "final"]
        assert finals and all(f["text"] and f["start"] <= f["end"] for f in finals)
        assert [f["start"] for f in finals] == sorted(f["start"] for f in finals)
        done = frames[-1]
        status = await wait_done(http, server, done["interview_id"])
        assert status["status"] == "done", status
        async with http.get(done["report_url"]) as r:
            assert r.status == 200
        async with http.get(server.make_url("/v1/interviews?candidate=张伟"), headers=AUTH) as r:
            listed = (await r.json())["interviews"]
        assert [i["id"] for i in listed] == [done["interview_id"]]


async def test_a_dropped_connection_keeps_what_was_received(api, zh_samples):  # noqa: F811
    server, _service = await api()
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(server.make_url("/v1/live?language=zh&candidate=李雷"), headers=AUTH)
        data = pcm(zh_samples)
        for i in range(0, len(data), PCM_FRAME):
            await ws.send_bytes(data[i : i + PCM_FRAME])
        await ws.close()  # no stop: the browser tab closed

        async def stored():
            async with http.get(server.make_url("/v1/interviews?candidate=李雷"), headers=AUTH) as r:
                return (await r.json())["interviews"]

        (interview,) = await eventually(stored, timeout=60)
        status = await wait_done(http, server, interview["id"])
        assert status["status"] == "done"
        assert status["analysis"] is not None
