#!/usr/bin/env python3
"""Static vs dynamic Qwen3-ASR decoding on the transformers runtime: per-token cost by batch, the time to
capture or compile the static steps, how often the two give the same tokens, and peak GPU memory.

    python bench/static_decode.py MODEL --batch 1 16 64                        # on the GPU machine
    python bench/static_decode.py --tiny --device cpu --batch 1 4 --variants dynamic none   # CPU smoke

Variants: `dynamic` (transformers' generate, today's path), `graphs` / `compile` / `none` (the static
decode of asr_engine/backends/qwen3_static.py with its step captured as CUDA graphs, compiled with
torch.compile(mode="reduce-overhead"), or run eagerly), and `hf-static` (transformers' own
`cache_implementation="static"`, which compiles the forward on CUDA by itself). Every decode is forced to
its full length (`min_new_tokens`), as random weights would run on anyway; per-token cost is the time
of T2 tokens minus the time of T1, over T2 - T1. Each variant's first call (compile, capture, allocator)
is timed on its own and left out of the medians.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = ("dynamic", "graphs", "compile", "hf-static", "none")


def synced(torch, fn) -> float:
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def make_generate(torch, model, variant: str, batches: list[int], length: int):
    """(generate, warm-up seconds, decoder or None) for one variant."""
    if variant == "dynamic":
        return model.generate, 0.0, None
    if variant == "hf-static":
        return functools.partial(model.generate, cache_implementation="static"), 0.0, None
    from asr_engine.backends.qwen3_static import Plan, StaticDecoder

    plan = Plan(max(batches), max(batches) * length, lengths=(length,), batches=tuple(sorted(set(batches))))
    decoder = StaticDecoder(model, plan, variant)
    return decoder.generate, decoder.warm_up(), decoder


def inputs_for(asr, batch: int, seconds: float):
    rng = np.random.default_rng(batch)
    audio = [rng.standard_normal(int(seconds * 16000)).astype(np.float32) * 0.05 for _ in range(batch)]
    texts = [asr._build_text_prompt(context="", force_language="Chinese") for _ in audio]
    inputs = asr.processor(text=texts, audio=audio, return_tensors="pt", padding=True)
    return inputs.to(asr.model.device).to(asr.model.dtype)


def measure(torch, generate, inputs, tokens: tuple[int, int], repeats: int) -> dict:
    def run(n: int):
        return generate(**inputs, max_new_tokens=n, min_new_tokens=n)

    first = synced(torch, lambda: run(tokens[0]))
    short = statistics.median(synced(torch, lambda: run(tokens[0])) for _ in range(repeats))
    long = statistics.median(synced(torch, lambda: run(tokens[1])) for _ in range(repeats))
    return {
        "first_call_ms": round(1000 * first),
        f"ms_{tokens[0]}_tokens": round(1000 * short, 1),
        f"ms_{tokens[1]}_tokens": round(1000 * long, 1),
        "ms_per_token": round(1000 * (long - short) / (tokens[1] - tokens[0]), 2),
    }


def agreement(reference, sequences) -> dict:
    """Rows with exactly the reference's tokens, and the mean share of tokens before the first difference."""
    ref, got = reference.tolist(), sequences.tolist()
    same_rows = sum(a == b for a, b in zip(ref, got))
    prefixes = [
        next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), len(a)) / len(a) for a, b in zip(ref, got)
    ]
    return {"same_rows": f"{same_rows}/{len(ref)}", "same_prefix": round(statistics.mean(prefixes), 3)}


def run_variant(torch, asr, variant: str, args, references: dict) -> list[dict]:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    try:
        generate, warm_s, decoder = make_generate(torch, asr.model, variant, args.batch, args.length)
    except Exception as exc:
        return [{"variant": variant, "failed": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}]
    rows = []
    for batch in args.batch:
        inputs = inputs_for(asr, batch, args.seconds)
        row = {"variant": variant, "batch": batch, "prompt_tokens": int(inputs["input_ids"].shape[1])}
        try:
            row |= measure(torch, generate, inputs, tuple(args.tokens), args.repeats)
            sequences = generate(**inputs, max_new_tokens=args.tokens[1]).sequences
        except Exception as exc:
            rows.append(row | {"failed": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"})
            continue
        if variant == "dynamic":
            references[batch] = sequences
        elif batch in references:
            row |= agreement(references[batch], sequences)
        if decoder is not None:
            row |= {"warmup_s": round(warm_s, 2), "static_calls": decoder.stats["static_calls"]}
        if torch.cuda.is_available():
            row["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
        rows.append(row)
        print(json.dumps(row), flush=True)
    del decoder, generate
    return rows


def tiny_checkpoint() -> str:
    from bench.qwen3_checkpoint import build_checkpoint

    folder = Path("/tmp/ib-qwen3-tiny-asr")
    if not (folder / "README.txt").exists():
        build_checkpoint(folder, "tiny")
    return str(folder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="a checkpoint folder (bench/qwen3_checkpoint.py)")
    ap.add_argument("--tiny", action="store_true", help="build and use the tiny random checkpoint")
    ap.add_argument("--device", default=None, help="cuda:0 (default where there is one) or cpu")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 16, 64])
    ap.add_argument("--variants", nargs="+", default=["dynamic", "graphs", "compile", "hf-static"])
    ap.add_argument("--tokens", type=int, nargs=2, default=[8, 40], help="the two lengths differenced")
    ap.add_argument("--seconds", type=float, default=2.0, help="audio per row (a live window)")
    ap.add_argument("--length", type=int, default=128, help="static cache length (prompt + tokens)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    unknown = set(args.variants) - set(VARIANTS)
    if unknown or not (args.model or args.tiny):
        ap.error(f"need a model or --tiny; variants are {', '.join(VARIANTS)}")
    import torch
    from qwen_asr import Qwen3ASRModel

    device = args.device or ("cuda:0" if torch.cuda.is_available() else "cpu")
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    model = tiny_checkpoint() if args.tiny else args.model
    asr = Qwen3ASRModel.from_pretrained(model, dtype=dtype, device_map=device, max_new_tokens=args.tokens[1])
    print(f"{device} torch {torch.__version__}, model {model}", flush=True)
    references: dict = {}
    rows = [row for variant in args.variants for row in run_variant(torch, asr, variant, args, references)]
    print(summary(rows, args))


def summary(rows: list[dict], args) -> str:
    lines = [
        "",
        f"{'variant':>10} {'batch':>5} {'ms/token':>9} {'first call ms':>13} {'warm-up s':>9} "
        f"{'same rows':>9} {'peak MiB':>8}",
    ]
    for r in rows:
        if "ms_per_token" not in r:
            lines.append(f"{r['variant']:>10} {r.get('batch', '-'):>5}  failed: {r.get('failed')}")
            continue
        lines.append(
            f"{r['variant']:>10} {r['batch']:>5} {r['ms_per_token']:>9} {r['first_call_ms']:>13} "
            f"{r.get('warmup_s', '-'):>9} {r.get('same_rows', '-'):>9} {r.get('peak_gpu_mib', '-'):>8}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
