#!/usr/bin/env python3
"""Load with crashes: N concurrent uploads to a real `serve` process that is killed with SIGKILL twice
during the run and restarted on the same database.

    python bench/load.py                     # 50 uploads, fake-fast remote ASR: measures the service
    python bench/load.py --n 200 --kills 3
    python bench/load.py --engine whisper    # the real embedded engine (slow on CPU)

Each upload is a distinct clip (a shipped sample under samples/ with its own lead-in of silence, so no
transcript is reused) with an Idempotency-Key and a callback URL; an upload cut off by a kill is sent
again with the same key, as a client would. The kills come by condition: after a third and after two
thirds of the uploads have finished. Printed: accepted, done, failed, lost (accepted, never finished),
duplicated (interviews whose callback came more than once), p50/p99 latency of /healthz and of the API
(status polls) while the server was up, and x-real-time (audio seconds finished / wall seconds).
No asserts: the figures are for reading.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
import numpy as np
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from audiotools import write_audio  # noqa: E402

from asr_engine.audio import decode  # noqa: E402
from bench.fake_asr import FakeASR  # noqa: E402
from bench.server_process import ServerProcess  # noqa: E402

TOKEN = "load-bench"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SAMPLE_RATE = 16000


def make_clips(n: int, folder: Path) -> list[tuple[Path, float]]:
    """n distinct FLAC clips from the shipped samples: (path, seconds)."""
    samples = [decode(p).samples for p in sorted((ROOT / "samples").glob("*.m4a"))]
    clips = []
    for i in range(n):
        audio = np.concatenate([np.zeros(160 * (i + 1), dtype=np.float32), samples[i % len(samples)]])
        clips.append((write_audio(folder / f"clip_{i:03d}.flac", audio), len(audio) / SAMPLE_RATE))
    return clips


class Run:
    """What the run saw: uploads, finishes, callbacks, latencies."""

    def __init__(self, server: ServerProcess, callback_url: str) -> None:
        self.server, self.callback_url = server, callback_url
        self.accepted: dict[int, str] = {}  # upload index -> interview id
        self.finished: dict[str, str] = {}  # interview id -> done | failed
        self.callbacks: Counter[str] = Counter()
        self.health_ms: list[float] = []
        self.api_ms: list[float] = []
        self.down = asyncio.Event()  # set while the server is being killed and restarted
        self.first_upload = self.last_finish = 0.0

    async def upload(self, s: aiohttp.ClientSession, i: int, path: Path) -> None:
        """Until accepted: a connection cut by a kill is retried with the same Idempotency-Key."""
        while True:
            form = aiohttp.FormData()
            form.add_field("audio", path.read_bytes(), filename=path.name)
            form.add_field("callback_url", self.callback_url)
            headers = {**AUTH, "Idempotency-Key": f"load-{i}"}
            try:
                async with s.post(self.server.url("/v1/interviews"), data=form, headers=headers) as r:
                    if r.status in (200, 201, 202):
                        self.accepted[i] = (await r.json())["id"]
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.5)

    async def poll(self, s: aiohttp.ClientSession) -> None:
        """Status of every unfinished interview, again and again: the API's latency under load."""
        while True:
            for iid in [i for i in self.accepted.values() if i not in self.finished]:
                body = await self._timed(s, f"/v1/interviews/{iid}", self.api_ms)
                if body and body.get("status") in ("done", "failed"):
                    self.finished[iid] = body["status"]
                    self.last_finish = time.monotonic()
            await asyncio.sleep(0.5)

    async def probe_health(self, s: aiohttp.ClientSession) -> None:
        while True:
            await self._timed(s, "/healthz", self.health_ms)
            await asyncio.sleep(0.25)

    async def _timed(self, s: aiohttp.ClientSession, path: str, into: list[float]) -> dict | None:
        if self.down.is_set():
            return None
        t0 = time.perf_counter()
        try:
            async with s.get(self.server.url(path), headers=AUTH) as r:
                body = await r.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None  # the server is down (being killed) or answered no JSON
        if not self.down.is_set():
            into.append((time.perf_counter() - t0) * 1000)
        return body

    async def kill_when(self, fractions: list[float], n: int) -> list[float]:
        """SIGKILL and restart each time the finished count passes a fraction of n; restart seconds."""
        restarts = []
        for fraction in fractions:
            while len(self.finished) < fraction * n:
                await asyncio.sleep(0.1)
            self.down.set()
            self.server.kill9()
            t0 = time.monotonic()
            await self.server.start()
            restarts.append(time.monotonic() - t0)
            self.down.clear()
        return restarts


async def callback_receiver(run_ref: list[Run]) -> tuple[web.AppRunner, str]:
    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        run_ref[0].callbacks[body.get("id", "?")] += 1
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/cb", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/cb"


def server_env(args, folder: Path, asr: FakeASR | None) -> dict[str, str]:
    env = {
        "IB_DATA_DIR": str(folder / "data"),
        "IB_DB": str(folder / "ib.db"),
        "IB_API_TOKENS": TOKEN,
        "IB_LANGUAGE": "zh",
        "IB_POLL_S": "0.2",
        "IB_JOB_LEASE_S": str(args.lease),
        "IB_ASR_WORKERS": str(args.workers),
        "IB_FETCH_ALLOW_NETS": "127.0.0.1/32",
        "IB_CALLBACK_BACKOFF_S": "0.5",
        "IB_ASR_ENGINE": args.engine,
    }
    if asr is not None:
        env["IB_REMOTE_ASR_URLS"] = asr.url
    return env


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(args, run: Run, clips: list[tuple[Path, float]], restarts: list[float], wall: float) -> None:
    done = [iid for iid, st in run.finished.items() if st == "done"]
    seconds = {iid: clips[i][1] for i, iid in run.accepted.items()}
    audio = sum(seconds[iid] for iid in done)
    rows = [
        ("uploads", args.n),
        ("accepted", len(run.accepted)),
        ("done", len(done)),
        ("failed", sum(st == "failed" for st in run.finished.values())),
        ("lost (accepted, never finished)", len(set(run.accepted.values()) - set(run.finished))),
        ("callbacks missing", sum(1 for iid in run.finished if run.callbacks[iid] == 0)),
        ("duplicated (callback > 1)", sum(1 for c in run.callbacks.values() if c > 1)),
        (
            "kills (SIGKILL + restart)",
            f"{len(restarts)} (restart {', '.join(f'{r:.1f}' for r in restarts)} s)",
        ),
        (
            "/healthz p50 / p99 ms",
            f"{percentile(run.health_ms, 50):.1f} / {percentile(run.health_ms, 99):.1f}",
        ),
        ("API status p50 / p99 ms", f"{percentile(run.api_ms, 50):.1f} / {percentile(run.api_ms, 99):.1f}"),
        ("samples (healthz / API)", f"{len(run.health_ms)} / {len(run.api_ms)}"),
        ("audio finished (s)", f"{audio:.0f}"),
        ("wall, first upload to last finish (s)", f"{wall:.1f}"),
        ("x-real-time", f"{audio / wall:.1f}" if wall else "-"),
    ]
    print(f"\nbench/load.py: engine {args.engine}, {args.workers} ASR worker(s), lease {args.lease} s")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


async def main_async(args) -> None:
    with tempfile.TemporaryDirectory(prefix="ib-load-") as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir()
        clips = make_clips(args.n, folder)
        asr = await FakeASR().start() if args.engine == "remote" else None
        run_ref: list[Run] = []
        cb_runner, cb_url = await callback_receiver(run_ref)
        server = ServerProcess(server_env(args, folder, asr), folder / "server.log")
        run = Run(server, cb_url)
        run_ref.append(run)
        await server.start()
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as s:
            background = [asyncio.ensure_future(c) for c in (run.poll(s), run.probe_health(s))]
            run.first_upload = time.monotonic()
            fractions = [(k + 1) / (args.kills + 1) for k in range(args.kills)]
            killer = asyncio.ensure_future(run.kill_when(fractions, args.n))
            await asyncio.gather(*(run.upload(s, i, path) for i, (path, _) in enumerate(clips)))
            deadline = time.monotonic() + args.timeout
            while len(run.finished) < len(run.accepted) and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
            if not killer.done():  # fewer finished than a kill waits for: report what happened
                killer.cancel()
            restarts = killer.result() if not killer.cancelled() else []
            await asyncio.sleep(2.0)  # late or duplicate callbacks arrive meanwhile
            for task in background:
                task.cancel()
        server.stop()
        await cb_runner.cleanup()
        if asr is not None:
            await asr.close()
        report(args, run, clips, restarts, (run.last_finish or time.monotonic()) - run.first_upload)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50, help="concurrent uploads (50)")
    p.add_argument("--kills", type=int, default=2, help="SIGKILL + restart during the run (2)")
    p.add_argument("--engine", choices=("remote", "whisper"), default="remote", help="remote: fake-fast ASR")
    p.add_argument("--workers", type=int, default=1, help="IB_ASR_WORKERS (1)")
    p.add_argument(
        "--lease", type=float, default=5.0, help="IB_JOB_LEASE_S: how soon a dead job is taken over"
    )
    p.add_argument("--timeout", type=float, default=1800.0, help="give up waiting after this many seconds")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
