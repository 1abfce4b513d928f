#!/usr/bin/env python3
"""End to end through a real `serve` process: upload to stored report (ASR, analysis, storage).

    python bench/pipeline.py [--uploads 10] [--seconds 60] [--workers 1]      # N distinct clips at once
    python bench/pipeline.py --workload --random 0.6b                         # GPU: 24 recordings, 3 h 42 min
    python bench/pipeline.py --workload --random tiny --concurrency 1 8 --total-s 240   # CPU: the plumbing

Workload mode starts one server per concurrency level N (1 / 8 / 32 / 128) with min(N, recordings) ASR
workers and at most N chunks per model call (IB_QWEN3_MAX_BATCH), sends one warm-up upload and waits for
its report (so model loading stays off the clock), then uploads all 24 recordings at once and waits
until every one is `done`. It prints wall time from the first upload to the last report, x-real-time
over all audio, latency per recording, the service's own ASR figure and peak GPU memory. The engine is
IB_ASR_ENGINE's (auto by default) unless --random or --qwen3-model say otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from audiotools import write_audio  # noqa: E402

from asr_engine.audio import decode  # noqa: E402
from bench.workload import GpuMemory, build, card_name  # noqa: E402

TOKEN = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clips(folder: Path, n: int, seconds: float) -> list[Path]:
    """Distinct recordings (different content hashes) cut from the tiled sample interview."""
    base = decode(ROOT / "samples" / "interview_zh.m4a").samples
    long = np.tile(base, int(np.ceil((n * 7 + seconds) * 16000 / len(base))) + 1)
    out = []
    for i in range(n):
        start = int(i * 7 * 16000)
        out.append(
            write_audio(folder / f"candidate_{i:02d}.flac", long[start : start + int(seconds * 16000)])
        )
    return out


class Server:
    """A `serve --http` subprocess on a free port with its own database and data folder."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.auth = {"Authorization": f"Bearer {TOKEN}"}
        full = dict(
            os.environ,
            IB_DATA_DIR=str(tmp / "data"),
            IB_DB=str(tmp / "ib.db"),
            IB_API_TOKENS=TOKEN,
            IB_HTTP_PORT=str(self.port),
            IB_POLL_S="0.2",
            **env,
        )
        self.log = open(tmp / "serve.log", "w")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http"], env=full, stdout=self.log, stderr=self.log
        )

    async def ready(self, s: aiohttp.ClientSession) -> None:
        for _ in range(600):
            try:
                async with s.get(self.base + "/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"serve did not come up; see {self.log.name}")

    async def process(self, s: aiohttp.ClientSession, path: Path) -> float:
        """Upload one recording and wait for its report; seconds from upload to `done`."""
        t0 = time.perf_counter()
        form = aiohttp.FormData()
        form.add_field("audio", path.read_bytes(), filename=path.name)
        async with s.post(self.base + "/v1/interviews", data=form, headers=self.auth) as r:
            interview_id = (await r.json())["id"]
        while True:
            async with s.get(f"{self.base}/v1/interviews/{interview_id}", headers=self.auth) as r:
                body = await r.json()
            if body["status"] in ("done", "failed"):
                assert body["status"] == "done", f"{path.name} failed: {body.get('error')}"
                return time.perf_counter() - t0
            await asyncio.sleep(0.25)

    async def metrics(self, s: aiohttp.ClientSession) -> dict[str, str]:
        async with s.get(self.base + "/metrics") as r:
            return {
                line.split()[0]: line.split()[1]
                for line in (await r.text()).splitlines()
                if line and not line.startswith("#")
            }

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


async def measure(
    tmp: Path, env: dict[str, str], files: list[Path], warm: Path | None
) -> tuple[float, list[float], dict[str, str], float | None]:
    server = Server(tmp, env)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as s:
            await server.ready(s)
            if warm is not None:
                await server.process(s, warm)  # loads the model: off the clock
            with GpuMemory() as gpu:
                t0 = time.perf_counter()
                latencies = await asyncio.gather(*(server.process(s, p) for p in files))
                wall = time.perf_counter() - t0
            return wall, list(latencies), await server.metrics(s), gpu.peak_mib
    finally:
        server.stop()


async def run(args: argparse.Namespace, tmp: Path) -> None:
    files = clips(tmp, args.uploads, args.seconds)
    wall, latencies, metrics, _gpu = await measure(tmp, {"IB_ASR_WORKERS": str(args.workers)}, files, None)
    audio = args.uploads * args.seconds
    print(
        f"{args.uploads} concurrent uploads x {args.seconds:.0f} s = {audio:.0f} s of audio, "
        f"{args.workers} ASR worker(s), engine from IB_ASR_ENGINE (default auto)"
    )
    print(f"wall {wall:.1f} s   pipeline x-real-time {audio / wall:.1f}")
    print(f"latency per recording: median {statistics.median(latencies):.1f} s, max {max(latencies):.1f} s")
    print(
        f"service metrics: ib_x_real_time {metrics.get('ib_x_real_time')} (ASR only), "
        f"ib_audio_seconds_total {metrics.get('ib_audio_seconds_total')}"
    )


async def run_workload(args: argparse.Namespace, cache: Path) -> None:
    total = args.total_s or None
    recs = build(cache / f"workload-{args.recordings}x{int(total or 13320)}", args.recordings, total or 13320)
    engine_env = {}
    if args.random:
        from bench.asr import random_checkpoints

        args.qwen3_model, args.qwen3_aligner = random_checkpoints(args.random, cache)
    if args.qwen3_model:
        engine_env = {"IB_ASR_ENGINE": "qwen3", "IB_QWEN3_MODEL": args.qwen3_model}
        if args.random:  # random weights rarely say end-of-text: cap decoding near what speech costs
            engine_env["IB_QWEN3_MAX_NEW_TOKENS"] = str(args.max_new_tokens)
        if args.qwen3_aligner:
            engine_env["IB_QWEN3_ALIGNER"] = args.qwen3_aligner
    warm = clips(cache, 1, 20)[0]  # not one of the workload's: the same bytes could be deduplicated
    audio = sum(r.seconds for r in recs)
    print(f"serve end to end on {card_name()}: {len(recs)} recordings, {audio / 3600:.2f} h of audio")
    print(
        f"{'conc':>5} {'workers':>7} {'wall_s':>8} {'xRT':>8} {'median_s':>8} {'max_s':>8} "
        f"{'asr_xRT':>8} {'GPU_MiB':>8}"
    )
    for n in args.concurrency:
        workers = min(n, len(recs))
        env = dict(engine_env, IB_ASR_WORKERS=str(workers), IB_QWEN3_MAX_BATCH=str(n), IB_BATCH_WAIT_S="0.02")
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            wall, lat, metrics, gpu = await measure(Path(tmp), env, [r.path for r in recs], warm)
        print(
            f"{n:>5} {workers:>7} {wall:>8.2f} {audio / wall:>8.1f} {statistics.median(lat):>8.2f} "
            f"{max(lat):>8.2f} {metrics.get('ib_x_real_time', '-'):>8} {gpu if gpu is not None else '-':>8}"
        )
    print("xRT: all audio / wall from first upload to last report; asr_xRT: the service's ASR-only gauge")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uploads", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--workload", action="store_true", help="the 24-recording interview workload")
    ap.add_argument("--random", choices=["tiny", "0.6b"], help="qwen3 on random checkpoints of this size")
    ap.add_argument("--qwen3-model")
    ap.add_argument("--qwen3-aligner")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 128])
    ap.add_argument("--recordings", type=int, default=24)
    ap.add_argument("--total-s", type=float, help="workload length in seconds (default 3 h 42 min)")
    ap.add_argument("--max-new-tokens", type=int, default=100, help="decode cap per chunk with --random")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ib-bench"))
    args = ap.parse_args()
    if args.workload:
        Path(args.cache).mkdir(parents=True, exist_ok=True)
        asyncio.run(run_workload(args, Path(args.cache)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
