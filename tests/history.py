"""Interviews stored the way the worker stores them, from the fixtures' scripts or given lines, at a chosen
time and in a chosen channel: the raw material for digests, panoramas and search."""

from __future__ import annotations

import json
import uuid
from contextlib import closing
from datetime import datetime

from conftest import FIXTURES

from bot.analysis import analyze, load_profile, transcript_from_text
from bot.service import Service
from bot.storage import Store
from bot.storage.schema import upsert

ROUNDS = {
    "1": "interview_zh.script.json",
    "2": "interview_zh_round2.script.json",
    "3": "interview_zh_round3.script.json",
}


def script_lines(round_: str) -> list[tuple[str, str]]:
    data = json.loads((FIXTURES / ROUNDS[round_]).read_text(encoding="utf-8"))
    return [(u["speaker"], u["text"]) for u in data]


def open_store(service: Service) -> Store:
    """A connection of the test's own to the service's database, for setting up and inspecting."""
    return Store(service.settings.db_path)


def store_interview(
    service: Service,
    *,
    lines: list[tuple[str, str]],
    candidate: str | None,
    round_: str | None = None,
    channel: str = "C1",
    platform: str = "slack",
    at: datetime,
    interviewer: str | None = None,
    profile: str = "backend",
    answers: bool = False,
) -> str:
    """`answers`: also store its answers with their embeddings, as the worker does (search across
    interviews)."""
    transcript, roles = transcript_from_text("\n".join(f"{who}: {text}" for who, text in lines))
    analysis = analyze(transcript, load_profile(profile), known_roles=roles)
    stamp, iid = at.isoformat(timespec="seconds"), uuid.uuid4().hex[:12]
    with closing(open_store(service)) as store, store.db.conn:
        row = {
            "id": iid,
            "created_at": stamp,
            "source": f"{candidate or 'recording'}_{round_ or 'x'}.m4a",
            "sha256": uuid.uuid4().hex,
            "size_bytes": 1,
            "profile": profile,
            "title": candidate or "recording",
            "status": "done",
            "candidate_id": store.candidates.ensure(candidate),
            "round": round_,
            "interviewer": interviewer,
            "platform": platform,
            "channel": channel,
        }
        upsert(store.db.conn, "interviews", row, ("id",))
        stored = None
        if answers:
            from bot.ask import embed_answers

            stored = embed_answers(analysis.to_dict())
        store.interviews.write_results(iid, transcript.to_dict(), analysis.to_dict(), profile, stored)
        store.db.conn.execute("update analyses set created_at = ? where interview_id = ?", [stamp, iid])
    return iid


def store_round(service: Service, round_: str, *, candidate: str = "张伟", **kw) -> str:
    return store_interview(service, lines=script_lines(round_), candidate=candidate, round_=round_, **kw)


# An interview with scored competencies (technical depth, results, leadership): what verdicts are cast on.
SCORED_LINES = [
    ("interviewer", "你们支付回调重复通知怎么处理的？"),
    (
        "candidate",
        "我设计了幂等方案：拿渠道的交易流水号落一张表，加唯一索引，插入冲突就直接返回第一次的处理结果，"
        "后来又把对账改成了按小时跑，重复扣款从每周 30 多单降到了 0。",
    ),
    ("interviewer", "团队呢？"),
    ("candidate", "我带了三个人，每周和他们做一对一，帮新同学定了成长计划，后来两个人都升了级。"),
]
