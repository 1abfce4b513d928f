"""Local stand-ins for the applicant tracking systems, speaking their documented request and response
shapes: Lever (v1, Basic auth with the API key), Greenhouse Harvest v3 (client-credentials token, Bearer
calls, cursor pagination by Link header) and Feishu Hire (hire.v1, for the real lark-oapi client; the
tenant token and IM routes come from FeishuMock).

Faults for note posts, in order (`fail_posts`): "500" (refused, nothing stored), "500-stored" (the note
is stored but the answer is an error: a crash between post and answer), "slow" (no answer within the
client's timeout; the note is not stored)."""

from __future__ import annotations

import asyncio
import base64
import itertools
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from feishu_mock import FeishuMock
from local_server import LocalServer

LEVER_KEY, LEVER_USER = "lever-key-1", "lever-user-7"
GH_CLIENT, GH_SECRET, GH_USER = "gh-client", "gh-secret", "4242"


def basic(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


class NotesMock(LocalServer):
    """What the three share: stored notes, recorded calls, faults on posting."""

    page_size = 2  # small pages, so paging is exercised

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str, Any]] = []
        self.fail_posts: list[str] = []
        self.slow_s = 3.0
        self.ids = itertools.count(101)

    def posts(self) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] == "POST" and "note" in c[1]]

    async def fault(self, store) -> web.Response | None:
        """Apply the next post fault, if any (`store` keeps the note, for "500-stored")."""
        if not self.fail_posts:
            return None
        fault = self.fail_posts.pop(0)
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
        if fault == "500-stored":
            store()
        return web.json_response({"error": "internal error"}, status=500)


class LeverMock(NotesMock):
    def __init__(self) -> None:
        super().__init__()
        self.opportunities: list[dict[str, Any]] = []

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/opportunities", self.list_opportunities)
        app.router.add_get("/v1/opportunities/{id}/notes", self.list_notes)
        app.router.add_post("/v1/opportunities/{id}/notes", self.create_note)

    def _ok(self, request: web.Request) -> bool:
        return basic(request) == (LEVER_KEY, "")

    def _page(self, items: list[dict[str, Any]], request: web.Request) -> web.Response:
        start = int(request.query.get("offset") or 0)
        chunk = items[start : start + self.page_size]
        more = start + self.page_size < len(items)
        return web.json_response(
            {"data": chunk, "hasNext": more, **({"next": str(start + self.page_size)} if more else {})}
        )

    async def list_opportunities(self, request: web.Request) -> web.Response:
        if not self._ok(request):
            return web.json_response({"code": "Unauthorized"}, status=401)
        self.calls.append(("GET", "opportunities", dict(request.query)))
        return self._page(self.opportunities, request)

    async def list_notes(self, request: web.Request) -> web.Response:
        if not self._ok(request):
            return web.json_response({"code": "Unauthorized"}, status=401)
        opp = request.match_info["id"]
        self.calls.append(("GET", f"notes/{opp}", dict(request.query)))
        return self._page([n for n in self.notes if n["opportunity"] == opp], request)

    async def create_note(self, request: web.Request) -> web.Response:
        if not self._ok(request):
            return web.json_response({"code": "Unauthorized"}, status=401)
        body, opp = await request.json(), request.match_info["id"]
        self.calls.append(("POST", f"notes/{opp}", {"query": dict(request.query), "body": body}))
        if not request.query.get("perform_as") or not isinstance(body.get("value"), str):
            return web.json_response({"code": "BadRequest", "message": "perform_as and value"}, status=400)
        note = {
            "id": f"note-{next(self.ids)}",
            "opportunity": opp,
            "text": "Note",
            "fields": [{"type": "note", "text": "Note", "value": body["value"]}],
            "secret": bool(body.get("secret")),
            "user": request.query["perform_as"],
        }
        if (fault := await self.fault(lambda: self.notes.append(note))) is not None:
            return fault
        self.notes.append(note)
        return web.json_response({"data": {"noteId": note["id"]}})


class GreenhouseMock(NotesMock):
    def __init__(self) -> None:
        super().__init__()
        self.candidates: list[dict[str, Any]] = []
        self.applications: list[dict[str, Any]] = []
        self.tokens_issued = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/token", self.token)
        app.router.add_get("/v3/candidates", self.list_candidates)
        app.router.add_get("/v3/applications", self.list_applications)
        app.router.add_get("/v3/applications/{id}", self.get_application)
        app.router.add_get("/v3/notes", self.list_notes)
        app.router.add_post("/v3/notes", self.create_note)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.calls.append(("POST", "token", dict(form)))
        if basic(request) != (GH_CLIENT, GH_SECRET) or form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "invalid_client"}, status=401)
        self.tokens_issued += 1
        return web.json_response(
            {"access_token": f"gh-token-{form.get('sub')}", "token_type": "Bearer", "expires_in": 3600}
        )

    def _ok(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer gh-token-{GH_USER}"

    def _list(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        if not self._ok(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        self.calls.append(("GET", request.path, dict(request.query)))
        start = int(request.query.get("cursor") or 0)
        headers = {}
        if start + self.page_size < len(items):  # cursor pagination: the next page is a Link header
            query = urlencode({**request.query, "cursor": start + self.page_size})
            headers["Link"] = f'<{self.url(request.path)}?{query}>; rel="next"'
        return web.json_response(items[start : start + self.page_size], headers=headers)

    async def list_candidates(self, request: web.Request) -> web.Response:
        return self._list(request, self.candidates)

    async def list_applications(self, request: web.Request) -> web.Response:
        cid = request.query.get("candidate_id")
        return self._list(request, [a for a in self.applications if str(a["candidate_id"]) == cid])

    async def get_application(self, request: web.Request) -> web.Response:
        if not self._ok(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        app = next((a for a in self.applications if str(a["id"]) == request.match_info["id"]), None)
        return web.json_response(app) if app else web.json_response({"error": "not found"}, status=404)

    async def list_notes(self, request: web.Request) -> web.Response:
        cid = request.query.get("candidate_id")
        return self._list(request, [n for n in self.notes if str(n["candidate_id"]) == cid])

    async def create_note(self, request: web.Request) -> web.Response:
        if not self._ok(request):
            return web.json_response({"error": "unauthorized"}, status=401)
        body = await request.json()
        self.calls.append(("POST", "notes", body))
        if not all(k in body for k in ("candidate_id", "user_id", "body", "visibility")):
            return web.json_response({"error": "missing fields"}, status=422)
        note = {"id": next(self.ids), **body}
        if (fault := await self.fault(lambda: self.notes.append(note))) is not None:
            return fault
        self.notes.append(note)
        return web.json_response(note, status=201)


class FeishuHireMock(FeishuMock):
    """FeishuMock (tenant token, IM) plus hire.v1: applications, interviews, notes, minutes."""

    page_size = 2

    def __init__(self) -> None:
        super().__init__()
        self.applications: dict[str, dict[str, Any]] = {}  # id -> {talent_id, name}
        self.interviews: list[dict[str, Any]] = []
        self.notes: list[dict[str, Any]] = []
        self.minutes: dict[str, list[dict[str, Any]]] = {}
        self.fail_posts: list[str] = []
        self.note_ids = itertools.count(7001)

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/open-apis/hire/v1/applications", self.list_applications)
        app.router.add_get("/open-apis/hire/v1/applications/{id}", self.get_application)
        app.router.add_get("/open-apis/hire/v1/interviews", self.list_interviews)
        app.router.add_get("/open-apis/hire/v1/notes", self.list_notes)
        app.router.add_post("/open-apis/hire/v1/notes", self.create_note)
        app.router.add_get("/open-apis/hire/v1/minutes", self.get_minutes)

    def posts(self) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[:2] == ("POST", "hire-note")]

    @staticmethod
    def ok(data: dict[str, Any]) -> web.Response:
        return web.json_response({"code": 0, "msg": "success", "data": data})

    def _paged(self, items: list[Any], request: web.Request) -> dict[str, Any]:
        start = int(request.query.get("page_token") or 0)
        more = start + self.page_size < len(items)
        return {
            "items": items[start : start + self.page_size],
            "has_more": more,
            "page_token": str(start + self.page_size) if more else "",
        }

    async def list_applications(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        keyword = request.query.get("keyword", "")
        self.calls.append(("GET", "hire-applications", dict(request.query)))
        ids = [i for i, a in self.applications.items() if keyword and keyword in a["name"]]
        return self.ok({"items": ids, "has_more": False, "page_token": ""})

    async def get_application(self, request: web.Request) -> web.Response:
        app = self.applications.get(request.match_info["id"])
        if app is None:
            return web.json_response({"code": 1002001, "msg": "application not found"}, status=400)
        return self.ok({"application": {"id": request.match_info["id"], "talent_id": app["talent_id"]}})

    async def list_interviews(self, request: web.Request) -> web.Response:
        aid = request.query.get("application_id")
        self.calls.append(("GET", "hire-interviews", dict(request.query)))
        return self.ok(
            {"items": [i for i in self.interviews if i["application_id"] == aid], "has_more": False}
        )

    async def list_notes(self, request: web.Request) -> web.Response:
        tid = request.query.get("talent_id")
        self.calls.append(("GET", "hire-notes", dict(request.query)))
        return self.ok(self._paged([n for n in self.notes if n["talent_id"] == tid], request))

    async def create_note(self, request: web.Request) -> web.Response:
        if not self._auth(request):
            return web.json_response({"code": 99991663, "msg": "invalid token"}, status=400)
        body = await request.json()
        self.calls.append(("POST", "hire-note", body))
        note = {"id": str(next(self.note_ids)), **body}
        if self.fail_posts:
            fault = self.fail_posts.pop(0)
            if fault == "500-stored":
                self.notes.append(note)
            return web.json_response({"code": 1254290, "msg": "internal error"}, status=500)
        self.notes.append(note)
        return self.ok({"note": note})

    async def get_minutes(self, request: web.Request) -> web.Response:
        iid = request.query.get("interview_id", "")
        self.calls.append(("GET", "hire-minutes", dict(request.query)))
        if iid not in self.minutes:
            return web.json_response({"code": 1002404, "msg": "interview not found"}, status=400)
        page = self._paged(self.minutes[iid], request)
        return self.ok({"minutes": {"sentences": page.pop("items")}, **page})
