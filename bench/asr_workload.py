"""ASR alone on the interview workload at concurrency 1 / 8 / 32 / 128 (`bench/asr.py --workload`).

Concurrency N means: at most N chunks in one model call (the cross-job batcher's max_batch; on vLLM
also max_num_seqs), with min(N, recordings) recordings transcribed at once, each by its own Engine in
its own thread, all sharing one loaded backend through asr_engine.batcher. The model is loaded once, off
the clock, and warmed up. Per level it prints wall time and x-real-time over the whole workload (decode,
VAD, recognition, alignment, merging: everything but the analysis), the time the model spent in
recognition and in the forced aligner, the batches it saw, time to first token, and GPU memory.

Time to first token at N: N 30-second chunks sent at once with generation cut to one token; the time
until the last of them has its token (prefill of audio encoder and prompt under that load).

Random weights do not stop where speech does: `--fixed-tokens T` makes every chunk decode exactly T
tokens (default 100 for random checkpoints: ~3.3 tokens per second of a 30 s chunk, about what Mandarin
speech costs with Qwen's tokenizer). With real weights leave it out.
"""

from __future__ import annotations

import functools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.workload import GpuMemory, Recording, card_name, transcribe


def set_generation(model: Any, tokens: int | None, fixed: bool) -> None:
    """Cap (and with `fixed`, force) the tokens each chunk decodes, on either qwen-asr runtime.
    `tokens=None` restores what the model was loaded with."""
    if not hasattr(model, "_bench_original"):
        generate = getattr(model.model, "generate", None)
        model._bench_original = (model.sampling_params, model.max_new_tokens, generate)
    sampling, max_new, generate = model._bench_original
    if model.backend == "vllm":
        from vllm import SamplingParams

        model.sampling_params = (
            sampling
            if tokens is None
            else SamplingParams(
                temperature=0.0, max_tokens=tokens, min_tokens=tokens if fixed else 0, ignore_eos=fixed
            )
        )
        return
    model.max_new_tokens = max_new if tokens is None else tokens
    model.model.generate = (
        functools.partial(generate, min_new_tokens=tokens) if fixed and tokens else generate
    )


def time_to_first_token(backend: Any, n: int, fixed_tokens: int | None) -> float:
    model = backend.model
    rng = np.random.default_rng(n)
    audio = [(rng.standard_normal(30 * 16000).astype(np.float32) * 0.05, 16000) for _ in range(n)]
    set_generation(model, 1, fixed=True)
    try:
        _sync()
        t0 = time.perf_counter()
        model.transcribe(audio=audio, language="Chinese")
        _sync()
        return time.perf_counter() - t0
    finally:
        set_generation(model, fixed_tokens, fixed=fixed_tokens is not None)


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _torch_peak_mib() -> float | None:
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


def run_level(config: Any, backend: Any, recs: list[Recording], n: int) -> dict[str, Any]:
    """Transcribe every recording with at most n chunks per model call; figures for one table row."""
    import threading

    from asr_engine import Engine
    from asr_engine.batcher import BatchingBackend

    batching = BatchingBackend(backend, max_batch=n, max_wait_s=0.02)
    local = threading.local()

    def one(rec: Recording):
        if not hasattr(local, "engine"):
            local.engine = Engine(config, backend=batching)
        return transcribe(local.engine, rec)

    stats = getattr(backend, "stats", None)
    before = stats.snapshot() if stats else {}
    with GpuMemory() as gpu, ThreadPoolExecutor(max_workers=min(n, len(recs))) as pool:
        t0 = time.perf_counter()
        transcripts = list(pool.map(one, recs))
        wall = time.perf_counter() - t0
    batching.close()
    after = stats.snapshot() if stats else {}
    audio = sum(t.duration_s for t in transcripts)
    return {
        "n": n,
        "audio_s": audio,
        "wall_s": wall,
        "xrt": audio / wall,
        "cpu_stages_s": sum(t.timings.get("decode_s", 0) + t.timings.get("vad_s", 0) for t in transcripts),
        "asr_s": after.get("asr_s", 0) - before.get("asr_s", 0),
        "align_s": after.get("align_s", 0) - before.get("align_s", 0),
        "calls": len(batching.calls),
        "mean_batch": (sum(batching.calls) / len(batching.calls)) if batching.calls else 0.0,
        "gpu_mib": gpu.peak_mib,
        "torch_mib": _torch_peak_mib(),
        "words": sum(len(s.words) for t in transcripts for s in t.segments),
    }


def load(args: Any, data_dir: Path) -> tuple[Any, Any, str]:
    """(EngineConfig, backend, a line saying what was loaded)."""
    from asr_engine import EngineConfig
    from asr_engine.engine import load_backend

    os.environ.setdefault("IB_QWEN3_MAX_BATCH", str(max(args.concurrency)))
    config = EngineConfig(
        engine=args.engine,
        data_dir=data_dir,
        qwen3_model=args.qwen3_model,
        qwen3_aligner=args.qwen3_aligner,
        qwen3_batch_size=max(args.concurrency),
        qwen3_decode=getattr(args, "decode", None),
        qwen3_capture=getattr(args, "capture", None),
    )
    t0 = time.perf_counter()
    backend, reason = load_backend(config)
    line = f"engine {backend.name} ({reason})"
    if args.engine == "qwen3":
        from asr_engine.backends.qwen3 import qwen3_runtime

        runtime, why = qwen3_runtime(config)
        line += f", runtime {runtime} ({why}), decode {getattr(backend, 'decode', '-')}"
        line += f", aligner {'yes' if backend.has_aligner else 'no'}"
        if args.fixed_tokens:
            set_generation(backend.model, args.fixed_tokens, fixed=True)
    return config, backend, f"{line}; loaded in {time.perf_counter() - t0:.1f} s on {card_name()}"


def report(rows: list[dict[str, Any]], header: str, ttft: dict[int, float]) -> None:
    print(header)
    print(
        f"{'conc':>5} {'audio_s':>8} {'wall_s':>8} {'xRT':>8} {'decode+VAD_s':>12} {'asr_s':>7} "
        f"{'align_s':>7} {'align%':>6} {'calls':>6} {'batch':>6} {'TTFT_s':>7} {'GPU_MiB':>8} {'torch_MiB':>9}"
    )
    for r in rows:
        model_s = r["asr_s"] + r["align_s"]
        share = f"{100 * r['align_s'] / model_s:.0f}" if model_s else "-"
        ttft_s = f"{ttft[r['n']]:.3f}" if r["n"] in ttft else "-"
        gpu = f"{r['gpu_mib']:.0f}" if r["gpu_mib"] is not None else "-"
        torch_mib = f"{r['torch_mib']:.0f}" if r["torch_mib"] is not None else "-"
        print(
            f"{r['n']:>5} {r['audio_s']:>8.0f} {r['wall_s']:>8.2f} {r['xrt']:>8.1f} {r['cpu_stages_s']:>12.1f} "
            f"{r['asr_s']:>7.2f} {r['align_s']:>7.2f} {share:>6} {r['calls']:>6} {r['mean_batch']:>6.1f} "
            f"{ttft_s:>7} {gpu:>8} {torch_mib:>9}"
        )
    print(
        "decode+VAD_s: CPU stages summed over recordings (they run in parallel threads); asr_s/align_s: "
        "time inside the model calls; TTFT: see bench/asr_workload.py"
    )


def run(args: Any, recs: list[Recording], data_dir: Path) -> None:
    config, backend, header = load(args, data_dir)
    warm = Recording(recs[0].path, recs[0].seconds)
    from asr_engine import Engine

    transcribe(Engine(config, backend=backend), warm)  # warm-up, off the clock
    rows, ttft = [], {}
    for n in args.concurrency:
        rows.append(run_level(config, backend, recs, n))
        if args.engine == "qwen3":
            ttft[n] = time_to_first_token(backend, n, args.fixed_tokens)
    audio = sum(r.seconds for r in recs)
    tokens = f", {args.fixed_tokens} tokens per chunk (fixed)" if args.fixed_tokens else ""
    report(rows, f"{header}\nworkload: {len(recs)} recordings, {audio / 3600:.2f} h of audio{tokens}", ttft)
