#!/usr/bin/env python3
"""Validate labelled interview snippets (corpus/analysis/*.jsonl) and print the counts the datasheet
promises: per language, per competency, negatives, multi-turn, qualifiers, vague claims.

    python scripts/check_corpus.py corpus/analysis/train.jsonl [--quota train|heldout]

Exit 1 with one line per problem when a snippet is malformed (spans must be exact substrings of a
candidate turn) or, with --quota, when a count is under the issue's minimum. Span rules of GUIDELINES.md
that can be checked mechanically (no qualifiers on a negative snippet, spans of 2-40 characters, no two
overlapping qualifier spans) are printed as warnings; --strict makes them problems (for new labels: the
older files predate these rules).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

# The label vocabularies are spelled out here, not imported from bot.analysis.results: the validator runs
# with a bare python3 (the people writing snippets have no project environment). tests/unit/
# test_corpus_labels.py keeps them equal to the model's.
COMPETENCIES = (
    "technical_depth",
    "system_design",
    "problem_solving",
    "leadership",
    "result_orientation",
    "collaboration",
    "communication",
    "learning",
)
QUALIFIERS = (
    "hearsay",
    "team_not_me",
    "not_shipped",
    "test_env_only",
    "unconfirmed_cause",
    "acting_role",
    "hedge",
)
MISSING = ("number", "mechanism", "specifics")
NEGATIVE_KINDS = ("passing_mention", "denial", "others_work", "hypothetical", "evasive", "small_talk")
LANGS = ("zh", "en", "mixed")
QUOTAS = {
    "train": {
        "total": 800,
        "zh_share": 0.6,
        "per_competency": 60,
        "negative": 150,
        "multi_turn": 100,
        "qualified": 150,
        "vague": 120,
    },
    "heldout": {
        "total": 250,
        "zh_share": 0.6,
        "per_competency": 20,
        "negative": 45,
        "multi_turn": 30,
        "qualified": 45,
        "vague": 40,
    },
}


def problems_of(item: dict, where: str) -> list[str]:
    out: list[str] = []
    turns = item.get("turns")
    if not isinstance(turns, list) or not turns:
        return [f"{where}: no turns"]
    for t in turns:
        if t.get("speaker") not in ("interviewer", "candidate") or not str(t.get("text", "")).strip():
            out.append(f"{where}: a turn needs speaker interviewer|candidate and text")
    if not any(t.get("speaker") == "candidate" for t in turns):
        out.append(f"{where}: no candidate turn")
    if item.get("lang") not in LANGS:
        out.append(f"{where}: lang must be one of {LANGS}")
    for field in ("required", "allowed"):
        bad = [k for k in item.get(field, []) if k not in COMPETENCIES]
        if bad:
            out.append(f"{where}: unknown competencies in {field}: {bad}")
    if set(item.get("required", [])) & set(item.get("allowed", [])):
        out.append(f"{where}: a competency is both required and allowed")
    if item.get("negative"):
        if item.get("required") or item.get("allowed"):
            out.append(f"{where}: a negative snippet credits nothing (required and allowed empty)")
        if item.get("negative_kind") not in NEGATIVE_KINDS:
            out.append(f"{where}: negative_kind must be one of {NEGATIVE_KINDS}")
    candidate_text = [t["text"] for t in turns if t.get("speaker") == "candidate"]
    for q in item.get("qualifiers", []):
        if q.get("type") not in QUALIFIERS:
            out.append(f"{where}: unknown qualifier type {q.get('type')!r}")
        if not any(q.get("span", "\0") in text for text in candidate_text):
            out.append(f"{where}: qualifier span {q.get('span')!r} is not in a candidate turn")
    for v in item.get("vague", []):
        if v.get("missing") not in MISSING:
            out.append(f"{where}: vague 'missing' must be one of {MISSING}")
        if not any(v.get("span", "\0") in text for text in candidate_text):
            out.append(f"{where}: vague span {v.get('span')!r} is not in a candidate turn")
    return out


def warnings_of(item: dict, where: str) -> list[str]:
    """GUIDELINES.md span rules a script can check; older files break some of them."""
    out: list[str] = []
    quals = [q.get("span", "") for q in item.get("qualifiers", [])]
    if item.get("negative") and quals:
        out.append(f"{where}: qualifiers on a negative snippet (nothing credited, nothing to qualify)")
    for field in ("qualifiers", "vague"):
        out += [
            f"{where}: {field} span {x.get('span')!r} is not 2-40 characters"
            for x in item.get(field, [])
            if not 2 <= len(x.get("span", "")) <= 40
        ]
    out += [
        f"{where}: qualifier spans {a!r} and {b!r} overlap (one qualifier per claim)"
        for i, a in enumerate(quals)
        for b in quals[i + 1 :]
        if a in b or b in a
    ]
    return out


def load(path: Path, warnings: list[str] | None = None) -> tuple[list[dict], list[str]]:
    """Items and problems; span-rule warnings are appended to `warnings` when given."""
    items, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path.name}:{n}: not JSON ({exc.msg})")
            continue
        where = f"{path.name}:{n} ({item.get('id')})"
        problems += problems_of(item, where)
        if warnings is not None:
            warnings += warnings_of(item, where)
        items.append(item)
    ids = Counter(i.get("id") for i in items)
    problems += [f"{path.name}: duplicate id {k}" for k, c in ids.items() if c > 1]
    return items, problems


def counts(items: list[dict]) -> dict:
    c: dict = {"total": len(items), "lang": Counter(i["lang"] for i in items)}
    c["per_competency"] = {k: sum(k in i.get("required", []) for i in items) for k in COMPETENCIES}
    c["negative"] = sum(bool(i.get("negative")) for i in items)
    c["multi_turn"] = sum(
        len(i["turns"]) > 2
        or sum(t["speaker"] == "candidate" for t in i["turns"]) > 1
        and any(t["speaker"] == "interviewer" for t in i["turns"])
        for i in items
    )
    c["qualified"] = sum(bool(i.get("qualifiers")) for i in items)
    c["qualifier_types"] = Counter(q["type"] for i in items for q in i.get("qualifiers", []))
    c["vague"] = sum(bool(i.get("vague")) for i in items)
    return c


def quota_problems(c: dict, quota: dict) -> list[str]:
    out = []
    if c["total"] < quota["total"]:
        out.append(f"total {c['total']} < {quota['total']}")
    if c["total"] and c["lang"]["zh"] / c["total"] < quota["zh_share"]:
        out.append(f"Mandarin share {c['lang']['zh'] / c['total']:.2f} < {quota['zh_share']}")
    for k, n in c["per_competency"].items():
        if n < quota["per_competency"]:
            out.append(f"{k} required in {n} < {quota['per_competency']}")
    for key in ("negative", "multi_turn", "qualified", "vague"):
        if c[key] < quota[key]:
            out.append(f"{key} {c[key]} < {quota[key]}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--quota", choices=sorted(QUOTAS))
    parser.add_argument("--strict", action="store_true", help="span-rule warnings count as problems")
    args = parser.parse_args()
    items, problems, warnings = [], [], []
    for path in args.files:
        got, bad = load(path, warnings)
        items += got
        problems += bad
    c = counts(items)
    print(json.dumps(c, ensure_ascii=False, indent=1, default=dict))
    if args.quota:
        problems += quota_problems(c, QUOTAS[args.quota])
    if args.strict:
        problems += warnings
    else:
        for w in warnings:
            print(f"warning: {w}", file=sys.stderr)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
