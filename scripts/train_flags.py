#!/usr/bin/env python3
"""Train the question-flag head (bot/analysis/flags.py) on the labelled files of corpus/interviewer.

    python scripts/train_flags.py [--train FILE ...] [--folds 5] [--out bot/analysis/data/flags_model.npz]
    python scripts/train_flags.py --loso          # leave-one-split-out figures; writes nothing

By default it trains on train, dev and the nineteen held-out splits heldout..heldout19 (heldout13-17
included since round 18, heldout18 since round 19, heldout19 since round 20), each held-out split read
once for a previous model's figures and training data since. `--threshold T` fixes the head's threshold
instead of the cross-validation's choice (training and `--loso` alike).

The L2 strength is fixed at 30 since round 10 (the value leave-one-split-out picks on most splits; the CV
once picked 10, which weakened the cue veto on "Do you have kids?"). The head's threshold is chosen by
stratified k-fold cross-validation on the training files only: the threshold that gives the best
category-exact F1 of the head alone while leaving >= 98.5% of lawful near-misses unflagged. How the head
overrules a cue (`CUE_VETO`, `CUE_MARGIN`) is fixed, chosen by the leave-one-split-out figures. Prints the
cross-validated figures of the cues alone, the head alone and both, then the artefact's sha256 to record
in bot/analysis/flags.py (ARTEFACT_SHA256).

`--loso`: for each held-out split, the same training on every other labelled file, measured on the split
left out with the bench's metric (the splits come from nine writers, so this estimates a new writer);
per split and micro-averaged, for the round-6 rule (a cue always wins) and this rule. The cues were
extended on the misses of heldout..heldout4 when each was read, so their figures flatter the cues;
heldout5 to heldout19 are the honest ones (their micro figure is printed apart).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from interviewer import Question, evaluate, load_questions, report  # noqa: E402

from bot.analysis.flag_rules import CATEGORIES, cue_category  # noqa: E402
from bot.analysis.flags import FlagModel, FlagRecipe, Thresholds, decide, features, floors  # noqa: E402
from bot.analysis.learned.embed import load_embedder  # noqa: E402
from bot.analysis.learned.linear import LinearHeads, fit  # noqa: E402

CORPUS = ROOT / "corpus" / "interviewer"
HELD_OUT = tuple(f"heldout{n}" for n in ("", *range(2, 20)))
# the splits whose misses no cue was written for
HONEST = tuple(f"heldout{n}" for n in range(5, 20))
SPLITS = ("train", "dev", *HELD_OUT)
TRAIN = tuple(CORPUS / f"questions_{n}.jsonl" for n in SPLITS)
L2_GRID = (30.0,)  # round 10: fixed (docs/interviewer.md); the CV once picked 10 and weakened a cue veto
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.20, 0.96, 0.05))
# round 19: the cross-validation keeps 98.5% of the training files' near-misses clean, a margin over the 98%
# target on a new writer's split (leave-one-split-out: 0.981 of near-misses unflagged on heldout5-18, where
# 0.98 gave 0.976 with recall 0.006 higher and precision 0.005 lower)
NEAR_MISS_TARGET = 0.985
# chosen by --loso (round 7): below CUE_VETO the head drops a cue's flag; past CUE_MARGIN its category
# replaces the cue's
CUE_VETO = 0.2
CUE_MARGIN = 0.5
ROUND6 = {"cue_veto": 0.0, "cue_margin": None}


def labels(questions: list[Question]) -> np.ndarray:
    """One column per category, then "protected at all" (its many positives make the flag decision
    steadier than any one category's head)."""
    y = np.zeros((len(questions), len(CATEGORIES) + 1), dtype=np.float32)
    for i, q in enumerate(questions):
        if q.category:
            y[i, CATEGORIES.index(q.category)] = 1.0
            y[i, -1] = 1.0
    return y


def folds(questions: list[Question], k: int, seed: int = 7) -> np.ndarray:
    """Stratified by label (category, near-miss or ordinary): each fold holds its share of every kind."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(questions), dtype=int)
    kinds: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        kinds.setdefault(q.category or ("near" if q.near_miss else "ok"), []).append(i)
    for idx in kinds.values():
        idx = list(rng.permutation(idx))
        for j, i in enumerate(idx):
            fold[i] = j % k
    return fold


def out_of_fold(x: np.ndarray, y: np.ndarray, fold: np.ndarray, l2: float, floor: np.ndarray) -> np.ndarray:
    probs = np.zeros_like(y)
    for f in sorted(set(fold)):
        tr, te = fold != f, fold == f
        probs[te] = fit(x[tr], y[tr], l2=l2, scale_floor=floor).predict(x[te])
    return probs


def f1(p: float | None, r: float | None) -> float:
    return 0.0 if not p or not r else 2 * p * r / (p + r)


def best_threshold(questions: list[Question], probs: np.ndarray, use_cues: bool) -> tuple[float, float]:
    """(threshold, F1) of the best threshold that keeps near-misses clean, else of the cleanest."""
    best: tuple[float, float, float] = (-1.0, -1.0, 0.0)  # (clean ok, f1, threshold)
    for t in THRESHOLDS:
        pred = [decide(q.text, p, Thresholds(t, **ROUND6), use_cues) for q, p in zip(questions, probs)]
        s = evaluate(questions, pred)
        key = (float((s.near_miss_clean or 0) >= NEAR_MISS_TARGET), f1(s.precision, s.recall), t)
        if key[:2] > best[:2]:
            best = key
    return best[2], best[1]


@dataclass
class Trained:
    l2: float
    thresholds: Thresholds
    heads: LinearHeads
    # the chosen L2's out-of-fold probabilities (None: a fixed threshold, not asked for)
    oof: np.ndarray | None


def train(
    questions: list[Question],
    x: np.ndarray,
    k: int,
    floor: np.ndarray,
    quiet: bool = False,
    fixed: float | None = None,
    oof: bool = True,
) -> Trained:
    """L2 and head threshold by k-fold CV (the head chosen on its own figures: the cues were written with
    these files in view, so their figures here say little), then the heads fit on everything. `fixed`:
    this head threshold instead of the CV's choice (with `oof` False, no cross-validation at all)."""
    y = labels(questions)
    if fixed is not None and not oof:
        l2 = L2_GRID[0]
        return Trained(l2, Thresholds(fixed, CUE_VETO, CUE_MARGIN), fit(x, y, l2=l2, scale_floor=floor), None)
    fold = folds(questions, k)
    chosen = None
    for l2 in L2_GRID:
        probs = out_of_fold(x, y, fold, l2, floor)
        t, score = (fixed, 0.0) if fixed is not None else best_threshold(questions, probs, use_cues=False)
        if not quiet:
            print(f"l2 {l2}: threshold {t}, head-only F1 {score:.3f}")
        if chosen is None or score > chosen[2]:
            chosen = (l2, t, score, probs)
    assert chosen is not None
    l2, t, _, probs = chosen
    th = Thresholds(float(t), CUE_VETO, CUE_MARGIN)
    return Trained(l2, th, fit(x, y, l2=l2, scale_floor=floor), probs)


def loso(
    files: dict[str, Path],
    x: np.ndarray,
    per_file: dict[str, list[Question]],
    k: int,
    floor: np.ndarray,
    fixed: float | None = None,
) -> None:
    """Leave each held-out split out in turn: train on every other file, measure on it."""
    rules = {"round 6 rule": None, "round 7 rule": "round7"}
    totals = {r: [] for r in rules}
    rows = np.cumsum([0] + [len(per_file[n]) for n in files])
    span = {n: slice(rows[i], rows[i + 1]) for i, n in enumerate(files)}
    held_out = [h for h in HELD_OUT if h in files]  # the splits --train gave
    for held in held_out:
        rest = [n for n in files if n != held]
        questions = [q for n in rest for q in per_file[n]]
        model = train(questions, np.concatenate([x[span[n]] for n in rest]), k, floor, True, fixed, oof=False)
        probs = model.heads.predict(x[span[held]])
        for rule, which in rules.items():
            th = model.thresholds if which else Thresholds(model.thresholds.head, **ROUND6)
            pred = [decide(q.text, p, th) for q, p in zip(per_file[held], probs)]
            s = evaluate(per_file[held], pred)
            totals[rule].append((per_file[held], pred))
            print(
                f"{held:9} {rule}: precision {s.precision} recall {s.recall} near-misses {s.near_miss_clean}"
                f" (l2 {model.l2}, threshold {model.thresholds.head})",
                flush=True,
            )
    for rule, parts in totals.items():
        newest = [p for h, p in zip(held_out, parts) if h in HONEST]
        for name, chosen in (("micro, all", parts), (f"micro, {HONEST[0]}-{HONEST[-1]}", newest)):
            s = evaluate([q for qs, _ in chosen for q in qs], [p for _, ps in chosen for p in ps])
            print(f"{rule} {name}: precision {s.precision} recall {s.recall} near-misses {s.near_miss_clean}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", type=Path, nargs="+", default=list(TRAIN))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bot" / "analysis" / "data" / "flags_model.npz")
    ap.add_argument("--loso", action="store_true", help="leave-one-split-out figures; writes nothing")
    ap.add_argument("--threshold", type=float, help="fix the head threshold instead of the CV's choice")
    args = ap.parse_args(argv)
    per_file = {p.stem.removeprefix("questions_"): load_questions(p) for p in args.train}
    questions = [q for qs in per_file.values() for q in qs]
    names = "+".join(p.name for p in args.train)
    recipe = FlagRecipe()
    embedder = load_embedder(recipe.embedder)
    x = features([q.text for q in questions], recipe, embedder)
    floor = floors(recipe, embedder.dim)
    if args.loso:
        loso(dict(zip(per_file, args.train)), x, per_file, args.folds, floor, args.threshold)
        return 0
    report(
        evaluate(questions, [cue_category(q.text) for q in questions]),
        f"{args.folds}-fold CV on {names}: cues only",
    )
    model = train(questions, x, args.folds, floor, fixed=args.threshold)
    th = model.thresholds
    assert model.oof is not None
    head = [decide(q.text, p, th, use_cues=False) for q, p in zip(questions, model.oof)]
    report(evaluate(questions, head), f"head only (l2 {model.l2}, thresholds {th})")
    combined = [decide(q.text, p, th) for q, p in zip(questions, model.oof)]
    report(evaluate(questions, combined), f"cues + head (l2 {model.l2}, thresholds {th})")
    data_sha = hashlib.sha256(b"".join(p.read_bytes() for p in args.train)).hexdigest()
    meta = {
        "version": "flags-2",
        "l2": model.l2,
        "folds": args.folds,
        "train": names,
        "train_sha256": data_sha,
    }
    FlagModel(recipe, model.heads, th, meta).save(args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes), sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
