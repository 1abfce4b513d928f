#!/usr/bin/env python3
"""Pipeline throughput: N concurrent uploads of distinct S-second recordings to a real `serve` process.

    python bench/pipeline.py [--uploads 10] [--seconds 60] [--workers 1]

Prints wall time from the first upload to the last finished analysis, x-real-time over all audio,
per-recording latency, and the service's own /metrics figures.
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


async def run(args: argparse.Namespace, tmp: Path) -> None:
    port = free_port()
    env = dict(
        os.environ,
        IB_DATA_DIR=str(tmp / "data"),
        IB_DB=str(tmp / "ib.db"),
        IB_API_TOKENS=TOKEN,
        IB_HTTP_PORT=str(port),
        IB_POLL_S="0.2",
        IB_ASR_WORKERS=str(args.workers),
    )
    files = clips(tmp, args.uploads, args.seconds)
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with aiohttp.ClientSession() as s:
            for _ in range(300):
                try:
                    async with s.get(base + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)

            async def one(path: Path) -> float:
                t0 = time.perf_counter()
                form = aiohttp.FormData()
                form.add_field("audio", path.read_bytes(), filename=path.name)
                async with s.post(base + "/v1/interviews", data=form, headers=auth) as r:
                    interview_id = (await r.json())["id"]
                while True:
                    async with s.get(f"{base}/v1/interviews/{interview_id}", headers=auth) as r:
                        status = (await r.json())["status"]
                    if status in ("done", "failed"):
                        assert status == "done", f"{path.name} failed"
                        return time.perf_counter() - t0
                    await asyncio.sleep(0.25)

            t0 = time.perf_counter()
            latencies = await asyncio.gather(*(one(p) for p in files))
            wall = time.perf_counter() - t0
            async with s.get(base + "/metrics") as r:
                metrics = {
                    line.split()[0]: line.split()[1]
                    for line in (await r.text()).splitlines()
                    if line and not line.startswith("#")
                }
    finally:
        server.terminate()
        server.wait(30)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--uploads", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
