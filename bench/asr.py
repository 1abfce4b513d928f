#!/usr/bin/env python3
"""ASR benchmark: audio seconds, wall seconds, x-real-time and peak RSS per engine and file length.

    python bench/asr.py                                   # whisper on a 60 s clip and a 10 min file
    python bench/asr.py --engine qwen3 --qwen3-model DIR [--qwen3-aligner DIR]
    python bench/asr.py --qwen3-sweep --size 0.6b --device cuda --batches 1 8 32 128
    python bench/asr.py --qwen3-sweep --size tiny --device cpu --batches 1 4   # the sweep's plumbing on CPU

Each measurement runs in its own process so peak RSS belongs to that run alone. The sweep uses a
randomly initialised checkpoint of the published 0.6B shape with generation fixed at ~5 text tokens per
audio second (random weights would otherwise stop at arbitrary lengths): a throughput figure, not accuracy.
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


def _run_sweep(opts: dict) -> list[dict]:
    import functools

    import numpy as np
    import torch
    from qwen_asr import Qwen3ASRModel

    device = opts["device"]
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    chunk_s = 30.0
    tokens = int(5 * chunk_s)
    rng = np.random.default_rng(0)
    rows = []
    for batch in opts["batches"]:
        model = Qwen3ASRModel.from_pretrained(
            opts["checkpoint"],
            dtype=dtype,
            device_map=device,
            max_inference_batch_size=batch,
            max_new_tokens=tokens,
        )
        # Fixed generation length: eos is masked until `tokens` are produced.
        model.model.generate = functools.partial(model.model.generate, min_new_tokens=tokens)
        audio = [
            (rng.standard_normal(int(chunk_s * 16000)).astype(np.float32) * 0.05, 16000) for _ in range(batch)
        ]
        model.transcribe(audio=audio[:1], language="Chinese")  # warm-up
        if device.startswith("cuda"):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        model.transcribe(audio=audio, language="Chinese")
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        wall = time.perf_counter() - t0
        gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else 0.0
        rows.append(
            {
                "batch": batch,
                "audio_s": batch * chunk_s,
                "wall_s": wall,
                "xrt": batch * chunk_s / wall,
                "tokens_per_s": batch * tokens / wall,
                "rss_mb": _peak_rss_mb(),
                "gpu_mb": gpu_mb,
            }
        )
        del model
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
    return rows


def isolated(fn, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engine", default="whisper", choices=["whisper", "qwen3", "remote"])
    ap.add_argument("--durations", type=float, nargs="+", default=[60, 600])
    ap.add_argument("--qwen3-model")
    ap.add_argument("--qwen3-aligner")
    ap.add_argument("--qwen3-sweep", action="store_true")
    ap.add_argument("--size", default="0.6b", choices=["tiny", "0.6b"])
    ap.add_argument("--device", default="cuda:0")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32, 128])
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.qwen3_sweep:
            from bench.qwen3_checkpoint import build_checkpoint

            ckpt = build_checkpoint(tmp / f"qwen3-{args.size}", args.size)
            rows = isolated(
                _run_sweep, {"checkpoint": str(ckpt), "device": args.device, "batches": args.batches}
            )
            print(f"qwen3 {args.size} random weights on {args.device}, 30 s chunks, 150 tokens each")
            print(
                f"{'batch':>6} {'audio_s':>8} {'wall_s':>8} {'xRT':>9} {'tok/s':>9} {'RSS MB':>8} {'GPU MB':>8}"
            )
            for r in rows:
                print(
                    f"{r['batch']:>6} {r['audio_s']:>8.0f} {r['wall_s']:>8.2f} {r['xrt']:>9.1f} "
                    f"{r['tokens_per_s']:>9.0f} {r['rss_mb']:>8.0f} {r['gpu_mb']:>8.0f}"
                )
            return
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
