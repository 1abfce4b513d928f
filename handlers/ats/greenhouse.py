"""Greenhouse Harvest v3 (v1 and v2 are retired after 2026-08-31): notes on a candidate's activity feed.

Authentication (harvestdocs.greenhouse.io/docs/authentication, custom integrations): OAuth 2.0 client
credentials. `POST https://auth.greenhouse.io/token` (IB_GREENHOUSE_TOKEN_URL), HTTP Basic with the
client id and secret, form body `grant_type=client_credentials&sub=<user id>` (IB_GREENHOUSE_USER_ID: the
Greenhouse user the notes are written as); every call then sends `Authorization: Bearer <access_token>`.
The token is kept until shortly before it expires (`expires_in` seconds, or `expires_at`).

Notes: the WRITE endpoint migration guide maps v1's `POST /v1/candidates/{id}/activity_feed/notes` to
v3's notes resource, and the READ guide maps the activity feed to `GET /v3/notes` (cursor pagination: the
`Link` header's `next`). We could not read the v3 reference page for creating a note, so the request here
is the closest documented shape, not a confirmed one: `POST {IB_GREENHOUSE_URL}/notes` with v1's note
fields (`user_id`, `body`, `visibility`, private by default) plus `candidate_id` and `application_id`
(v1 put the candidate in the path), answered with the note (`id`). Notes are listed with
`GET /notes?candidate_id=`. Harvest has no scorecard write: the draft is a note.

An "application" here is a Greenhouse application id; its candidate comes from
`GET /applications/{id}` (`candidate_id`). Finding one by name pages through `GET /candidates` (at most
MAX_PAGES pages) comparing `first_name last_name`, then `GET /applications?candidate_id=`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from bot.ats import Application, AtsFailure
from bot.config import AtsSettings

from .http import RestApi, basic_auth, same_person

MAX_PAGES = 20
VISIBILITY = "private"


class Greenhouse:
    name = "greenhouse"

    def __init__(self, settings: AtsSettings) -> None:
        self.api = RestApi("Greenhouse", settings.get("IB_GREENHOUSE_URL"), settings.timeout_s)
        self.token_url = settings.get("IB_GREENHOUSE_TOKEN_URL")
        self.client = basic_auth(
            settings.get("IB_GREENHOUSE_CLIENT_ID"), settings.get("IB_GREENHOUSE_CLIENT_SECRET")
        )
        self.user = settings.get("IB_GREENHOUSE_USER_ID")
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)

    async def _headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() > self._token[1]:
            form = {"grant_type": "client_credentials", "sub": self.user}
            body, _ = await self.api.call("POST", self.token_url, data=form, headers=self.client)
            token = (body or {}).get("access_token")
            if not token:
                raise AtsFailure("Greenhouse gave no access token for the client credentials")
            self._token = (token, time.monotonic() + _lifetime(body) - 60)
        return {"Authorization": f"Bearer {self._token[0]}"}

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> tuple[Any, Any]:
        return await self.api.call("GET", path, params=params, headers=await self._headers())

    async def _pages(self, path: str, params: dict[str, Any]):
        body, headers = await self._get(path, {**params, "per_page": 100})
        for _ in range(MAX_PAGES):
            yield body if isinstance(body, list) else (body or {}).get("data") or []
            link = _next_link(headers)
            if not link:
                return
            body, headers = await self._get(link)  # the cursor is in the link; no other parameters

    async def find_applications(self, candidate: str, around: datetime | None) -> list[Application]:
        people = []
        async for page in self._pages("candidates", {}):
            people += [
                c for c in page if same_person(f"{c.get('first_name')} {c.get('last_name')}", candidate)
            ]
        found = []
        for person in people:
            name = f"{person.get('first_name')} {person.get('last_name')}"
            async for page in self._pages("applications", {"candidate_id": person["id"]}):
                found += [Application(str(a["id"]), f"{name} · application {a['id']}") for a in page]
        return found

    async def _candidate_of(self, application_id: str) -> str:
        body, _ = await self._get(f"applications/{application_id}")
        candidate = (body or {}).get("candidate_id")
        if not candidate:
            raise AtsFailure(f"Greenhouse has no candidate for application {application_id}")
        return str(candidate)

    async def find_note(self, application_id: str, marker: str) -> str | None:
        candidate = await self._candidate_of(application_id)
        async for page in self._pages("notes", {"candidate_id": candidate}):
            for note in page:
                if marker in str(note.get("body") or ""):
                    return str(note["id"])
        return None

    async def post_note(self, application_id: str, text: str) -> str:
        note = {
            "candidate_id": int(c) if (c := await self._candidate_of(application_id)).isdigit() else c,
            "application_id": int(application_id) if application_id.isdigit() else application_id,
            "user_id": int(self.user) if self.user.isdigit() else self.user,
            "body": text,
            "visibility": VISIBILITY,
        }
        body, _ = await self.api.call("POST", "notes", json=note, headers=await self._headers())
        if not (body or {}).get("id"):
            raise AtsFailure("Greenhouse took the note but did not say its id")
        return str(body["id"])

    async def close(self) -> None:
        await self.api.close()


def _lifetime(body: dict[str, Any]) -> float:
    if body.get("expires_in"):
        return float(body["expires_in"])
    if body.get("expires_at"):
        try:
            return (
                datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00")).timestamp()
                - time.time()
            )
        except ValueError:
            pass
    return 300.0


def _next_link(headers: Any) -> str | None:
    """The `rel="next"` URL of a Link header, if any."""
    for part in (headers.get("Link") or "").split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel.replace(" ", ""):
            return url.strip().strip("<>")
    return None
