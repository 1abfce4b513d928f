"""The HTTP side of sending a scorecard draft: `POST /v1/interviews/{id}/ats` (bearer token) and the
report page's `POST /r/{id}/{token}/ats` (the signed link and the clicker's name authorise it, as for
verdicts). Both answer 200 {target, external_id, status, application_id}; 409 while another send holds
the claim, when the interview has no analysis yet or the candidate has several applications (then with
`applications` to pick from); 502 with one sentence when the ATS fails; 400 when no ATS is configured."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from handlers.http_api import _ERR, MAX_VOTER_CHARS, OPENAPI, SERVICE_KEY, _require_auth, error, reply

from .sending import Outcome, send_draft


async def _body(request: web.Request, names: tuple[str, ...]) -> dict[str, str | None]:
    """Optional string fields of a JSON object body (an empty body is none of them)."""
    if not request.can_read_body:
        return dict.fromkeys(names)
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            text=json.dumps({"error": "send JSON"}), content_type="application/json"
        )
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or any(not isinstance(body.get(k), str | None) for k in names):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": f"send a JSON object whose {', '.join(names)} are strings"}),
            content_type="application/json",
        )
    return {k: (body.get(k) or "").strip() or None for k in names}


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
    actor = _require_auth(request)
    fields = await _body(request, ("to", "application", "user"))
    outcome = await send_draft(
        request.app[SERVICE_KEY],
        request.match_info["id"],
        user=fields["user"] or actor,
        via="api",
        to=fields["to"],
        application=fields["application"],
    )
    return _answer(outcome)


async def page_send(request: web.Request) -> web.Response:
    service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_link(interview_id, token):
        return error(403, "this report link is invalid or has expired")
    fields = await _body(request, ("user", "application"))
    user = " ".join((fields["user"] or "").split())
    if not user or len(user) > MAX_VOTER_CHARS or not user.isprintable():
        return error(400, f"user must be a name of 1 to {MAX_VOTER_CHARS} characters")
    outcome = await send_draft(service, interview_id, user=user, via="web", application=fields["application"])
    analysis = await service.db.interviews.analysis(interview_id) or {}
    return _answer(outcome, "zh" if analysis.get("language") == "zh" else "en")


_SENT = {"description": "sent, already_sent or superseded: {target, external_id, status, application_id}"}
_RESPONSES = {"200": _SENT, "400": _ERR, "404": _ERR, "409": _ERR, "415": _ERR, "502": _ERR}
PATHS: dict[str, Any] = {
    "/v1/interviews/{id}/ats": {
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "post": {
            "summary": "Send the interview's scorecard draft to the ATS as a private note, exactly once per "
            'analysis: JSON {"to"?: feishu-hire|greenhouse|lever (default IB_ATS), "application"?: id, '
            '"user"?: who sends it}. 409 while another send holds the claim or when several applications '
            "match (listed); 502 when the ATS fails (retry: nothing is duplicated)",
            "responses": {**_RESPONSES, "401": _ERR},
        },
    },
    "/r/{id}/{token}/ats": {
        "post": {
            "security": [],
            "summary": "Send to the ATS from the report page (the signed link authorises it): JSON "
            '{"user": a name, "application"?: id}; answers as /v1/interviews/{id}/ats plus a message',
            "responses": {**_RESPONSES, "403": _ERR},
        }
    },
}


def setup(app: web.Application) -> None:
    app.router.add_post("/v1/interviews/{id}/ats", api_send)
    app.router.add_post("/r/{id}/{token}/ats", page_send)
    OPENAPI["paths"].update(PATHS)
