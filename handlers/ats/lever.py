"""Lever: notes on an opportunity (what Lever calls a candidate's application).

`POST /opportunities/{id}/notes?perform_as=USER` with `{"value": text, "secret": true}` (secret by
default: only people with sensitive-information access see it) answers `{"data": {"noteId"}}`;
`GET /opportunities/{id}/notes` (paged by `offset` = the answer's `next`) lists notes whose `text` and
`fields[].value` hold what was written, where the marker is looked for. Basic auth, the API key as user
name. Lever's opportunity list has no name filter, so finding a candidate by name pages through the
active opportunities (at most MAX_PAGES pages) and compares names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.ats import Application, AtsFailure
from bot.config import AtsSettings

from .http import RestApi, basic_auth, same_person

MAX_PAGES = 20


class Lever:
    name = "lever"

    def __init__(self, settings: AtsSettings) -> None:
        self.api = RestApi("Lever", settings.get("IB_LEVER_URL"), settings.timeout_s)
        self.auth = basic_auth(settings.get("IB_LEVER_API_KEY"), "")
        self.user = settings.get("IB_LEVER_USER_ID")

    async def _pages(self, path: str, params: dict[str, Any]):
        offset = None
        for _ in range(MAX_PAGES):
            query = {**params, **({"offset": offset} if offset else {})}
            body, _ = await self.api.call("GET", path, params=query, headers=self.auth)
            yield body.get("data") or []
            if not body.get("hasNext") or not body.get("next"):
                return
            offset = body["next"]

    async def find_applications(self, candidate: str, around: datetime | None) -> list[Application]:
        found = []
        async for page in self._pages("opportunities", {"limit": 100, "archived": "false"}):
            for opp in page:
                if same_person(opp.get("name"), candidate):
                    label = " · ".join(p for p in (opp.get("name"), opp.get("headline")) if p)
                    found.append(Application(str(opp["id"]), label))
        return found

    async def find_note(self, application_id: str, marker: str) -> str | None:
        async for page in self._pages(f"opportunities/{application_id}/notes", {"limit": 100}):
            for note in page:
                texts = [note.get("text") or "", *(f.get("value") or "" for f in note.get("fields") or [])]
                if any(marker in str(t) for t in texts):
                    return str(note["id"])
        return None

    async def post_note(self, application_id: str, text: str) -> str:
        body, _ = await self.api.call(
            "POST",
            f"opportunities/{application_id}/notes",
            params={"perform_as": self.user},
            json={"value": text, "secret": True},
            headers=self.auth,
        )
        note_id = ((body or {}).get("data") or {}).get("noteId")
        if not note_id:  # posted, perhaps: the next try looks for the marker before posting again
            raise AtsFailure("Lever took the note but did not say its id")
        return str(note_id)

    async def close(self) -> None:
        await self.api.close()
