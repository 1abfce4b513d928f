"""REST API for ATS integration and scripts, plus the report pages, on one aiohttp application."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from asr_engine import AudioInputError
from bot import panorama, texts
from bot.analysis.profiles import ProfileError
from bot.analysis.summary import competency_name
from bot.fetch import FetchError, TooLarge, check_destination, download, save_stream
from bot.profile_input import MAX_PROFILE_BYTES, store_uploaded
from bot.render import ReportContext, render_stored
from bot.service import Service, Submission
from bot.storage import IdempotencyConflict, is_busy, is_disk_full
from handlers import live
from handlers.page_headers import page_headers

log = logging.getLogger(__name__)
MAX_FIELD_BYTES = 4096
SERVICE_KEY = web.AppKey("service", Service)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def error(status: int, message: str) -> web.Response:
    return reply({"error": message}, status)


@web.middleware
async def errors_as_json(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or exc.status < 400:
            raise
        return error(exc.status, exc.reason or "request failed")
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


def _auth(request: web.Request) -> str | None:
    """The caller's identity for the audit log, or None when the bearer token is wrong."""
    tokens = request.app[SERVICE_KEY].settings.api_tokens
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    given = header[7:].strip().encode("utf-8", "replace")  # bytes: a non-ASCII token is wrong, not a 500
    for i, token in enumerate(tokens):
        if hmac.compare_digest(given, token.encode()):
            return f"api-token-{i}"
    return None


def _require_auth(request: web.Request) -> str:
    actor = _auth(request)
    if actor is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "missing or invalid bearer token"}), content_type="application/json"
        )
    return actor


class CallerError(Exception):
    """Something the caller got wrong: a 4xx with one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    filename: str
    sha256: str
    size: int
    content_type: str | None
    fields: dict[str, str]


async def create_interview(request: web.Request) -> web.Response:
    actor = _require_auth(request)
    service: Service = request.app[SERVICE_KEY]
    limit = service.settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        return error(413, f"the upload is larger than the limit of {limit} bytes")
    tmp = service.intake.new_incoming()
    try:
        upload = await _receive(request, service, tmp)
        sub = await _submission(request, service, tmp, upload, actor)
        try:
            interview_id, created = await service.submit(sub)
        except AudioInputError as exc:  # e.g. an unknown profile
            raise CallerError(400, str(exc)) from None
        except IdempotencyConflict as exc:
            raise CallerError(409, str(exc)) from None
        status = await service.status(interview_id)
        state = status["status"] if status else "queued"
        return reply({"id": interview_id, "status": state, "duplicate": not created}, status=202)
    except CallerError as exc:
        return error(exc.status, str(exc))
    finally:
        tmp.unlink(missing_ok=True)


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
    if not isinstance(body, dict) or not isinstance(body.get("audio_url"), str):
        raise CallerError(400, "JSON requests need an 'audio_url' string")
    fields = {k: str(v) for k, v in body.items() if k != "audio_url" and v is not None}
    url = body["audio_url"]
    try:
        sha, size, content_type = await download(url, tmp, service.fetch_policy)
    except FetchError as exc:
        raise CallerError(400, str(exc)) from None
    return Upload(
        Path(url.split("?")[0].rstrip("/")).name or "download.audio", sha, size, content_type, fields
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
                    raise CallerError(400, f"profile: {exc}") from None
            elif part.name:
                value = await _read_capped(part, MAX_FIELD_BYTES, part.name)
                fields[part.name] = value.decode("utf-8", "replace")
    except (ValueError, AssertionError, aiohttp.ClientError, UnicodeDecodeError) as exc:
        # aiohttp's reader says "malformed multipart" in several ways; all are the caller's
        log.info("malformed multipart upload: %s", exc)
        raise CallerError(400, "the multipart body is malformed") from None
    if upload is None:
        raise CallerError(400, "multipart upload needs a file field named 'audio'")
    return upload


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
        except FetchError as exc:
            raise CallerError(400, f"callback_url: {exc}") from None
    if fields.get("language") and fields["language"] not in ("zh", "en", "auto"):
        raise CallerError(400, "language must be zh, en or auto")
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, service.intake.validate_audio, tmp, up.filename
        )
    except AudioInputError as exc:
        raise CallerError(422, str(exc)) from None
    key = request.headers.get("Idempotency-Key") or f"sha256:{up.sha256}"
    return Submission(
        path=tmp,
        filename=up.filename,
        key=f"api:{key}",
        sha256=up.sha256,
        size_bytes=up.size,
        platform="api",
        uploader=actor,
        candidate=fields.get("candidate"),
        interviewer=fields.get("interviewer"),
        profile=fields.get("profile"),
        callback_url=fields.get("callback_url"),
        content_type=up.content_type,
        language=None if fields.get("language") in (None, "auto") else fields.get("language"),
    )


async def get_interview(request: web.Request) -> web.Response:
    _require_auth(request)
    service: Service = request.app[SERVICE_KEY]
    status = await service.status(request.match_info["id"])
    if status is None:
        return error(404, "no interview with that id")
    return reply(status)


async def list_interviews(request: web.Request) -> web.Response:
    _require_auth(request)
    service: Service = request.app[SERVICE_KEY]
    candidate, since = request.query.get("candidate"), request.query.get("since")
    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            return error(400, "since must be an ISO date such as 2026-11-01")
    try:
        limit = min(500, int(request.query.get("limit", "100")))
    except ValueError:
        return error(400, "limit must be a number")

    return reply({"interviews": await service.db.interviews.listing(candidate, since, limit)})


async def get_candidate(request: web.Request) -> web.Response:
    """The candidate panorama as JSON (API tokens see every channel)."""
    _require_auth(request)
    service: Service = request.app[SERVICE_KEY]
    language = request.query.get("language", "zh")
    if language not in ("zh", "en"):
        return error(400, "language must be zh or en")
    name = request.match_info["name"]
    pano = await service.db.run(
        lambda store: panorama.build(store, None, name, language=language, report_url=service.report_url)
    )
    if pano is None:
        return error(404, "no candidate with that name and an analysed interview")
    return reply(pano.to_dict())


async def search_interviews(request: web.Request) -> web.Response:
    _require_auth(request)
    service: Service = request.app[SERVICE_KEY]
    words = request.query.get("q", "").strip()
    if not words:
        return error(400, "give the words to search for as ?q=")
    try:
        limit = min(200, int(request.query.get("limit", "20")))
    except ValueError:
        return error(400, "limit must be a number")
    hits = await service.db.search(None, words, limit=limit)
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


async def delete_interview(request: web.Request) -> web.Response:
    actor = _require_auth(request)
    service: Service = request.app[SERVICE_KEY]
    if not await service.delete(request.match_info["id"], actor):
        return error(404, "no interview with that id")
    return web.Response(status=204)


async def healthz(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    health = await service.health()
    return reply(health, 200 if health["status"] == "ok" else 503)


async def metrics(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]

    def collect(store) -> dict[str, Any]:
        return {"counts": store.jobs.counts(), **store.interviews.asr_totals()}

    m = await service.db.run(collect)
    lines = [
        "# HELP ib_queue_depth Jobs waiting to be worked on.",
        "# TYPE ib_queue_depth gauge",
        f"ib_queue_depth {m['counts'].get('queued', 0)}",
        "# HELP ib_jobs Jobs by state.",
        "# TYPE ib_jobs gauge",
        *(f'ib_jobs{{state="{s}"}} {m["counts"].get(s, 0)}' for s in ("queued", "running", "done", "failed")),
        "# HELP ib_audio_seconds_total Seconds of audio transcribed.",
        "# TYPE ib_audio_seconds_total counter",
        f"ib_audio_seconds_total {m['audio']:.3f}",
        "# HELP ib_asr_wall_seconds_total Wall seconds spent transcribing.",
        "# TYPE ib_asr_wall_seconds_total counter",
        f"ib_asr_wall_seconds_total {m['wall']:.3f}",
        "# HELP ib_x_real_time Audio seconds per wall second, over all jobs.",
        "# TYPE ib_x_real_time gauge",
        f"ib_x_real_time {m['audio'] / m['wall'] if m['wall'] else 0:.3f}",
    ]
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


_OWN_SCRIPT = re.compile(r'<script src="\.\./report\.js"')


async def report_page(request: web.Request) -> web.Response:
    service: Service = request.app[SERVICE_KEY]
    interview_id, token = request.match_info["id"], request.match_info["token"]
    if not service.verify_link(interview_id, token):
        return web.Response(status=404, text="This report link is invalid or has expired.")

    def load(store) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any]]:
        iid = interview_id
        return store.interviews.get(iid), store.interviews.analysis(iid), store.verdicts.tally(iid)

    interview, analysis, tally = await service.db.run(load)
    if not interview or not analysis:
        return web.Response(status=404, text="This report is not ready or was deleted.")
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
    fields = [body.get(k) if isinstance(body, dict) else None for k in ("competency", "verdict", "user")]
    if not all(isinstance(f, str) for f in fields):
        raise CallerError(400, "competency, verdict and user must be strings")
    competency, verdict, user = fields
    user = " ".join(user.split())
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
        return web.Response(status=404, text="This report link is invalid or has expired.")
    path = await service.db.interviews.recording_path(interview_id)
    if path is None:
        return web.Response(status=404, text="The recording was deleted under the retention policy.")
    return web.FileResponse(
        path, headers={"Cache-Control": "private, no-store"}
    )  # supports Range: seeking works


async def openapi(request: web.Request) -> web.Response:
    return reply(OPENAPI)


def setup(app: web.Application, service: Service) -> None:
    app[SERVICE_KEY] = service
    app[REPORT_JS_KEY] = REPORT_JS.read_bytes()
    app.middlewares.append(errors_as_json)
    app.router.add_post("/v1/interviews", create_interview)
    app.router.add_get("/v1/interviews", list_interviews)
    app.router.add_get("/v1/interviews/{id}", get_interview)
    app.router.add_delete("/v1/interviews/{id}", delete_interview)
    app.router.add_get("/v1/candidates/{name}", get_candidate)
    app.router.add_get("/v1/search", search_interviews)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi)
    app.router.add_get("/r/{id}/{token}", report_page)
    app.router.add_get("/r/{id}/{token}/audio", report_audio)
    app.router.add_post("/r/{id}/{token}/verdicts", report_verdict)
    app.router.add_get("/r/report.js", report_script)
    from handlers.ats import routes as ats_routes  # POST /v1/interviews/{id}/ats, /r/{id}/{token}/ats

    ats_routes.setup(app)
    live.setup(app, service)


_ERR = {
    "description": "caller error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "interview-bot API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/v1/interviews": {
            "post": {
                "summary": "Submit a recording (multipart field 'audio', or JSON with 'audio_url')",
                "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["audio"],
                                "properties": {
                                    "audio": {"type": "string", "format": "binary"},
                                    "profile": {
                                        "description": "a built-in profile name, or a .toml/.json/.txt "
                                        "file part (at most 64 KiB)",
                                        "type": "string",
                                    },
                                    "candidate": {"type": "string"},
                                    "interviewer": {"type": "string"},
                                    "language": {"type": "string", "enum": ["zh", "en", "auto"]},
                                    "callback_url": {"type": "string"},
                                },
                            }
                        },
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["audio_url"],
                                "properties": {
                                    "audio_url": {"type": "string"},
                                    "profile": {"type": "string"},
                                    "candidate": {"type": "string"},
                                    "interviewer": {"type": "string"},
                                    "language": {"type": "string"},
                                    "callback_url": {"type": "string"},
                                },
                            }
                        },
                    }
                },
                "responses": {
                    "202": {
                        "description": "queued (the same id again for a repeated key and the same audio)"
                    },
                    "409": {"description": "the Idempotency-Key was used before for different audio"},
                    "400": _ERR,
                    "401": _ERR,
                    "413": _ERR,
                    "415": _ERR,
                    "422": _ERR,
                },
            },
            "get": {
                "summary": "List interviews",
                "parameters": [
                    {"name": "candidate", "in": "query", "schema": {"type": "string"}},
                    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": {"description": "interviews"}, "400": _ERR, "401": _ERR},
            },
        },
        "/v1/interviews/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "summary": "Status, analysis and report link",
                "responses": {"200": {"description": "status"}, "401": _ERR, "404": _ERR},
            },
            "delete": {
                "summary": "Delete an interview and everything derived from it",
                "responses": {"204": {"description": "deleted"}, "401": _ERR, "404": _ERR},
            },
        },
        "/v1/candidates/{name}": {
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "language", "in": "query", "schema": {"type": "string", "enum": ["zh", "en"]}},
            ],
            "get": {
                "summary": "The candidate panorama: rounds, trends, contradictions, open points, next-round "
                "focus",
                "responses": {"200": {"description": "panorama"}, "400": _ERR, "401": _ERR, "404": _ERR},
            },
        },
        "/v1/search": {
            "get": {
                "summary": "Full-text search in transcripts and summaries",
                "parameters": [
                    {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {
                    "200": {"description": "hits with snippets and timestamped links"},
                    "400": _ERR,
                    "401": _ERR,
                },
            }
        },
        "/v1/live": {
            "get": {
                "summary": "Live captions (WebSocket). Client: binary frames of PCM s16le mono 16 kHz, "
                'optional first text frame {"type": "start", "sample_rate": N}, then {"type": "stop"}. '
                'Server: JSON text frames {"type": "partial"|"final", "text", "start", "end"}, '
                '{"type": "hint", "question", '
                '"anchor": {"text", "start"}} (at most one per 30 s), {"type": "done", "interview_id", '
                '"report_url"}, {"type": "error", "message"}. The recording is queued like an upload on stop '
                "or when the connection drops. Auth: Bearer, or ?token= for browsers.",
                "parameters": [
                    {"name": "token", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "language",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["zh", "en", "auto"]},
                    },
                    {"name": "candidate", "in": "query", "schema": {"type": "string"}},
                    {"name": "round", "in": "query", "schema": {"type": "string"}},
                    {"name": "profile", "in": "query", "schema": {"type": "string"}},
                    {"name": "interviewer", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"101": {"description": "switching to WebSocket"}, "400": _ERR, "401": _ERR},
            }
        },
        "/live": {
            "get": {
                "summary": "The live captions page (microphone -> /v1/live); open as /live?token=...",
                "parameters": [{"name": "token", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "HTML"}, "401": {"description": "no valid token"}},
            }
        },
        "/r/{id}/{token}/verdicts": {
            "post": {
                "security": [],
                "summary": "A verdict from the report page (the signed report link authorises it): JSON "
                "{competency, verdict: agree|too_high|too_low|wrong_evidence|missed, user: a name}; "
                "answers {tally, tally_text, label}; one per name per competency, the latest wins",
                "responses": {
                    "200": {"description": "stored (platform web)"},
                    "400": _ERR,
                    "403": _ERR,
                    "409": _ERR,
                    "410": _ERR,
                    "415": _ERR,
                },
            }
        },
        "/healthz": {
            "get": {
                "security": [],
                "summary": "Liveness and queue",
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/metrics": {
            "get": {
                "security": [],
                "summary": "Prometheus metrics",
                "responses": {"200": {"description": "text"}},
            }
        },
    },
}
