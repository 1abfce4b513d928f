"""One declaration per HTTP route: the router and `/openapi.json` are both built from it, and the
parameters a route declares are checked against their declared schema before its handler runs, so the
document cannot say one thing while the code does another.

A 4xx is always one JSON sentence {"error": ...}. The subset of JSON Schema checked here (type, enum,
minLength, maxLength, minimum, pattern, format date) is the subset the routes use; a schema keyword
outside it is refused when the table is built, never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Authorize = Callable[[web.Request, tuple[str, ...]], str | None]  # (request, schemes) -> actor or None
PARAMS_KEY = web.RequestKey("ib_params", dict)
ACTOR_KEY = web.RequestKey("ib_actor", str)
_CHECKED = {"type", "enum", "minLength", "maxLength", "minimum", "pattern", "format", "nullable"}
_NOT_CHECKED = {"description", "example"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGER = re.compile(r"-?[0-9]+")
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}


class CallerError(Exception):
    """Something the caller got wrong: a 4xx with one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Field:
    """A query, path or header parameter, or one field of a request body (`where="body"`)."""

    name: str
    schema: dict[str, Any]
    where: str = "query"
    required: bool = False
    description: str = ""
    hint: str = ""  # the error sentence when the value breaks its schema, if the generic one says too little

    def __post_init__(self) -> None:
        unknown = set(self.schema) - _CHECKED - _NOT_CHECKED
        if unknown or self.schema.get("format", "date") not in ("date", "binary"):
            raise ValueError(f"{self.name}: schema keywords this module does not check: {unknown}")

    def check(self, value: Any, *, from_text: bool) -> Any:
        """The value, parsed (an integer from a query string); CallerError(400) when it breaks the schema.
        `from_text`: the value came as text (query, path, header, form field), not as JSON."""
        try:
            return self._check(value, from_text)
        except CallerError as exc:
            raise CallerError(exc.status, self.hint or str(exc)) from None

    def _check(self, value: Any, from_text: bool) -> Any:
        s = self.schema
        if value is None:
            if s.get("nullable"):
                return None
            raise CallerError(400, f"{self.name} must not be null")
        if s.get("type") == "integer":
            value = self._integer(value, from_text)
        elif s.get("type") == "boolean" and not isinstance(value, bool):
            raise CallerError(400, f"{self.name} must be true or false")
        elif s.get("type") == "string" and not isinstance(value, str):
            raise CallerError(400, f"{self.name} must be a string")
        if "enum" in s and value not in s["enum"]:
            raise CallerError(400, f"{self.name} must be one of {', '.join(map(str, s['enum']))}")
        if isinstance(value, str):
            self._string(value)
        if "minimum" in s and value < s["minimum"]:
            raise CallerError(400, f"{self.name} must be at least {s['minimum']}")
        return value

    def _integer(self, value: Any, from_text: bool) -> int:
        if from_text and isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        if not from_text and isinstance(value, int) and not isinstance(value, bool):
            return value
        raise CallerError(400, f"{self.name} must be a whole number")

    def _string(self, value: str) -> None:
        s = self.schema
        if len(value) < s.get("minLength", 0):
            raise CallerError(400, f"{self.name} must not be empty")
        if len(value) > s.get("maxLength", len(value)):
            raise CallerError(400, f"{self.name} is longer than {s['maxLength']} characters")
        if "pattern" in s and not re.search(s["pattern"], value):
            raise CallerError(400, f"{self.name} does not have the expected form")
        if s.get("format") == "date" and not _is_date(value):
            raise CallerError(400, f"{self.name} must be a date such as 2026-11-01")

    def openapi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "in": self.where, "schema": self.schema}
        if self.required or self.where == "path":
            out["required"] = True
        if self.description:
            out["description"] = self.description
        return out


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Body:
    """A request body form: its fields (checked by `check_body`); `closed`: no other field may come;
    `optional`: the request may come without a body at all."""

    content_type: str
    fields: tuple[Field, ...]
    closed: bool = False
    optional: bool = False

    def schema(self) -> dict[str, Any]:
        out = {
            "type": "object",
            "required": [f.name for f in self.fields if f.required],
            "properties": {f.name: _described(f) for f in self.fields},
        }
        return {**out, "additionalProperties": False} if self.closed else out

    def field(self, name: str) -> Field | None:
        """The declaration of `name`; CallerError(400) for an undeclared one when the form is closed."""
        found = next((f for f in self.fields if f.name == name), None)
        if found is None and self.closed:
            names = ", ".join(f.name for f in self.fields)
            raise CallerError(400, f"unknown field {name[:40]!r}; the fields are {names}")
        return found


def _described(f: Field) -> dict[str, Any]:
    return {**f.schema, "description": f.description} if f.description else f.schema


@dataclass(frozen=True)
class Reply:
    """One declared response. `schema` None with a JSON content type: the Error sentence (a 4xx)."""

    description: str
    content_type: str | None = "application/json"
    schema: dict[str, Any] | None = None
    headers: tuple[str, ...] = ()

    def openapi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"description": self.description}
        if self.content_type:
            schema = self.schema if self.schema is not None else ERROR_SCHEMA
            out["content"] = {self.content_type: {"schema": schema}}
        if self.headers:
            out["headers"] = {h: {"schema": {"type": "string"}} for h in self.headers}
        return out


def refusal(description: str, *headers: str) -> Reply:
    return Reply(description, headers=headers)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    responses: dict[int, Reply]
    params: tuple[Field, ...] = ()
    bodies: tuple[Body, ...] = ()
    security: tuple[str, ...] = ("bearer",)  # empty: open (a signed link or nothing at all)

    def operation(self) -> dict[str, Any]:
        responses = dict(self.responses)
        if self.security:
            responses.setdefault(401, refusal("missing or invalid credentials"))
        if any(p.where != "path" or set(p.schema) - {"type"} for p in self.params):  # one that can fail
            responses.setdefault(400, refusal("a parameter breaks its declared schema"))
        op: dict[str, Any] = {
            "summary": self.summary,
            "operationId": f"{self.method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', self.path)}",
            "responses": {str(code): r.openapi() for code, r in sorted(responses.items())},
            "security": [{name: []} for name in self.security],
        }
        if self.params:
            op["parameters"] = [p.openapi() for p in self.params]
        if self.bodies:
            op["requestBody"] = {
                "required": not all(b.optional for b in self.bodies),
                "content": {b.content_type: {"schema": b.schema()} for b in self.bodies},
            }
        return op


def check_body(route_body: Body, values: Mapping[str, Any], *, from_text: bool) -> dict[str, Any]:
    """The declared fields of a body, checked (CallerError 400); undeclared ones are passed through
    unless the body is closed."""
    for name in values:
        route_body.field(name)  # refuses an undeclared one of a closed body
    out = dict(values)
    for f in route_body.fields:
        if f.name in values:
            out[f.name] = f.check(values[f.name], from_text=from_text)
        elif f.required:
            raise CallerError(400, f"{f.name} is required")
    return out


def _checked(route: Route, authorize: Authorize) -> Handler:
    """The handler behind the route's credentials, then its declared parameters (query, path, header)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if route.security:
            actor = authorize(request, route.security)
            if actor is None:
                browser = ", or ?token=" if "query_token" in route.security else ""
                return error(401, f"missing or invalid bearer token (Authorization: Bearer{browser})")
            request[ACTOR_KEY] = actor
        sources = {"query": request.query, "path": request.match_info, "header": request.headers}
        params: dict[str, Any] = {}
        for p in route.params:
            raw = sources[p.where].get(p.name)
            if raw is None:
                if p.required:
                    return error(400, f"{p.name} is required")
                continue
            try:
                params[p.name] = p.check(raw, from_text=True)
            except CallerError as exc:
                return error(exc.status, str(exc))
        request[PARAMS_KEY] = params
        return await route.handler(request)

    return handle


def params(request: web.Request) -> dict[str, Any]:
    """The request's declared parameters, checked and parsed (absent optional ones are missing)."""
    return request.get(PARAMS_KEY, {})


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def add_routes(app: web.Application, routes: list[Route], authorize: Authorize) -> None:
    for route in routes:
        if route.method == "GET":
            app.router.add_get(route.path, _checked(route, authorize))  # HEAD too, as HTTP expects
        else:
            app.router.add_route(route.method, route.path, _checked(route, authorize))


def document(routes: list[Route], title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of these routes."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = route.operation()
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "query_token": {"type": "apiKey", "in": "query", "name": "token"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                }
            },
        },
        "paths": paths,
    }
