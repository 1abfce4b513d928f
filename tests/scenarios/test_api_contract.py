"""The HTTP API keeps the contract its /openapi.json states: schemathesis, with every check on, against a
real `python -m bot serve --http` process; the router and the document list the same routes; aiohttp's own
refusals are JSON sentences (405 with Allow); garbage multipart is the caller's 400, never a 500."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import aiohttp
import pytest
from test_http_api import AUTH, TOKEN, api  # noqa: F401  (api is a fixture)

from bench.server_process import ServerProcess
from handlers import http_api

# What a schema-valid request may still be refused with, per operation: only what a schema cannot say
# (bytes that are not audio, an unknown profile or unreachable URL: 422; an unknown id or a report link
# that was never signed: 404 / 403; a reused key: 409; a plain GET on the WebSocket endpoint: 426).
# Everything else (any 5xx included) fails the run.
SCHEMATHESIS_TOML = """
[checks.positive_data_acceptance]
expected-statuses = ["2XX"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

[[operations]]
include-name = "POST /v1/interviews"
checks.positive_data_acceptance.expected-statuses = ["2XX", "409", "422"]

[[operations]]
include-path-regex = "^/v1/interviews/[{]id[}]/ats$"
checks.positive_data_acceptance.expected-statuses = ["2XX", "404", "409", "422", "502"]

[[operations]]
include-path-regex = "^/v1/(interviews|candidates)/"
checks.positive_data_acceptance.expected-statuses = ["2XX", "404"]

[[operations]]
include-path = "/v1/live"
checks.positive_data_acceptance.expected-statuses = ["101", "422", "426"]
checks.negative_data_rejection.expected-statuses = ["400", "401", "405", "422", "426"]

[[operations]]
include-path = "/v1/ask"
checks.positive_data_acceptance.expected-statuses = ["2XX", "400"]

[[operations]]
include-path-regex = "^/i/[{]id[}]/"
checks.positive_data_acceptance.expected-statuses = ["2XX", "404"]

[[operations]]
include-path-regex = "^/r/[{]id[}]/"
checks.positive_data_acceptance.expected-statuses = ["2XX", "403", "404", "409", "410"]
"""
MAX_EXAMPLES, SEED = 20, 1  # bounded: about 600 cases in ~15 s on two cores


@pytest.fixture
async def served(tmp_path, data_dir):
    """A real server process: no recording it is sent here is ever audio, so no model is loaded."""
    (tmp_path / "data").mkdir()
    env = {
        "IB_DATA_DIR": str(tmp_path / "data"),
        "IB_DB": str(tmp_path / "ib.db"),
        "IB_API_TOKENS": TOKEN,
        "IB_ASR_ENGINE": "whisper",
    }
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        yield await server.start(timeout=60)
    finally:
        server.stop()  # SIGTERM, SIGKILL if it will not go


async def test_schemathesis_with_every_check_finds_nothing(served, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_TOML)
    args = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run"),
        served.url("/openapi.json"),
        *("--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED)),
        *("--workers", "1", "--generation-database", "none", "--request-timeout", "10", "--no-color"),
        *("--header", f"Authorization: Bearer {TOKEN}"),
    ]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 240)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = out.decode("utf-8", "replace")
    summary = re.search(r"(\d+) generated.*", text)
    print(summary.group(0) if summary else text[-3000:])  # the figures, in the test's output
    assert proc.returncode == 0, text[-6000:]
    assert summary and int(summary.group(1)) > 200  # it really ran


async def test_the_router_and_the_document_list_the_same_routes(api):  # noqa: F811
    server, _service = await api()
    served = {
        (r.method, r.resource.canonical)
        for r in server.app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    document = server.app[http_api.OPENAPI_KEY]
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert served == documented
    assert {"/v1/interviews", "/v1/interviews/{id}", "/healthz", "/metrics", "/v1/live"} <= {
        p for _, p in documented
    }
    async with aiohttp.ClientSession() as s:
        async with s.get(server.make_url("/openapi.json")) as r:
            assert r.status == 200 and await r.json() == document


async def test_garbage_multipart_is_a_400_sentence_and_405_says_what_is_allowed(api):  # noqa: F811
    server, _service = await api()
    async with aiohttp.ClientSession() as s:
        async with s.post(
            server.make_url("/v1/interviews"),
            data=b"--x\r\ngarbage",
            headers={**AUTH, "Content-Type": "multipart/form-data; boundary=x"},
        ) as r:
            assert r.status == 400 and (await r.json()) == {"error": "the multipart body is malformed"}
        async with s.request("TRACE", server.make_url("/v1/interviews/abc"), headers=AUTH) as r:
            assert r.status == 405 and set(r.headers["Allow"].split(",")) == {"GET", "HEAD", "DELETE"}
            assert "not allowed" in (await r.json())["error"]
        async with s.get(server.make_url("/nowhere")) as r:
            assert r.status == 404 and (await r.json())["error"]
        async with s.get(server.make_url("/v1/interviews?since="), headers=AUTH) as r:
            assert r.status == 400 and "since must be a date" in (await r.json())["error"]
        async with s.get(server.make_url("/v1/live"), headers=AUTH) as r:  # a plain GET, no handshake
            assert r.status == 426 and r.headers["Upgrade"] == "websocket"
