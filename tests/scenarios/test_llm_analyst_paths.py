"""IB_ANALYST=llm reaches every entry point: `serve --http`, `report` and `batch` call the configured
OpenAI-compatible server (here a local fake), say `analyst: llm`, drop quotes the candidate never said, and
fall back to the local model with a note in the report when the server is down or too slow.

Speech comes from the stand-in transcription server (the `remote` engine), so no model is loaded."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import FIXTURES, eventually

from bench.fake_asr import FakeASR
from bench.server_process import ROOT, ServerProcess

SAID = "我负责缓存和消息队列的设计"
INVENTED = "我一个人重写了整个交易引擎"
TOKEN = "llm-paths-token"


class FakeLLM:
    """A chat-completions endpoint: `mode` is "ok" (one grounded claim, one invented) or "hang"."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._released = asyncio.Event()

    async def start(self) -> FakeLLM:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/v1"
        return self

    async def close(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.Response:
        self.calls += 1
        await request.json()
        if self.mode == "hang":
            await self._released.wait()
        claims = [
            {"competency": "system_design", "quote": SAID, "strength": 0.9},
            {"competency": "leadership", "quote": INVENTED, "strength": 0.9},
        ]
        content = json.dumps({"claims": claims, "qualifiers": [], "vague": []}, ensure_ascii=False)
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    fake = await FakeLLM().start()
    yield fake
    await fake.close()


@pytest.fixture
async def asr() -> AsyncIterator[FakeASR]:
    fake = await FakeASR().start()
    yield fake
    await fake.close()


@pytest.fixture
def env(tmp_path, llm, asr) -> dict[str, str]:
    (tmp_path / "data").mkdir()
    return {
        "PYTHONPATH": str(ROOT),
        "IB_DATA_DIR": str(tmp_path / "data"),
        "IB_DB": str(tmp_path / "ib.db"),
        "IB_ASR_ENGINE": "remote",
        "IB_REMOTE_ASR_URLS": asr.url,
        "IB_API_TOKENS": TOKEN,
        "IB_ANALYST": "llm",
        "IB_LLM_URL": llm.url,
        "IB_LLM_MODEL": "fake-model",
        "IB_LLM_TIMEOUT_S": "2",
        "IB_POLL_S": "0.2",
    }


async def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """The console entry point in a child process, awaited so the fakes on this loop keep answering."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **env},
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 300)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(), err.decode()


def quotes(analysis: dict[str, Any]) -> list[str]:
    return [e["text"] for c in analysis["competencies"].values() for e in c["evidence"]]


def assert_from_the_llm(analysis: dict[str, Any]) -> None:
    assert analysis["analyst"] == "llm" and analysis["analysis_version"].startswith("llm:fake-model")
    assert any(SAID in q for q in quotes(analysis))
    assert not any(INVENTED in q for q in quotes(analysis)), "a quote nobody said reached the report"
    assert analysis["competencies"]["leadership"]["score"] is None


async def test_serve_http_uses_the_configured_llm_analyst(env, llm, tmp_path):
    server = await ServerProcess(env, tmp_path / "serve.log").start()
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            form = aiohttp.FormData()
            form.add_field("audio", (FIXTURES / "zh_short.flac").read_bytes(), filename="zh_short.flac")
            async with http.post(server.url("/v1/interviews"), data=form) as r:
                assert r.status == 202, await r.text()
                interview_id = (await r.json())["id"]

            async def done() -> dict[str, Any] | None:
                async with http.get(server.url(f"/v1/interviews/{interview_id}")) as r:
                    body = await r.json()
                return body if body["status"] in ("done", "failed") else None

            body = await eventually(done)
    finally:
        server.stop()
    assert body["status"] == "done", body["error"]
    assert llm.calls >= 1
    assert_from_the_llm(body["analysis"])


async def test_report_uses_the_llm_analyst_and_falls_back_when_it_hangs(env, llm):
    audio = str(FIXTURES / "zh_short.flac")
    code, out, err = await cli(env, "report", audio, "--format", "json")
    assert code == 0, err
    assert_from_the_llm(json.loads(out))
    calls = llm.calls
    assert calls >= 1

    llm.mode = "hang"  # slower than IB_LLM_TIMEOUT_S: the report still comes, from the local model
    code, out, err = await cli(env, "report", audio, "--format", "md")
    assert code == 0, err
    assert llm.calls > calls
    assert "本地模型" in out, "the report does not say the local model answered"


async def test_report_says_so_when_the_llm_server_is_down(env, llm):
    await llm.close()
    code, out, err = await cli(env, "report", str(FIXTURES / "zh_short.flac"), "--format", "json")
    assert code == 0, err
    analysis = json.loads(out)
    assert analysis["analyst"] == "local" and any("本地模型" in n for n in analysis["notes"])


async def test_batch_uses_the_llm_analyst(env, llm, tmp_path):
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "call.flac").write_bytes((FIXTURES / "zh_short.flac").read_bytes())
    code, _, err = await cli(env, "batch", str(inbox), str(outbox))
    assert code == 0, err
    assert llm.calls >= 1
    assert_from_the_llm(json.loads(Path(outbox / "call.json").read_text()))


def test_a_wrong_analyst_setting_is_one_line_naming_the_variable(cli_env):
    import subprocess

    env = {**cli_env, "IB_ANALYST": "gpt", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "report", str(FIXTURES / "zh_short.flac")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "IB_ANALYST" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
