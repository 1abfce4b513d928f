"""REST API for ATS integration and scripts, plus the report pages, on one aiohttp application."""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import http_exceptions, web

from asr_engine import AudioInputError
from bot import panorama, texts
from bot.analysis.profiles import ProfileError
from bot.analysis.results import COMPETENCIES
from bot.analysis.summary import competency_name
from bot.fetch import FetchError, TooLarge, check_destination, download, save_stream
from bot.metrics import CONTENT_TYPE
from bot.profile_input import MAX_PROFILE_BYTES, store_uploaded
from bot.render import ReportContext, render_stored
from bot.service import Service, Submission
from bot.storage import IdempotencyConflict, is_busy, is_disk_full
from bot.storage.verdicts import VERDICTS
from handlers import live
from handlers.page_headers import page_headers
from handlers.routes import (
    ACTOR_KEY,
    Body,
    CallerError,
    Field,
    Reply,
    Route,
    add_routes,
    check_body,
    document,
    error,
    params,
    refusal,
)

log = logging.getLogger(__name__)
MAX_FIELD_BYTES = 4096
SERVICE_KEY = web.AppKey("service", Service)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _framework_refusal(request: web.Request, exc: web.HTTPException) -> web.Response:
    """aiohttp's own 4xx (no such route, a method the route has not) as one JSON sentence, keeping its
    headers: a 405 must say in Allow what the resource does support (RFC 9110)."""
    if exc.status == 405:
        allowed = exc.headers.get("Allow", "")
        message = f"{request.method} is not allowed here; allowed: {allowed.replace(',', ', ')}"
    elif exc.status == 404:
        message = "there is nothing at this address"
    else:
        message = (exc.reason or "the request was refused").lower()
    response = error(exc.status, message)
    for name in ("Allow", "Retry-After"):
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


@web.middleware
async def errors_as_json(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        return _framework_refusal(request, exc)
    except Exception as exc:  # never a text/plain 500 with a traceback's worth of detail
        if is_busy(exc):
            response = error(503, "the database is busy; try again shortly")
            response.headers["Retry-After"] = "5"
            return response
        if is_disk_full(exc):
            log.error("%s %s: no room on disk: %s", request.method, request.path, exc)
            response = error(507, "the server has no space left to store this; try again later")
            response.headers["Retry-After"] = "60"
            return response
        log.exception("%s %s failed", request.method, request.path)
        return error(500, "internal error")


def _auth(request: web.Request, schemes: tuple[str, ...]) -> str | None:
    """The caller's identity for the audit log, or None when no accepted credential is right: a bearer
    token, or (for browsers, where a route accepts it) `?token=`."""
    tokens = request.app[SERVICE_KEY].settings.api_tokens
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        given = header[7:].strip()
    elif "query_token" in schemes:
        given = request.query.get("token", "")
    else:
        return None
    raw = given.encode("utf-8", "replace")  # bytes: a non-ASCII token is wrong, not a 500
    for i, token in enumerate(tokens):
        if given and hmac.compare_digest(raw, token.encode()):
            return f"api-token-{i}"
    return None


@dataclass
class Upload:
    filename: str
    sha256: str
    size: int
    content_type: str | None
    fields: dict[str, str]


async def create_interview(request: web.Request) -> web.Response:
    actor = request[ACTOR_KEY]
    service: Service = request.app[SERVICE_KEY]
    limit = service.settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        return error(413, f"the upload is larger than the limit of {limit} bytes")
    received: list[Upload] = []

    async def fill(tmp: Path) -> tuple[str, int]:
        received.append(await _receive(request, service, tmp))
        return received[0].sha256, received[0].size

    async def describe(tmp: Path, sha: str, size: int) -> Submission:
        return await _submission(request, service, tmp, received[0], actor)

    try:
        try:
            accepted = await service.intake.accept(fill, describe)
        except AudioInputError as exc:  # not audio, an unknown profile: well-formed, nothing to process
            raise CallerError(422, str(exc)) from None
        except IdempotencyConflict as exc:
            raise CallerError(409, str(exc)) from None
        assert accepted is not None  # describe never declines
        interview_id, created = accepted
        status = await service.status(interview_id)
        state = status["status"] if status else "queued"
        if created and state != "held":  # as accepted: the worker may already have claimed it
            state = "queued"
        return reply({"id": interview_id, "status": state, "duplicate": not created}, status=202)
    except CallerError as exc:
        return error(exc.status, str(exc))


async def _receive(request: web.Request, service: Service, tmp: Path) -> Upload:
    """The recording streamed to `tmp` (size-limited) from a multipart upload or a fetched audio_url."""
    if request.content_type.startswith("multipart/"):
        return await _multipart(request, tmp, service)
    if request.content_type != "application/json":
        raise CallerError(415, "send multipart/form-data with an 'audio' file, or JSON with 'audio_url'")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CallerError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise CallerError(400, "the JSON body must be an object with an 'audio_url'")
    body = check_body(JSON_BODY, body, from_text=False)
    fields = {k: v for k, v in body.items() if k != "audio_url" and isinstance(v, str)}
    url = body["audio_url"]
    try:
        sha, size, content_type = await download(url, tmp, service.fetch_policy)
    except FetchError as exc:  # a well-formed URL this server will not or cannot fetch
        raise CallerError(422, f"audio_url: {exc}") from None
    return Upload(
        Path(url.split("?")[0].rstrip("/")).name or "download.audio", sha, size, content_type, fields
    )


# aiohttp's reader says "malformed multipart" in several ways (garbage part headers raise its
# InvalidHeader, an HttpProcessingError); all of them are the caller's
_MALFORMED = (
    ValueError,
    AssertionError,
    aiohttp.ClientError,
    UnicodeDecodeError,
    http_exceptions.HttpProcessingError,
)


async def _multipart(request: web.Request, tmp: Path, service: Service) -> Upload:
    limit = service.settings.max_upload_bytes
    fields: dict[str, str] = {}
    upload = None
    try:
        reader = await request.multipart()
        async for part in reader:
            if part.name == "audio":
                try:
                    sha, size = await save_stream(lambda p=part: p.read_chunk(1 << 16), tmp, limit)
                except TooLarge:
                    raise CallerError(413, f"the upload is larger than the limit of {limit} bytes") from None
                name = Path(part.filename or "upload.audio").name
                upload = Upload(name, sha, size, part.headers.get("Content-Type"), fields)
            elif part.name == "profile" and part.filename:  # an uploaded profile file, never a path
                data = await _read_capped(part, MAX_PROFILE_BYTES, "profile")
                try:
                    fields["profile"] = store_uploaded(data, part.filename, service.settings.data_dir)
                except ProfileError as exc:
                    raise CallerError(422, f"profile: {exc}") from None
            elif part.name:
                value = await _read_capped(part, MAX_FIELD_BYTES, part.name)
                fields[part.name] = _form_field(part.name, value.decode("utf-8", "replace"))
    except _MALFORMED as exc:
        log.info("malformed multipart upload: %s", exc)
        raise CallerError(400, "the multipart body is malformed") from None
    if upload is None:
        raise CallerError(400, "multipart upload needs a file field named 'audio'")
    return upload


def _form_field(name: str, value: str) -> str:
    """A text field of the form, checked against its declaration (CallerError for an undeclared one)."""
    declared = MULTIPART_BODY.field(name)
    if declared is None or declared.schema.get("format") == "binary":
        raise CallerError(400, f"{name} must be a file part")
    return declared.check(value, from_text=True)


async def _read_capped(part, cap: int, name: str) -> bytes:
    """A form field read in chunks, refused past `cap` bytes (never buffered whole first)."""
    out = bytearray()
    while chunk := await part.read_chunk(8192):
        out += chunk
        if len(out) > cap:
            raise CallerError(400, f"field {name[:40]!r} is longer than {cap} bytes")
    return bytes(out)


async def _submission(
    request: web.Request, service: Service, tmp: Path, up: Upload, actor: str
) -> Submission:
    fields = up.fields
    if fields.get("callback_url"):
        try:
            await check_destination(fields["callback_url"], service.fetch_policy)
        except FetchError as exc:  # well-formed, but not a destination this server will call
            raise CallerError(422, f"callback_url: {exc}") from None
    key = params(request).get("Idempotency-Key") or f"sha256:{up.sha256}"
    return Submission(
        path=tmp,
        filename=up.filename,
        key=f"api:{key}",
        sha256=up.sha256,
        size_bytes=up.size,
        platform="api",
        uploader=actor,
        candidate=fields.get("candidate") or None,
        interviewer=fields.get("interviewer") or None,
        profile=fields.get("profile") or None,
        callback_url=fields.get("callback_url") or None,
        content_type=up.content_type,
        language=None if fields.get("language") in (None, "", "auto") else fields.get("language"),
    )


async def get_interview(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    status = await service.status(request.match_info["id"])
    if status is None:
        return error(404, "no interview with that id")
    return reply(status)


async def list_interviews(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    given = params(request)
    candidate, since = given.get("candidate"), given.get("since")
    limit = min(500, given.get("limit", 100))
    return reply({"interviews": await service.db.interviews.listing(candidate, since, limit)})


async def get_candidate(request: web.Request) -> web.Response:
    """The candidate panorama as JSON (API tokens see every channel)."""
    service: Service = request.app[SERVICE_KEY]
    language = params(request).get("language", "zh")
    name = request.match_info["name"]
    pano = await service.db.run(
        lambda store: panorama.build(store, None, name, language=language, report_url=service.report_url)
    )
    if pano is None:
        return error(404, "no candidate with that name and an analysed interview")
    return reply(pano.to_dict())


async def search_interviews(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    given = params(request)
    words, limit = given["q"].strip(), min(200, given.get("limit", 20))
    hits = await service.db.search(None, words, limit=limit) if words and limit else []
    return reply(
        {
            "hits": [
                {
                    **asdict(h),
                    "link": service.report_url(h.interview_id)
                    + (f"#t={h.start}" if h.start is not None else ""),
                }
                for h in hits
            ]
        }
    )


async def ask_answers(request: web.Request) -> web.Response:
    """Candidates' answers across every interview (an API token sees all): bot.ask."""
    from bot import ask

    service: Service = request.app[SERVICE_KEY]
    given = params(request)
    try:
        result = await ask.answer(
            service, None, given["q"], candidate=given.get("candidate"), limit=min(50, given.get("limit", 10))
        )
    except ask.AskError as exc:
        return error(400, str(exc))
    return reply(result)


async def put_consent(request: web.Request) -> web.Response:
    from bot.consent import ConsentError

    service: Service = request.app[SERVICE_KEY]
    try:
        body = await json_body(request, CONSENT_BODY)
        outcome = await service.consent.record(
            request.match_info["name"],
            body["state"],
            how="api",
            actor=request[ACTOR_KEY],
            note=body.get("note"),
            create=bool(body.get("create")),
        )
    except CallerError as exc:
        return error(exc.status, str(exc))
    except ConsentError as exc:
        return error(404, str(exc))
    return reply(outcome.to_dict())


async def json_body(request: web.Request, form: Body) -> dict[str, Any]:
    """A JSON object body checked against its declared form (an optional one may be absent: {});
    CallerError (400 / 415) otherwise."""
    if form.optional and not request.can_read_body:
        return {}
    if request.content_type != "application/json":
        raise CallerError(415, "send JSON")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CallerError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise CallerError(400, "the JSON body must be an object")
    return check_body(form, body, from_text=False)


async def get_notice(request: web.Request) -> web.Response:
    from bot.consent import notice

    s = request.app[SERVICE_KEY].settings
    lang = params(request).get("lang", "zh")
    return reply({"lang": lang, "text": notice(lang, s.retention_audio_days, s.retention_text_days)})


async def delete_interview(request: web.Request) -> web.Response:
    actor = request[ACTOR_KEY]
    service: Service = request.app[SERVICE_KEY]
    if not await service.delete(request.match_info["id"], actor):
        return error(404, "no interview with that id")
    return web.Response(status=204)


async def healthz(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    health = await service.health()
    return reply(health, 200 if health["status"] == "ok" else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format from the service's own registry; a locked database never delays it."""
    body = await request.app[SERVICE_KEY].scrape()
    return web.Response(
        body=body, headers={"Content-Type": CONTENT_TYPE, "X-Content-Type-Options": "nosniff"}
    )


_OWN_SCRIPT = re.compile(r'<script src="\.\./report\.js"')


async def interviewer_page(request: web.Request) -> web.Response:
    """The interviewer's private page: their own metrics and flagged questions, behind a link signed for
    this page alone (sent only to them); never linked from the hiring report."""
    from bot import coaching
    from bot.render import environment

    service: Service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_interviewer_link(interview_id, token):
        return error(404, "this link is invalid or has expired")
    interview, analysis = await service.db.run(
        lambda s: (s.interviews.get(interview_id), s.interviews.analysis(interview_id))
    )
    if not interview or not analysis:
        return error(404, "this interview is not ready or was deleted")
    await service.db.audit("link", "view-interviewer-page", interview_id, {})
    view = coaching.page_view(
        interview.get("title") or interview_id,
        analysis.get("interviewer") or {},
        analysis.get("language", "en"),
    )
    html = environment().get_template("interviewer.html.j2").render(**view)
    return web.Response(
        text=html,
        content_type="text/html",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )


async def report_page(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_link(interview_id, token):
        return error(404, "this report link is invalid or has expired")

    def load(store) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any]]:
        iid = interview_id
        return store.interviews.get(iid), store.interviews.analysis(iid), store.verdicts.tally(iid)

    interview, analysis, tally = await service.db.run(load)
    if not interview or not analysis:
        return error(404, "this report is not ready or was deleted")
    await service.db.audit("link", "view-report", interview_id, {})
    html = render_stored(
        analysis,
        "html",
        ReportContext(
            title=interview.get("title") or interview_id,
            audio_url=f"{token}/audio",  # relative to the page: /r/<id>/<token>/audio
            interview_id=interview_id,
            tally=tally,
            verdict_url=f"{token}/verdicts",
            ats_url=f"{token}/ats" if service.settings.ats.target() else None,
        ),
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
            # its recording (audio_url), its verdict script and votes, nothing else from outside the page
            **page_headers(
                html, script="'self'" if _OWN_SCRIPT.search(html) else "", media="'self'", connect="'self'"
            ),
        },
    )


REPORT_JS = Path(__file__).resolve().parent.parent / "report_templates" / "report.js"
REPORT_JS_KEY = web.AppKey("report_js", bytes)  # read once at setup, not on the event loop per request
MAX_VOTER_CHARS = 40


async def report_script(request: web.Request) -> web.Response:
    """The report page's verdict controls (a static file: the page's CSP allows scripts from 'self')."""
    return web.Response(
        body=request.app[REPORT_JS_KEY],
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


async def _vote_of(request: web.Request) -> tuple[str, str, str]:
    """(competency, verdict, user) from a JSON body; CallerError otherwise. JSON only: a cross-site form
    cannot send it without the browser asking this origin first."""
    if request.content_type != "application/json":
        raise CallerError(415, "send JSON: {competency, verdict, user}")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CallerError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise CallerError(400, "the JSON body must be an object: {competency, verdict, user}")
    body = check_body(VERDICT_BODY, body, from_text=False)
    competency, verdict, user = body["competency"], body["verdict"], " ".join(body["user"].split())
    if not user or len(user) > MAX_VOTER_CHARS or not user.isprintable():
        raise CallerError(400, f"user must be a name of 1 to {MAX_VOTER_CHARS} characters")
    return competency, verdict, user


_REFUSED = {
    "gone": (410, "this interview was deleted"),
    "not_ready": (409, "this interview has no analysis yet"),
    "bad_competency": (400, "unknown competency"),
    "bad_verdict": (400, "verdict must be agree, too_high, too_low, wrong_evidence or missed"),
}


async def report_verdict(request: web.Request) -> web.Response:
    """A verdict from the report page: the signed link is the authority (as it is for reading the
    report); the voter is the name they typed, recorded with platform "web"."""
    from bot.render import tally_texts
    from bot.storage import VerdictError

    service: Service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_link(interview_id, token):
        return error(403, "this report link is invalid or has expired")
    try:
        competency, verdict, user = await _vote_of(request)
        tally = await service.db.verdicts.record(interview_id, competency, verdict, user, "web")
    except CallerError as exc:
        return error(exc.status, str(exc))
    except VerdictError as exc:
        return error(*_REFUSED[exc.reason])
    await service.db.audit(f"web:{user}", "verdict", interview_id, {"verdict": verdict})
    analysis = await service.db.interviews.analysis(interview_id) or {}
    lang = analysis.get("language") or "en"
    label = f"{texts.localize(texts.REPORT[verdict], lang)} · {competency_name(competency, lang)}"
    return reply({"tally": tally, "tally_text": tally_texts(tally, lang), "label": label})


async def report_audio(request: web.Request) -> web.StreamResponse:
    service: Service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_link(interview_id, token):
        return error(404, "this report link is invalid or has expired")
    path = await service.db.interviews.recording_path(interview_id)
    if path is None:
        return error(404, "the recording was deleted under the retention policy")
    return web.FileResponse(
        path, headers={"Cache-Control": "private, no-store"}
    )  # supports Range: seeking works


async def openapi(request: web.Request) -> web.Response:
    return reply(request.app[OPENAPI_KEY])


OPENAPI_KEY = web.AppKey("openapi", dict)


def setup(app: web.Application, service: Service) -> None:
    app[SERVICE_KEY] = service
    app[REPORT_JS_KEY] = REPORT_JS.read_bytes()
    app.middlewares.append(errors_as_json)
    table = routes_table()
    add_routes(app, table, _auth)
    app[OPENAPI_KEY] = document(table, "interview-bot API", "1")
    live.setup(app, service)


def routes_table() -> list[Route]:
    """Every route this application serves: the router and /openapi.json are both built from it."""
    from handlers.ats.routes import ROUTES as ATS_ROUTES  # POST /v1/interviews/{id}/ats, /r/{id}/{token}/ats

    return [*API_ROUTES, *PAGE_ROUTES, *ATS_ROUTES, *live.ROUTES]


# ---- the declarations ---------------------------------------------------------------------------------
# 422: well-formed (the schema holds) but not processable: bytes that are not audio, a profile that does
# not exist, a URL this server will not or cannot fetch. 404 / 409: an unknown id, a reused key.
_TEXT = {"type": "string", "maxLength": 1024}  # a form field is at most MAX_FIELD_BYTES of UTF-8
_URL = {"type": "string", "maxLength": 2048, "pattern": "^https?://[^/?#]"}
_URL_HINT = "only http and https URLs with a host (at most 2048 characters) can be fetched"
_CALLBACK = Field(
    "callback_url",
    {**_URL, "pattern": "^$|^https?://[^/?#]"},
    description="POSTed the job's status when it ends",
    hint="callback_url: only http and https URLs with a host (at most 2048 characters) can be called",
)
_LANGUAGE = {"type": "string", "enum": ["zh", "en", "auto"]}
_META = (
    Field("profile", _TEXT, description="a built-in profile name, or a .toml/.json/.txt file part (64 KiB)"),
    Field("candidate", _TEXT),
    Field("interviewer", _TEXT),
    Field("language", _LANGUAGE),
    _CALLBACK,
)
MULTIPART_BODY = Body(
    "multipart/form-data",
    (Field("audio", {"type": "string", "format": "binary"}, required=True), *_META),
    closed=True,  # a misspelt field is told, not ignored
)
JSON_BODY = Body(
    "application/json",
    (
        Field("audio_url", _URL, required=True, hint=f"audio_url: {_URL_HINT}"),
        *(
            Field(f.name, {**f.schema, "nullable": True}, description=f.description, hint=f.hint)
            for f in _META
        ),
    ),
)
VERDICT_BODY = Body(
    "application/json",
    (
        Field(
            "competency",
            {"type": "string", "enum": list(COMPETENCIES)},
            required=True,
            hint=f"unknown competency: use one of {', '.join(COMPETENCIES)}",
        ),
        Field(
            "verdict",
            {"type": "string", "enum": list(VERDICTS)},
            required=True,
            hint=_REFUSED["bad_verdict"][1],
        ),
        Field(
            "user",
            {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_VOTER_CHARS,
                "pattern": "^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f][^\\x00-\\x1f\\x7f]*$",
            },
            required=True,
            description="the voter's name as typed (printable, not blank)",
            hint=f"user must be a name of 1 to {MAX_VOTER_CHARS} characters",
        ),
    ),
)
_LIMIT = {"type": "integer", "minimum": 0}
_ID = Field("id", {"type": "string"}, where="path")
_OBJECT = {"type": "object"}
_NULLABLE_TEXT = {"type": "string", "nullable": True}
STATUS_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "error", "analysis", "report_url"],
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "held"]},
        "error": _NULLABLE_TEXT,
        "analysis": {**_OBJECT, "nullable": True},
        "report_url": _NULLABLE_TEXT,
        "progress": _OBJECT,
        "source": _NULLABLE_TEXT,
        "created_at": _NULLABLE_TEXT,
    },
}


def _list_of(key: str) -> dict[str, Any]:
    return {"type": "object", "required": [key], "properties": {key: {"type": "array", "items": _OBJECT}}}


_BUSY = refusal("the database is busy (Retry-After)", "Retry-After")
API_ROUTES = [
    Route(
        "POST",
        "/v1/interviews",
        create_interview,
        "Submit a recording: multipart field 'audio', or JSON with 'audio_url'",
        {
            202: Reply(
                "queued (the same id again, duplicate true, for a repeated key and the same audio)",
                schema={
                    "type": "object",
                    "required": ["id", "status", "duplicate"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"type": "string"},
                        "duplicate": {"type": "boolean"},
                    },
                },
            ),
            400: refusal("the body breaks its schema, or the multipart body is malformed"),
            409: refusal("the Idempotency-Key was used before for a different recording"),
            413: refusal("larger than the upload limit"),
            415: refusal("neither multipart/form-data nor application/json"),
            422: refusal("not audio, an unknown profile, or a URL that cannot be fetched or called"),
            503: _BUSY,
        },
        params=(Field("Idempotency-Key", {"type": "string"}, where="header"),),
        bodies=(MULTIPART_BODY, JSON_BODY),
    ),
    Route(
        "GET",
        "/v1/interviews",
        list_interviews,
        "List interviews, newest first",
        {200: Reply("interviews", schema=_list_of("interviews")), 503: _BUSY},
        params=(
            Field("candidate", {"type": "string"}),
            Field("since", {"type": "string", "format": "date"}, description="created on or after"),
            Field("limit", _LIMIT, description="at most 500 are returned (default 100)"),
        ),
    ),
    Route(
        "GET",
        "/v1/interviews/{id}",
        get_interview,
        "Status, analysis and report link",
        {200: Reply("status", schema=STATUS_SCHEMA), 404: refusal("no interview with that id"), 503: _BUSY},
        params=(_ID,),
    ),
    Route(
        "DELETE",
        "/v1/interviews/{id}",
        delete_interview,
        "Delete an interview and everything derived from it",
        {204: Reply("deleted", content_type=None), 404: refusal("no interview with that id"), 503: _BUSY},
        params=(_ID,),
    ),
    Route(
        "GET",
        "/v1/candidates/{name}",
        get_candidate,
        "The candidate panorama: rounds, trends, contradictions, open points, next-round focus",
        {
            200: Reply("panorama", schema=_OBJECT),
            404: refusal("no candidate with that name and an analysed interview"),
            503: _BUSY,
        },
        params=(
            Field("name", {"type": "string"}, where="path"),
            Field("language", {"type": "string", "enum": ["zh", "en"]}),
        ),
    ),
    Route(
        "GET",
        "/v1/search",
        search_interviews,
        "Full-text search in transcripts and summaries",
        {200: Reply("hits with snippets and timestamped links", schema=_list_of("hits")), 503: _BUSY},
        params=(
            Field("q", {"type": "string", "minLength": 1}, required=True, description="the words"),
            Field("limit", _LIMIT, description="at most 200 are returned (default 20)"),
        ),
    ),
]
CONSENT_BODY = Body(
    "application/json",
    (
        Field("state", {"type": "string", "enum": ["granted", "refused", "withdrawn"]}, required=True),
        Field("note", {"type": "string", "maxLength": 500}, description="how consent was given or refused"),
        Field("create", {"type": "boolean"}, description="record it before the candidate's first recording"),
    ),
    closed=True,
)
API_ROUTES += [
    Route(
        "GET",
        "/v1/ask",
        ask_answers,
        "Candidates' answers to a question across interviews, grouped by candidate (docs/history.md)",
        {
            200: Reply(
                "quotes with time and link; summary only with the LLM analyst",
                schema={
                    "type": "object",
                    "required": ["question", "answers", "summary"],
                    "properties": {
                        "question": {"type": "string"},
                        "answers": {"type": "array", "items": _OBJECT},
                        "summary": _NULLABLE_TEXT,
                    },
                },
            ),
            503: _BUSY,
        },
        params=(
            Field("q", {"type": "string", "minLength": 1, "maxLength": 300, "pattern": "\\S"}, required=True),
            Field("candidate", {"type": "string"}, description="only this candidate's answers"),
            Field("limit", _LIMIT, description="at most 50 quotes (default 10)"),
        ),
    ),
    Route(
        "PUT",
        "/v1/candidates/{name}/consent",
        put_consent,
        "Record a candidate's consent; refusal or withdrawal erases their data (docs/privacy.md)",
        {
            200: Reply("the consent record, what was released, erased and not erased", schema=_OBJECT),
            400: refusal("the body breaks its schema"),
            404: refusal("no candidate with that name (send create: true to record consent first)"),
            415: refusal("not JSON"),
            503: _BUSY,
        },
        params=(Field("name", {"type": "string"}, where="path"),),
        bodies=(CONSENT_BODY,),
    ),
]
PAGE_ROUTES = [
    Route(
        "GET",
        "/i/{id}/{token}",
        interviewer_page,
        "The interviewer's private page (a link signed for it alone, sent only to the interviewer)",
        {
            200: Reply("HTML", content_type="text/html", schema={"type": "string"}),
            404: refusal("the link is invalid or expired, or the interview is not ready or was deleted"),
        },
        params=(_ID, Field("token", {"type": "string"}, where="path")),
        security=(),
    ),
    Route(
        "GET",
        "/v1/notice",
        get_notice,
        "The recording and analysis notice for candidates (zh or en)",
        {200: Reply("the notice", schema=_OBJECT)},
        params=(Field("lang", {"type": "string", "enum": ["zh", "en"]}),),
        security=(),
    ),
    Route(
        "GET",
        "/healthz",
        healthz,
        "Liveness: the database answers, every loop ticks, the queue",
        {
            200: Reply("ok", schema=_OBJECT),
            503: Reply("unhealthy (the problems say why)", schema=_OBJECT),
        },
        security=(),
    ),
    Route(
        "GET",
        "/metrics",
        metrics,
        "Prometheus metrics (text exposition format 0.0.4); docs/operations.md says what each means",
        {200: Reply("metrics", content_type="text/plain", schema={"type": "string"})},
        security=(),
    ),
    Route(
        "GET",
        "/openapi.json",
        openapi,
        "This document",
        {200: Reply("the OpenAPI document", schema=_OBJECT)},
        security=(),
    ),
    Route(
        "GET",
        "/r/{id}/{token}",
        report_page,
        "The report page (the signed link is the authority)",
        {
            200: Reply("HTML", content_type="text/html", schema={"type": "string"}),
            404: refusal("the link is invalid or expired, or the report is not ready or was deleted"),
        },
        params=(_ID, Field("token", {"type": "string"}, where="path")),
        security=(),
    ),
    Route(
        "GET",
        "/r/{id}/{token}/audio",
        report_audio,
        "The recording of a report page (Range requests answered with 206)",
        {
            200: Reply(
                "the recording", content_type="audio/*", schema={"type": "string", "format": "binary"}
            ),
            206: Reply("part of it", content_type="audio/*", schema={"type": "string", "format": "binary"}),
            404: refusal("the link is invalid or expired, or the recording was deleted"),
        },
        params=(_ID, Field("token", {"type": "string"}, where="path")),
        security=(),
    ),
    Route(
        "POST",
        "/r/{id}/{token}/verdicts",
        report_verdict,
        "A verdict from the report page (the signed link authorises it); answers {tally, tally_text, "
        "label}; one per name per competency, the latest wins",
        {
            200: Reply("stored (platform web)", schema=_OBJECT),
            400: refusal("the body breaks its schema"),
            403: refusal("the report link is invalid or has expired"),
            409: refusal("the interview has no analysis yet"),
            410: refusal("the interview was deleted"),
            415: refusal("not JSON"),
        },
        params=(_ID, Field("token", {"type": "string"}, where="path")),
        bodies=(VERDICT_BODY,),
        security=(),
    ),
    Route(
        "GET",
        "/r/report.js",
        report_script,
        "The report page's script",
        {200: Reply("JavaScript", content_type="text/javascript", schema={"type": "string"})},
        security=(),
    ),
]
