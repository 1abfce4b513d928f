"""Answers across interviews (`ask`), measured and printed (never asserted).

    python bench/ask.py --seed            # write bench/ask_data/interviews.jsonl (deterministic)
    python bench/ask.py                   # recall@5, MRR, latency over 2,000 interviews, storage
    python bench/ask.py --db /tmp/ask_store.db --questions bench/ask_data/questions.jsonl \
        bench/ask_data/questions_test{,2,3,4}.jsonl   # the read sets, each and pooled (the store kept)

The interviews are built from training-corpus snippets (corpus/analysis/train*.jsonl, never a held-out
split): each of 220 invented candidates answers 10 snippets' questions. The questions
(bench/ask_data/questions.jsonl) were written apart by a helper that saw only interviews.jsonl and never
this code, with the relevant snippets labelled by that writer. An answer found counts for the snippet
whose candidate text contains it.

recall@5: per question, relevant snippets among the top 5 / min(5, relevant ones); MRR: 1 / rank of the
first relevant answer (0 when none in the top 10). Latency: the 220 interviews' answers copied under new
ids up to 2,000 interviews (embeddings and index rows copied, not recomputed), then each question asked
once more, wall time per question through bot.ask.answer (query embedding included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "ask_data"
SOURCES = ("corpus/analysis/train.jsonl", "corpus/analysis/train_round3.jsonl")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然晨阳博文佳琪欣怡子涵梓萱"
EN_NAMES = ["Alex", "Sam", "Jordan", "Taylor", "Casey", "Morgan", "Riley", "Jamie", "Drew", "Avery"]
EN_SURNAMES = ["Chen", "Smith", "Garcia", "Patel", "Kim", "Nguyen", "Müller", "Rossi", "Silva", "Cohen"]


def seed(n: int = 220, per: int = 10, rng_seed: int = 11) -> list[dict]:
    """n interviews of `per` snippets each, drawn without replacement from the training files."""
    snippets = [json.loads(line) for src in SOURCES for line in (ROOT / src).read_text().splitlines() if line]
    snippets = [s for s in snippets if any(t["speaker"] == "candidate" for t in s["turns"])]
    rng = random.Random(rng_seed)
    rng.shuffle(snippets)
    names: set[str] = set()
    out = []
    for i in range(n):
        while True:
            if rng.random() < 0.7:
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            else:
                name = f"{rng.choice(EN_NAMES)} {rng.choice(EN_SURNAMES)}"
            if name not in names:
                names.add(name)
                break
        part = snippets[i * per : (i + 1) * per]
        out.append(
            {
                "id": f"iv-{i + 1:03d}",
                "candidate": name,
                "snippets": [{"id": s["id"], "turns": s["turns"]} for s in part],
            }
        )
    return out


def lines_of(interview: dict) -> str:
    return "\n".join(
        f"{t['speaker']}: {' '.join(t['text'].split())}" for s in interview["snippets"] for t in s["turns"]
    )


def _bigrams(text: str) -> set[str]:
    text = "".join(text.split()).lower()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def snippet_of(interview: dict, quote: str) -> str | None:
    """The snippet whose candidate turns the quote came from: the most shared character pairs (the quote
    may carry a term correction, 秘等 -> 幂等, so exact containment is not enough)."""
    want = _bigrams(quote)
    best, best_share = None, 0.0
    for s in interview["snippets"]:
        said = _bigrams(" ".join(t["text"] for t in s["turns"] if t["speaker"] == "candidate"))
        share = len(want & said) / max(1, len(want))
        if share > best_share:
            best, best_share = s["id"], share
    return best if best_share >= 0.6 else None


def build(db: Path, interviews: list[dict]) -> tuple[object, dict[str, dict]]:
    """A service whose store holds every interview analysed and its answers embedded, as the worker
    stores them."""
    from bot.analysis import analyze, transcript_from_text
    from bot.ask import embed_answers
    from bot.config import load_settings
    from bot.service import Service
    from bot.storage import Store
    from bot.storage.schema import now, upsert

    service = Service(load_settings({"IB_DB": str(db), "IB_DATA_DIR": str(db.parent / "data")}))
    store = Store(db)
    by_id = {}
    from tqdm import tqdm

    for iv in tqdm(interviews, desc="analyse + embed", unit="interview"):
        transcript, roles = transcript_from_text(lines_of(iv))
        analysis = analyze(transcript, known_roles=roles).to_dict()
        answers = embed_answers(analysis)
        with store.db.conn:
            row = {
                "id": iv["id"],
                "created_at": now(),
                "source": f"{iv['candidate']}.m4a",
                "sha256": iv["id"],
                "size_bytes": 1,
                "title": iv["candidate"],
                "status": "done",
                "candidate_id": store.candidates.ensure(iv["candidate"]),
                "platform": "slack",
                "channel": "C1",
            }
            upsert(store.db.conn, "interviews", row, ("id",))
            store.interviews.write_results(iv["id"], transcript.to_dict(), analysis, "general", answers)
        by_id[iv["id"]] = iv
    store.close()
    return service, by_id


def _reopen(db: Path, interviews: list[dict]) -> tuple[object, dict[str, dict]]:
    from bot.config import load_settings
    from bot.service import Service

    service = Service(load_settings({"IB_DB": str(db), "IB_DATA_DIR": str(db.parent / "data")}))
    return service, {iv["id"]: iv for iv in interviews}


def copy_up_to(db: Path, total: int) -> None:
    """Copies of the stored interviews (answers, embeddings, index rows) under new ids, up to `total`."""
    import sqlite3

    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("select id from interviews")]
    made = len(ids)
    with conn:
        while made < total:
            for src in ids:
                if made >= total:
                    break
                new = f"cp-{uuid.uuid4().hex[:10]}"
                conn.execute(
                    "insert into interviews (id, created_at, source, sha256, size_bytes, title, status, "
                    "candidate_id, platform, channel) select ?, created_at, source, ?, size_bytes, title, "
                    "status, candidate_id, platform, channel from interviews where id = ?",
                    [new, new, src],
                )
                conn.execute(
                    "insert into answers (interview_id, idx, start, question, text, sentences, vector, "
                    "encoder, parts) select ?, idx, start, question, text, sentences, vector, encoder, parts "
                    "from answers where interview_id = ?",
                    [new, src],
                )
                conn.execute(
                    "insert into answer_index (tokens, key) select tokens, ? || substr(key, instr(key, ':')) "
                    "from answer_index where key like ?",
                    [new, f"{src}:%"],
                )
                made += 1
    conn.close()


def evaluate(service, by_id: dict[str, dict], questions: list[dict]) -> tuple[float, float, float, list[str]]:
    from bot.ask import answer

    recalls, hits, rranks, misses = [], [], [], []
    for q in questions:
        relevant = set(q["relevant"])
        result = asyncio.run(answer(service, None, q["question"], limit=10))
        found = []
        for a in result["answers"]:
            iv = by_id.get(a["interview_id"])
            found.append(snippet_of(iv, a["quote"]) if iv else None)
        hits5 = len(relevant & set(found[:5]))
        recalls.append(hits5 / min(5, len(relevant)))
        hits.append(1.0 if hits5 else 0.0)
        first = next((i for i, f in enumerate(found) if f in relevant), None)
        rranks.append(0.0 if first is None else 1.0 / (first + 1))
        if hits5 == 0:
            misses.append(q["question"])
    return statistics.mean(recalls), statistics.mean(hits), statistics.mean(rranks), misses


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", action="store_true", help="write bench/ask_data/interviews.jsonl and stop")
    p.add_argument(
        "--questions",
        nargs="+",
        default=[str(DATA / "questions.jsonl")],
        help="one or more question sets: each is scored, then all of them pooled (weighted by questions)",
    )
    p.add_argument("--total", type=int, default=2000, help="interviews in the store for the latency figure")
    p.add_argument("--db", help="keep the built store here and reuse it on the next run (the build is slow)")
    args = p.parse_args()
    if args.seed:
        DATA.mkdir(exist_ok=True)
        rows = seed()
        (DATA / "interviews.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        )
        print(f"wrote {len(rows)} interviews to {DATA / 'interviews.jsonl'}")
        return
    if not (DATA / "interviews.jsonl").exists():  # deterministic: the same file the questions were written on
        (DATA / "interviews.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in seed())
        )
    interviews = [json.loads(line) for line in (DATA / "interviews.jsonl").read_text().splitlines() if line]
    sets = {
        Path(path).stem: [json.loads(line) for line in Path(path).read_text().splitlines() if line]
        for path in args.questions
    }
    questions = [q for qs in sets.values() for q in qs]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ask.db"
        started = time.perf_counter()
        if args.db and Path(args.db).exists():
            import shutil

            shutil.copy(args.db, db)
            service, by_id = _reopen(db, interviews)
            from bot.ask import reindex  # answers another encoder embedded are compared with nothing

            if stale := reindex(service.db):
                print(f"re-embedded the answers of {stale} interviews with the current encoder")
                service.db.blocking(lambda s: s.db.execute("pragma wal_checkpoint(TRUNCATE)"))
                shutil.copy(db, args.db)
        else:
            service, by_id = build(db, interviews)
            if args.db:
                import shutil

                service.db.blocking(lambda s: s.db.execute("pragma wal_checkpoint(TRUNCATE)"))
                shutil.copy(db, args.db)
        build_s = time.perf_counter() - started
        scored = {name: evaluate(service, by_id, qs) for name, qs in sets.items()}
        recall, hit, mrr = (
            sum(scored[n][i] * len(qs) for n, qs in sets.items()) / len(questions) for i in range(3)
        )
        misses = [m for result in scored.values() for m in result[3]]
        size = os.path.getsize(db)
        answers, vectors = service.db.blocking(
            lambda s: s.db.execute("select count(*), sum(length(vector)) / 768 from answers").fetchone()
        )
        copy_up_to(db, args.total)
        latencies = []
        for q in questions:
            t = time.perf_counter()
            asyncio.run(__import__("bot.ask", fromlist=["answer"]).answer(service, None, q["question"]))
            latencies.append(time.perf_counter() - t)
        service.db.close()
    print(f"questions: {len(questions)} over {len(interviews)} interviews ({answers} answers)")
    if len(sets) > 1:
        for name, (r, h, m, _) in scored.items():
            print(f"  {name} ({len(sets[name])} questions): recall@5 {r:.3f}, hit@5 {h:.3f}, MRR {m:.3f}")
    print(f"recall@5: {recall:.3f}   hit@5 (a relevant answer in the top 5): {hit:.3f}   MRR: {mrr:.3f}")
    print(
        f"latency over {args.total} interviews: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"storage: {size / len(interviews) / 1024:.1f} KiB per interview (whole database / interviews); "
        f"{vectors} vectors of 768 bytes for {answers} answers (a long answer's parts: bot.ask), "
        f"{vectors * 768 / len(interviews) / 1024:.1f} KiB per interview; build {build_s:.0f} s"
    )
    for m in misses:
        print(f"  missed in top 5: {m}")


if __name__ == "__main__":
    main()
