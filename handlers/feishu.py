"""Feishu / Lark: recordings in chats become threaded report cards; @bot text commands.

Events come through lark-oapi's EventDispatcherHandler, either as webhooks at `POST /feishu/events` on the
shared aiohttp server (URL verification, verification token, signature, AES-encrypted bodies: all checked
by lark-oapi) or over lark-oapi's long connection, which blocks with its own event loop and can stop for
good after its reconnect attempts: it runs in its own thread under a supervisor that restarts it and logs
why. Replies go through lark-oapi's IM API with `reply_in_thread` and a `uuid`, so a retried reply is not
duplicated; every post is also claimed in SQLite first, as for Slack.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from bot import queries
from bot.digest import Digest, Subscription
from bot.fetch import TooLarge, save_stream
from bot.render import ReportContext, render_history, render_stored
from bot.service import Service, Submission

from . import commands
from .threads import (
    MembershipCache,
    ReportSweeper,
    claim_report,
    finish_upload,
    progress_text,
    record_report,
    say,
    take_in,
)

log = logging.getLogger(__name__)
PLATFORM = "feishu"
RECORDING_TYPES = {"audio", "file", "media"}
AUDIO_SUFFIXES = (
    ".mp3",
    ".m4a",
    ".aac",
    ".wav",
    ".ogg",
    ".opus",
    ".flac",
    ".webm",
    ".mp4",
    ".mov",
    ".amr",
    ".mkv",
)


def status_card(text: str) -> str:
    return json.dumps(
        {
            "config": {"wide_screen_mode": True, "update_multi": True},
            "elements": [{"tag": "div", "text": {"tag": "plain_text", "content": text}}],
        },
        ensure_ascii=False,
    )


class FeishuError(Exception):
    """An Open API call failed; the message carries Feishu's code, message and log id."""


class FeishuApp:
    def __init__(self, service: Service) -> None:
        import lark_oapi as lark

        settings = service.settings
        if not (settings.feishu_app_id and settings.feishu_app_secret):
            raise ValueError("Feishu needs FEISHU_APP_ID and FEISHU_APP_SECRET")
        self.service, self.settings = service, settings
        self.lang = "en" if settings.language == "en" else "zh"
        self.client = (
            lark.Client.builder()
            .app_id(settings.feishu_app_id)
            .app_secret(settings.feishu_app_secret)
            .domain(settings.feishu_domain)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )
        self.dispatcher = (
            lark.EventDispatcherHandler.builder(
                settings.feishu_encrypt_key or "", settings.feishu_verification_token or ""
            )
            .register_p2_im_message_receive_v1(self._receive)
            .build()
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        self.supervisor: Supervisor | None = None
        self.members = MembershipCache(self._members_of)
        self._last_progress: dict[str, str] = {}
        self.sweeper = ReportSweeper(
            service, PLATFORM, lambda interview, stale: self._post_report(interview, sweep=stale)
        )
        service.bus.subscribe(self._on_progress)
        service.digests.register(PLATFORM, self)

    # ---- wiring ---------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        from lark_oapi.core.model import RawRequest

        async def events(request: web.Request) -> web.Response:
            raw = RawRequest()
            raw.uri = request.path
            raw.body = await request.read()
            raw.headers = {k: v for k, v in request.headers.items()}
            resp = self.dispatcher.do(raw)  # decrypt, verify, parse; handlers only schedule work
            body = resp.content or b"{}"
            if resp.status_code < 400:
                return web.Response(status=resp.status_code, body=body, content_type="application/json")
            reason = body.decode("utf-8", "replace")
            if any(
                k in reason for k in ("signature", "verification_token", "PKCS7", "padding", "encrypt_key")
            ):
                return web.json_response(
                    {"error": "request refused: bad signature, token or encryption"}, status=401
                )
            if (
                "processor not found" in reason
            ):  # an event type we do not subscribe to: do not make Feishu retry
                return web.json_response({"msg": "ignored"})
            return web.json_response({"error": "malformed event"}, status=400)

        app.router.add_post("/feishu/events", events)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        for row in await self.service.db(lambda: queries.unfinished_files(self.service.store(), PLATFORM)):
            log.warning("resuming Feishu message %s accepted before a restart", row["file_id"])
            self._spawn(self._process_file(row, None))
        await self.sweeper.run_once()
        self.sweeper.start(self.settings.sweep_s)
        if self.settings.feishu_long_connection:
            self.supervisor = Supervisor(self._make_ws_client)
            self.supervisor.start()

    async def stop(self) -> None:
        self.sweeper.stop()
        if self.supervisor:
            self.supervisor.stop()

    def _make_ws_client(self):
        import lark_oapi as lark

        return lark.ws.Client(
            self.settings.feishu_app_id,
            self.settings.feishu_app_secret,
            event_handler=self.dispatcher,
            domain=self.settings.feishu_domain,
            log_level=lark.LogLevel.WARNING,
        )

    def _spawn(self, coro) -> None:
        self.loop.create_task(coro)

    async def _call(self, fn: Callable[[], Any]) -> Any:
        """lark-oapi's async methods still fetch the tenant token with blocking `requests`; its sync calls
        in a worker thread keep the event loop free."""
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    # ---- events ---------------------------------------------------------------------------------------
    def _receive(self, data) -> None:
        """Called by lark-oapi (webhook: on our loop; long connection: in its thread). Never blocks."""
        payload = json.loads(json.dumps(data, default=lambda o: o.__dict__))
        if self.loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._on_message(payload), self.loop)
        future.add_done_callback(_log_failure)

    async def _on_message(self, data: dict[str, Any]) -> None:
        svc = self.service
        event_id = (data.get("header") or {}).get("event_id")
        if event_id and await svc.db(lambda: queries.seen_event(svc.store(), PLATFORM, event_id)):
            return
        event = data.get("event") or {}
        message = event.get("message") or {}
        sender = ((event.get("sender") or {}).get("sender_id") or {}).get("open_id")
        mtype = message.get("message_type")
        try:
            content = json.loads(message.get("content") or "{}")
        except json.JSONDecodeError:
            log.warning("Feishu message %s has malformed content", message.get("message_id"))
            return
        if mtype in RECORDING_TYPES:
            name = (
                content.get("file_name")
                or f"{message.get('message_id')}.{'opus' if mtype == 'audio' else 'audio'}"
            )
            if mtype == "file" and not name.lower().endswith(AUDIO_SUFFIXES):
                return  # a document, not a recording: ignored silently
            mid = message["message_id"]
            if not await svc.db(
                lambda: queries.claim_file(
                    svc.store(), PLATFORM, mid, message.get("chat_id"), message.get("root_id") or mid, sender
                )
            ):
                return
            await self._process_file(
                {
                    "file_id": mid,
                    "channel": message.get("chat_id"),
                    "user": sender,
                    "thread": message.get("root_id") or mid,
                    "ack_message": None,
                },
                {"file_key": content.get("file_key"), "name": name},
            )
        elif mtype == "text":
            mentioned = any(m.get("name") for m in message.get("mentions") or [])
            if message.get("chat_type") == "p2p" or mentioned:
                await self._command(message, content.get("text", ""), sender)

    async def _process_file(self, row: dict[str, Any], meta: dict[str, Any] | None) -> None:
        svc = self.service
        mid, chat = row["file_id"], row["channel"]

        if meta is None:  # resumed after a restart: ask Feishu again
            meta = await self._message_file(mid)
            if meta is None:
                await finish_upload(svc, PLATFORM, mid)
                return
        await take_in(
            svc,
            PLATFORM,
            row,
            meta["name"],
            self.lang,
            post_ack=lambda text: self._reply(mid, status_card(text), f"ack-{mid}"),
            download=lambda tmp: self._download(mid, meta["file_key"], tmp),
            submission=lambda tmp, sha, size: Submission(
                path=tmp,
                filename=meta["name"],
                key=f"feishu:{mid}",
                sha256=sha,
                size_bytes=size,
                platform=PLATFORM,
                channel=chat,
                thread=mid,
                uploader=row.get("user"),
            ),
            show_failure=lambda ack, text: self._patch(ack, status_card(text)),
            errors=(FeishuError,),
        )

    async def _message_file(self, message_id: str) -> dict[str, Any] | None:
        from lark_oapi.api.im.v1 import GetMessageRequest

        resp = await self._call(
            lambda: self.client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
        )
        if not resp.success() or not resp.data.items:
            return None
        item = resp.data.items[0]
        content = json.loads(item.body.content or "{}")
        return {"file_key": content.get("file_key"), "name": content.get("file_name") or f"{message_id}.opus"}

    async def _download(self, message_id: str, file_key: str, dest) -> tuple[str, int]:
        """message_resource.get, streamed so the size limit holds before the file is all in memory
        (lark-oapi's own call reads the whole body); the tenant token comes from lark-oapi."""
        from lark_oapi.core.token.manager import TokenManager

        token = await asyncio.get_running_loop().run_in_executor(
            None, TokenManager.get_self_tenant_token, self.client._config
        )
        url = f"{self.settings.feishu_domain}/open-apis/im/v1/messages/{message_id}/resources/{file_key}"
        limit = self.settings.max_upload_bytes
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            async with session.get(
                url, params={"type": "file"}, headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                if resp.status != 200:
                    raise FeishuError(
                        f"Feishu answered HTTP {resp.status} for the file download "
                        f"(log id {resp.headers.get('X-Tt-Logid', '-')})"
                    )
                try:
                    return await save_stream(lambda: resp.content.read(1 << 16), dest, limit)
                except TooLarge:
                    raise FeishuError(say("too_big", self.lang, limit // 2**20)) from None

    # ---- posting --------------------------------------------------------------------------------------
    async def _reply(self, message_id: str, card: str, uuid: str) -> str | None:
        from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody

        body = (
            ReplyMessageRequestBody.builder()
            .content(card)
            .msg_type("interactive")
            .reply_in_thread(True)
            .uuid(uuid[:50])
            .build()
        )
        for attempt in range(4):
            resp = await self._call(
                lambda: self.client.im.v1.message.reply(
                    ReplyMessageRequest.builder().message_id(message_id).request_body(body).build()
                )
            )
            if resp.success():
                return resp.data.message_id
            if not _transient(resp) or attempt == 3:
                log.error(
                    "Feishu reply to %s failed: %s %s (log id %s)",
                    message_id,
                    resp.code,
                    resp.msg,
                    resp.get_log_id(),
                )
                return None
            await asyncio.sleep(0.5 * 2**attempt)
        return None

    async def post_digest(self, sub: Subscription, digest: Digest) -> str | None:
        """A new message (not a reply) to the chat or, for a personal subscription, to the user; the uuid
        makes a retried post within Feishu's dedup hour a no-op."""
        from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

        card = render_history("digest", digest.to_dict(), "feishu")
        id_type = "open_id" if sub.target_kind == "dm" else "chat_id"
        body = (
            CreateMessageRequestBody.builder()
            .receive_id(sub.target)
            .msg_type("interactive")
            .content(card)
            .uuid(f"digest-{sub.id}-{digest.date}"[:50])
            .build()
        )
        request = CreateMessageRequest.builder().receive_id_type(id_type).request_body(body).build()
        resp = await self._call(lambda: self.client.im.v1.message.create(request))
        if not resp.success():
            log.error(
                "Feishu digest to %s failed: %s %s (log id %s)",
                sub.target,
                resp.code,
                resp.msg,
                resp.get_log_id(),
            )
            return None
        return resp.data.message_id

    async def may_receive(self, sub: Subscription) -> bool:
        return await self.members.is_member(sub.channel, sub.target)

    async def _patch(self, message_id: str | None, card: str) -> None:
        from lark_oapi.api.im.v1 import PatchMessageRequest, PatchMessageRequestBody

        if not message_id:
            return
        resp = await self._call(
            lambda: self.client.im.v1.message.patch(
                PatchMessageRequest.builder()
                .message_id(message_id)
                .request_body(PatchMessageRequestBody.builder().content(card).build())
                .build()
            )
        )
        if not resp.success():
            log.error(
                "Feishu card update %s failed: %s %s (log id %s)",
                message_id,
                resp.code,
                resp.msg,
                resp.get_log_id(),
            )

    async def _on_progress(self, event) -> None:
        svc = self.service
        interview = await svc.db(lambda: svc.store().interview(event.interview_id))
        if not interview or interview.get("platform") != PLATFORM:
            return
        if event.stage in ("done", "failed"):
            await self._post_report(interview)
            return
        post = await svc.db(lambda: queries.post_message(svc.store(), PLATFORM, event.interview_id, "ack"))
        text = progress_text(event, self.lang)
        if not post or not post[2] or text is None:
            return
        if self._last_progress.get(event.interview_id) != text:
            self._last_progress[event.interview_id] = text
            await self._patch(post[2], status_card(text))

    async def _post_report(self, interview: dict[str, Any], *, sweep: bool = False) -> None:
        claim = await claim_report(self.service, PLATFORM, interview, sweep=sweep)
        if claim is None:
            return
        (status, ack), iid, thread = claim, interview["id"], interview["thread"]
        if status["status"] == "failed":
            card = status_card(say("failed", self.lang, status["error"]))
            if ack:
                await self._patch(ack, card)
                posted = ack
            else:
                posted = await self._reply(thread, card, f"report-{iid}")
        else:
            card = render_stored(
                status["analysis"],
                "feishu",
                ReportContext(
                    title=interview.get("title") or iid, report_url=status["report_url"], interview_id=iid
                ),
            )
            posted = await self._reply(
                thread, card, f"report-{iid}"
            )  # the uuid makes a retried reply a no-op
            await self._patch(ack, status_card(say("done", self.lang)))
        await record_report(self.service, PLATFORM, interview, posted)

    # ---- @bot commands --------------------------------------------------------------------------------
    async def _command(self, message: dict[str, Any], text: str, user: str | None) -> None:
        chat = message.get("chat_id")
        cmd = commands.parse(text, self.settings.language)
        ctx = commands.Context(
            service=self.service,
            platform=PLATFORM,
            channel=chat,
            user=user or "?",
            is_admin=bool(user) and user in self.settings.feishu_admins,
            member_of=lambda c: self.members.is_member(c, user),
            report_url=self.service.report_url,
            user_timezone=lambda: self._user_timezone(user),
        )
        reply = await commands.execute(cmd, ctx)
        card = commands.render_reply(reply, "feishu")
        await self._reply(message["message_id"], card, f"cmd-{message['message_id']}")

    async def _user_timezone(self, user: str | None) -> str | None:
        """The user's zone from their contact profile (needs contact:user.base:readonly; None without it)."""
        from lark_oapi.api.contact.v3 import GetUserRequest

        if not user:
            return None
        request = GetUserRequest.builder().user_id(user).user_id_type("open_id").build()
        resp = await self._call(lambda: self.client.contact.v3.user.get(request))
        if not resp.success() or resp.data is None or resp.data.user is None:
            log.info(
                "Feishu user time zone unavailable: %s %s (log id %s)", resp.code, resp.msg, resp.get_log_id()
            )
            return None
        return resp.data.user.time_zone or None

    async def _members_of(self, chat: str) -> set[str] | None:
        from lark_oapi.api.im.v1 import GetChatMembersRequest

        members: set[str] = set()
        page_token = None
        while True:
            builder = GetChatMembersRequest.builder().chat_id(chat).member_id_type("open_id").page_size(100)
            if page_token:
                builder = builder.page_token(page_token)
            request = builder.build()
            resp = await self._call(lambda r=request: self.client.im.v1.chat_members.get(r))
            if not resp.success():
                log.error(
                    "Feishu chat members of %s failed: %s %s (log id %s)",
                    chat,
                    resp.code,
                    resp.msg,
                    resp.get_log_id(),
                )
                return None
            members.update(m.member_id for m in resp.data.items or [])
            if not resp.data.has_more:
                return members
            page_token = resp.data.page_token


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("handling a Feishu event failed", exc_info=future.exception())


def _transient(resp) -> bool:
    # rate limits and server-side hiccups are worth another try; permissions and bad requests are not
    return (
        resp.code in (99991400, 230020, 99991663, 1254290, 1254607)
        or (resp.code or 0) >= 99991000
        and resp.code not in (99991672, 99991668, 99991401)
    )


class Supervisor:
    """Keeps lark-oapi's blocking long-connection client alive in its own thread with its own loop.
    When the client returns or raises (it gives up after its own reconnect attempts), the supervisor
    logs why and starts a new one after a backoff."""

    def __init__(
        self, factory: Callable[[], Any], *, backoff_s: float = 5.0, max_backoff_s: float = 300.0
    ) -> None:
        self.factory = factory
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.restarts = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feishu-long-connection", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import lark_oapi.ws.client as ws_client

        delay = self.backoff_s
        while not self._stop.is_set():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            ws_client.loop = loop  # lark-oapi's client runs on this module-level loop
            started = time.monotonic()
            try:
                self.factory().start()
                self.last_error = "the long connection returned"
            except Exception as exc:  # it gave up: say why, then start over
                self.last_error = f"{type(exc).__name__}: {exc}"
            finally:
                loop.close()
            if self._stop.is_set():
                return
            self.restarts += 1
            log.error(
                "Feishu long connection stopped (%s); restarting in %.0f s (restart %d)",
                self.last_error,
                delay,
                self.restarts,
            )
            if time.monotonic() - started > 600:
                delay = self.backoff_s  # it ran fine for a while: start again quickly
            self._stop.wait(delay)
            delay = min(delay * 2, self.max_backoff_s)
