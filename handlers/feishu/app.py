"""Feishu / Lark: recordings in chats become threaded report cards; @bot text commands.

Events come through lark-oapi's EventDispatcherHandler, either as webhooks at `POST /feishu/events` on the
shared aiohttp server (URL verification, verification token, signature, AES-encrypted bodies: all checked
by lark-oapi) or over lark-oapi's long connection (kept alive by the Supervisor). Replies go through
lark-oapi's IM API with `reply_in_thread` and a `uuid`, so a retried reply is not duplicated; the shared
flow (handlers.platform) also claims every post in SQLite first. Every Open API call is retried on what is
transient (connection errors, 5xx, non-JSON gateway pages, rate limits after their reset); a report that
still fails stays pending, and a stale claim first looks in the thread for the bot's own card.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from asr_engine.audio import is_recording
from bot.fetch import TooLarge, save_stream
from bot.render import render_history, render_stored
from bot.service import Service
from bot.texts import say

from ..platform import (
    ChatPlatform,
    DownloadError,
    Message,
    Place,
    Refused,
    Upload,
    interviewer_line,
    parse_ats_value,
    parse_vote_value,
    render_reply,
)
from .settings import FeishuSettings
from .supervisor import Supervisor

log = logging.getLogger(__name__)
RECORDING_TYPES = {"audio", "file", "media"}
_MENTION_KEY = re.compile(r"@_user_\d+")
# what Feishu answers when a message can never reach that user or chat (retrying cannot help): the bot is
# not in the chat, not available to the user, lacks the permission, the user stopped it, or another
# app's or tenant's id
REFUSALS = frozenset({230002, 230006, 230013, 230027, 230035, 230053, 99992361, 99992364})
_REFUSED = ("signature", "verification_token", "PKCS7", "padding", "encrypt_key")


def status_card(text: str) -> str:
    return json.dumps(
        {
            "config": {"wide_screen_mode": True, "update_multi": True},
            "elements": [{"tag": "div", "text": {"tag": "plain_text", "content": text}}],
        },
        ensure_ascii=False,
    )


def choices_card(text: str, choices: list[tuple[str, str]]) -> str:
    """A question with one button per answer (each a Send to ATS click with its application)."""
    buttons = [
        {
            "tag": "button",
            "type": "default",
            "text": {"tag": "plain_text", "content": label},
            "value": {"ats": value},
        }
        for label, value in choices
    ]
    elements = [
        {"tag": "div", "text": {"tag": "plain_text", "content": text}},
        {"tag": "action", "actions": buttons},
    ]
    return json.dumps(
        {"config": {"wide_screen_mode": True, "update_multi": True}, "elements": elements}, ensure_ascii=False
    )


class FeishuError(DownloadError):
    """An Open API call failed; the message carries Feishu's code, message and log id."""


def _transient(resp) -> bool:
    # rate limits and server-side hiccups are worth another try; permissions and bad requests are not
    status = getattr(resp.raw, "status_code", 200) if resp.raw is not None else 200
    if status == 429 or status >= 500:
        return True
    return resp.code in (99991400, 230020, 99991663, 1254290, 1254607) or (
        (resp.code or 0) >= 99991000 and resp.code not in (99991672, 99991668, 99991401)
    )


def _rate_limited(resp) -> bool:
    """HTTP 429, or Feishu's own "too many requests" code in a 200 or 400 answer."""
    status = getattr(resp.raw, "status_code", 200) if resp.raw is not None else 200
    return status == 429 or resp.code == 99991400


def _wait_s(resp, attempt: int, base_s: float) -> float:
    """Backoff before the next try: Feishu's rate-limit reset when it said one, else doubling."""
    headers = (resp.raw.headers or {}) if resp is not None and resp.raw is not None else {}
    reset = {k.lower(): v for k, v in headers.items()}.get("x-ogw-ratelimit-reset")
    try:
        return min(float(reset), 30.0) if reset is not None else base_s * 2**attempt
    except ValueError:
        return base_s * 2**attempt


def _describe(resp) -> str:
    if resp is None:
        return "no answer"
    return f"{resp.code} {resp.msg} (log id {resp.get_log_id()})"


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("handling a Feishu event failed", exc_info=future.exception())


class FeishuPlatform(ChatPlatform):
    name = "feishu"

    def __init__(self, service: Service, settings: FeishuSettings | None = None) -> None:
        import lark_oapi as lark

        self.settings = settings or FeishuSettings.read(service.settings.source)
        super().__init__(service, admins=self.settings.admins, sweep_s=self.settings.sweep_s)
        s = self.settings
        self.client = (
            lark.Client.builder()
            .app_id(s.app_id)
            .app_secret(s.app_secret)
            .domain(s.domain)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )
        self.dispatcher = (
            lark.EventDispatcherHandler.builder(s.encrypt_key or "", s.verification_token or "")
            .register_p2_im_message_receive_v1(self._receive)
            .register_p2_card_action_trigger(self._card_action)
            .build()
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        self.retry_base_s = 0.5  # backoff of a transient Open API failure: 0.5, 1, 2 s
        self.supervisor: Supervisor | None = None
        self._bot_id: str | None = None

    # ---- wiring ---------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        from lark_oapi.core.model import RawRequest

        async def events(request: web.Request) -> web.Response:
            raw = RawRequest()
            raw.uri = request.path
            raw.body = await request.read()
            raw.headers = dict(request.headers.items())
            # decrypt, verify, parse, in a worker thread: a card action waits there for its verdict
            resp = await asyncio.get_running_loop().run_in_executor(None, self.dispatcher.do, raw)
            body = resp.content or b"{}"
            if resp.status_code < 400:
                return web.Response(status=resp.status_code, body=body, content_type="application/json")
            reason = body.decode("utf-8", "replace")
            if any(k in reason for k in _REFUSED):
                return web.json_response(
                    {"error": "request refused: bad signature, token or encryption"}, status=401
                )
            if "processor not found" in reason:  # an event type we do not subscribe to: no retries, please
                return web.json_response({"msg": "ignored"})
            return web.json_response({"error": "malformed event"}, status=400)

        app.router.add_post("/feishu/events", events)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()  # events from lark-oapi's threads are handed to it
        await super().start()

    async def connect(self) -> None:
        if self.settings.long_connection:
            beat = self.service.liveness.beat("feishu-long-connection")
            self.supervisor = Supervisor(self._make_ws_client, beat=beat)
            self.supervisor.start()

    async def disconnect(self) -> None:
        if self.supervisor:
            self.supervisor.stop()

    def _make_ws_client(self):
        import lark_oapi as lark

        s = self.settings
        return lark.ws.Client(
            s.app_id,
            s.app_secret,
            event_handler=self.dispatcher,
            domain=s.domain,
            log_level=lark.LogLevel.WARNING,
        )

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
        if await self.seen((data.get("header") or {}).get("event_id")):
            return
        event = data.get("event") or {}
        message = event.get("message") or {}
        sender = ((event.get("sender") or {}).get("sender_id") or {}).get("open_id")
        try:
            content = json.loads(message.get("content") or "{}")
        except json.JSONDecodeError:
            log.warning("Feishu message %s has malformed content", message.get("message_id"))
            return
        mtype, mid, chat = message.get("message_type"), message.get("message_id"), message.get("chat_id")
        if mtype in RECORDING_TYPES:
            upload = self._upload(mid, chat, message.get("root_id") or mid, sender, mtype, content)
            if upload.recording:  # a document is ignored silently
                await self.accept(upload)
        elif mtype == "text":
            if await self._names_interviewer(message, content.get("text"), sender):
                return
            mentioned = any(m.get("name") for m in message.get("mentions") or [])
            if message.get("chat_type") == "p2p" or mentioned:
                # Feishu has no ephemeral answers: in a group, what is for the asker alone goes by DM
                private = None if message.get("chat_type") == "p2p" or not sender else Place(sender, dm=True)
                await self.command(
                    content.get("text", ""), chat, sender, Place(chat, mid), f"cmd-{mid}", private
                )

    async def _names_interviewer(self, message: dict[str, Any], text: str | None, sender: str | None) -> bool:
        """`@bot 面试官：@someone` (or a free-text name) replying in a recording's thread: a file message carries
        no text, so the uploader names the interviewer in a reply. False: not such a message."""
        refs = [r for r in (message.get("parent_id"), message.get("root_id")) if r]
        if not refs or not interviewer_line(text, lambda _: None):
            return False
        mentions = {m.get("key"): m for m in message.get("mentions") or []}

        def mentioned(value: str) -> tuple[str, str | None] | None:
            m = _MENTION_KEY.search(value)  # Feishu writes a mention as `@_user_N`, described in `mentions`
            found = mentions.get(m.group(0)) if m else None
            return ((found.get("id") or {}).get("open_id"), found.get("name")) if found else None

        named = interviewer_line(text, mentioned, {await self._bot_open_id()})
        if named is None:
            return False
        answer = Place(message.get("chat_id"), message.get("message_id"))
        return await self.name_interviewer(refs, sender, named, answer)

    async def _bot_open_id(self) -> str | None:
        """The app's own open_id (bot/v3/info), asked once: a mention of it names no interviewer."""
        if self._bot_id is None:
            from lark_oapi.core.enum import AccessTokenType, HttpMethod
            from lark_oapi.core.model import BaseRequest

            request = (
                BaseRequest.builder()
                .http_method(HttpMethod.GET)
                .uri("/open-apis/bot/v3/info")
                .token_types({AccessTokenType.TENANT})
                .build()
            )
            resp = await self._api(lambda: self.client.request(request))
            if resp is not None and resp.success() and resp.raw is not None:
                self._bot_id = (json.loads(resp.raw.content).get("bot") or {}).get("open_id")
        return self._bot_id

    def _card_action(self, data):
        """A verdict from a report card's controls (webhook or long connection; called in a thread of
        lark-oapi's or ours, never on the event loop): stored and the card patched in place with the
        tally; the toast tells the clicker alone what happened (a refusal included)."""
        from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

        event = data.event
        value = getattr(event.action, "value", None)
        if isinstance(value, dict) and value.get("ats"):
            return self._ats_action(value["ats"], event)
        vote = parse_vote_value(
            getattr(event.action, "option", None), event.operator.open_id, event.context.open_chat_id
        )
        text, kind = say("verdict_bad", self.lang), "error"
        if self.loop is not None:
            future = asyncio.run_coroutine_threadsafe(
                self._vote(vote, event.context.open_message_id), self.loop
            )
            try:
                text, kind = future.result(timeout=2.5)  # Feishu waits 3 s for the answer
            except TimeoutError:
                text, kind = "…", "info"  # stored and patched in the background
        return P2CardActionTriggerResponse({"toast": {"type": kind, "content": text}})

    def _ats_action(self, value: str, event):
        """ "Send to ATS" on a report card (or an application button the bot asked with), in lark-oapi's
        thread: the toast says how it went; a send that takes longer than Feishu waits (3 s) says so, and
        its outcome follows in the report's thread."""
        from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

        click = parse_ats_value(value, event.operator.open_id, event.context.open_chat_id)
        text, kind = say("verdict_bad", self.lang), "error"
        if self.loop is not None:
            future = asyncio.run_coroutine_threadsafe(self.send_to_ats(click), self.loop)
            try:
                text, sent = future.result(timeout=2.5)
                kind = "success" if sent else "error"
            except TimeoutError:
                text = say("ats_pending", self.lang)
                future.add_done_callback(lambda f: self._ats_late(f, click))
        return P2CardActionTriggerResponse({"toast": {"type": kind, "content": text}})

    def _ats_late(self, future, click) -> None:
        """The outcome of a send that outlasted the toast, posted in the interview's thread."""
        if future.cancelled() or future.exception() is not None or self.loop is None:
            return _log_failure(future)

        async def tell() -> None:
            interview = await self.db.interviews.get(click.interview_id) or {}
            if interview.get("thread"):
                await self.post(Place(interview["channel"], interview["thread"]), Message(future.result()[0]))

        asyncio.run_coroutine_threadsafe(tell(), self.loop).add_done_callback(_log_failure)

    async def user_name(self, user: str) -> str | None:
        from lark_oapi.api.contact.v3 import GetUserRequest

        request = GetUserRequest.builder().user_id(user).user_id_type("open_id").build()
        resp = await self._api(lambda: self.client.contact.v3.user.get(request))
        if resp is None or not resp.success() or resp.data is None or resp.data.user is None:
            return None
        return resp.data.user.name or None

    async def _vote(self, vote, message_id: str | None) -> tuple[str, str]:
        result = await self.vote(vote)
        if result.refusal is not None:
            return result.refusal, "error"
        if result.report is not None and message_id:
            await self.edit(Place(vote.channel), message_id, result.report)
        from bot.analysis.summary import competency_name
        from bot.verdicts import verdict_word

        what = (competency_name(vote.competency, self.lang), verdict_word(vote.verdict, self.lang))
        return say("verdict_saved", self.lang, *what), "success"

    @staticmethod
    def _upload(mid: str, chat: str, thread: str, user: str | None, mtype: str, content: dict) -> Upload:
        name = content.get("file_name") or f"{mid}.{'opus' if mtype == 'audio' else 'audio'}"
        return Upload(
            file_id=mid,
            channel=chat,
            thread=thread,
            user=user,
            name=name,
            recording=mtype != "file" or is_recording(name),
            ref={"file_key": content.get("file_key")},
        )

    async def describe(self, row: dict[str, Any]) -> Upload | None:
        """A message accepted before a restart: ask Feishu for it again."""
        from lark_oapi.api.im.v1 import GetMessageRequest

        mid = row["file_id"]
        request = GetMessageRequest.builder().message_id(mid).build()
        resp = await self._api(lambda: self.client.im.v1.message.get(request))
        if resp is None or not resp.success() or not resp.data.items:
            return None
        item = resp.data.items[0]
        content = json.loads(item.body.content or "{}")
        return self._upload(
            mid, row["channel"], row["thread"], row.get("user"), item.msg_type or "audio", content
        )

    # ---- the Open API ---------------------------------------------------------------------------------
    def render(self, message: Message) -> str:
        if message.reply is not None:
            return render_reply(message.reply, "feishu")
        if message.report is not None:
            return render_stored(message.report, "feishu", message.context)
        if message.digest is not None:
            return render_history("digest", message.digest, "feishu")
        if message.choices:
            return choices_card(message.text, message.choices)
        return status_card(message.text)

    async def post(self, to: Place, message: Message) -> str | None:
        """A reply in the thread of `to.thread`, or a new message to a chat or (dm) a user; the uuid makes
        a retried post within Feishu's dedup hour a no-op."""
        return await self._send(self._request(to, message), to.thread or to.channel)

    async def post_note(self, to: Place, message: Message) -> str | None:
        resp = await self._api(self._request(to, message))
        if resp is not None and resp.success():
            return resp.data.message_id
        log.error("Feishu post to %s failed: %s", to.channel, _describe(resp))
        if resp is not None and resp.code in REFUSALS:
            raise Refused(_describe(resp))
        return None

    def _request(self, to: Place, message: Message) -> Callable[[], Any]:
        """The Open API call that posts `message`: a reply in the thread of `to.thread`, or a new message
        to a chat or (dm) a user."""
        from lark_oapi.api.im.v1 import (
            CreateMessageRequest,
            CreateMessageRequestBody,
            ReplyMessageRequest,
            ReplyMessageRequestBody,
        )

        card, key = self.render(message), (message.key or uuid.uuid4().hex)[:50]
        if to.thread:
            body = ReplyMessageRequestBody.builder().content(card).msg_type("interactive")
            body = body.reply_in_thread(True).uuid(key).build()
            request = ReplyMessageRequest.builder().message_id(to.thread).request_body(body).build()
            send = lambda: self.client.im.v1.message.reply(request)  # noqa: E731
        else:
            body = CreateMessageRequestBody.builder().receive_id(to.channel).msg_type("interactive")
            body = body.content(card).uuid(key).build()
            id_type = "open_id" if to.dm else "chat_id"
            request = CreateMessageRequest.builder().receive_id_type(id_type).request_body(body).build()
            send = lambda: self.client.im.v1.message.create(request)  # noqa: E731
        return send

    async def _send(self, send: Callable[[], Any], where: str) -> str | None:
        """The post's message id, or None when Feishu would not take it after the retries (the report
        flow keeps it pending). Retrying a post is safe: the same uuid within an hour sends nothing new."""
        resp = await self._api(send)
        if resp is not None and resp.success():
            return resp.data.message_id
        log.error("Feishu post to %s failed: %s", where, _describe(resp))
        return None

    async def _api(self, fn: Callable[[], Any], attempts: int = 4) -> Any:
        """An Open API call with retries for what is transient (connection errors, timeouts, 5xx, a body
        that is not JSON, rate limits after their reset): the last response, None if none came."""
        from lark_oapi.core.exception import AccessTokenException, ObtainAccessTokenException

        resp = None
        for attempt in range(attempts):
            try:
                resp = await self._call(fn)
            except (OSError, ValueError, AccessTokenException, ObtainAccessTokenException) as exc:
                # requests' errors are OSErrors; a 502 page is not JSON (ValueError)
                log.warning("Feishu call failed (%s: %s); trying again", type(exc).__name__, exc)
                resp = None
            else:
                if resp.success() or not _transient(resp):
                    return resp
                if _rate_limited(resp):
                    self.service.metrics.platform_rate_limited.labels(self.name).inc()
            if attempt < attempts - 1:
                self.service.metrics.platform_retries.labels(self.name).inc()
                await asyncio.sleep(_wait_s(resp, attempt, self.retry_base_s))
        return resp

    def _own(self, m) -> bool:
        """A message this app sent and did not delete."""
        sender = m.sender
        own = (
            sender is not None
            and sender.sender_type == "app"
            and sender.id in (None, "", self.settings.app_id)
        )
        return own and not m.deleted

    async def find_posted(self, to: Place, key: str) -> str | None:
        """The bot's report in the thread of `to.thread`: the thread's messages (im.v1.message.list with
        container_id_type=thread), sent by this app, whose card links this interview's report page.
        Raises LookupError when Feishu would not say. A post that is not found is posted again with the
        same uuid, which Feishu also drops within its dedup hour."""
        from lark_oapi.api.im.v1 import GetMessageRequest, ListMessageRequest

        if not (to.thread and key.startswith("report-")):
            return None
        marker = f"/r/{key.removeprefix('report-')}/"
        root = GetMessageRequest.builder().message_id(to.thread).build()
        resp = await self._api(lambda: self.client.im.v1.message.get(root))
        if resp is None or not resp.success():
            raise LookupError(f"Feishu message get failed: {_describe(resp)}")
        thread_id = next((m.thread_id for m in resp.data.items or [] if m.thread_id), None)
        page: str | None = None
        while thread_id:
            builder = ListMessageRequest.builder().container_id_type("thread").container_id(thread_id)
            builder = builder.card_msg_content_type("raw_card_content").page_size(50)
            request = (builder.page_token(page) if page else builder).build()
            resp = await self._api(lambda r=request: self.client.im.v1.message.list(r))
            if resp is None or not resp.success():
                raise LookupError(f"Feishu thread messages failed: {_describe(resp)}")
            for m in resp.data.items or []:
                if self._own(m) and marker in ((m.body.content if m.body else None) or ""):
                    return m.message_id
            if not resp.data.has_more:
                break
            page = resp.data.page_token
        return None

    async def edit(self, to: Place, message_id: str, message: Message) -> bool:
        from lark_oapi.api.im.v1 import PatchMessageRequest, PatchMessageRequestBody

        body = PatchMessageRequestBody.builder().content(self.render(message)).build()
        request = PatchMessageRequest.builder().message_id(message_id).request_body(body).build()
        resp = await self._api(lambda: self.client.im.v1.message.patch(request))
        if resp is None or not resp.success():
            log.error("Feishu card update %s failed: %s", message_id, _describe(resp))
            return False
        return True

    async def retract(self, to: Place, message_id: str) -> bool:
        from lark_oapi.api.im.v1 import DeleteMessageRequest

        request = DeleteMessageRequest.builder().message_id(message_id).build()
        resp = await self._api(lambda: self.client.im.v1.message.delete(request))
        if resp is None or not resp.success():
            log.error("Feishu message delete %s failed: %s", message_id, _describe(resp))
            return False
        return True

    async def download(self, upload: Upload, dest: Path, limit: int) -> tuple[str, int]:
        """message_resource.get, streamed so the size limit holds before the file is all in memory
        (lark-oapi's own call reads the whole body); the tenant token comes from lark-oapi."""
        from lark_oapi.core.token.manager import TokenManager

        token = await self._call(lambda: TokenManager.get_self_tenant_token(self.client._config))
        resource = f"{upload.file_id}/resources/{upload.ref['file_key']}"
        url = f"{self.settings.domain}/open-apis/im/v1/messages/{resource}"
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            async with session.get(url, params={"type": "file"}, headers=headers) as resp:
                if resp.status != 200:
                    raise FeishuError(
                        f"Feishu answered HTTP {resp.status} for the file download "
                        f"(log id {resp.headers.get('X-Tt-Logid', '-')})"
                    )
                try:
                    return await save_stream(lambda: resp.content.read(1 << 16), dest, limit)
                except TooLarge:
                    raise FeishuError(say("too_big", self.lang, limit // 2**20)) from None

    async def members(self, channel: str) -> set[str] | None:
        from lark_oapi.api.im.v1 import GetChatMembersRequest

        members: set[str] = set()
        page_token = None
        while True:
            builder = (
                GetChatMembersRequest.builder().chat_id(channel).member_id_type("open_id").page_size(100)
            )
            request = (builder.page_token(page_token) if page_token else builder).build()
            resp = await self._api(lambda r=request: self.client.im.v1.chat_members.get(r))
            if resp is None or not resp.success():
                log.error("Feishu chat members of %s failed: %s", channel, _describe(resp))
                return None
            members.update(m.member_id for m in resp.data.items or [])
            if not resp.data.has_more:
                return members
            page_token = resp.data.page_token

    async def user_timezone(self, user: str) -> str | None:
        """The user's zone from their contact profile (needs contact:user.base:readonly; None without it)."""
        from lark_oapi.api.contact.v3 import GetUserRequest

        request = GetUserRequest.builder().user_id(user).user_id_type("open_id").build()
        resp = await self._api(lambda: self.client.contact.v3.user.get(request))
        if resp is None or not resp.success() or resp.data is None or resp.data.user is None:
            log.info("Feishu user time zone unavailable: %s", _describe(resp))
            return None
        return resp.data.user.time_zone or None
