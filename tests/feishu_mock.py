"""A local stand-in for the Feishu Open API, and events encrypted and signed exactly as Feishu sends them."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import os
import time
from typing import Any

from aiohttp import web
from local_server import LocalServer

APP_ID, APP_SECRET = "cli_test_app", "test-app-secret"
VERIFICATION_TOKEN = "v-token-123"
ENCRYPT_KEY = "e-key-456"
BOT_OPEN_ID = "ou_bot"  # the app's own open_id (bot/v3/info; the tests' @bot mention)


class FeishuMock(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.resources: dict[tuple[str, str], bytes] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.timezones: dict[str, str] = {}
        self.uuids: dict[str, str] = {}
        self.dedup = True  # False: as after Feishu's uuid dedup hour, a repeated uuid posts again
        self.ids = itertools.count(1)
        # faults, as Feishu's gateway gives them: "500" (JSON error), "502-html" (a page, not JSON),
        # "429" (rate limited; "429:N" says the window resets in N s, as x-ogw-ratelimit-reset);
        # per call name, answered first
        self.fail_next: dict[str, list[str]] = {}
        # faults for report cards, in order: (fault, posted anyway: Feishu took the message but the
        # answer was lost, as after a crash or a timeout)
        self.report_faults: list[tuple[str, bool]] = []
        self.threads: dict[str, list[dict[str, Any]]] = {}  # root message id -> replies in its thread
        self.replied_at: list[tuple[str, float]] = []  # ("FAULT" or "ok", monotonic time) of each reply
        self.unreachable: dict[
            str, int
        ] = {}  # receive_id -> the code a new message to it answers, every time
        self.gate: asyncio.Event | None = None  # set: file downloads wait for it (a recording still arriving)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/open-apis/auth/v3/tenant_access_token/internal", self.token)
        app.router.add_post("/open-apis/im/v1/messages/{mid}/reply", self.reply)
        app.router.add_post("/open-apis/im/v1/messages", self.create)
        app.router.add_get("/open-apis/im/v1/messages", self.list_messages)
        app.router.add_patch("/open-apis/im/v1/messages/{mid}", self.patch)
        app.router.add_delete("/open-apis/im/v1/messages/{mid}", self.delete)
        app.router.add_get("/open-apis/im/v1/messages/{mid}", self.get_message)
        app.router.add_get("/open-apis/im/v1/messages/{mid}/resources/{key}", self.resource)
        app.router.add_get("/open-apis/im/v1/chats/{chat}/members", self.chat_members)
        app.router.add_get("/open-apis/contact/v3/users/{user}", self.user)
        app.router.add_get("/open-apis/bot/v3/info", self.bot_info)

    @property
    def domain(self) -> str:
        return self.url("").rstrip("/")

    def _auth(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == "Bearer t-tenant-token"

    async def token(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(("POST", "token", body))
        ok = body.get("app_id") == APP_ID and body.get("app_secret") == APP_SECRET
        return web.json_response(
            {
                "code": 0 if ok else 10014,
                "msg": "ok" if ok else "app secret invalid",
                "tenant_access_token": "t-tenant-token" if ok else "",
                "expire": 7200,
            }
        )

    def _fault(self, what: str, args: dict[str, Any]) -> web.Response | None:
        faults = self.fail_next.get(what)
        if not faults:
            return None
        return self._answer_fault(faults.pop(0), what, args)

    def _answer_fault(self, fault: str, what: str, args: dict[str, Any]) -> web.Response:
        self.calls.append(("FAULT", f"{what}:{fault}", args))
        if what == "reply":
            self.replied_at.append(("FAULT", time.monotonic()))
        if fault == "502-html":
            return web.Response(status=502, text="<html>502 Bad Gateway</html>", content_type="text/html")
        if fault.startswith("429"):
            return web.json_response(
                {"code": 99991400, "msg": "request trigger frequency limit"},
                status=429,
                headers={"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": fault[4:] or "0"},
            )
        return web.json_response({"code": 1254290, "msg": "internal error"}, status=int(fault))

    async def reply(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        body = await request.json()
        args = {"to": request.match_info["mid"], **body}
        if (fault := self._fault("reply", args)) is not None:
            return fault
        uuid = body.get("uuid")
        if str(uuid).startswith("report-") and self.report_faults:
            fault, posted = self.report_faults.pop(0)
            if posted:
                self._reply(args)
            return self._answer_fault(fault, "reply", args)
        self.calls.append(("POST", "reply", args))
        self.replied_at.append(("ok", time.monotonic()))
        return web.json_response({"code": 0, "msg": "success", "data": self._reply(args)})

    def _reply(self, args: dict[str, Any]) -> dict[str, Any]:
        """Feishu takes a reply: a new message in the root's thread, unless its uuid was seen."""
        uuid, root = args.get("uuid"), args["to"]
        if uuid and self.dedup and uuid in self.uuids:  # the same uuid within an hour sends nothing new
            return {"message_id": self.uuids[uuid]}
        mid = f"om_reply_{next(self.ids)}"
        if uuid:
            self.uuids[uuid] = mid
        msg = {
            "message_id": mid,
            "root_id": root,
            "parent_id": root,
            "thread_id": f"omt_{root}",
            "msg_type": args.get("msg_type"),
            "chat_id": "oc_chat",
            "sender": {"id": APP_ID, "id_type": "app_id", "sender_type": "app", "tenant_key": "tenant"},
            "body": {"content": args.get("content")},
        }
        self.threads.setdefault(root, []).append(msg)
        return msg

    async def list_messages(self, request: web.Request) -> web.Response:
        """im.v1.message.list: only container_id_type=thread here (a thread's replies, oldest first)."""
        if not self._auth(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        args = dict(request.query)
        if (fault := self._fault("list", args)) is not None:
            return fault
        self.calls.append(("GET", "list", args))
        if args.get("container_id_type") != "thread":
            return web.json_response({"code": 230001, "msg": "unsupported container in the mock"}, status=400)
        root = args.get("container_id", "").removeprefix("omt_")
        items = self.threads.get(root, [])
        return web.json_response(
            {"code": 0, "msg": "success", "data": {"items": items, "has_more": False, "page_token": ""}}
        )

    def reports_in_thread(self, root: str) -> list[dict[str, Any]]:
        return [m for m in self.threads.get(root, []) if "/r/" in (m["body"]["content"] or "")]

    async def create(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        id_type = request.query.get("receive_id_type")
        if id_type not in ("chat_id", "open_id", "user_id", "union_id", "email"):
            return web.json_response(
                {"code": 99992402, "msg": "field validation failed: receive_id_type"}, status=400
            )
        body = await request.json()
        args = {"receive_id_type": id_type, **body}
        if (fault := self._fault("create", args)) is not None:
            return fault
        if (code := self.unreachable.get(body.get("receive_id"))) is not None:
            self.calls.append(("REFUSED", "create", args))
            return web.json_response(
                {"code": code, "msg": "Bot has NO availability to this user."}, status=400
            )
        self.calls.append(("POST", "create", args))
        uuid = body.get("uuid")
        if uuid and uuid in self.uuids:
            return web.json_response({"code": 0, "msg": "success", "data": {"message_id": self.uuids[uuid]}})
        mid = f"om_new_{next(self.ids)}"
        if uuid:
            self.uuids[uuid] = mid
        return web.json_response(
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "message_id": mid,
                    "chat_id": body["receive_id"] if id_type == "chat_id" else "oc_p2p",
                    "msg_type": body.get("msg_type"),
                    "body": {"content": body.get("content")},
                },
            }
        )

    async def patch(self, request: web.Request) -> web.Response:
        body = await request.json()
        args = {"mid": request.match_info["mid"], **body}
        if (fault := self._fault("patch", args)) is not None:
            return fault
        self.calls.append(("PATCH", "patch", args))
        return web.json_response({"code": 0, "msg": "success", "data": {}})

    async def delete(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        self.calls.append(("DELETE", "message", {"mid": mid}))
        self.messages.pop(mid, None)
        return web.json_response({"code": 0, "msg": "success", "data": {}})

    async def get_message(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        if (fault := self._fault("message", {"mid": mid})) is not None:
            return fault
        msg = self.messages.get(mid)
        self.calls.append(("GET", "message", {"mid": mid}))
        if msg is None and mid not in self.threads:
            return web.json_response({"code": 230001, "msg": "message not found"}, status=400)
        msg = msg or {"message_type": "audio", "content": "{}"}
        item = {"message_id": mid, "msg_type": msg["message_type"], "body": {"content": msg["content"]}}
        if mid in self.threads:
            item["thread_id"] = f"omt_{mid}"
        return web.json_response({"code": 0, "msg": "success", "data": {"items": [item]}})

    async def resource(self, request: web.Request) -> web.Response:
        if not self._auth(request) or request.query.get("type") != "file":
            return web.json_response({"code": 99991663, "msg": "bad request"}, status=400)
        if self.gate is not None:
            await self.gate.wait()
        key = (request.match_info["mid"], request.match_info["key"])
        self.calls.append(("GET", "resource", {"mid": key[0], "key": key[1]}))
        return web.Response(body=self.resources[key], content_type="application/octet-stream")

    async def chat_members(self, request: web.Request) -> web.Response:
        chat = request.match_info["chat"]
        items = [{"member_id": m, "member_id_type": "open_id", "name": m} for m in self.members.get(chat, [])]
        return web.json_response(
            {
                "code": 0,
                "msg": "success",
                "data": {"items": items, "has_more": False, "page_token": "", "member_total": len(items)},
            }
        )

    async def user(self, request: web.Request) -> web.Response:
        user = request.match_info["user"]
        self.calls.append(("GET", "user", {"user": user, "user_id_type": request.query.get("user_id_type")}))
        if user not in self.timezones:  # the app lacks the contact scope for this user
            return web.json_response({"code": 41050, "msg": "no user authority error"}, status=400)
        return web.json_response(
            {
                "code": 0,
                "msg": "success",
                "data": {"user": {"open_id": user, "name": user, "time_zone": self.timezones[user]}},
            }
        )

    async def bot_info(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        self.calls.append(("GET", "bot_info", {}))
        bot = {"open_id": BOT_OPEN_ID, "app_name": "interview-bot", "activate_status": 2}
        return web.json_response({"code": 0, "msg": "ok", "bot": bot})

    def called(self, what: str) -> list[dict[str, Any]]:
        return [a for _m, w, a in self.calls if w == what]


def encrypt(payload: dict[str, Any], key: str = ENCRYPT_KEY) -> str:
    """AES-256-CBC with sha256(encrypt key), random IV prefixed, PKCS#7, base64: Feishu's scheme."""
    from Crypto.Cipher import AES

    raw = json.dumps(payload, ensure_ascii=False).encode()
    pad = 16 - len(raw) % 16
    iv = os.urandom(16)
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(raw + bytes([pad]) * pad)).decode()


def signed(
    payload: dict[str, Any], *, key: str = ENCRYPT_KEY, tamper: bool = False
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"encrypt": encrypt(payload, key)}).encode()
    ts, nonce = str(int(time.time())), "nonce-" + os.urandom(4).hex()
    sig = hashlib.sha256((ts + nonce + ENCRYPT_KEY).encode() + body).hexdigest()
    if tamper:
        sig = "0" * 64
    return body, {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": ts,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": sig,
    }


def message_event(
    event_id: str,
    message_id: str,
    chat: str,
    message_type: str,
    content: dict[str, Any],
    user: str = "ou_member",
    chat_type: str = "group",
    mentions: list | None = None,
    token: str = VERIFICATION_TOKEN,
    root: str = "",
) -> dict[str, Any]:
    """`root`: the message this one replies to, in its thread."""
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": token,
            "create_time": str(int(time.time() * 1000)),
            "event_type": "im.message.receive_v1",
            "tenant_key": "tenant",
            "app_id": APP_ID,
        },
        "event": {
            "sender": {
                "sender_id": {"open_id": user, "union_id": "on_" + user, "user_id": None},
                "sender_type": "user",
                "tenant_key": "tenant",
            },
            "message": {
                "message_id": message_id,
                "root_id": root,
                "parent_id": root,
                "create_time": str(int(time.time() * 1000)),
                "chat_id": chat,
                "chat_type": chat_type,
                "message_type": message_type,
                "content": json.dumps(content, ensure_ascii=False),
                "mentions": mentions or [],
            },
        },
    }
