"""Fit the qualifier heads on the splits labelled under the tightened span rules and write them into the
artefact next to its clause heads (bot/analysis/learned/semantic.py averages the two for qualifiers).

Why: the clause heads learn qualifiers from every labelled file, most of them labelled before
GUIDELINES.md said which limit a person marks (only on credited claims, one per claim, its first
statement); they flag about three caveats for each one people mark. Heads fitted on the five splits
labelled under those rules alone are better on three of them and worse on one; the mean of both is better
than the clause heads on all five (leave-one-split-out, docs/analysis-encoder.md).

Every figure and choice comes from leave-one-split-out over the given splits: for each split, the clause
heads are refitted without it (as scripts/train_analysis.py fits them, on the artefact's own training
files) and the new heads on the other splits; the mean of the two scores the split. On those out-of-split
probabilities: per-type thresholds (as train_analysis.py chooses them), then the clause rules (head, head
OR cue, head AND cue, per-type offsets): the most precise whose pooled recall is at least RECALL_TARGET plus
a margin. The shipped heads:

    python scripts/train_qualifier_heads.py corpus/analysis/heldout{5,6,7,8,9}.jsonl --cache /tmp/xf-cache
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_analysis as ta  # noqa: E402

from bot.analysis import corpus  # noqa: E402
from bot.analysis.learned import ARTEFACT, LocalModel, ModelUnavailable  # noqa: E402
from bot.analysis.learned.semantic import without_rules  # noqa: E402
from bot.analysis.results import QUALIFIER_TYPES  # noqa: E402

NQ = len(QUALIFIER_TYPES)
RECALL_TARGET = 0.70  # the qualifier recall target
MARGIN = 0.02  # room for a new split


def out_of_split(
    model: LocalModel, d: ta.Data, split_of: list[str], base: list[str], tight: list[str], l2: float
) -> dict[int, np.ndarray]:
    """Qualifier probabilities of every clause of the tight splits, from heads that never saw its split,
    combined by the model's own rule (LocalModel.clause_probs)."""
    out = {}
    for name in tight:
        clause = ta.fit_clause_heads(d, [i for i, s in enumerate(split_of) if s in base and s != name], l2)
        others = [i for i, s in enumerate(split_of) if s in tight and s != name]
        qual = ta.fit_clause_heads(d, others, l2, slice(0, NQ))
        held_out = replace(model, clause=clause, qual=qual)
        for i in (i for i, s in enumerate(split_of) if s == name and len(d.cx[i])):
            out[i] = held_out.clause_probs(d.cx[i])[:, :NQ]
    return out


def operating_point(
    rows: list[ta.ClauseRow], snippets: list[corpus.Snippet]
) -> tuple[dict[str, list], float, float]:
    """Of the per-type options (train_analysis.qualifier_options) along the recall / false-flag trade-off,
    the most precise whose pooled recall is at least RECALL_TARGET + MARGIN: (rules, recall, precision)."""
    opts, total = ta.qualifier_options(rows, snippets)
    best = None
    for choice in ta.trade_offs(opts, step=0.02):
        recall, precision = ta.pooled(opts, total, choice)
        if recall >= RECALL_TARGET + MARGIN and (best is None or precision > best[2]):
            best = ({k: list(v) for k, v in choice.items()}, recall, precision)
    if best is None:
        raise SystemExit(f"no choice keeps qualifier recall >= {RECALL_TARGET + MARGIN}")
    return best


def choose(
    d: ta.Data, snippets: list[corpus.Snippet], oof: dict[int, np.ndarray], vague_t: np.ndarray
) -> tuple[np.ndarray, dict[str, list], float, float]:
    """Per-type thresholds (as train_analysis chooses them), then the clause rules (operating_point)."""
    idx = sorted(oof)
    cp = np.concatenate([oof[i] for i in idx])
    cy = np.concatenate([d.cy[i][:, :NQ] for i in idx])
    thr = ta.thresholds(cp, cy, np.ones_like(cy), ta.CLAUSE_BETA, 0.3)
    probs = [np.pad(oof[i], ((0, 0), (0, len(vague_t)))) for i in idx]
    rows = ta.clause_rows([snippets[i] for i in idx], probs, np.concatenate([thr, vague_t]))
    alone = ta.choose_qualifier_rules(rows, [snippets[i] for i in idx], 2.0)
    print(f"out of split, heads alone: qualifier R {alone[1]:.3f} P {alone[2]:.3f}")
    rules, recall, precision = operating_point(rows, [snippets[i] for i in idx])
    print(f"out of split, chosen rules: qualifier R {recall:.3f} P {precision:.3f}; {rules}")
    return thr, rules, recall, precision


def version(model: LocalModel, tight: list[Path], settings: dict) -> str:
    """The clause heads' version plus a digest of what the qualifier heads were fitted and tuned on: two
    artefacts that can score differently never share a version (verdicts are grouped by it)."""
    blob = b"".join(f.read_bytes() for f in tight) + json.dumps(settings, sort_keys=True).encode()
    base = without_rules(model.version).split("-tq")[0]  # and without earlier qualifier heads ("-tq…")
    return f"{base}-tq{hashlib.sha256(blob).hexdigest()[:8]}"


def train(args: argparse.Namespace) -> None:
    model = LocalModel.load(args.artefact)
    corpus_dir = args.tight[0].parent
    base = [Path(f).stem for f in model.meta["train_files"]]
    tight = [f.stem for f in args.tight]
    names = list(dict.fromkeys(base + tight))
    per_split = {n: corpus.load([corpus_dir / f"{n}.jsonl"]) for n in names}
    snippets = [s for n in names for s in per_split[n]]
    split_of = [n for n in names for _ in per_split[n]]
    d = ta.featurise(snippets, model.recipe, args.cache)
    l2 = float(model.meta["clause_l2"])
    oof = out_of_split(model, d, split_of, base, tight, l2)
    thr, rules, recall, precision = choose(d, snippets, oof, model.clause_thresholds[NQ:])
    model.qual = ta.fit_clause_heads(d, [i for i, s in enumerate(split_of) if s in tight], l2, slice(0, NQ))
    model.clause_thresholds = np.concatenate([thr, model.clause_thresholds[NQ:]]).astype(np.float32)
    clause_rules = {**model.rules, "q": rules}
    clause_rules["cv"] = {**clause_rules.get("cv", {}), "qual_R": recall, "qual_P": precision}
    # the figures the rules were chosen on: recall >= the target holds by construction
    info = {"files": [f.name for f in args.tight], "chosen_at_R": recall, "chosen_at_P": precision}
    model.version = version(model, args.tight, {"l2": l2, "thr": thr.tolist(), "rules": rules})
    meta = {k: v for k, v in model.meta.items() if k != "version"}  # meta's own would overwrite it
    out = args.out or args.artefact
    model.save(out, {**meta, "clause_rules": clause_rules, "qualifier_heads": info})
    print(f"wrote {out} ({out.stat().st_size // 1024} KB), version {model.version}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tight", nargs="+", type=Path, help="splits labelled under the tightened span rules")
    ap.add_argument("--artefact", type=Path, default=ARTEFACT, help="the artefact to add the heads to")
    ap.add_argument("--out", type=Path, help="write here instead of over --artefact")
    ap.add_argument(
        "--cache",
        type=Path,
        required=True,
        help="the embedding cache the artefact's heads were fitted on (scripts/crossfit_encoder.py): another "
        "encoder's embeddings would tune these heads on features the clause heads never saw",
    )
    args = ap.parse_args(argv)
    try:
        train(args)
    except (ModelUnavailable, KeyError, FileNotFoundError) as exc:
        raise SystemExit(f"train_qualifier_heads: {type(exc).__name__}: {exc}") from None


if __name__ == "__main__":
    main()
