"""A local stand-in for the Slack Web API, file downloads, response_url and Socket Mode, recording every call."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web
from local_server import LocalServer

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"


class SlackMock(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.members: dict[str, list[str]] = {}
        self.timezones: dict[str, str] = {}
        self.responses: list[dict[str, Any]] = []
        self.rate_limit_next: dict[str, int] = {}
        # faults for report posts (chat.postMessage with blocks), in order: (HTTP status, posted anyway:
        # Slack took the message but the answer was lost, as after a crash or a timeout)
        self.report_faults: list[tuple[int, bool]] = []
        self.fail_next: dict[str, list[int]] = {}  # method -> HTTP statuses to answer first
        # faults for posts to one channel (a DM's is "D" + the user), in order: (HTTP status, posted anyway)
        self.channel_faults: dict[str, list[tuple[int, bool]]] = {}
        self.unreachable: dict[str, str] = {}  # user -> the error conversations.open answers, every time
        self.refuse: dict[str, str] = {}  # method -> the error it answers (HTTP 200, ok false), every time
        self.gate: asyncio.Event | None = None  # set: file downloads wait for it (a recording still arriving)
        self.hold: dict[str, asyncio.Event] = {}  # method -> its calls wait for the event (a call in flight)
        self.hold_only: Callable[[dict], bool] | None = (
            None  # which of a held method's calls wait (all: None)
        )
        self.held: list[tuple[str, dict]] = []  # the calls that waited, as they arrived
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.ts = itertools.count(1)
        self.ws_acks: list[dict] = []
        self.ws_queue: asyncio.Queue = asyncio.Queue()

    async def close(self) -> None:
        for event in self.hold.values():  # a test that failed mid-way leaves no call waiting
            event.set()
        await super().close()

    # ---- server -------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self.api)
        app.router.add_get("/api/{method}", self.api)
        app.router.add_get("/files/{id}", self.download)
        app.router.add_post("/respond/{n}", self.respond)
        app.router.add_get("/socket", self.socket)

    @property
    def api_url(self) -> str:
        return self.url("/api/")

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.method == "GET":
            args = dict(request.query)
        elif request.content_type == "application/json":
            args = {**request.query, **await request.json()}
        else:  # slack_sdk sends some methods' arguments in the query string of a POST
            args = {**request.query, **dict(parse_qsl(await request.text()))}
        if self.rate_limit_next.get(method):
            self.rate_limit_next[method] -= 1
            self.calls.append((method + ":429", args))
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"}
            )
        if self.fail_next.get(method):
            status = self.fail_next[method].pop(0)
            self.calls.append((f"{method}:{status}", args))
            return web.json_response({"ok": False, "error": "internal_error"}, status=status)
        if method in self.hold and not self.hold[method].is_set() and (self.hold_only or bool)(args):
            self.held.append((method, args))
            await self.hold[method].wait()
        if method in self.refuse:
            self.calls.append((method, args))
            return web.json_response({"ok": False, "error": self.refuse[method]})
        if method == "conversations.open" and args.get("users") in self.unreachable:
            self.calls.append((method, args))
            return web.json_response({"ok": False, "error": self.unreachable[args["users"]]})
        if method == "chat.postMessage" and self.channel_faults.get(args.get("channel")):
            status, posted = self.channel_faults[args["channel"]].pop(0)
            if posted:
                self.m_chat_postMessage(args)
            self.calls.append((f"{method}:{status}", args))
            return web.json_response({"ok": False, "error": "internal_error"}, status=status)
        if method == "chat.postMessage" and args.get("blocks") and self.report_faults:
            status, posted = self.report_faults.pop(0)
            if posted:
                self.m_chat_postMessage(args)
            self.calls.append((f"{method}:{status}", args))
            return web.json_response({"ok": False, "error": "internal_error"}, status=status)
        self.calls.append((method, args))
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(args), headers={"x-slack-req-id": f"req-{len(self.calls)}"})

    def m_auth_test(self, args):
        return {
            "ok": True,
            "team_id": "T1",
            "team": "acme",
            "user_id": "UBOT",
            "user": "interview-bot",
            "bot_id": "B1",
            "url": "https://acme.slack.com/",
        }

    def m_apps_connections_open(self, args):
        return {"ok": True, "url": self.url("/socket").replace("http", "ws", 1)}

    def m_files_info(self, args):
        file = self.files.get(args["file"])
        return {"ok": True, "file": file} if file else {"ok": False, "error": "file_not_found"}

    def m_chat_postMessage(self, args):
        ts = f"{1700000000 + next(self.ts)}.000100"
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        thread = self.threads.setdefault((args["channel"], args.get("thread_ts") or ts), [])
        thread.append({"ts": ts, "text": args.get("text"), "bot_id": "B1", "metadata": metadata})
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": ts,
            "message": {"text": args.get("text"), "ts": ts},
        }

    def m_conversations_replies(self, args):
        """A thread's messages; metadata only with include_all_metadata (as Slack does)."""
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            {k: v for k, v in m.items() if with_metadata or k != "metadata"}
            for m in self.threads.get((args["channel"], args["ts"]), [])
        ]
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def m_conversations_history(self, args):
        """A channel's (or direct message's) own messages, newest first; metadata as in replies."""
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = [
            {k: v for k, v in m.items() if with_metadata or k != "metadata"}
            for (channel, root), thread in self.threads.items()
            if channel == args["channel"]
            for m in thread
            if m["ts"] == root
        ]
        messages.sort(key=lambda m: m["ts"], reverse=True)
        return {"ok": True, "messages": messages, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def posted_to(self, channel: str) -> list[dict[str, Any]]:
        """What is in a channel or direct message now (each message once, whatever the attempts)."""
        return [m for (c, _), thread in self.threads.items() if c == channel for m in thread]

    def reports_in_thread(self, channel: str, thread: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.threads.get((channel, thread), [])
            if str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith(
                "report-"
            )
        ]

    def m_chat_delete(self, args):
        for messages in self.threads.values():
            messages[:] = [m for m in messages if m.get("ts") != args["ts"]]
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def m_chat_update(self, args):
        return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}

    def m_users_info(self, args):
        user = args["user"]
        return {
            "ok": True,
            "user": {
                "id": user,
                "name": user.lower(),
                "tz": self.timezones.get(user, "America/Los_Angeles"),
                "tz_label": "Pacific Standard Time",
                "tz_offset": -28800,
            },
        }

    def m_conversations_open(self, args):
        return {"ok": True, "channel": {"id": "D" + args["users"]}}

    def m_conversations_members(self, args):
        return {
            "ok": True,
            "members": self.members.get(args["channel"], []),
            "response_metadata": {"next_cursor": ""},
        }

    async def download(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return web.Response(status=403)
        self.calls.append(("download", {"id": request.match_info["id"]}))
        if self.gate is not None:
            await self.gate.wait()
        return web.Response(body=self.blobs[request.match_info["id"]])

    async def respond(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))

        async def pump():
            while True:
                await ws.send_str(json.dumps(await self.ws_queue.get()))

        task = asyncio.ensure_future(pump())
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.ws_acks.append(json.loads(msg.data))
        task.cancel()
        return ws

    # ---- fixtures -----------------------------------------------------------------------------------
    def add_file(
        self,
        file_id: str,
        path: Path,
        *,
        name: str,
        mimetype: str,
        filetype: str,
        channel: str,
        ts: str,
        subtype: str | None = None,
        size: int | None = None,
    ) -> dict[str, Any]:
        data = path.read_bytes()
        self.blobs[file_id] = data
        file = {
            "id": file_id,
            "name": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": size or len(data),
            "url_private_download": self.url(f"/files/{file_id}"),
            "shares": {"public": {channel: [{"ts": ts}]}},
        }
        if subtype:
            file["subtype"] = subtype
        self.files[file_id] = file
        return file

    def called(self, method: str) -> list[dict[str, Any]]:
        return [a for m, a in self.calls if m == method]


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def message_event(
    event_id: str, file: dict[str, Any], channel: str, ts: str, user: str = "U1", text: str = ""
) -> dict[str, Any]:
    return _callback(
        event_id,
        {
            "type": "message",
            "subtype": "file_share",
            "channel": channel,
            "user": user,
            "ts": ts,
            "text": text,
            "files": [file],
            "event_ts": ts,
            "channel_type": "channel",
        },
    )


def _callback(event_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """The Events API envelope around one event."""
    return {
        "token": "x",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
    }


def thread_reply_event(
    event_id: str, channel: str, thread: str, ts: str, text: str, user: str = "U1"
) -> dict[str, Any]:
    """A plain message replying in a thread (no file, no subtype), as Slack sends it to a member app."""
    return _callback(
        event_id,
        {
            "type": "message",
            "channel": channel,
            "user": user,
            "ts": ts,
            "thread_ts": thread,
            "text": text,
            "event_ts": ts,
            "channel_type": "channel",
        },
    )


def file_shared_event(event_id: str, file_id: str, channel: str, user: str = "U1") -> dict[str, Any]:
    return _callback(
        event_id,
        {
            "type": "file_shared",
            "channel_id": channel,
            "file_id": file_id,
            "user_id": user,
            "file": {"id": file_id},
            "event_ts": str(time.time()),
        },
    )
