"""Feishu Hire (飞书招聘) through lark-oapi's `hire.v1`, with the Feishu app's own credentials
(FEISHU_APP_ID / FEISHU_APP_SECRET / FEISHU_DOMAIN).

* notes: `POST /open-apis/hire/v1/notes` (hire.v1.note.create) with the talent, the application, the
  text and `privacy` 1 (private); listed per talent (hire.v1.note.list) to find the marker;
* the application's talent: `GET /open-apis/hire/v1/applications/{id}` (hire.v1.application.get);
* an application by candidate name: `GET /open-apis/hire/v1/applications?keyword=` (ids only), narrowed,
  when several match, by the interviews of each (`GET /open-apis/hire/v1/interviews?application_id=`)
  that took place within MATCH_WINDOW_S of the recording;
* Feishu Hire's own interview minutes (`GET /open-apis/hire/v1/minutes?interview_id=`, hire.v1.minutes.get):
  sentences with the speaker's type and time, for `interview-bot import feishu-hire`.

lark-oapi's calls are blocking (`requests`): they run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.ats import Application, AtsFailure
from bot.config import AtsSettings
from bot.minutes import Line

log = logging.getLogger(__name__)
PRIVATE = 1  # note privacy: 1 private, 2 public
MATCH_WINDOW_S = 12 * 3600
SPEAKERS = {1: "interviewer", 2: "candidate"}  # a sentence's user_type; anything else: unknown


class FeishuHire:
    name = "feishu-hire"

    def __init__(self, settings: AtsSettings) -> None:
        import lark_oapi as lark

        self.client = (
            lark.Client.builder()
            .app_id(settings.get("FEISHU_APP_ID"))
            .app_secret(settings.get("FEISHU_APP_SECRET"))
            .domain(settings.get("FEISHU_DOMAIN").rstrip("/"))
            .timeout(settings.timeout_s)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )

    async def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """A call's data; AtsFailure with Feishu's code, message and log id when it failed."""
        from lark_oapi.core.exception import AccessTokenException, ObtainAccessTokenException

        try:
            resp = await asyncio.get_running_loop().run_in_executor(None, fn)
        except (OSError, ValueError, AccessTokenException, ObtainAccessTokenException) as exc:
            raise AtsFailure(f"Feishu Hire could not be reached for {what} ({type(exc).__name__})") from None
        if not resp.success():
            log.warning(
                "Feishu Hire %s failed: %s %s (log id %s)", what, resp.code, resp.msg, resp.get_log_id()
            )
            raise AtsFailure(f"Feishu Hire refused {what}: {resp.code} {resp.msg}")
        return resp.data

    async def _talent_of(self, application_id: str) -> str:
        from lark_oapi.api.hire.v1 import GetApplicationRequest

        request = GetApplicationRequest.builder().application_id(application_id).build()
        data = await self._call("the application", lambda: self.client.hire.v1.application.get(request))
        talent = getattr(getattr(data, "application", None), "talent_id", None)
        if not talent:
            raise AtsFailure(f"Feishu Hire has no talent for application {application_id}")
        return talent

    async def find_applications(self, candidate: str, around: datetime | None) -> list[Application]:
        from lark_oapi.api.hire.v1 import ListApplicationRequest

        request = ListApplicationRequest.builder().keyword(candidate).page_size(100).build()
        data = await self._call("the applications", lambda: self.client.hire.v1.application.list(request))
        ids = list(data.items or [])
        if len(ids) > 1 and around is not None:
            near = [i for i in ids if await self._interviewed_near(i, around)]
            ids = near or ids
        return [Application(i, f"{candidate} · application {i}") for i in ids]

    async def _interviewed_near(self, application_id: str, around: datetime) -> bool:
        """Whether an interview of the application began within MATCH_WINDOW_S of `around`."""
        from lark_oapi.api.hire.v1 import ListInterviewRequest

        request = ListInterviewRequest.builder().application_id(application_id).page_size(100).build()
        data = await self._call("the interviews", lambda: self.client.hire.v1.interview.list(request))
        at = around.timestamp() * 1000
        return any(abs(int(i.begin_time or 0) - at) <= MATCH_WINDOW_S * 1000 for i in data.items or [])

    async def find_note(self, application_id: str, marker: str) -> str | None:
        from lark_oapi.api.hire.v1 import ListNoteRequest

        talent, page = await self._talent_of(application_id), None
        while True:
            builder = ListNoteRequest.builder().talent_id(talent).page_size(100)
            request = (builder.page_token(page) if page else builder).build()
            data = await self._call("the notes", lambda r=request: self.client.hire.v1.note.list(r))
            for note in data.items or []:
                if marker in (note.content or ""):
                    return note.id
            if not data.has_more or not data.page_token:
                return None
            page = data.page_token

    async def post_note(self, application_id: str, text: str) -> str:
        from lark_oapi.api.hire.v1 import CreateNoteRequest, Note

        talent = await self._talent_of(application_id)
        note = Note.builder().talent_id(talent).application_id(application_id).content(text)
        request = CreateNoteRequest.builder().request_body(note.privacy(PRIVATE).build()).build()
        data = await self._call("the note", lambda: self.client.hire.v1.note.create(request))
        note_id = getattr(getattr(data, "note", None), "id", None)
        if not note_id:
            raise AtsFailure("Feishu Hire took the note but did not say its id")
        return note_id

    async def minutes(self, interview_id: str) -> list[Line]:
        """Feishu Hire's minutes of one of its interviews, every page, in order."""
        from lark_oapi.api.hire.v1 import GetMinutesRequest

        sentences: list[Line] = []
        page: str | None = None
        while True:
            builder = GetMinutesRequest.builder().interview_id(interview_id).page_size(100)
            request = (builder.page_token(page) if page else builder).build()
            data = await self._call("the minutes", lambda r=request: self.client.hire.v1.minutes.get(r))
            for s in (data.minutes.sentences if data.minutes else None) or []:
                if (s.content or "").strip():
                    speaker = SPEAKERS.get(s.user_type or 0, "unknown")
                    sentences.append(Line(speak_seconds(s.speak_time), speaker, s.content.strip()))
            if not data.has_more or not data.page_token:
                break
            page = data.page_token
        return _from_zero(sentences)

    async def close(self) -> None:
        return None


def speak_seconds(value: str | None) -> float:
    """A sentence's time: "hh:mm:ss" / "mm:ss(.s)", or a number of milliseconds (from the start, or since
    the epoch: made relative by `_from_zero`)."""
    text = (value or "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text) / 1000
    parts = text.split(":")
    try:
        return sum(float(p) * 60**i for i, p in enumerate(reversed(parts))) if len(parts) > 1 else 0.0
    except ValueError:
        return 0.0


def _from_zero(sentences: list[Line]) -> list[Line]:
    """Epoch times become seconds from the first sentence; offsets are kept."""
    if sentences and sentences[0].start > 10**8:
        first = sentences[0].start
        for s in sentences:
            s.start = round(s.start - first, 3)
    return sentences
