#!/usr/bin/env python3
"""What one live-caption decode costs on the configured engine: a batch of B windows of L seconds, each
generating T tokens, timed per call (the engine loaded once, warmed up first).

    IB_ASR_ENGINE=qwen3 IB_QWEN3_MODEL=DIR python bench/window_decode.py --batch 1 16 64 --tokens 8 32

Live sessions decode their open window every 0.5 s; on a batching engine the windows of all sessions go
to the model in one call, so this table bounds how many sessions keep up (a call must finish within the
0.5 s step) and what the first caption costs (one short window, few tokens). With random weights
(bench/qwen3_checkpoint.py) the model never stops early, so every call generates exactly T tokens: a
real model's short windows stop sooner. T is set through the qwen-asr model's `max_new_tokens`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed_calls(backend, windows, options, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        backend.transcribe_batch(windows, options)
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audio", type=Path, default=ROOT / "samples" / "interview_zh.m4a", help="or a .npy")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--seconds", type=float, nargs="+", default=[1.0, 4.0], help="window lengths")
    ap.add_argument("--tokens", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from asr_engine import Engine
    from asr_engine.backends.base import DecodeOptions
    from bench.live import load_audio
    from bot.config import load_settings

    engine = Engine(load_settings().engine)
    backend, model = engine.backend, getattr(engine.backend, "model", None)
    samples = load_audio(args.audio).samples
    options = DecodeOptions(language="zh")
    print(f"engine {engine.name} ({engine.reason}), decode {getattr(backend, 'decode', '-')}", flush=True)
    for tokens in args.tokens:
        if model is not None and hasattr(model, "max_new_tokens"):
            model.max_new_tokens = tokens
        for seconds in args.seconds:
            for batch in args.batch:
                n = int(seconds * 16000)
                # different stretches of the dialogue, as concurrent sessions would send
                windows = [samples[(i * 8000) % (len(samples) - n) :][:n] for i in range(batch)]
                timed_calls(backend, windows, options, 1)  # warm-up: kernels, allocator
                calls = timed_calls(backend, windows, options, args.repeats)
                row = {"tokens": tokens, "window_s": seconds, "batch": batch}
                row |= {
                    "median_ms": round(1000 * statistics.median(calls)),
                    "max_ms": round(1000 * max(calls)),
                }
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
