#!/usr/bin/env python3
"""Clear answers missed: how often a model misses what every person credits (printed, never asserted).

    python bench/clear_answers.py 14 [--model PATH ...]     # corpus/analysis/heldout14.jsonl, shipped model first

A clear answer is a (snippet, competency) pair that both blind annotators (corpus/analysis/agreement/
heldoutN_a.jsonl, _b) and the adjudicated split require. Misses on them are the "erratic on a single clear
answer" a reader notices, measured on a whole split instead of a few hand-picked unit tests; the rule that
shipped the network half used it (docs/analysis-encoder.md). Only splits labelled twice blind qualify.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import analysis as bench_analysis  # noqa: E402

from bot.analysis import corpus  # noqa: E402
from bot.analysis.learned import ARTEFACT, LocalModel  # noqa: E402

CORPUS = ROOT / "corpus" / "analysis"


def clear_pairs(split: str) -> list[tuple[corpus.Snippet, str]]:
    adjudicated = corpus.load([CORPUS / f"heldout{split}.jsonl"])
    blind = []
    for who in "ab":
        rows = (json.loads(line) for line in (CORPUS / "agreement" / f"heldout{split}_{who}.jsonl").open())
        blind.append({row["id"]: set(row["required"]) for row in rows})
    return [(s, k) for s in adjudicated for k in s.required if all(k in b[s.id] for b in blind)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("split", help="the held-out split's number (heldoutN with blind labels)")
    ap.add_argument("--model", type=Path, action="append", default=[])
    args = ap.parse_args(argv)
    if not (CORPUS / "agreement" / f"heldout{args.split}_a.jsonl").is_file():
        print(f"error: heldout{args.split} has no blind labels in corpus/analysis/agreement", file=sys.stderr)
        return 2
    pairs = clear_pairs(args.split)
    print(f"heldout{args.split}: {len(pairs)} clear answers")
    for path in [ARTEFACT, *args.model]:
        model = LocalModel.load(path)
        if model.embedder is not None:
            model.embedder = bench_analysis.Memo(model.recipe.embedder)
        credited = {s.id: bench_analysis.predict(s, model)[0] for s, _ in pairs}
        missed = sum(k not in credited[s.id] for s, k in pairs)
        print(f"  {path.name} ({model.version}): {missed} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
