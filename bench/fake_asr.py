"""A stand-in transcription server for the `remote` ASR backend (IB_ASR_ENGINE=remote,
IB_REMOTE_ASR_URLS=<url>): OpenAI-compatible `POST /audio/transcriptions`, answering every chunk with the
same Chinese sentence at once, so a real `serve` process can be driven without a model.

`hold()` makes requests wait until `release()`: a fault test kills the server while its ASR call hangs
(`arrived` tells it one is waiting). Used by bench/load.py and tests/scenarios/test_faults.py.
"""

from __future__ import annotations

import asyncio
import io
import wave

from aiohttp import web

TEXT = "我们的订单系统每天处理一百万笔交易，数据库做了分库分表，我负责缓存和消息队列的设计。"


class FakeASR:
    def __init__(self, text: str = TEXT) -> None:
        self.text = text
        self.requests = 0  # chunks answered
        self.audio_s = 0.0  # seconds of audio in the chunks answered
        self.arrived = asyncio.Event()  # a request came in while held
        self._open = asyncio.Event()
        self._open.set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def hold(self) -> None:
        self.arrived.clear()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def start(self, host: str = "127.0.0.1") -> FakeASR:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/audio/transcriptions", self._transcribe)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _transcribe(self, request: web.Request) -> web.Response:
        seconds = 0.0
        async for part in await request.multipart():
            if part.name == "file":
                seconds = _wav_seconds(await part.read())
        if not self._open.is_set():
            self.arrived.set()
            await self._open.wait()
        self.requests += 1
        self.audio_s += seconds
        return web.json_response({"text": self.text, "language": "chinese", "duration": seconds})


def _wav_seconds(data: bytes) -> float:
    try:
        with wave.open(io.BytesIO(data)) as w:
            return w.getnframes() / w.getframerate()
    except (wave.Error, EOFError):
        return 0.0
