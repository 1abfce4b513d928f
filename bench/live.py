#!/usr/bin/env python3
"""Live captions benchmark: stream a shipped dialogue at real time through `asr_engine.streaming`.

    python bench/live.py                              # whisper, samples/interview_zh.m4a, 1 and 2 sessions
    python bench/live.py --sessions 1 2 3 --cpus 2    # pinned to 2 cores
    python bench/live.py --seconds 30                 # the first 30 s only
    IB_ASR_ENGINE=qwen3 IB_QWEN3_MODEL=... python bench/live.py --engine configured --sessions 1 16 64  # GPU

Each session is fed what has "arrived" by the wall clock, all of it in one call (as the server does), so a
slow decode makes captions lag but the stream never falls further behind than one decode. Printed per run:
first caption latency after the first speech onset (the reference script's first start), median and p95
lag of finals (wall time of the final minus the audio time its text ends), CER of the finals against the
reference script and against the offline transcript of the same audio, CPU cores used, and whether the
sessions kept up (p95 lag <= 3 s and the last final within 3 s of the stream's end).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
SAMPLE = ROOT / "samples" / "interview_zh.m4a"
SCRIPT = ROOT / "tests" / "fixtures" / "interview_zh.script.json"
FRAME_S = 0.1


@dataclass
class Run:
    first_caption_s: float | None = None
    lags: list[float] = field(default_factory=list)
    finals: list[str] = field(default_factory=list)
    last_final_wall: float = 0.0
    decodes: int = 0


def stream(backend, samples, onset_s: float, options) -> Run:
    """One session at real time; every time is measured from the stream's start."""
    from asr_engine.audio import SAMPLE_RATE
    from asr_engine.streaming import open_session

    session = open_session(backend, options)
    run, fed, t0 = Run(), 0, time.monotonic()
    total = len(samples)
    while fed < total:
        now = time.monotonic() - t0
        arrived = min(total, int(now * SAMPLE_RATE))
        if arrived - fed < int(FRAME_S * SAMPLE_RATE) and arrived < total:
            time.sleep(FRAME_S / 2)  # the microphone's pace (a benchmark, not a test)
            continue
        record(run, session.feed(samples[fed:arrived]), t0, onset_s)
        fed = arrived
    record(run, session.finish(), t0, onset_s)
    run.decodes = getattr(session, "decodes", 0)
    return run


def record(run: Run, events, t0: float, onset_s: float) -> None:
    wall = time.monotonic() - t0
    for e in events:
        if run.first_caption_s is None:
            run.first_caption_s = wall - onset_s
        if e.type == "final":
            run.lags.append(wall - e.end)
            run.finals.append(e.text)
            run.last_final_wall = wall


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


def backend_calls(backend) -> dict[str, float]:
    """The model calls so far where the backend counts them (qwen3: calls, inputs, seconds in the model)."""
    inner = getattr(backend, "backend", backend)  # behind the cross-job batcher
    stats = getattr(inner, "stats", None)
    return stats.snapshot() if stats is not None else {}


def call_figures(before: dict[str, float], after: dict[str, float]) -> dict:
    calls = after.get("calls", 0) - before.get("calls", 0)
    if not calls:
        return {}
    inputs = after["inputs"] - before["inputs"]
    asr_s = after["asr_s"] - before["asr_s"]
    return {
        "model_calls": calls,
        "mean_batch": round(inputs / calls, 1),
        "ms_per_call": round(1000 * asr_s / calls),
    }


def measure(backend, samples, sessions: int, onset_s: float, options, reference: str, offline: str) -> dict:
    from audiotools import cer

    runs: list[Run] = [Run() for _ in range(sessions)]

    def go(i: int) -> None:
        runs[i] = stream(backend, samples, onset_s, options)

    calls0 = backend_calls(backend)
    cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    threads = [threading.Thread(target=go, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu1, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t0
    cpu_s = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    audio_s = len(samples) / 16000
    lags = [lag for r in runs for lag in r.lags]
    text = "".join(runs[0].finals)
    kept_up = p95(lags) <= 3.0 and all(r.last_final_wall - audio_s <= 3.0 for r in runs)
    return {
        "sessions": sessions,
        "audio_s": round(audio_s, 1),
        "first_caption_s": round(max(r.first_caption_s or float("nan") for r in runs), 2),
        "final_lag_median_s": round(statistics.median(lags), 2) if lags else None,
        "final_lag_p95_s": round(p95(lags), 2),
        "cer_vs_reference": round(cer(reference, text), 3),
        "cer_vs_offline": round(cer(offline, text), 3),
        "cer_offline_vs_reference": round(cer(reference, offline), 3),
        "cpu_cores_used": round(cpu_s / wall, 2),
        "cpu_s_per_audio_s": round(cpu_s / (audio_s * sessions), 3),  # per session; steadier under load
        "decodes_per_session": [r.decodes for r in runs],
        "kept_up": kept_up,
        **call_figures(calls0, backend_calls(backend)),
    }


def engine_factory(args: argparse.Namespace):
    """parallel decodes -> an engine. Whisper: a fresh one per run with that many replicas. The configured
    engine: the service's, loaded once (a GPU model is not loaded twice), with the cross-job batcher in
    front as the server has it, so concurrent sessions' windows are batched."""
    from dataclasses import replace

    from asr_engine import Engine, EngineConfig

    if args.engine == "configured":
        from bot.asr import Engines
        from bot.config import load_settings

        settings = load_settings()
        config = replace(settings.engine, parallel_decodes=max(args.sessions))
        shared = Engines(config, live_sessions=max(args.sessions), batch_wait_s=settings.batch_wait_s).get()
        return lambda parallel: shared

    def whisper(parallel: int) -> Engine:
        config = EngineConfig(
            engine="whisper", data_dir=args.data_dir, parallel_decodes=parallel, cpu_threads=args.threads
        )
        return Engine(config)

    return whisper


def stream_options(args: argparse.Namespace):
    from asr_engine.streaming import StreamOptions

    cadence = {"step_s": args.step, "first_step_s": args.first_step}
    return StreamOptions(language=args.language, **{k: v for k, v in cadence.items() if v is not None})


def load_audio(path: Path):
    """A recording, or a `.npy` of its 16 kHz mono samples (`--save-samples` writes one) for a machine
    without PyAV: the GPU machine gets only what fits its transfer (bench/gpu_live.sh)."""
    from asr_engine.audio import DecodedAudio, decode

    if path.suffix == ".npy":
        import numpy as np

        return DecodedAudio(np.load(path).astype(np.float32), 1, None, "npy")
    return decode(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audio", type=Path, default=SAMPLE)
    ap.add_argument("--script", type=Path, default=SCRIPT, help="reference: [{start, end, text}, ...]")
    ap.add_argument("--language", default="zh")
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seconds", type=float, default=None, help="only the first N seconds")
    ap.add_argument("--cpus", type=int, default=None, help="pin the process to this many cores")
    ap.add_argument("--data-dir", type=Path, default=ROOT / ".ib-data")
    ap.add_argument(
        "--engine",
        default="whisper",
        choices=["whisper", "configured"],
        help="configured: the service's engine from the IB_* settings (qwen3 on a GPU), loaded once",
    )
    ap.add_argument("--threads", type=int, default=0, help="threads per decode (0: every core)")
    ap.add_argument(
        "--parallel", type=int, default=None, help="parallel decodes (replicas); default: the run's sessions"
    )
    ap.add_argument("--step", type=float, default=None, help="StreamOptions.step_s (default: the library's)")
    ap.add_argument("--first-step", type=float, default=None, help="StreamOptions.first_step_s")
    ap.add_argument("--save-samples", type=Path, help="write the audio's samples to this .npy and stop")
    args = ap.parse_args()
    if args.save_samples:
        import numpy as np

        np.save(args.save_samples, load_audio(args.audio).samples.astype(np.float32))
        return
    if args.cpus:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cpus]))
    from asr_engine.audio import DecodedAudio

    engine_for = engine_factory(args)
    engine = engine_for(1)
    audio = load_audio(args.audio)
    samples = audio.samples[: int(args.seconds * 16000)] if args.seconds else audio.samples
    script = json.loads(args.script.read_text(encoding="utf-8"))
    limit = len(samples) / 16000
    reference = "".join(s["text"] for s in script if s["end"] <= limit + 0.5)
    offline = engine.transcribe_audio(
        DecodedAudio(samples, 1, None, audio.source_format), language=args.language
    ).text
    onset = min(s["start"] for s in script)
    print(f"engine {engine.name} on {len(os.sched_getaffinity(0))} core(s); {args.audio.name}, {limit:.1f} s")
    options = stream_options(args)
    for n in args.sessions:
        backend = engine_for(args.parallel or n).backend
        figures = measure(backend, samples, n, onset, options, reference, offline)
        parallel = max(args.sessions) if args.engine == "configured" else args.parallel or n
        print(json.dumps({**figures, "parallel_decodes": parallel}))


if __name__ == "__main__":
    main()
