#!/usr/bin/env python3
"""Question flags measured on a labelled question file (issue 26).

    python bench/interviewer.py [FILE.jsonl]      # default: corpus/interviewer/questions_heldout20.jsonl (never tuned on)
    python bench/interviewer.py --analysis-corpus # flags on the interviewer turns of corpus/analysis

One JSON per line: {"id", "lang", "text", "category": str | null, "near_miss": bool (optional)}. A flag
is right when its category is the labelled one. Prints precision and recall overall and per category,
the share of lawful near-misses left unflagged, and the misses and false flags themselves. Targets
(issue 26, on the held-out split written by another writer): precision and recall >= 0.90, near-misses
unflagged >= 98%.

`--analysis-corpus` runs every interviewer sentence of corpus/analysis/*.jsonl (ordinary interview
questions by other writers, written for the candidate analysis) and lists what gets flagged: a false-flag
rate on real interview talk, since almost none of it touches a protected topic.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.analysis.flag_rules import CATEGORIES  # noqa: E402

DEFAULT = ROOT / "corpus" / "interviewer" / "questions_heldout20.jsonl"


@dataclass
class Question:
    id: str
    lang: str
    text: str
    category: str | None
    near_miss: bool = False


def load_questions(path: Path) -> list[Question]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("category") not in (None, *CATEGORIES):
            raise ValueError(f"{path.name} line {n}: unknown category {row['category']!r}")
        out.append(Question(row["id"], row["lang"], row["text"], row["category"], bool(row.get("near_miss"))))
    return out


@dataclass
class Scores:
    precision: float | None
    recall: float | None
    near_miss_clean: float | None  # share of lawful near-misses with no flag
    per_category: dict[str, tuple[float | None, float | None, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def evaluate(questions: Sequence[Question], predicted: Sequence[str | None]) -> Scores:
    right = sum(1 for q, p in zip(questions, predicted) if p is not None and p == q.category)
    flagged = sum(p is not None for p in predicted)
    gold = sum(q.category is not None for q in questions)
    near = [p for q, p in zip(questions, predicted) if q.near_miss]
    scores = Scores(
        _ratio(right, flagged), _ratio(right, gold), _ratio(sum(p is None for p in near), len(near))
    )
    for c in CATEGORIES:
        hit = sum(1 for q, p in zip(questions, predicted) if p == c and q.category == c)
        n_gold = sum(q.category == c for q in questions)
        scores.per_category[c] = (_ratio(hit, sum(p == c for p in predicted)), _ratio(hit, n_gold), n_gold)
    for q, p in zip(questions, predicted):
        if p != q.category:
            scores.errors.append(f"{q.id}: labelled {q.category}, flagged {p}: {q.text}")
    return scores


def report(scores: Scores, title: str) -> None:
    print(f"== {title}")
    print(
        f"precision {scores.precision}  recall {scores.recall}  near-misses unflagged {scores.near_miss_clean}"
    )
    print(f"{'category':28} {'precision':>9} {'recall':>7} {'n':>4}")
    for c, (p, r, n) in scores.per_category.items():
        print(f"{c:28} {p if p is not None else '-':>9} {r if r is not None else '-':>7} {n:>4}")


def analysis_corpus_sentences() -> list[str]:
    from bot.analysis.spans import sentences

    found: set[str] = set()
    for path in sorted((ROOT / "corpus" / "analysis").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for turn in json.loads(line).get("turns", []) if line.strip() else []:
                if turn.get("speaker") == "interviewer":
                    found.update(s.text.strip() for s in sentences(turn["text"]) if s.text.strip())
    return sorted(found)


def flag_analysis_corpus(model) -> int:
    from bot.analysis.flags import classify

    texts = analysis_corpus_sentences()
    flagged = [(c, t) for c, t in zip(classify(texts, model), texts) if c]
    print(f"== corpus/analysis interviewer sentences: {len(texts)}, flagged {len(flagged)}")
    for category, text in flagged:
        print(f"{category:28} {text}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--cues-only", action="store_true", help="the exact cues without the learned head")
    ap.add_argument("--errors", action="store_true", help="list every miss and false flag")
    ap.add_argument(
        "--analysis-corpus", action="store_true", help="flags on corpus/analysis interviewer turns"
    )
    args = ap.parse_args(argv)
    if not args.analysis_corpus and not args.file.is_file():
        print(f"error: {args.file} does not exist (give a labelled question file)", file=sys.stderr)
        return 2
    from bot.analysis.flags import FlagModel, classify

    model = None if args.cues_only else FlagModel.load()
    if args.analysis_corpus:
        return flag_analysis_corpus(model)
    questions = load_questions(args.file)
    scores = evaluate(questions, classify([q.text for q in questions], model))
    title = f"{args.file.name}: {len(questions)} questions, {'cues only' if model is None else 'cues + head'}"
    report(scores, title)
    if args.errors:
        print("\n".join(scores.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
