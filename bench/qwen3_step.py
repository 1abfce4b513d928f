#!/usr/bin/env python3
"""Where a Qwen3-ASR decode step's time goes on this machine: a bare kernel launch, generate's time per
token (two lengths, differenced), and a profile of one generate split into the host's time and the
device's kernel time. A step far above its kernel time means the host (Python, launches) is the limit,
which CUDA graphs (the vLLM runtime) remove and bigger batches hide.

    python bench/qwen3_step.py DIR          # DIR: a checkpoint, e.g. from bench/qwen3_checkpoint.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synced(torch, device: str, fn) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def launch_us(torch, device: str, n: int = 2000) -> float:
    x = torch.zeros(16, device=device)

    def launches() -> None:
        for _ in range(n):
            x.add_(1)

    synced(torch, device, launches)
    return 1e6 * synced(torch, device, launches) / n


def per_token_ms(torch, device: str, model, audio, batch: int) -> dict:
    def run(tokens: int) -> float:
        model.max_new_tokens = tokens
        return statistics.median(
            synced(
                torch, device, lambda: model.transcribe(audio=[(audio, 16000)] * batch, language="Chinese")
            )
            for _ in range(3)
        )

    short, long = run(8), run(40)
    return {
        "batch": batch,
        "ms_8_tokens": round(1000 * short),
        "ms_per_token": round(1000 * (long - short) / 32, 1),
    }


def profile(torch, device: str, model, audio) -> None:
    from torch.profiler import ProfilerActivity

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.startswith("cuda") else [])
    model.max_new_tokens = 32
    with torch.profiler.profile(activities=activities) as prof:
        wall = synced(torch, device, lambda: model.transcribe(audio=[(audio, 16000)], language="Chinese"))
    events = prof.key_averages()
    device_us = sum(getattr(e, "self_device_time_total", 0) or 0 for e in events)
    launches = sum(e.count for e in events if "LaunchKernel" in e.key or "cudaLaunch" in e.key)
    print(
        f"one generate, 32 tokens: wall {1000 * wall:.0f} ms, "
        f"kernels on the device {device_us / 1000:.0f} ms, kernel launches {launches}"
    )
    print(events.table(sort_by="self_cpu_time_total", row_limit=12))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16])
    args = ap.parse_args()
    import torch
    from qwen_asr import Qwen3ASRModel

    device = "cuda:0" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    print(f"{device} torch {torch.__version__}, {torch.get_num_threads()} host threads")
    print(f"bare kernel launch: {launch_us(torch, device):.1f} us")
    model = Qwen3ASRModel.from_pretrained(args.model, dtype=dtype, device_map=device, max_new_tokens=8)
    audio = (np.random.default_rng(0).standard_normal(16000) * 0.05).astype(np.float32)
    model.transcribe(audio=[(audio, 16000)], language="Chinese")  # warm-up
    for batch in args.batch:
        print(per_token_ms(torch, device, model, audio, batch), flush=True)
    profile(torch, device, model, audio)


if __name__ == "__main__":
    main()
