"""The scale-out path against local OpenAI-compatible transcription servers: round robin, retries, errors."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from aiohttp import web

from asr_engine import Engine, EngineConfig, EngineError
from asr_engine.backends.base import DecodeOptions
from asr_engine.backends.remote import RemoteBackend


class FakeServer:
    """An aiohttp app speaking POST /v1/audio/transcriptions, in its own thread and loop."""

    def __init__(self, fail_first: int = 0, status: int = 503) -> None:
        self.fail_first, self.status = fail_first, status
        self.requests: list[dict] = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", self.handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"
        ready.set()
        self.loop.run_forever()

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        audio = form["file"].file.read()
        self.requests.append({k: form.getall(k) for k in form if k != "file"} | {"bytes": len(audio)})
        if len(self.requests) <= self.fail_first:
            return web.json_response({"error": "busy"}, status=self.status)
        seconds = (len(audio) - 44) / 32000
        return web.json_response(
            {
                "text": "我们用 Redis 做缓存",
                "language": "chinese",
                "duration": seconds,
                "segments": [
                    {"start": 0.1, "end": seconds - 0.1, "text": "我们用 Redis 做缓存", "avg_logprob": -0.1}
                ],
                "words": [
                    {"word": "我们", "start": 0.1, "end": 0.4},
                    {"word": "Redis", "start": 0.5, "end": 0.9},
                ],
            }
        )

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def servers():
    made: list[FakeServer] = []

    def make(**kwargs) -> FakeServer:
        made.append(FakeServer(**kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def chunks(n: int) -> list[np.ndarray]:
    return [np.random.default_rng(i).standard_normal(16000 * 2).astype(np.float32) * 0.1 for i in range(n)]


def test_round_robin_over_servers(servers):
    a, b = servers(), servers()
    backend = RemoteBackend([a.url, b.url], backoff_s=0.01)
    results = backend.transcribe_batch(chunks(6), DecodeOptions(language="zh", hotwords=["幂等性", "Redis"]))
    assert len(a.requests) == 3 and len(b.requests) == 3
    assert results[0].language == "zh"
    assert results[0].segments[0].words[1].text == "Redis"
    assert a.requests[0]["language"] == ["zh"] and a.requests[0]["prompt"] == ["幂等性, Redis"]
    assert a.requests[0]["timestamp_granularities[]"] == ["segment", "word"]


def test_transient_errors_are_retried(servers):
    flaky = servers(fail_first=2, status=503)
    backend = RemoteBackend([flaky.url], retries=3, backoff_s=0.01)
    (result,) = backend.transcribe_batch(chunks(1), DecodeOptions())
    assert result.segments and len(flaky.requests) == 3


def test_rejected_request_fails_at_once_with_the_reason(servers):
    bad = servers(fail_first=99, status=400)
    backend = RemoteBackend([bad.url], retries=3, backoff_s=0.01)
    with pytest.raises(EngineError, match="rejected the request: HTTP 400"):
        backend.transcribe_batch(chunks(1), DecodeOptions())
    assert len(bad.requests) == 1


def test_unreachable_servers_fail_after_retries():
    backend = RemoteBackend(["http://127.0.0.1:9/v1"], retries=2, backoff_s=0.01, timeout_s=2)
    with pytest.raises(EngineError, match="all transcription servers failed after 3 attempts"):
        backend.transcribe_batch(chunks(1), DecodeOptions())


def test_engine_places_remote_words_on_the_file_timeline(servers, tmp_path, zh_samples):
    from audiotools import write_audio

    srv = servers()
    audio = np.concatenate([np.zeros(16000 * 3, np.float32), zh_samples])
    path = write_audio(tmp_path / "clip.wav", audio)
    engine = Engine(EngineConfig(engine="remote", data_dir=tmp_path, remote_urls=[srv.url]))
    transcript = engine.transcribe(path, language="zh")
    assert transcript.engine == "remote"
    seg = transcript.segments[0]
    assert seg.start > 2.5  # shifted by the chunk's offset in the file
    assert seg.words[0].start >= seg.start
