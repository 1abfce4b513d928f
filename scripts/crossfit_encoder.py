"""Cross-fitted fine-tuning of the analysis encoder: out-of-fold embeddings for the heads, one adapter to ship.

A fine-tuned encoder has seen its training snippets' labels, so heads fitted (and thresholds chosen) on
its embeddings of those snippets are too confident; holding out a dev split instead leaves the thresholds
to a few hundred snippets (docs/analysis-encoder.md measured both costs). Cross-fitting removes both:

1. N fine-tunings (scripts/train_encoder.py --fold K/N), each leaving one N-th of the snippets out;
2. every snippet embedded by the run that did not see it: an out-of-fold cache `emb-e5-lora.npz` in --cache,
   on which scripts/train_analysis.py fits the heads and chooses every threshold by cross-validation;
3. the adapter of fold 0 ships, under those heads: it was trained on (N-1)/N of the snippets like every run
   that embedded the heads' training data, so the heads meet embeddings of the kind they were fitted on
   (`--final` also fine-tunes on everything, in `final/`, for a comparison; its embeddings are of another
   kind: it saw every label).

Resumable (each run resumes from its own checkpoint; a finished run is skipped), deterministic from --seed.
The frozen layers' states are computed once and shared by every run.

    nohup python scripts/crossfit_encoder.py corpus/analysis/{train,train_round3,heldout{,2,3,4,5,6,7}}.jsonl \\
        --work /tmp/xf --folds 3 --first 10 --epochs 3 --lr 1e-3 --cache /tmp/xf-cache > /tmp/xf.log 2>&1 &
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_encoder  # noqa: E402
from e5_torch import E5Torch, pad  # noqa: E402

from bot.analysis import corpus  # noqa: E402
from bot.analysis.learned import e5_numpy  # noqa: E402
from bot.analysis.learned.e5_adapted import LORA  # noqa: E402
from bot.analysis.learned.embed import E5, verify  # noqa: E402


def fine_tune(args: argparse.Namespace, work: Path, split: list[str]) -> Path:
    """One fine-tuning run (skipped when its last epoch's adapter exists); the path of that adapter."""
    adapter = work / f"adapter-epoch{args.epochs}.npz"
    if adapter.exists():
        return adapter
    work.mkdir(parents=True, exist_ok=True)
    shared, own = args.work / f"states-{args.first}.pt", work / f"states-{args.first}.pt"
    if shared.exists() and not own.exists():
        own.symlink_to(shared)
    argv = [str(p) for p in args.train] + ["--work", str(work), *split, "--seed", str(args.seed)]
    argv += ["--first", str(args.first), "--rank", str(args.rank), "--epochs", str(args.epochs)]
    argv += ["--lr", str(args.lr), "--threads", str(args.threads)]
    argv += ["--group-by-question"] if args.group_by_question else []
    if train_encoder.main(argv) != 0:
        raise SystemExit(f"fine-tuning in {work} failed")
    if not shared.exists():  # the first run computed the frozen layers' states: share them
        own.rename(shared)
        own.symlink_to(shared)
    return adapter


def embed(adapter: Path, states: list[torch.Tensor], idx: list[int], first: int) -> np.ndarray:
    """The texts `idx` through the upper layers with `adapter` merged, as the runtime runs them."""
    weights, _ = e5_numpy.load(verify(E5) / LORA.base)
    with np.load(adapter, allow_pickle=False) as npz:
        weights = e5_numpy.apply_adapter(weights, {k: npz[k] for k in npz.files if k != "meta"})
    model = E5Torch(weights, first, 0, 1.0)
    order = sorted(idx, key=lambda i: len(states[i]))
    out: dict[int, np.ndarray] = {}
    with torch.no_grad():
        for k in tqdm(range(0, len(order), 64), desc=f"embedding with {adapter.parent.name}"):
            batch = order[k : k + 64]
            for i, v in zip(batch, model.pooled(*pad([states[i] for i in batch])).numpy()):
                out[i] = v
    return np.stack([out[i] for i in idx])


def out_of_fold(args: argparse.Namespace, adapters: list[Path]) -> Path:
    """Each text embedded by the run whose dev fold holds the first snippet that uses it."""
    snippets = corpus.load(args.train)
    texts: dict[str, int] = {}
    train_encoder.examples(snippets, texts)  # the text order of the cached states
    states = torch.load(args.work / f"states-{args.first}.pt")
    owner: dict[int, int] = {}
    for k in range(args.folds):
        groups = train_encoder.question_groups(snippets) if args.group_by_question else None
        _, dev = train_encoder.split(snippets, 0.0, args.seed, (k, args.folds), groups)
        for s in dev:
            u = s.unit()
            for t in [u.question, *(x.text for _, x in u.sentences)]:
                if t:
                    owner.setdefault(texts[t], k)
    names = list(texts)
    vectors = np.zeros((len(names), 384), dtype=np.float32)
    for k, adapter in enumerate(adapters):
        idx = [i for i, f in owner.items() if f == k]
        vectors[idx] = embed(adapter, states, idx, args.first)
    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"emb-{LORA.name}.npz"
    np.savez(path, texts=np.array(names), vectors=vectors)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train", nargs="+", type=Path)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--cache", type=Path, required=True, help="where the out-of-fold embeddings go")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--first", type=int, default=10)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--final", action="store_true", help="also fine-tune on everything (final/)")
    ap.add_argument(
        "--group-by-question",
        action="store_true",
        help="folds take whole groups of snippets sharing a question, so no question is embedded by a run "
        "that trained on it (the run shipped on 2026-12-07 predates this option)",
    )
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    adapters = [
        fine_tune(args, args.work / f"fold{k}", ["--fold", f"{k}/{args.folds}"]) for k in range(args.folds)
    ]
    print(f"wrote {out_of_fold(args, adapters)}", flush=True)
    ship = fine_tune(args, args.work / "final", ["--dev-frac", "0"]) if args.final else adapters[0]
    print(f"the adapter to ship: {ship} (python scripts/train_encoder.py --export {ship})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
