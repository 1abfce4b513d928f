#!/usr/bin/env python3
"""How far two careful annotators agree: the ceiling any analysis model can be measured against.

    python bench/agreement.py corpus/analysis/heldout3.jsonl corpus/analysis/agreement/heldout3_b.jsonl

The second file holds the same snippets labelled again by someone who never saw the first labels. Its
labels are scored as if they were a model's answers, with the rules bench/analysis.py scores the model by
(a competency credited outside the first annotator's required + allowed is a false positive, a required one
not credited a miss), once crediting the second annotator's `required` only and once `required + allowed`;
then a model on the same snippets, for comparison (`--model`; the one this corpus note compares is the
artefact shipped before heldout3 was trained on: `git show 248c666:bot/analysis/data/analysis_model.npz`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis import Prediction, print_tally, score, tally  # noqa: E402

from bot.analysis import corpus  # noqa: E402
from bot.analysis.learned import LocalModel  # noqa: E402


def as_prediction(s: corpus.Snippet, with_allowed: bool) -> Prediction:
    credited = set(s.required) | (set(s.allowed) if with_allowed else set())
    quals = [(q["type"], q["span"]) for q in s.qualifiers]
    return credited, quals, [v["span"] for v in s.vague]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("first", type=Path, help="the labels measured against (the split as shipped)")
    ap.add_argument("second", type=Path, help="the same snippets, labelled independently")
    ap.add_argument(
        "--model", type=Path, default=None, help="the artefact to compare (default: the shipped one)"
    )
    ap.add_argument("--no-model", action="store_true", help="people only (a held-out split read once)")
    args = ap.parse_args(argv)
    second = {s.id: s for s in corpus.load([args.second])}
    first = [s for s in corpus.load([args.first]) if s.id in second]
    if not first:
        print("agreement: no snippet ids in common", file=sys.stderr)
        return 1
    print(f"{len(first)} snippets labelled twice ({args.first.name} vs {args.second.name})")
    for with_allowed in (False, True):
        name = "second annotator, " + ("required + allowed" if with_allowed else "required only")
        print_tally(name, tally(first, lambda s, w=with_allowed: as_prediction(second[s.id], w)))
    if args.no_model:
        return 0
    model = LocalModel.load(args.model) if args.model else LocalModel.load()
    trained_on = set(model.meta.get("train_files", []))
    trained_on |= set((model.meta.get("qualifier_heads") or {}).get("files", []))  # its qualifier heads'
    if args.first.name in trained_on:
        print(f"note: {model.version} was trained on {args.first.name}; its figures below are not held out")
    print_tally(f"model {model.version}, same snippets", score(first, model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
