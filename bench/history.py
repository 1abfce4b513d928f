"""Candidate history from the shipped samples, and what search and digests cost on a bigger history.

    python bench/history.py                 # the three sample rounds through the real engine: panorama + digest
    python bench/history.py --scale 2000    # plus search / panorama / digest timings over 2000 stored interviews

Prints the rendered panorama and digest (Markdown), then figures. Uses a temporary database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = (
    ("1", "interview_zh.m4a", "李娜"),
    ("2", "interview_zh_round2.m4a", "王强"),
    ("3", "interview_zh_round3.m4a", "陈总"),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--scale", type=int, default=0, help="also time search, panorama and digest over this many interviews"
    )
    ap.add_argument("--language", default="zh", choices=["zh", "en"])
    args = ap.parse_args()

    import os

    work = Path(tempfile.mkdtemp(prefix="ib-history-"))
    os.environ.setdefault("IB_DATA_DIR", str(Path.home() / ".local/share/interview-bot"))
    os.environ["IB_DB"] = str(work / "history.db")
    os.environ["IB_ASR_ENGINE"] = "whisper"

    from asr_engine import Engine, choose_engine
    from bot import digest, panorama
    from bot.analysis import load_profile
    from bot.config import load_settings
    from bot.pipeline import process_recording
    from bot.render import render_history
    from bot.service import Service

    settings = load_settings()
    service = Service(settings)
    store = service.store()
    engine_name, _ = choose_engine(settings.engine_config())
    t0 = time.perf_counter()
    engine = Engine(settings.engine_config())
    for round_, name, interviewer in ROUNDS:
        done = process_recording(
            ROOT / "samples" / name,
            store=store,
            engine=lambda: engine,
            engine_name=engine_name,
            profile=load_profile("backend"),
            candidate="张伟",
            round_=round_,
            interviewer=interviewer,
        )
        with store.db.conn:  # one round a week, as a hiring process runs
            day = datetime(2026, 11, 10, 7, tzinfo=UTC) + timedelta(days=7 * (int(round_) - 1))
            store.db.conn.execute(
                "update interviews set created_at = ?, platform = 'slack', channel = 'C-HIRING' where id = ?",
                [day.isoformat(), done.interview_id],
            )
            store.db.conn.execute(
                "update analyses set created_at = ? where interview_id = ?",
                [day.isoformat(), done.interview_id],
            )
    asr_s = time.perf_counter() - t0

    pano = panorama.build(store, None, "张伟", language=args.language, report_url=service.report_url)
    print(render_history("panorama", pano.to_dict(), "md"))
    tz = digest.zone("Asia/Shanghai")
    end = datetime(2026, 11, 24, 18, tzinfo=tz)
    built = digest.build(
        store,
        {("slack", "C-HIRING")},
        end - timedelta(days=1),
        end,
        language=args.language,
        tz=tz,
        tz_name="Asia/Shanghai",
        report_url=service.report_url,
    )
    print(render_history("digest", built.to_dict(), "md"))
    print(
        f"three sample rounds (engine {engine_name}): {asr_s:.1f} s to transcribe, analyse and store; "
        f"{len(pano.contradictions)} contradictions, {len(pano.pending_followups)} open follow-ups"
    )

    if args.scale:
        scale(service, args.scale, args.language)


def scale(service, n: int, language: str) -> None:
    import json

    from bot import candidates, digest, fulltext, panorama, queries

    store = service.store()
    seed = [json.loads(r["body"]) for r in store.db.query("select body from analyses")]
    t0 = time.perf_counter()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with store.db.conn:
        for i in range(n):
            body = seed[i % len(seed)]
            iid = uuid.uuid4().hex[:12]
            at = (start + timedelta(minutes=137 * i)).isoformat(timespec="seconds")
            cid = candidates.ensure(store, f"候选人{i // 3}")
            store.db.conn.execute(
                "insert into interviews (id, created_at, source, sha256, status, candidate_id, round, platform, channel, "
                "profile) values (?, ?, ?, ?, 'done', ?, ?, 'slack', ?, 'backend_engineer')",
                [iid, at, f"r{i}.m4a", iid, cid, str(i % 3 + 1), f"C{i % 20}"],
            )
            store.db.conn.execute(
                "insert into analyses (interview_id, profile, overall_score, recommendation, body, "
                "created_at) values (?, 'backend_engineer', ?, ?, ?, ?)",
                [
                    iid,
                    body["overall"]["score"],
                    body["overall"]["recommendation"],
                    json.dumps(body, ensure_ascii=False),
                    at,
                ],
            )
            fulltext.index(store.db.conn, iid, body)
    load_s = time.perf_counter() - t0
    visible = {("slack", f"C{i}") for i in range(5)}

    def timed(fn, repeat=30):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]

    figures = {
        "search 幂等 (admin)": timed(lambda: queries.search(store, None, "幂等")),
        "search 缓存 一致性 (5 channels)": timed(lambda: queries.search(store, visible, "缓存 一致性")),
        "search idempot (no hit, substring fallback)": timed(lambda: queries.search(store, None, "idempot")),
        "panorama of one candidate": timed(
            lambda: panorama.build(store, None, "候选人7", language=language, report_url=service.report_url)
        ),
        "digest of one channel, one day": timed(
            lambda: digest.build(
                store,
                {("slack", "C3")},
                start + timedelta(days=30),
                start + timedelta(days=31),
                language=language,
                tz=UTC,
                tz_name="UTC",
                report_url=service.report_url,
            ),
            repeat=10,
        ),
    }
    db_mb = Path(store.db.execute("pragma database_list").fetchone()[2]).stat().st_size / 2**20
    rows = store.db.execute(f"select count(*) from {fulltext.TABLE}").fetchone()[0]
    print(
        f"\n{n} extra interviews stored and indexed in {load_s:.1f} s ({n / load_s:.0f}/s); "
        f"{rows} index rows; database {db_mb:.1f} MB"
    )
    for label, (p50, p95) in figures.items():
        print(f"{label:45s} median {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
