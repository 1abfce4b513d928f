"""Slack: recordings posted in a channel become threaded reports; `/interview` commands.

slack-bolt's AsyncApp receives events over HTTP (`POST /slack/events` on the shared aiohttp server, signed
requests verified by bolt) or over Socket Mode when SLACK_APP_TOKEN is set. The same upload arrives as a
`message` and a `file_shared` event and may be retried: every post is claimed in `platform_posts` first
(an atomic insert), so one file gets one acknowledgement and one report, also across restarts.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

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
PLATFORM = "slack"
AUDIO_TYPES = {
    "mp3",
    "m4a",
    "mp4",
    "aac",
    "wav",
    "ogg",
    "opus",
    "flac",
    "webm",
    "amr",
    "mov",
    "mkv",
    "m4v",
    "mpg",
}


def is_recording(file: dict[str, Any]) -> bool:
    mimetype = (file.get("mimetype") or "").lower()
    return (
        file.get("subtype") == "slack_audio"
        or mimetype.startswith(("audio/", "video/"))
        or (file.get("filetype") or "").lower() in AUDIO_TYPES
    )


class SlackApp:
    def __init__(self, service: Service) -> None:
        from slack_bolt.async_app import AsyncApp
        from slack_sdk.http_retry.builtin_async_handlers import (
            AsyncRateLimitErrorRetryHandler,
        )
        from slack_sdk.web.async_client import AsyncWebClient

        settings = service.settings
        if not settings.slack_bot_token or not (settings.slack_signing_secret or settings.slack_app_token):
            raise ValueError(
                "Slack needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)"
            )
        self.service = service
        self.settings = settings
        self.lang = "en" if settings.language == "en" else "zh"
        self.client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        # 429: wait for Retry-After and try again (slack_sdk's own handler)
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))
        self.app = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret or "socket-mode",
            process_before_response=False,
        )
        self.app.event("message")(self._on_message)
        self.app.event("file_shared")(self._on_file_shared)
        self.app.command("/interview")(self._on_command)
        service.bus.subscribe(self._on_progress)
        self.members = MembershipCache(self._members_of)
        self._last_progress: dict[str, str] = {}
        self._allowed_hosts = {urlsplit(settings.slack_api_url).hostname}
        self._socket = None
        self.sweeper = ReportSweeper(
            service, PLATFORM, lambda interview, stale: self._post_report(interview, sweep=stale)
        )
        service.digests.register(PLATFORM, self)

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

    async def start(self) -> None:
        for row in await self.service.db(lambda: queries.unfinished_files(self.service.store(), PLATFORM)):
            log.warning("resuming Slack file %s accepted before a restart", row["file_id"])
            await self._process_file(row, None)
        await self.sweeper.run_once()
        self.sweeper.start(self.settings.sweep_s)
        if self.settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.async_handler import (
                AsyncSocketModeHandler,
            )

            self._socket = AsyncSocketModeHandler(self.app, self.settings.slack_app_token)
            await self._socket.connect_async()
            log.warning("Slack Socket Mode connected")

    async def stop(self) -> None:
        self.sweeper.stop()
        if self._socket is not None:
            await self._socket.close_async()

    # ---- uploads --------------------------------------------------------------------------------------
    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("bot_id") or not event.get("files"):
            return
        if await self._seen(body):
            return
        for file in event["files"]:
            await self._handle_file(
                file["id"], event["channel"], event.get("thread_ts") or event["ts"], event.get("user"), file
            )

    async def _on_file_shared(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if await self._seen(body):
            return
        info = await self.client.files_info(file=event["file_id"])
        file = info["file"]
        channel = event.get("channel_id")
        shares = file.get("shares") or {}
        share = next(
            (s for kind in ("public", "private") for s in (shares.get(kind) or {}).get(channel, [])), None
        )
        if share is None:
            return  # not shared in a channel we can answer in
        await self._handle_file(
            file["id"], channel, share.get("thread_ts") or share["ts"], event.get("user_id"), file
        )

    async def _seen(self, body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        return bool(event_id) and await self.service.db(
            lambda: queries.seen_event(self.service.store(), PLATFORM, event_id)
        )

    async def _handle_file(
        self, file_id: str, channel: str, thread_ts: str, user: str | None, file: dict[str, Any] | None
    ) -> None:
        svc = self.service
        if not await svc.db(
            lambda: queries.claim_file(svc.store(), PLATFORM, file_id, channel, thread_ts, user)
        ):
            return  # the other event (or a retry) already took this file
        await self._process_file(
            {"file_id": file_id, "channel": channel, "thread": thread_ts, "user": user, "ack_message": None},
            file,
        )

    async def _process_file(self, row: dict[str, Any], file: dict[str, Any] | None) -> None:
        """Also resumed at start-up for files a previous process accepted but did not finish."""
        svc = self.service
        file_id, channel, thread_ts = row["file_id"], row["channel"], row["thread"]

        if file is None or "url_private_download" not in file:
            file = (await self.client.files_info(file=file_id))["file"]
        if not is_recording(file):
            await finish_upload(svc, PLATFORM, file_id)
            return  # not a recording: ignored silently
        name = file.get("name") or f"{file_id}.{file.get('filetype', 'audio')}"
        limit = self.settings.max_upload_bytes
        if (file.get("size") or 0) > limit:
            await self._say(channel, thread_ts, say("too_big", self.lang, limit // 2**20))
            await finish_upload(svc, PLATFORM, file_id)
            return
        await take_in(
            svc,
            PLATFORM,
            row,
            name,
            self.lang,
            post_ack=lambda text: self._say(channel, thread_ts, text),
            download=lambda tmp: self._download(file["url_private_download"], tmp, limit),
            submission=lambda tmp, sha, size: Submission(
                path=tmp,
                filename=name,
                key=f"slack:{file_id}",
                sha256=sha,
                size_bytes=size,
                platform=PLATFORM,
                channel=channel,
                thread=thread_ts,
                uploader=row.get("user"),
                content_type=file.get("mimetype"),
            ),
            show_failure=lambda ack, text: self._update(channel, ack, text),
            errors=(DownloadError,),
        )

    async def _download(self, url: str, dest, limit: int) -> tuple[str, int]:
        host = urlsplit(url).hostname or ""
        if not (host in self._allowed_hosts or host.endswith((".slack.com", ".slack-edge.com"))):
            raise DownloadError(f"refusing to download a Slack file from {host}")
        headers = {"Authorization": f"Bearer {self.settings.slack_bot_token}"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
            async with session.get(url, headers=headers) as resp:
                if resp.status != 200:
                    raise DownloadError(f"Slack answered HTTP {resp.status} for the file download")
                try:
                    return await save_stream(lambda: resp.content.read(1 << 16), dest, limit)
                except TooLarge:
                    raise DownloadError(say("too_big", self.lang, limit // 2**20)) from None

    # ---- progress and reports -------------------------------------------------------------------------
    async def _on_progress(self, event) -> None:
        svc = self.service
        interview = await svc.db(lambda: svc.store().interview(event.interview_id))
        if not interview or interview.get("platform") != PLATFORM:
            return
        post = await svc.db(lambda: queries.post_message(svc.store(), PLATFORM, event.interview_id, "ack"))
        ack = post[2] if post else None
        if event.stage in ("done", "failed"):
            await self._post_report(interview)
            return
        text = progress_text(event, self.lang)
        if ack is None or text is None:
            return
        if self._last_progress.get(event.interview_id) != text:
            self._last_progress[event.interview_id] = text
            await self._update(interview["channel"], ack, text)

    async def _post_report(self, interview: dict[str, Any], *, sweep: bool = False) -> None:
        claim = await claim_report(self.service, PLATFORM, interview, sweep=sweep)
        if claim is None:
            return
        (status, ack), iid, channel, thread = (
            claim,
            interview["id"],
            interview["channel"],
            interview["thread"],
        )
        if status["status"] == "failed":
            text = say("failed", self.lang, status["error"])
            ts = await self._update(channel, ack, text) if ack else await self._say(channel, thread, text)
        else:
            payload = json.loads(
                render_stored(
                    status["analysis"],
                    "slack",
                    ReportContext(
                        title=interview.get("title") or iid, report_url=status["report_url"], interview_id=iid
                    ),
                )
            )
            ts = await self._say(channel, thread, payload["text"], blocks=payload["blocks"])
            await self._update(channel, ack, say("done", self.lang))
        await record_report(self.service, PLATFORM, interview, ts)

    async def _say(self, channel: str, thread_ts: str | None, text: str, **kwargs: Any) -> str | None:
        from slack_sdk.errors import SlackApiError

        try:
            resp = await self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text, **kwargs
            )
            return resp["ts"]
        except SlackApiError as exc:
            log.error("chat.postMessage failed in %s: %s (request id %s)", channel, *_api_error(exc))
            return None

    async def _update(self, channel: str, ts: str | None, text: str) -> str | None:
        from slack_sdk.errors import SlackApiError

        if not ts:
            return None
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=text)
        except SlackApiError as exc:
            log.error("chat.update failed in %s: %s (request id %s)", channel, *_api_error(exc))
        return ts

    # ---- /interview -----------------------------------------------------------------------------------
    async def _on_command(self, ack, command: dict[str, Any], respond) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        cmd = commands.parse(command.get("text", ""), self.settings.language)
        ctx = commands.Context(
            service=self.service,
            platform=PLATFORM,
            channel=command["channel_id"],
            user=command["user_id"],
            is_admin=command["user_id"] in self.settings.slack_admins,
            member_of=lambda channel: self.members.is_member(channel, command["user_id"]),
            report_url=self.service.report_url,
            user_timezone=lambda: self._user_timezone(command["user_id"]),
        )
        reply = await commands.execute(cmd, ctx)
        payload = json.loads(commands.render_reply(reply, "slack"))
        await respond(
            text=payload["text"],
            blocks=payload["blocks"],
            response_type="in_channel" if reply.public else "ephemeral",
        )

    async def _user_timezone(self, user: str) -> str | None:
        from slack_sdk.errors import SlackApiError

        try:
            return (await self.client.users_info(user=user))["user"].get("tz")
        except SlackApiError as exc:
            log.warning("users.info failed for a digest subscription: %s (request id %s)", *_api_error(exc))
            return None

    # ---- digests (called by the scheduler) ------------------------------------------------------------
    async def post_digest(self, sub: Subscription, digest: Digest) -> str | None:
        from slack_sdk.errors import SlackApiError

        payload = json.loads(render_history("digest", digest.to_dict(), "slack"))
        channel = sub.target
        if sub.target_kind == "dm":
            try:
                channel = (await self.client.conversations_open(users=sub.target))["channel"]["id"]
            except SlackApiError as exc:
                log.error("conversations.open failed for a digest: %s (request id %s)", *_api_error(exc))
                return None
        return await self._say(channel, None, payload["text"], blocks=payload["blocks"], unfurl_links=False)

    async def may_receive(self, sub: Subscription) -> bool:
        """A DM digest goes only to someone still in the channel it summarises."""
        return await self.members.is_member(sub.channel, sub.target)

    async def _members_of(self, channel: str) -> set[str] | None:
        from slack_sdk.errors import SlackApiError

        members: set[str] = set()
        try:
            async for page in await self.client.conversations_members(channel=channel, limit=200):
                members.update(page["members"])
        except SlackApiError as exc:
            log.error("conversations.members failed for %s: %s (request id %s)", channel, *_api_error(exc))
            return None
        return members


class DownloadError(Exception):
    pass


def _api_error(exc) -> tuple[str, str]:
    """(error code, request id) of a SlackApiError, whatever the body was."""
    data = getattr(exc.response, "data", None)
    code = data.get("error", "unknown") if isinstance(data, dict) else f"HTTP {exc.response.status_code}"
    return code, (exc.response.headers or {}).get("x-slack-req-id", "-")
