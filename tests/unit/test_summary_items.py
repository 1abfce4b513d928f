"""The summary's points as data: each strength and doubt carries its moment and competency, the display
lists are derived from them, and analyses stored before the items existed read the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from history import SCORED_LINES, open_store, store_interview, store_round

from bot import digest, panorama
from bot.analysis import analyze, transcript_from_text
from bot.config import load_settings
from bot.service import Service

T1, T2 = datetime(2026, 11, 10, 6, 0, tzinfo=UTC), datetime(2026, 11, 17, 6, 0, tzinfo=UTC)


@pytest.fixture
def service(tmp_path):
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))
    svc.own_store = open_store(svc)
    yield svc
    svc.own_store.close()
    svc.db.close()


def test_every_summary_line_is_an_item_with_its_moment_and_competency():
    text = "\n".join(f"{who}: {line}" for who, line in SCORED_LINES)
    text += "\ninterviewer: 效果怎么样？\ncandidate: 上线以后性能提升了很多，大家都挺满意的。"
    transcript, roles = transcript_from_text(text)
    a = analyze(transcript, known_roles=roles)
    summary = a.to_dict()["summary"]
    items = summary["items"]
    assert summary["strengths"] == [i["text"] for i in items if i["kind"] == "strength"]
    assert summary["to_verify"] == [i["text"] for i in items if i["kind"] in ("to_verify", "no_evidence")]
    starts = {e.start for c in a.competencies.values() for e in c.evidence}
    strengths = [i for i in items if i["kind"] == "strength"]
    assert strengths and all(i["start"] in starts and i["competency"] in a.competencies for i in strengths)
    missing = [i for i in items if i["kind"] == "no_evidence"]
    assert missing and all(i["start"] is None and i["competency"] for i in missing)
    vague = [i for i in items if i["kind"] == "to_verify" and i["competency"] is None]
    assert [i["start"] for i in vague] == [v.start for v in a.vague_claims]


def _strip_items(service) -> None:
    """Make every stored analysis look like one written before summary items existed."""
    conn = service.own_store.db.conn
    with conn:
        for iid, body in conn.execute("select interview_id, body from analyses").fetchall():
            a = json.loads(body)
            del a["summary"]["items"]
            conn.execute("update analyses set body = ? where interview_id = ?", [json.dumps(a), iid])


def test_panorama_and_digest_read_analyses_stored_before_items_the_same(service):
    for round_, at in (("1", T1), ("2", T2)):
        store_round(service, round_, at=at, channel="C1")
    store_interview(service, lines=SCORED_LINES, candidate="李雷", round_="1", at=T2, channel="C1")

    def read():
        p = panorama.build(service.own_store, None, "张伟", language="zh", report_url=lambda i: f"u/{i}")
        d = digest.build(
            service.own_store,
            None,
            T1 - timedelta(days=1),
            T2 + timedelta(days=1),
            language="zh",
            tz=ZoneInfo("Asia/Shanghai"),
            tz_name="Asia/Shanghai",
            report_url=lambda i: f"u/{i}",
        )
        return p, d

    p_new, d_new = read()
    _strip_items(service)
    p_old, d_old = read()
    assert any(u.start for u in p_new.unverified)
    assert [u.text for u in p_old.unverified] == [u.text for u in p_new.unverified]
    # the moment comes back from the line's "（00:36）": whole seconds instead of the exact start
    assert [None if u.start is None else int(u.start) for u in p_new.unverified] == [
        u.start for u in p_old.unverified
    ]
    assert [(i.strength, i.to_verify) for i in d_old.items] == [
        (i.strength, i.to_verify) for i in d_new.items
    ]
    assert any(i.strength for i in d_new.items) and all(i.to_verify for i in d_new.items)
