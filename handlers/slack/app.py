"""Slack: recordings posted in a channel become threaded reports; `/interview` commands.

slack-bolt's AsyncApp receives events over HTTP (`POST /slack/events` on the shared aiohttp server, signed
requests verified by bolt) or over Socket Mode when SLACK_APP_TOKEN is set. The same upload arrives as a
`message` and a `file_shared` event and may be retried; the shared flow (handlers.platform) takes each file
once. Here: turning Slack events into uploads and commands, and the Web API calls behind post / edit /
download / members / user time zone.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from asr_engine.audio import is_recording
from bot import render_slack
from bot.fetch import TooLarge, save_stream
from bot.metrics import Metrics
from bot.render import build_payload
from bot.service import Service
from bot.texts import say

from ..platform import (
    ChatPlatform,
    DownloadError,
    Message,
    Place,
    Refused,
    Upload,
    application_line,
    interviewer_line,
    parse_ats_value,
    parse_vote_value,
    reply_document,
)
from .settings import SlackSettings

log = logging.getLogger(__name__)


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
# what Slack answers when a message can never reach that user or channel (retrying cannot help)
REFUSALS = frozenset(
    {
        "cannot_dm_bot",
        "user_not_found",
        "user_disabled",
        "user_not_visible",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "messages_tab_disabled",
        # the app itself cannot (an install without im:write, a token of the wrong kind, an inactive
        # workspace): retrying every sweep would never end
        "missing_scope",
        "not_allowed_token_type",
        "account_inactive",
        "restricted_action",
    }
)


def mention(text: str) -> tuple[str, str | None] | None:
    """A user mention in message text (`<@U123>`, `<@U123|name>`): (user id, name if written)."""
    m = _MENTION.search(text)
    return (m.group(1), m.group(2) or None) if m else None


def recording(file: dict[str, Any]) -> bool:
    """Slack's voice clips (subtype slack_audio) and whatever the one recording list accepts, by name,
    by Slack's file type or by MIME type."""
    filetype = (file.get("filetype") or "").lower()
    return (
        file.get("subtype") == "slack_audio"
        or is_recording(file.get("name"), file.get("mimetype"))
        or is_recording(f"file.{filetype}")
    )


class SlackPlatform(ChatPlatform):
    name = "slack"

    def __init__(self, service: Service, settings: SlackSettings | None = None) -> None:
        from slack_bolt.async_app import AsyncApp
        from slack_sdk.http_retry.builtin_async_handlers import (
            AsyncConnectionErrorRetryHandler,
            AsyncRateLimitErrorRetryHandler,
            AsyncServerErrorRetryHandler,
        )
        from slack_sdk.web.async_client import AsyncWebClient

        self.settings = settings or SlackSettings.read(service.settings.source)
        super().__init__(service, admins=self.settings.admins, sweep_s=self.settings.sweep_s)
        # slack_sdk's retry handlers: connection errors, 429 after Retry-After, and 500/503 with backoff,
        # except connection errors and 5xx on chat.postMessage (it may have posted: the report flow looks
        # in the thread before it posts again)
        self.client = AsyncWebClient(
            token=self.settings.bot_token,
            base_url=self.settings.api_url,
            timeout=self.settings.timeout_s,
            retry_handlers=[
                _retrying(AsyncConnectionErrorRetryHandler, 2, service.metrics, posts=False),
                _retrying(AsyncRateLimitErrorRetryHandler, 5, service.metrics, posts=True),
                _retrying(AsyncServerErrorRetryHandler, 3, service.metrics, posts=False),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.settings.signing_secret or "socket-mode",
            process_before_response=False,
        )
        self.app.event("message")(self._on_message)
        self.app.event("file_shared")(self._on_file_shared)
        self.app.command("/interview")(self._on_command)
        self.app.action("verdict")(self._on_verdict)
        self.app.action("verdict_missed")(self._on_verdict)
        self.app.action(re.compile(r"^ats_send(_\d+)?$"))(self._on_ats)  # the report's, or a choice's
        self._allowed_hosts = {urlsplit(self.settings.api_url).hostname}
        self._socket = None

    # ---- wiring ---------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

        async def events(request: web.Request) -> web.Response:
            started = time.perf_counter()
            response = await to_aiohttp_response(
                await self.app.async_dispatch(await to_bolt_request(request))
            )
            log.debug("slack request acknowledged in %.1f ms", (time.perf_counter() - started) * 1000)
            return response

        app.router.add_post("/slack/events", events)

    async def connect(self) -> None:
        if self.settings.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.settings.app_token)
            await self._socket.connect_async()
            log.warning("Slack Socket Mode connected")

    async def disconnect(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()

    # ---- events ---------------------------------------------------------------------------------------
    async def _on_message(self, event: dict[str, Any], body: dict[str, Any], context) -> None:
        if event.get("bot_id"):
            return
        if not event.get("files"):
            return await self._names_interviewer(event, body, context)
        if await self.seen(body.get("event_id")):
            return
        thread = event.get("thread_ts") or event["ts"]
        application = application_line(event.get("text"))  # `application: <id>` with the upload
        # `interviewer: <@U123>` with the upload: that user gets the coaching note (not the bot itself)
        named = interviewer_line(event.get("text"), mention, {context.get("bot_user_id")})
        for file in event["files"]:
            upload = self._upload(file, event["channel"], thread, event.get("user"))
            upload.application, upload.interviewer = application, named
            await self.accept(upload)

    async def _names_interviewer(self, event: dict[str, Any], body: dict[str, Any], context) -> None:
        """`interviewer: @someone` (面试官：) replying in a recording's thread, as on Feishu: taken from the
        uploader while the private note has not gone out (ChatPlatform.name_interviewer)."""
        thread, text = event.get("thread_ts"), event.get("text")
        if event.get("subtype") or not thread or thread == event.get("ts"):
            return  # an edit, a join, a message of its own: names no one
        named = interviewer_line(text, mention, {context.get("bot_user_id")})
        if named is None or await self.seen(body.get("event_id")):
            return
        files = await self.db.posts.thread_files(self.name, event["channel"], thread)
        await self.name_interviewer(files, event.get("user"), named, Place(event["channel"], thread))

    async def _on_file_shared(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if await self.seen(body.get("event_id")):
            return
        file = (await self.client.files_info(file=event["file_id"]))["file"]
        channel = event.get("channel_id")
        shares = file.get("shares") or {}
        share = next(
            (s for kind in ("public", "private") for s in (shares.get(kind) or {}).get(channel, [])), None
        )
        if share is None:
            return  # not shared in a channel we can answer in
        await self.accept(
            self._upload(file, channel, share.get("thread_ts") or share["ts"], event.get("user_id"))
        )

    def _upload(self, file: dict[str, Any], channel: str, thread: str, user: str | None) -> Upload:
        return Upload(
            file_id=file["id"],
            channel=channel,
            thread=thread,
            user=user,
            name=file.get("name") or f"{file['id']}.{file.get('filetype', 'audio')}",
            recording=recording(file),
            size=file.get("size"),
            mimetype=file.get("mimetype"),
            ref={"url": file.get("url_private_download")},
        )

    async def describe(self, row: dict[str, Any]) -> Upload | None:
        try:
            file = (await self.client.files_info(file=row["file_id"]))["file"]
        except _failures() as exc:
            log.error("files.info failed for %s: %s (request id %s)", row["file_id"], *_api_error(exc))
            if _transient(exc):
                raise LookupError(f"files.info failed: {_api_error(exc)[0]}") from None
            return None
        return self._upload(file, row["channel"], row["thread"], row.get("user"))

    async def _on_command(self, ack, command: dict[str, Any], respond) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        place = Place(command["channel_id"], handle=respond)
        await self.command(command.get("text", ""), command["channel_id"], command["user_id"], place, "")

    async def _on_verdict(self, ack, body: dict[str, Any], action: dict[str, Any], respond) -> None:
        """A verdict from a report's overflow menu or its "missed" select: acknowledged first (Slack's 3
        seconds), then stored and the report updated in place with the tally (chat.update); a refusal
        goes to the clicker alone."""
        await ack()
        channel = (body.get("channel") or {}).get("id")
        vote = parse_vote_value(
            (action.get("selected_option") or {}).get("value"), (body.get("user") or {}).get("id"), channel
        )
        result = await self.vote(vote)
        if result.refusal is not None:
            await respond(text=result.refusal, response_type="ephemeral", replace_original=False)
            return
        ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
        if result.report is not None and channel and ts:
            await self.edit(Place(channel), ts, result.report)

    async def _on_ats(self, ack, body: dict[str, Any], action: dict[str, Any], respond) -> None:
        """ "Send to ATS" on a report (or an application button the bot asked with): acknowledged first,
        then sent; the outcome (or the refusal, or the ATS's failure) goes to the clicker alone."""
        await ack()
        channel = (body.get("channel") or {}).get("id")
        click = parse_ats_value(action.get("value"), (body.get("user") or {}).get("id"), channel)
        note, _ = await self.send_to_ats(click)
        await respond(text=note, response_type="ephemeral", replace_original=False)

    async def user_name(self, user: str) -> str | None:
        try:
            info = (await self.client.users_info(user=user))["user"]
        except _failures() as exc:
            log.warning("users.info failed: %s (request id %s)", *_api_error(exc))
            return None
        return (info.get("profile") or {}).get("real_name") or info.get("real_name") or info.get("name")

    # ---- the Web API ----------------------------------------------------------------------------------
    def render(self, message: Message) -> dict[str, Any]:
        """The message as Block Kit data; slack_sdk serialises it once, on the way out."""
        if message.reply is not None:
            kind, data, ctx = reply_document(message.reply)
            return build_payload(kind, data, "slack", ctx)
        if message.report is not None:
            return build_payload("report", message.report, "slack", message.context)
        if message.digest is not None:
            return {**build_payload("digest", message.digest, "slack"), "unfurl_links": False}
        if message.choices:  # one button per choice, handled as a Send to ATS click
            return render_slack.choices(message.text, message.choices)
        return {"text": message.text}

    async def post(self, to: Place, message: Message) -> str | None:
        payload = self.render(message)
        if to.handle is not None:  # a command's answer, through its response_url
            kind = "in_channel" if message.public else "ephemeral"
            await to.handle(text=payload["text"], blocks=payload.get("blocks"), response_type=kind)
            return None
        try:
            return await self._post(to, message, payload)
        except _failures() as exc:
            log.error("posting to %s failed: %s (request id %s)", to.channel, *_api_error(exc))
            return None

    async def post_note(self, to: Place, message: Message) -> str | None:
        try:
            return await self._post(to, message, self.render(message))
        except _failures() as exc:
            code, request_id = _api_error(exc)
            log.error("posting to %s failed: %s (request id %s)", to.channel, code, request_id)
            if not _transient(exc) and code in REFUSALS:
                raise Refused(code) from None
            return None

    async def _post(self, to: Place, message: Message, payload: dict[str, Any]) -> str:
        channel = await self._channel(to)
        if message.key:  # the marker that lets a later attempt find this post
            payload["metadata"] = {"event_type": MARKER, "event_payload": {"key": message.key}}
        resp = await self.client.chat_postMessage(channel=channel, thread_ts=to.thread, **payload)
        return resp["ts"]

    async def _channel(self, to: Place) -> str:
        """The channel id of a place: a direct message is the app's conversation with that user."""
        if to.dm:
            return (await self.client.conversations_open(users=to.channel))["channel"]["id"]
        return to.channel

    async def find_posted(self, to: Place, key: str) -> str | None:
        """The bot's own message carrying `key` in its metadata: in the thread (conversations.replies), or
        among the latest 200 of a channel or direct message (conversations.history: a note owed is
        retried within minutes, so it would be recent). LookupError when Slack would not answer this time."""
        try:
            channel = await self._channel(to)
        except _failures() as exc:
            code = _api_error(exc)[0]
            if to.dm and not _transient(exc) and code in REFUSALS:
                return None  # no DM with that user, for good: posting again is refused and settles it
            raise LookupError(f"opening the direct message failed: {code}") from None
        try:
            if to.thread:
                pages = await self.client.conversations_replies(
                    channel=to.channel, ts=to.thread, include_all_metadata=True, limit=200
                )
                async for page in pages:
                    if found := _marked(page.get("messages", []), key):
                        return found
                return None
            latest = await self.client.conversations_history(
                channel=channel, include_all_metadata=True, limit=200
            )
            return _marked(latest.get("messages", []), key)
        except _failures() as exc:  # a refused history (missing_scope...) cannot say it is not there
            raise LookupError(f"looking for the bot's post failed: {_api_error(exc)[0]}") from None

    async def edit(self, to: Place, message_id: str, message: Message) -> bool:
        try:
            await self.client.chat_update(channel=to.channel, ts=message_id, **self.render(message))
        except _failures() as exc:
            log.error("chat.update failed in %s: %s (request id %s)", to.channel, *_api_error(exc))
            return False  # a failure notice edited in stays pending for the sweep
        return True

    async def retract(self, to: Place, message_id: str) -> bool:
        try:
            channel = to.channel
            if to.dm:  # the app's direct message with that user
                channel = (await self.client.conversations_open(users=to.channel))["channel"]["id"]
            await self.client.chat_delete(channel=channel, ts=message_id)
        except _failures() as exc:
            log.error("chat.delete failed in %s: %s (request id %s)", to.channel, *_api_error(exc))
            return False
        return True

    async def download(self, upload: Upload, dest: Path, limit: int) -> tuple[str, int]:
        url = upload.ref.get("url") or await self._download_url(upload.file_id)
        host = urlsplit(url).hostname or ""
        if not (host in self._allowed_hosts or host.endswith((".slack.com", ".slack-edge.com"))):
            raise DownloadError(f"refusing to download a Slack file from {host or 'nowhere'}")
        headers = {"Authorization": f"Bearer {self.settings.bot_token}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            async with session.get(url, headers=headers) as resp:
                if resp.status != 200:
                    raise DownloadError(f"Slack answered HTTP {resp.status} for the file download")
                try:
                    return await save_stream(lambda: resp.content.read(1 << 16), dest, limit)
                except TooLarge:
                    raise DownloadError(say("too_big", self.lang, limit // 2**20)) from None

    async def _download_url(self, file_id: str) -> str:
        """A message event's file may come without its URL: ask files.info."""
        try:
            return (await self.client.files_info(file=file_id))["file"].get("url_private_download") or ""
        except _failures() as exc:
            raise DownloadError(f"Slack would not describe the file: {_api_error(exc)[0]}") from None

    async def members(self, channel: str) -> set[str] | None:
        members: set[str] = set()
        try:
            async for page in await self.client.conversations_members(channel=channel, limit=200):
                members.update(page["members"])
        except _failures() as exc:
            log.error("conversations.members failed for %s: %s (request id %s)", channel, *_api_error(exc))
            return None
        return members

    async def user_timezone(self, user: str) -> str | None:
        try:
            return (await self.client.users_info(user=user))["user"].get("tz")
        except _failures() as exc:
            log.warning("users.info failed: %s (request id %s)", *_api_error(exc))
            return None


MARKER = "interview_bot_post"


def _retrying(base: type, max_retry_count: int, metrics: Metrics, *, posts: bool):
    """One of slack_sdk's retry handlers, counted (ib_platform_retries, ib_platform_rate_limited).
    `posts` False: never for chat.postMessage: after a 5xx or a broken connection the message may be in
    the channel, and the report flow looks before it posts again."""

    class Handler(base):
        async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
            if not posts and request.url.rstrip("/").endswith("chat.postMessage"):
                return False
            if response is not None and response.status_code == 429 and base.__name__.startswith("AsyncRate"):
                metrics.platform_rate_limited.labels("slack").inc()
            retry = await super()._can_retry_async(
                state=state, request=request, response=response, error=error
            )
            if retry:
                metrics.platform_retries.labels("slack").inc()
            return retry

    return Handler(max_retry_count=max_retry_count)


def _marked(messages: list[dict[str, Any]], key: str) -> str | None:
    """The ts of the bot's message carrying `key` in its metadata."""
    for msg in messages:
        payload = (msg.get("metadata") or {}).get("event_payload") or {}
        if msg.get("bot_id") and payload.get("key") == key:
            return msg["ts"]
    return None


def _failures() -> tuple[type[BaseException], ...]:
    """What a Web API call raises once slack_sdk's retries are spent: Slack refused or failed, the
    connection broke, or no answer came within SLACK_TIMEOUT_S."""
    from slack_sdk.errors import SlackApiError

    return (SlackApiError, aiohttp.ClientError, TimeoutError)


def _transient(exc: BaseException) -> bool:
    """Worth trying again later: no answer, a broken connection, a 5xx or a rate limit (not a refusal)."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return status is None or status >= 500 or status == 429


def _api_error(exc) -> tuple[str, str]:
    """(error code, request id) of a failed call, whatever the body was (none after a timeout)."""
    if getattr(exc, "response", None) is None:
        return f"{type(exc).__name__} {exc}".strip(), "-"
    data = getattr(exc.response, "data", None)
    code = data.get("error", "unknown") if isinstance(data, dict) else f"HTTP {exc.response.status_code}"
    return code, (exc.response.headers or {}).get("x-slack-req-id", "-")
