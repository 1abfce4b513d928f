#!/usr/bin/env python3
"""ASR benchmark: audio seconds, wall seconds, x-real-time and peak RSS per engine and file length.

    python bench/asr.py                                   # whisper on a 60 s clip and a 10 min file
    python bench/asr.py --engine qwen3 --qwen3-model DIR [--qwen3-aligner DIR]
    python bench/asr.py --workload --random 0.6b                     # GPU: full-size random weights
    python bench/asr.py --workload --engine qwen3 --qwen3-model DIR --qwen3-aligner DIR   # real weights
    python bench/asr.py --workload --random tiny --concurrency 1 8 --total-s 240   # CPU: the plumbing

Per-file mode: each measurement runs in its own process so peak RSS belongs to that run alone.
Workload mode (bench/asr_workload.py says what each column means): the issue's 24 recordings, 3 h 42 min,
built from the shipped speech (bench/workload.py), at concurrency 1 / 8 / 32 / 128. Random checkpoints
(bench/qwen3_checkpoint.py) measure speed, not accuracy.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "samples" / "interview_zh.m4a"


def make_audio(seconds: float, folder: Path) -> Path:
    """The sample interview tiled to `seconds`, written as 16 kHz FLAC."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests"))
    from audiotools import write_audio

    from asr_engine.audio import decode

    base = decode(SAMPLE).samples
    reps = int(np.ceil(seconds * 16000 / len(base)))
    audio = np.tile(base, reps)[: int(seconds * 16000)]
    return write_audio(folder / f"bench_{int(seconds)}s.flac", audio)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_engine(engine: str, path: str, opts: dict) -> dict:
    from asr_engine import Engine, EngineConfig

    t0 = time.perf_counter()
    eng = Engine(
        EngineConfig(
            engine=engine,
            data_dir=Path(opts["data_dir"]),
            qwen3_model=opts.get("qwen3_model"),
            qwen3_aligner=opts.get("qwen3_aligner"),
        )
    )
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    tr = eng.transcribe(path)
    wall = time.perf_counter() - t1
    return {
        "engine": engine,
        "audio_s": tr.duration_s,
        "wall_s": wall,
        "load_s": load_s,
        "xrt": tr.duration_s / wall,
        "rss_mb": _peak_rss_mb(),
        "chunks": tr.timings["chunks"],
    }


def isolated(fn, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def random_checkpoints(size: str, cache: Path) -> tuple[str, str]:
    """Random ASR (own LM head, see build_checkpoint) and aligner checkpoints of `size`, built once."""
    from bench.qwen3_checkpoint import build_checkpoint

    paths = []
    for name, aligner in (("asr", False), ("aligner", True)):
        folder = cache / f"qwen3-{size}-{name}"
        if not (folder / "README.txt").exists():
            build_checkpoint(folder, size, aligner=aligner, untied=not aligner)
        paths.append(str(folder))
    return paths[0], paths[1]


def workload_main(args: argparse.Namespace) -> None:
    from bench import asr_workload, workload

    cache = Path(args.cache)
    if args.random:
        args.engine = "qwen3"
        args.qwen3_model, args.qwen3_aligner = random_checkpoints(args.random, cache)
        if args.fixed_tokens is None:
            args.fixed_tokens = 100
    total = args.total_s if args.total_s else workload.TOTAL_S
    name = f"workload-{args.recordings}x{int(total)}" + ("-npy" if args.clips else "")
    recs = workload.build(cache / name, args.recordings, total, clips=args.clips)
    asr_workload.run(args, recs, cache / "data")


def main() -> None:
    from asr_engine.config import QWEN3_CAPTURES, QWEN3_DECODES

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="whisper", choices=["whisper", "qwen3", "remote"])
    ap.add_argument("--durations", type=float, nargs="+", default=[60, 600])
    ap.add_argument("--qwen3-model")
    ap.add_argument("--qwen3-aligner")
    ap.add_argument("--workload", action="store_true", help="the 24-recording interview workload")
    ap.add_argument("--random", choices=["tiny", "0.6b"], help="qwen3 on random checkpoints of this size")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 128])
    ap.add_argument("--recordings", type=int, default=24)
    ap.add_argument("--total-s", type=float, help="workload length in seconds (default 3 h 42 min)")
    ap.add_argument("--fixed-tokens", type=int, help="decode exactly this many tokens per chunk")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ib-bench"))
    ap.add_argument("--clips", type=Path, nargs="+", help=".npy sources for a machine without PyAV")
    ap.add_argument("--decode", choices=QWEN3_DECODES, help="qwen3 on transformers (default: static on CUDA)")
    ap.add_argument("--capture", choices=QWEN3_CAPTURES, help="how a static decode's steps run")
    args = ap.parse_args()
    if args.workload:
        workload_main(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        opts = {
            "data_dir": str(tmp / "data"),
            "qwen3_model": args.qwen3_model,
            "qwen3_aligner": args.qwen3_aligner,
        }
        isolated(
            _run_engine, args.engine, str(make_audio(5, tmp)), opts
        )  # assemble weights once, off the clock
        print(
            f"{'engine':>8} {'audio_s':>8} {'wall_s':>8} {'xRT':>7} {'load_s':>7} {'chunks':>6} {'peak RSS MB':>11}"
        )
        for seconds in args.durations:
            r = isolated(_run_engine, args.engine, str(make_audio(seconds, tmp)), opts)
            print(
                f"{r['engine']:>8} {r['audio_s']:>8.1f} {r['wall_s']:>8.1f} {r['xrt']:>7.1f} "
                f"{r['load_s']:>7.2f} {r['chunks']:>6} {r['rss_mb']:>11.0f}"
            )


if __name__ == "__main__":
    main()
