"""Verdicts in the store: one per person per competency (the latest wins), refused for a deleted
interview, gone with their interview (delete and retention), stats per competency and analysis version,
and the export turned into corpus snippets that pass scripts/check_corpus.py's checks."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime

import pytest
from conftest import ROOT
from history import SCORED_LINES, open_store, store_interview

from bot.config import load_settings
from bot.service import Service
from bot.storage import VerdictError
from bot.verdicts import stats_lines, to_snippets

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
LINES = SCORED_LINES


@pytest.fixture
def store(tmp_path):
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))
    iid = store_interview(svc, lines=LINES, candidate="张伟", round_="1", at=AT, channel="C1")
    s = open_store(svc)
    s.iid = iid
    yield s
    s.close()
    svc.db.close()


def scored(store) -> list[str]:
    comps = store.interviews.analysis(store.iid)["competencies"]
    return [k for k, c in comps.items() if c["score"] is not None and c["evidence"]]


def same_answer_pair(store) -> tuple[str, str]:
    """Two competencies credited from the same answer (a verdict on one answer's other competency)."""
    comps = store.interviews.analysis(store.iid)["competencies"]

    def answer(key: str) -> str:
        quote = comps[key]["evidence"][0]["text"].rstrip("…")[:8]
        return next(text for who, text in LINES if who == "candidate" and quote in text)

    keys = scored(store)
    return next((a, b) for a in keys for b in keys if a != b and answer(a) == answer(b))


def test_latest_verdict_of_a_person_wins_and_the_tally_counts_people(store):
    comp = scored(store)[0]
    store.verdicts.record(store.iid, comp, "agree", "U1", "slack")
    store.verdicts.record(store.iid, comp, "too_high", "U1", "slack")
    tally = store.verdicts.record(store.iid, comp, "agree", "U2", "slack")
    assert tally[comp] == {"agree": 1, "too_high": 1}
    [row] = [r for r in store.verdicts.export() if r["user"] == "U1"]
    assert (
        row["verdict"] == "too_high" and row["evidence_text"] and row["evidence_text"] in row["answer_text"]
    )
    assert row["analysis_version"] == store.interviews.analysis(store.iid)["analysis_version"]


def test_bad_verdicts_and_deleted_interviews_are_refused(store):
    comp = scored(store)[0]
    for args, reason in (
        ((store.iid, comp, "meh"), "bad_verdict"),
        ((store.iid, "charisma", "agree"), "bad_competency"),
        (("nope", comp, "agree"), "gone"),
    ):
        with pytest.raises(VerdictError) as err:
            store.verdicts.record(*args, "U1", "slack")
        assert err.value.reason == reason
    store.verdicts.record(store.iid, comp, "agree", "U1", "slack")
    store.interviews.delete(store.iid)
    assert store.db.execute("select count(*) from verdicts").fetchone()[0] == 0  # gone with it
    with pytest.raises(VerdictError, match="gone"):
        store.verdicts.record(store.iid, comp, "agree", "U1", "slack")


def test_retention_removes_verdicts_with_their_interview(store):
    from bot import retention

    store.verdicts.record(store.iid, scored(store)[0], "agree", "U1", "slack")
    removed = retention.purge(store, audio_days=None, text_days=1, at=datetime(2027, 1, 1, tzinfo=UTC))
    assert removed["interviews"] == 1
    assert store.db.execute("select count(*) from verdicts").fetchone()[0] == 0


def test_stats_per_competency_and_version(store):
    comp = scored(store)[0]
    store.verdicts.record(store.iid, comp, "agree", "U1", "slack")
    store.verdicts.record(store.iid, comp, "too_low", "U2", "slack")
    store.verdicts.record(store.iid, comp, "agree", "U3", "feishu")
    store.verdicts.record(store.iid, "communication", "missed", "U1", "slack")
    stats = {s.competency: s for s in store.verdicts.stats()}
    assert stats[comp].agreement == pytest.approx(2 / 3, abs=0.001) and stats[comp].total == 3
    assert stats["communication"].agreement is None  # a missed competency is not a verdict on a score
    [version] = stats[comp].by_version
    assert stats[comp].by_version[version]["total"] == 3
    assert store.verdicts.stats(channel=("slack", "C-OTHER")) == []
    assert store.verdicts.stats(since="2999-01-01") == []
    assert "67%" in stats_lines([stats[comp]], "en")[0]


def test_stats_per_iso_week_per_competency_and_version(store, cli):
    comp = scored(store)[0]
    for user, verdict, at, version in (
        ("U1", "agree", "2026-11-16T09:00:00+00:00", "v1"),  # Monday of 2026-W47
        ("U2", "too_high", "2026-11-22T23:00:00+00:00", "v1"),  # Sunday of 2026-W47
        ("U3", "agree", "2026-11-23T08:00:00+00:00", "v2"),  # 2026-W48
        ("U4", "agree", "2026-11-24T08:00:00+00:00", "v2"),
    ):
        store.verdicts.record(store.iid, comp, verdict, user, "slack")
        store.db.execute(
            "update verdicts set at = ?, analysis_version = ? where user = ?", [at, version, user]
        )
    store.db.conn.commit()
    [stat] = store.verdicts.stats()
    assert stat.by_week == {
        "2026-W47": {"total": 2, "agreement": 0.5},
        "2026-W48": {"total": 2, "agreement": 1.0},
    }
    assert stat.by_version["v1"]["by_week"] == {"2026-W47": {"total": 2, "agreement": 0.5}}
    assert stat.by_version["v2"]["by_week"] == {"2026-W48": {"total": 2, "agreement": 1.0}}
    code, out = cli("verdicts", "stats", "--json")
    assert code == 0 and json.loads(out)[0]["by_week"]["2026-W48"] == {"total": 2, "agreement": 1.0}
    code, out = cli("verdicts", "stats")
    assert code == 0 and "2026-W47 50% (2) · 2026-W48 100% (2)" in out
    assert "  v1: 2026-W47 50% (2)" in out and "  v2: 2026-W48 100% (2)" in out
    assert store.verdicts.stats(since="2026-11-23")[0].by_week == {"2026-W48": {"total": 2, "agreement": 1.0}}


def _check_corpus():
    spec = importlib.util.spec_from_file_location("check_corpus", ROOT / "scripts" / "check_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_round_trips_into_the_corpus_format(store, tmp_path):
    comps = scored(store)
    for verdict, user in zip(("agree", "too_high", "wrong_evidence", "too_low"), ("U1", "U2", "U3", "U4")):
        store.verdicts.record(store.iid, comps[0], verdict, user, "slack")
    store.verdicts.record(store.iid, "learning", "missed", "U1", "slack")
    exported = [json.loads(json.dumps(v, ensure_ascii=False)) for v in store.verdicts.export()]
    snippets = to_snippets(exported)
    assert len(snippets) == 4  # the missed one has no answer to learn from
    path = tmp_path / "verdicts.jsonl"
    path.write_text("\n".join(json.dumps(s, ensure_ascii=False) for s in snippets) + "\n", encoding="utf-8")
    check = _check_corpus()
    items, problems = check.load(path)
    assert problems == [] and len(items) == 4
    by_verdict = {s["verdict"]["verdict"]: s for s in snippets}
    assert by_verdict["agree"]["required"] == [comps[0]]
    assert comps[0] not in by_verdict["wrong_evidence"]["required"] + by_verdict["wrong_evidence"]["allowed"]
    assert comps[0] in by_verdict["too_high"]["allowed"]
    assert all(s["lang"] == "zh" for s in snippets)
    # what the trainer makes of them: each verdict teaches its own competency and masks the others
    from bot.analysis import corpus
    from bot.analysis.results import COMPETENCIES

    loaded = corpus.load([path])
    y, mask = corpus.competency_labels(loaded, COMPETENCIES)
    j = COMPETENCIES.index(comps[0])
    order = [s["verdict"]["verdict"] for s in snippets]
    agree, wrong = order.index("agree"), order.index("wrong_evidence")
    assert y[agree, j] == 1 and mask[agree, j] == 1 and mask[agree].sum() == 1
    assert y[wrong, j] == 0 and mask[wrong, j] == 1 and mask[wrong].sum() == 1


def test_the_trainer_folds_an_export_in_one_snippet_per_answer(store, tmp_path, monkeypatch):
    """scripts/train_analysis.py --verdicts: the majority of an answer's verdicts on a competency decides
    it (agree, too low: shown; wrong evidence: not shown; too high: says nothing about it)."""
    first, second = same_answer_pair(store)
    for comp, verdict, user in (
        (first, "agree", "U1"),
        (first, "agree", "U2"),
        (first, "wrong_evidence", "U3"),
        (second, "too_high", "U1"),
        ("learning", "missed", "U1"),
    ):
        store.verdicts.record(store.iid, comp, verdict, user, "web")
    path = tmp_path / "verdicts.json"
    path.write_text(json.dumps(store.verdicts.export(), ensure_ascii=False), encoding="utf-8")  # the default
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    ta = importlib.import_module("train_analysis")
    rows = ta.load_verdicts(path)
    assert len(rows) == 5
    snippets = ta.verdict_snippets(rows)
    by_answer = {s.turns[0]["text"]: s for s in snippets}
    answer = next(r["answer_text"] for r in rows if r["competency"] == first)
    mine = by_answer[answer]
    assert first in mine.required and first not in mine.allowed
    assert all(s.turns[0]["speaker"] == "candidate" and not s.qualifiers for s in snippets)
    assert not any("learning" in s.required for s in snippets)  # a missed one cites no answer
    other = next(r["answer_text"] for r in rows if r["competency"] == second)
    assert second in by_answer[other].allowed  # too high: masked
    jsonl = tmp_path / "verdicts.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert ta.load_verdicts(jsonl) == rows
    wrong = [
        {**r, "verdict": "wrong_evidence", "user": f"X{i}"}
        for i, r in enumerate(rows)
        if r["competency"] == first
    ]
    [flipped] = [s for s in ta.verdict_snippets(rows + wrong * 2) if s.turns[0]["text"] == answer]
    assert first not in flipped.required + flipped.allowed  # now most say it does not show it


@pytest.fixture
def cli(store, tmp_path, monkeypatch, capsys):
    """`interview-bot …` in-process against the fixture's database; (exit code, stdout)."""
    from handlers.cli import main

    db = store.db.execute("PRAGMA database_list").fetchone()[2]
    monkeypatch.setenv("IB_DB", db)
    monkeypatch.setenv("IB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("IB_CONFIG", raising=False)

    def run(*argv: str) -> tuple[int, str]:
        code = main(list(argv))
        return code, capsys.readouterr().out

    return run


def test_cli_export_and_stats(store, cli, tmp_path):
    comp = scored(store)[0]
    store.verdicts.record(store.iid, comp, "agree", "U1", "slack")
    store.verdicts.record(store.iid, comp, "wrong_evidence", "ou_2", "feishu")
    code, out = cli("verdicts", "export", "--jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2
    keys = {"interview_id", "competency", "verdict", "evidence_text", "answer_text", "user", "platform", "at"}
    assert all(keys | {"analysis_version"} <= set(r) for r in rows)
    assert {r["platform"] for r in rows} == {"slack", "feishu"} and all(r["answer_text"] for r in rows)
    assert cli("verdicts", "export", "--since", "2999-01-01")[1].strip() == "[]"
    code, out = cli("verdicts", "export", "--corpus")
    path = tmp_path / "from_verdicts.jsonl"
    path.write_text(out, encoding="utf-8")
    items, problems = _check_corpus().load(path)
    assert code == 0 and problems == [] and len(items) == 2
    code, out = cli("verdicts", "stats", "--json")
    [stat] = json.loads(out)
    assert code == 0 and stat["competency"] == comp and stat["agreement"] == 0.5
    assert "50%" in cli("verdicts", "stats")[1]
    assert cli("verdicts", "stats", "--since", "last week")[0] == 2


def test_the_verdicts_command_is_in_the_grammar_in_both_languages():
    from bot import commands

    assert commands.parse("<@UBOT> verdicts").name == "verdicts"
    assert commands.parse("@_user_1 评价").name == "verdicts"
