"""The HTTP side of sending a scorecard draft: `POST /v1/interviews/{id}/ats` (bearer token) and the
report page's `POST /r/{id}/{token}/ats` (the signed link and the clicker's name authorise it, as for
verdicts). Both answer 200 {target, external_id, status, application_id}; 409 while another send holds
the claim, when the interview has no analysis yet or the candidate has several applications (then with
`applications` to pick from); 502 with one sentence when the ATS fails; 422 when no ATS is configured."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from handlers.http_api import MAX_VOTER_CHARS, SERVICE_KEY, json_body, reply
from handlers.routes import ACTOR_KEY, Body, CallerError, Field, Reply, Route, error, refusal

from .sending import Outcome, send_draft

_NAME = {"type": "string", "maxLength": 200}
API_BODY = Body(
    "application/json",
    (
        Field(
            "to",
            {"type": "string", "enum": ["feishu-hire", "greenhouse", "lever"]},
            description="default IB_ATS",
        ),
        Field("application", _NAME, description="the ATS application id (else matched by candidate)"),
        Field("user", _NAME, description="who sends it (named in the note)"),
    ),
    closed=True,
    optional=True,
)
PAGE_BODY = Body(
    "application/json",
    (Field("user", _NAME, required=True), Field("application", _NAME)),
    closed=True,
)


async def _body(request: web.Request, form: Body) -> dict[str, Any]:
    """The declared JSON body, its text fields stripped (an empty one is none)."""
    checked = await json_body(request, form)
    return {k: (v.strip() or None) if isinstance(v, str) else v for k, v in checked.items()}


def _answer(outcome: Outcome, lang: str | None = None) -> web.Response:
    if outcome.result is not None:
        extra = {"message": outcome.said(lang)} if lang else {}
        return reply({**outcome.result.to_dict(), **extra})
    payload: dict[str, Any] = {"error": outcome.message}
    if outcome.applications:
        payload["applications"] = [{"id": a.id, "label": a.label} for a in outcome.applications]
    if lang:
        payload["message"] = outcome.said(lang)
    return reply(payload, outcome.status)


async def api_send(request: web.Request) -> web.Response:
    actor = request[ACTOR_KEY]
    try:
        fields = await _body(request, API_BODY)
    except CallerError as exc:
        return error(exc.status, str(exc))
    outcome = await send_draft(
        request.app[SERVICE_KEY],
        request.match_info["id"],
        user=fields.get("user") or actor,
        via="api",
        to=fields.get("to"),
        application=fields.get("application"),
    )
    return _answer(outcome)


async def page_send(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_link(interview_id, token):
        return error(403, "this report link is invalid or has expired")
    try:
        fields = await _body(request, PAGE_BODY)
    except CallerError as exc:
        return error(exc.status, str(exc))
    user = " ".join((fields.get("user") or "").split())
    if not user or len(user) > MAX_VOTER_CHARS or not user.isprintable():
        return error(400, f"user must be a name of 1 to {MAX_VOTER_CHARS} characters")
    outcome = await send_draft(
        service, interview_id, user=user, via="web", application=fields.get("application")
    )
    analysis = await service.db.interviews.analysis(interview_id) or {}
    return _answer(outcome, "zh" if analysis.get("language") == "zh" else "en")


_SENT_SCHEMA = {
    "type": "object",
    "properties": {
        "target": {"type": "string"},
        "external_id": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": ["sent", "already_sent", "superseded"]},
        "application_id": {"type": "string", "nullable": True},
    },
}
_REFUSALS = {
    400: refusal("the body breaks its schema"),
    404: refusal("no interview with that id"),
    409: refusal(
        "another send holds the claim, the interview has no analysis yet, or several applications match"
    ),
    415: refusal("not JSON"),
    422: refusal("no ATS is configured (the sentence names the variables to set)"),
    502: refusal("the ATS failed (retry: nothing is duplicated)"),
}
ROUTES = [
    Route(
        "POST",
        "/v1/interviews/{id}/ats",
        api_send,
        "Send the interview's scorecard draft to the ATS as a private note, exactly once per analysis",
        {200: Reply("sent, already_sent or superseded", schema=_SENT_SCHEMA), **_REFUSALS},
        params=(Field("id", {"type": "string"}, where="path"),),
        bodies=(API_BODY,),
    ),
    Route(
        "POST",
        "/r/{id}/{token}/ats",
        page_send,
        "Send to the ATS from the report page (the signed link and the clicker's name authorise it)",
        {
            200: Reply("as /v1/interviews/{id}/ats, plus a message", schema=_SENT_SCHEMA),
            **_REFUSALS,
            403: refusal("the report link is invalid or has expired"),
        },
        params=(
            Field("id", {"type": "string"}, where="path"),
            Field("token", {"type": "string"}, where="path"),
        ),
        bodies=(PAGE_BODY,),
        security=(),
    ),
]
