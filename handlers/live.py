"""`GET /v1/live` (a WebSocket: PCM in, captions, hints and the report link out) and `GET /live` (the page
that streams a microphone to it). The recognition and the recording run on a thread per stream
(bot.live.LiveStream); this module only moves frames and decides when a stream ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from asr_engine import AudioInputError
from bot.analysis.profiles import ProfileError
from bot.live import LiveMeta, LiveStream
from bot.profile_input import named
from bot.service import Service
from bot.storage import IdempotencyConflict

from .page_headers import page_headers
from .routes import ACTOR_KEY, Field, Reply, Route, params, refusal

log = logging.getLogger(__name__)
PAGE = (Path(__file__).resolve().parent.parent / "report_templates" / "live.html").read_text(encoding="utf-8")
MAX_FRAME_BYTES = 1 << 20


@dataclass
class LiveState:
    service: Service
    active: set[str] = field(default_factory=set)


LIVE_KEY = web.AppKey("live", LiveState)


def _refuse(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def live_socket(request: web.Request) -> web.StreamResponse:
    """The credentials and the query are checked by the route's declaration (handlers.routes) first."""
    state = request.app[LIVE_KEY]
    query = params(request)
    language = query.get("language", "auto")
    fields = {k: (query.get(k) or None) for k in ("candidate", "round", "profile", "interviewer")}
    meta = LiveMeta(language=None if language == "auto" else language, uploader=request[ACTOR_KEY], **fields)
    if meta.profile:
        try:
            await asyncio.get_running_loop().run_in_executor(None, named, meta.profile)
        except ProfileError as exc:
            return _refuse(422, f"profile: {exc}")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=MAX_FRAME_BYTES)
    if not ws.can_prepare(request).ok:  # a plain GET, not a WebSocket handshake (RFC 9110: 426 + Upgrade)
        response = _refuse(426, "this is a WebSocket endpoint: connect with a WebSocket client")
        response.headers["Upgrade"] = "websocket"
        return response
    await ws.prepare(request)
    limit = state.service.settings.live_max_sessions
    if len(state.active) >= limit:
        await ws.send_json(
            {
                "type": "error",
                "message": f"the server is busy: {limit} live stream(s) "
                "already running; try again in a few minutes",
            }
        )
        await ws.close()
        return ws
    live = LiveConnection(state.service, ws, meta)
    state.active.add(live.id)
    state.service.metrics.live_sessions.inc()
    try:
        await live.run()
    finally:
        state.active.discard(live.id)
        state.service.metrics.live_sessions.dec()
    return ws


async def live_page(request: web.Request) -> web.Response:
    return web.Response(
        text=PAGE,
        content_type="text/html",
        # the worklet is loaded from a blob: URL; the captions come over a WebSocket to this server
        headers={"Cache-Control": "no-store", **page_headers(PAGE, script="blob:", connect="'self'")},
    )


def setup(app: web.Application, service: Service) -> None:
    """The routes themselves are in ROUTES (added with the rest of the API's table)."""
    app[LIVE_KEY] = LiveState(service)


_BROWSER = ("bearer", "query_token")  # Authorization: Bearer, or ?token= (a browser cannot set headers)
_SHORT = {"type": "string", "maxLength": 200}
ROUTES = [
    Route(
        "GET",
        "/v1/live",
        live_socket,
        "Live captions (WebSocket). Client: binary frames of PCM s16le mono 16 kHz, "
        'optional first text frame {"type": "start", "sample_rate": N}, then {"type": "stop"}. '
        'Server: JSON text frames {"type": "partial"|"final", "text", "start", "end"}, '
        '{"type": "hint", "question", "anchor": {"text", "start"}} (at most one per 30 s), '
        '{"type": "done", "interview_id", "report_url"}, {"type": "error", "message"}. The recording is '
        "queued like an upload on stop or when the connection drops. Auth: Bearer, or ?token= for browsers.",
        {
            101: Reply("switching to WebSocket", content_type=None),
            422: refusal("an unknown profile"),
            426: refusal("not a WebSocket handshake (a plain HTTP request)", "Upgrade"),
        },
        params=(
            Field("language", {"type": "string", "enum": ["zh", "en", "auto"]}),
            *(Field(name, _SHORT) for name in ("candidate", "round", "profile", "interviewer")),
        ),
        security=_BROWSER,
    ),
    Route(
        "GET",
        "/live",
        live_page,
        "The live captions page (microphone -> /v1/live); open as /live?token=...",
        {200: Reply("HTML", content_type="text/html", schema={"type": "string"})},
        security=_BROWSER,
    ),
]


class LiveConnection:
    """One WebSocket: a receiver collects PCM, a consumer feeds what has piled up to the stream's thread in
    one call (so a slow decode never makes the stream fall further behind), the end submits the recording."""

    def __init__(self, service: Service, ws: web.WebSocketResponse, meta: LiveMeta) -> None:
        self.id = uuid.uuid4().hex
        self.service, self.ws, self.meta = service, ws, meta
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="live")
        self.pending = bytearray()
        self.wake = asyncio.Event()
        self.receiving, self.stopped = True, False
        self.rate, self.received_s = 16000, 0.0
        self.stream: LiveStream | None = None
        self.failed = False

    async def run(self) -> None:
        try:
            self.stream = await self._call(self._open)
        except Exception as exc:
            log.exception("live stream could not start")
            await self._send({"type": "error", "message": f"the ASR engine is not available: {exc}"})
            await self.ws.close()
            self.executor.shutdown(wait=False)
            return
        consumer = asyncio.get_running_loop().create_task(self._consume())
        try:
            await self._receive()
        finally:
            self.receiving = False
            self.wake.set()
            await asyncio.shield(self._end(consumer))

    def _open(self) -> LiveStream:
        backend = self.service.engines.get().backend
        path = self.service.intake.new_incoming()
        return LiveStream(backend, self.meta, path, self.service.settings.max_audio_seconds)

    async def _call(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def _receive(self) -> None:
        limit = self.service.settings.max_audio_seconds
        async for msg in self.ws:
            if msg.type == WSMsgType.BINARY:
                self.received_s += len(msg.data) / 2 / self.rate
                self.pending += msg.data
                self.wake.set()
                if self.received_s > limit:
                    await self._error(f"the stream passed the limit of {limit:g} s; what came so far is kept")
                    self.stopped = True
                    return
            elif msg.type == WSMsgType.TEXT:
                if await self._control(msg.data):
                    self.stopped = True
                    return
            else:
                return

    async def _control(self, text: str) -> bool:
        """A text frame; True for stop. Anything malformed gets an error frame and the stream goes on."""
        try:
            frame = json.loads(text)
        except ValueError:
            frame = None
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "stop":
            return True
        if kind == "start":
            rate = frame.get("sample_rate")
            if self.received_s > 0:
                await self._error("'start' must come before any audio")
            elif not isinstance(rate, int) or not 8000 <= rate <= 192000:
                await self._error("sample_rate must be an integer between 8000 and 192000")
            else:
                self.rate = rate
                await self._call(self.stream.set_rate, rate)
            return False
        await self._error('text frames are {"type": "start", "sample_rate": N} or {"type": "stop"}')
        return False

    async def _consume(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            usable = len(self.pending) - len(self.pending) % 2
            if usable:
                data = bytes(self.pending[:usable])
                del self.pending[:usable]
                await self._feed(data)
            elif not self.receiving:
                return
            if not self.receiving:
                self.wake.set()  # drain what is left, then end

    async def _feed(self, data: bytes) -> None:
        try:
            events = await self._call(self.stream.feed, data)
        except Exception as exc:  # captions fail; the recording (written first) goes on
            log.exception("live captions failed")
            if not self.failed:
                await self._error(f"captions failed ({type(exc).__name__}); the recording goes on")
            self.failed = True
            return
        for event in events:
            if event.get("type") in ("partial", "final") and isinstance(event.get("end"), int | float):
                self.service.metrics.caption_lag_seconds.observe(max(0.0, self.received_s - event["end"]))
            await self._send(event)

    async def _end(self, consumer: asyncio.Task) -> None:
        try:
            await consumer
            try:
                for event in await self._call(self.stream.finish):
                    await self._send(event)
            except Exception:
                log.exception("live captions failed at the end")
                await self._call(self.stream.close)
            await self._submit()
        finally:
            await self.ws.close()
            self.executor.shutdown(wait=False)

    async def _submit(self) -> None:
        sub = await self._call(self.stream.submission, self.id)
        if sub is None:
            if self.stopped:
                await self._error("no audio was received; there is nothing to report")
            return
        try:
            accepted = await self.service.intake.accept(
                self.service.intake.moved_file(sub.path), lambda tmp, sha, size: replace(sub, path=tmp)
            )
            assert accepted is not None  # describe never declines
            interview_id = accepted[0]
        except (AudioInputError, IdempotencyConflict) as exc:
            await self._error(f"the recording could not be queued: {exc}")
            return
        log.info("live stream %s stored as interview %s (%.1f s)", self.id, interview_id, self.stream.seconds)
        await self._send(
            {
                "type": "done",
                "interview_id": interview_id,
                "report_url": self.service.report_url(interview_id),
            }
        )

    async def _error(self, message: str) -> None:
        await self._send({"type": "error", "message": message})

    async def _send(self, frame: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):  # gone; the recording is still submitted
            await self.ws.send_str(json.dumps(frame, ensure_ascii=False))
