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
a margin; with --lowo-target, that recall floor is itself chosen leaving one split (one writer) out: for each
split, the rules picked on the other splits at each floor in TARGET_GRID score it, and the floor whose pooled
out-of-writer F1 is highest at recall >= RECALL_TARGET wins (rules picked on pooled splits lost qualifier
precision on the next writer twice: M20 on heldout19, E21 on heldout20). The shipped heads:

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


def most_precise(opts: ta.QualifierOptions, total: int, floor: float) -> tuple[dict, float, float] | None:
    """Of the per-type options along the recall / false-flag trade-off, the most precise whose pooled recall
    is at least `floor`: (choice, recall, precision), or None."""
    best = None
    for choice in ta.trade_offs(opts, step=0.02):
        recall, precision = ta.pooled(opts, total, choice)
        if recall >= floor and (best is None or precision > best[2]):
            best = (choice, recall, precision)
    return best


def operating_point(
    rows: list[ta.ClauseRow], snippets: list[corpus.Snippet], floor: float = RECALL_TARGET + MARGIN
) -> tuple[dict[str, list], float, float]:
    """The most precise per-type options (train_analysis.qualifier_options) whose pooled recall is at least
    `floor`: (rules, recall, precision)."""
    best = most_precise(*ta.qualifier_options(rows, snippets), floor)
    if best is None:
        raise SystemExit(f"no choice keeps qualifier recall >= {floor}")
    return {k: list(v) for k, v in best[0].items()}, best[1], best[2]


TARGET_GRID = tuple(round(0.60 + 0.02 * k, 2) for k in range(13))  # recall floors tried, 0.60-0.84


def per_split_options(
    rows: list[ta.ClauseRow], snippets: list[corpus.Snippet], split_of: list[str]
) -> dict[str, tuple[ta.QualifierOptions, int]]:
    """Each split's option tallies on its own (tallies add up over snippets, so any set of splits is a sum)."""
    out = {}
    for name in dict.fromkeys(split_of):
        keep = [i for i, s in enumerate(split_of) if s == name]
        at = {i: k for k, i in enumerate(keep)}
        own = [replace(r, snippet=at[r.snippet]) for r in rows if r.snippet in at]
        out[name] = ta.qualifier_options(own, [snippets[i] for i in keep])
    return out


def summed(parts: list[tuple[ta.QualifierOptions, int]]) -> tuple[ta.QualifierOptions, int]:
    opts = {
        kind: {c: tuple(sum(p[0][kind][c][i] for p in parts) for i in range(3)) for c in by_choice}
        for kind, by_choice in parts[0][0].items()
    }
    return opts, sum(p[1] for p in parts)


Parts = dict[str, tuple[ta.QualifierOptions, int]]


def out_of_writer(views: dict[str, Parts], floor: float) -> tuple[float, float]:
    """(recall, precision) pooled over every split, each scored by the rules picked on the others at `floor`
    (a split where no rule reaches the floor flags nothing). `views[name]` are the per-split tallies as seen
    with `name` left out (the per-type thresholds fitted without it)."""
    found = flagged = right = total = 0
    for name, parts in views.items():
        opts, n = parts[name]
        best = most_precise(*summed([p for k, p in parts.items() if k != name]), floor)
        total += n
        if best is not None:
            tallies = [opts[kind][c] for kind, c in best[0].items()]
            found, flagged, right = (
                x + sum(t[i] for t in tallies) for i, x in enumerate((found, flagged, right))
            )
    return found / max(total, 1), right / max(flagged, 1)


def lowo_floor(views: dict[str, Parts]) -> float:
    """The recall floor whose out-of-writer F1 is highest at out-of-writer recall >= RECALL_TARGET (ties: the
    higher floor); none there: the fixed RECALL_TARGET + MARGIN, said so."""
    scored = []
    for floor in TARGET_GRID:
        recall, precision = out_of_writer(views, floor)
        f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
        print(f"floor {floor:.2f}: out of writer qualifier R {recall:.3f} P {precision:.3f} F1 {f1:.3f}")
        if recall >= RECALL_TARGET:
            scored.append((f1, floor))
    if not scored:
        print(
            f"no floor keeps out-of-writer recall >= {RECALL_TARGET}: the fixed {RECALL_TARGET + MARGIN:.2f}"
        )
        return RECALL_TARGET + MARGIN
    return max(scored)[1]


def fitted_thresholds(d: ta.Data, oof: dict[int, np.ndarray], idx: list[int]) -> np.ndarray:
    """Per-type qualifier thresholds on the clauses of snippets `idx`, as train_analysis chooses them."""
    cp = np.concatenate([oof[i] for i in idx])
    cy = np.concatenate([d.cy[i][:, :NQ] for i in idx])
    return ta.thresholds(cp, cy, np.ones_like(cy), ta.CLAUSE_BETA, 0.3)


def writer_views(
    d: ta.Data,
    snippets: list[corpus.Snippet],
    oof: dict[int, np.ndarray],
    vague_t: np.ndarray,
    split_of: list[str],
) -> dict[str, Parts]:
    """Per left-out split: every split's tallies with the per-type thresholds fitted on the others, so the
    left-out split shapes neither its rules nor the thresholds they are offsets from."""
    idx = sorted(oof)
    names, quoted = [split_of[i] for i in idx], [snippets[i] for i in idx]
    probs = [np.pad(oof[i], ((0, 0), (0, len(vague_t)))) for i in idx]
    views = {}
    for name in dict.fromkeys(names):
        thr = fitted_thresholds(d, oof, [i for i in idx if split_of[i] != name])
        rows = ta.clause_rows(quoted, probs, np.concatenate([thr, vague_t]))
        views[name] = per_split_options(rows, quoted, names)
    return views


def choose(
    d: ta.Data,
    snippets: list[corpus.Snippet],
    oof: dict[int, np.ndarray],
    vague_t: np.ndarray,
    split_of: list[str] | None = None,
) -> tuple[np.ndarray, dict[str, list], float, float, float]:
    """Per-type thresholds (as train_analysis chooses them), then the clause rules (operating_point) at the
    recall floor chosen leaving one writer out when `split_of` names each snippet's split:
    (thresholds, rules, recall, precision, floor)."""
    idx = sorted(oof)
    thr = fitted_thresholds(d, oof, idx)
    probs = [np.pad(oof[i], ((0, 0), (0, len(vague_t)))) for i in idx]
    rows = ta.clause_rows([snippets[i] for i in idx], probs, np.concatenate([thr, vague_t]))
    alone = ta.choose_qualifier_rules(rows, [snippets[i] for i in idx], 2.0)
    print(f"out of split, heads alone: qualifier R {alone[1]:.3f} P {alone[2]:.3f}")
    floor = RECALL_TARGET + MARGIN
    if split_of is not None:
        floor = lowo_floor(writer_views(d, snippets, oof, vague_t, split_of))
    rules, recall, precision = operating_point(rows, [snippets[i] for i in idx], floor)
    print(
        f"out of split, chosen rules at recall >= {floor:.2f}: qualifier R {recall:.3f} P {precision:.3f}; {rules}"
    )
    return thr, rules, recall, precision, floor


def version(model: LocalModel, tight: list[Path], settings: dict) -> str:
    """The clause heads' version plus a digest of what the qualifier heads were fitted and tuned on: two
    artefacts that can score differently never share a version (verdicts are grouped by it)."""
    blob = b"".join(f.read_bytes() for f in tight) + json.dumps(settings, sort_keys=True).encode()
    base = without_rules(model.version).split("-tq")[0]  # and without earlier qualifier heads ("-tq…")
    return f"{base}-tq{hashlib.sha256(blob).hexdigest()[:8]}"


def train(args: argparse.Namespace) -> None:
    if args.lowo_target and len(set(args.tight)) < 2:
        raise SystemExit(
            "train_qualifier_heads: --lowo-target needs two or more tight splits to leave one out"
        )
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
    by_writer = split_of if args.lowo_target else None
    thr, rules, recall, precision, floor = choose(d, snippets, oof, model.clause_thresholds[NQ:], by_writer)
    model.qual = ta.fit_clause_heads(d, [i for i, s in enumerate(split_of) if s in tight], l2, slice(0, NQ))
    model.clause_thresholds = np.concatenate([thr, model.clause_thresholds[NQ:]]).astype(np.float32)
    clause_rules = {**model.rules, "q": rules}
    clause_rules["cv"] = {**clause_rules.get("cv", {}), "qual_R": recall, "qual_P": precision}
    # the figures the rules were chosen on (pooled recall >= the floor, by construction)
    info = {
        "files": [f.name for f in args.tight],
        "chosen_at_R": recall,
        "chosen_at_P": precision,
        "floor": floor,
    }
    settings = {"l2": l2, "thr": thr.tolist(), "rules": rules} | ({"lowo": True} if args.lowo_target else {})
    model.version = version(model, args.tight, settings)
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
    ap.add_argument(
        "--lowo-target",
        action="store_true",
        help="choose the rules' recall floor leaving one split out (TARGET_GRID), not the fixed "
        "RECALL_TARGET + MARGIN",
    )
    args = ap.parse_args(argv)
    try:
        train(args)
    except (ModelUnavailable, KeyError, FileNotFoundError) as exc:
        raise SystemExit(f"train_qualifier_heads: {type(exc).__name__}: {exc}") from None


if __name__ == "__main__":
    main()
