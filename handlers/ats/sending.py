"""One send of a scorecard draft as every edge asks for it (chat button, report page, API, CLI): the
connector built from the settings, bot.ats.send, and every outcome as an HTTP-like status with one
sentence (and, when the candidate has several applications, the list a person picks from)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import ats
from bot.service import Service
from bot.texts import say

from . import AtsNotConfigured, connector

_REFUSED = {"not_found": 404, "not_ready": 409, "no_application": 409}


@dataclass
class Outcome:
    # 200 sent, 422 not configured or unknown target, 404, 409 held / ambiguous / unready, 502 ATS failed
    status: int
    message: str
    result: ats.SendResult | None = None
    applications: list[ats.Application] = field(default_factory=list)
    candidate: str | None = None

    def said(self, lang: str) -> str:
        """What the person who clicked reads."""
        if self.result is not None:
            r = self.result
            return say(f"ats_{r.status}", lang, r.target, r.external_id)
        if self.status == 502:
            return say("ats_failed", lang, self.message)
        if self.applications:
            return say("ats_ask", lang, self.candidate)
        return self.message


async def send_draft(
    service: Service,
    interview_id: str,
    *,
    user: str,
    via: str,
    to: str | None = None,
    application: str | None = None,
) -> Outcome:
    try:
        conn = connector(service.settings.ats, to)
    except AtsNotConfigured as exc:
        return Outcome(422, str(exc))
    request = ats.SendRequest(
        interview_id, user=user, via=via, report_url=service.report_url(interview_id), application=application
    )
    try:
        result = await ats.send(service.db, conn, request, owner=service.worker_id)
    except ats.AtsRefusal as exc:
        return Outcome(_REFUSED[exc.reason], str(exc))
    except ats.Ambiguous as exc:
        return Outcome(409, str(exc), applications=exc.applications, candidate=exc.candidate)
    except ats.ClaimHeld as exc:
        return Outcome(409, str(exc))
    except ats.AtsFailure as exc:
        return Outcome(502, str(exc))
    finally:
        await conn.close()
    return Outcome(200, result.status, result)
