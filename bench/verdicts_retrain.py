"""What folding interviewers' verdicts into the training data buys, measured without real interviewers:
held-out micro precision / recall / F1 before and after, printed (never asserted).

    python bench/verdicts_retrain.py [--slice 0.3] [--ceiling] [--work /tmp/ib-verdicts-bench]

The simulated interviewers judge by the labels of a slice of corpus/analysis/train.jsonl (never the
held-out split): the slice is kept out of the "before" model, the "before" model analyses each of its
snippets, every score gets the verdict its labels imply (credited and required: agree; credited and
allowed: too high; credited and not allowed: wrong evidence; required but not credited: missed), the
verdicts go through the real store (record, then export: the shape `interview-bot verdicts export`
writes), and scripts/train_analysis.py's --verdicts mapping folds them into the rest of the split for
the "after" model. --missed-answers lets a missed verdict cite the snippet's answer (the shipped
controls cite none, so those verdicts are skipped), as a what-if. --ceiling also trains on the rest plus the slice's full labels (what a labeller
would add). Both models are written under --work, never over the shipped artefact.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_analysis as ta  # noqa: E402

from bench.analysis import prf, score, snippet_text  # noqa: E402
from bot.analysis import analyze, corpus, transcript_from_text  # noqa: E402
from bot.analysis.learned import LocalModel, use_model  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.storage.schema import now, upsert  # noqa: E402

TRAIN, HELDOUT = ROOT / "corpus/analysis/train.jsonl", ROOT / "corpus/analysis/heldout.jsonl"


def in_slice(snippet_id: str, share: float) -> bool:
    return int(hashlib.sha256(snippet_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def judge(s: corpus.Snippet, comps: dict) -> dict[str, str]:
    """The verdict a careful interviewer would give each competency, going by the snippet's labels."""
    out = {}
    for key, c in comps.items():
        credited = c["score"] is not None and c["evidence"]
        if credited:
            out[key] = "agree" if key in s.required else "too_high" if key in s.allowed else "wrong_evidence"
        elif key in s.required:
            out[key] = "missed"
    return out


def simulate(
    snippets: list[corpus.Snippet], model: LocalModel, db_path: Path, missed_answers: bool = False
) -> list[dict]:
    """Analyse each snippet with `model`, store it as an interview, record the verdicts, export them.
    missed_answers: a missed verdict cites the candidate's answer (what a control that asked "where?"
    would give; the shipped controls cite none)."""
    use_model(model)
    store, answers = Store(db_path), {}
    try:
        for s in snippets:
            transcript, roles = transcript_from_text(snippet_text(s))
            analysis = analyze(transcript, known_roles=roles).to_dict()
            iid = uuid.uuid4().hex[:12]
            with store.db.conn:
                row = {"id": iid, "created_at": now(), "source": s.id, "sha256": iid, "size_bytes": 1}
                upsert(store.db.conn, "interviews", {**row, "status": "done", "platform": "web"}, ("id",))
                store.interviews.write_results(iid, transcript.to_dict(), analysis, "general")
            for key, verdict in judge(s, analysis["competencies"]).items():
                store.verdicts.record(iid, key, verdict, "simulated", "web")
            answers[iid] = " ".join(s.candidate_turns)
        rows = store.verdicts.export()
        if missed_answers:
            for row in rows:
                if row["verdict"] == "missed":
                    row["answer_text"] = answers[row["interview_id"]]
        return rows
    finally:
        store.close()


def train(name: str, snippets: list[corpus.Snippet], work: Path, meta: dict) -> LocalModel:
    out = work / f"{name}.npz"
    source = work / f"{name}.ids"
    source.write_text("\n".join(s.id for s in snippets))  # the version's digest: what it was trained on
    t0 = time.time()
    ta.MLP = ta.network_of(meta)  # the shipped network half, if any
    ta.train_final(
        snippets, ta.parse_recipe(meta["recipe"]), meta["l2"], meta["clause_l2"], work, out, [source]
    )
    print(f"trained {name} on {len(snippets)} snippets in {time.time() - t0:.0f} s", flush=True)
    return LocalModel.load(out)


def micro(tally) -> str:
    p, r, f = prf(sum(tally.tp.values()), sum(tally.fp.values()), sum(tally.fn.values()))
    qr = tally.q_found / tally.q_total if tally.q_total else 0.0
    vr = tally.v_found / tally.v_total if tally.v_total else 0.0
    return f"micro P {p:.3f} R {r:.3f} F1 {f:.3f} · qualifier recall {qr:.2f} · vague recall {vr:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--slice", type=float, default=0.3, help="share of train.jsonl the interviewers judge")
    ap.add_argument("--ceiling", action="store_true", help="also train on the slice's full labels")
    ap.add_argument(
        "--missed-answers", action="store_true", help="missed verdicts cite the answer (a what-if)"
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/ib-verdicts-bench"))
    ap.add_argument("--embeddings", type=Path, default=Path("/tmp/ib-analysis-cache"), help="a warm cache")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    for cached in args.embeddings.glob("emb-*.npz"):  # a copy: never write into another run's cache
        if not (args.work / cached.name).exists():
            shutil.copyfile(cached, args.work / cached.name)
    shipped = LocalModel.load().meta
    r = shipped["recipe"]
    meta = {
        "recipe": f"{r['embedder'] if r['embeddings'] else 'none'},{r['ngram_dim']},"
        f"{int(r['signals'])},{int(r['question'])}",
        "l2": float(shipped["l2"]),
        "clause_l2": float(shipped["clause_l2"]),
    }
    snippets = corpus.load([TRAIN])
    judged = [s for s in snippets if in_slice(s.id, args.slice)]
    rest = [s for s in snippets if not in_slice(s.id, args.slice)]
    print(f"train.jsonl: {len(rest)} snippets to train on, {len(judged)} judged by simulated interviewers")
    before = train("before", rest, args.work, meta)
    (args.work / "verdicts.db").unlink(missing_ok=True)
    rows = simulate(judged, before, args.work / "verdicts.db", args.missed_answers)
    export = args.work / "verdicts.jsonl"
    export.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    counts = {v: sum(row["verdict"] == v for row in rows) for v in ta.VERDICT_LABEL}
    folded = ta.verdict_snippets(ta.load_verdicts(export))
    print(f"{len(rows)} verdicts {counts}: {len(folded)} answers with labels")
    models = {"before": before, "after (+ verdicts)": train("after", rest + folded, args.work, meta)}
    if args.ceiling:
        models["ceiling (+ the slice's labels)"] = train("ceiling", rest + judged, args.work, meta)
    held = corpus.load([HELDOUT])
    print(f"\nheld-out ({len(held)} snippets of {HELDOUT.name}):")
    for name, model in models.items():
        print(f"  {name:32s} {micro(score(held, model))}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
