"""Full-text search over transcripts and summaries, in Chinese and English, only over what the asker may see."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from history import open_store, store_interview, store_round

from bot import commands
from bot.config import load_settings
from bot.service import Service
from bot.storage import Store
from bot.storage.schema import SCHEMA_VERSION
from handlers.platform import render_reply

AT = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
EN = [
    ("interviewer", "How did you make the payment API safe to retry?"),
    (
        "candidate",
        "I designed an idempotency key for every request, stored in Redis, so duplicates return the first result.",
    ),
    ("interviewer", "And the queues?"),
    ("candidate", "We partitioned the Kafka topics by order id."),
]


@pytest.fixture
def service(tmp_path):
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))
    svc.ids = {
        "zh": store_round(svc, "1", at=AT, channel="C-BACKEND"),
        "en": store_interview(svc, lines=EN, candidate="Jane Doe", round_="1", at=AT, channel="C-BACKEND"),
        "secret": store_interview(
            svc,
            lines=[("candidate", "我们的幂等方案是数据库唯一索引。")],
            candidate="王五",
            round_="1",
            at=AT,
            channel="C-EXEC",
        ),
    }
    svc.own_store = open_store(svc)  # the test's own connection, for inspecting
    yield svc
    svc.own_store.close()
    svc.db.close()


def search(service, words, visible=None):
    return service.own_store.search(visible, words)


def test_chinese_words_are_found_by_their_segmented_tokens(service):
    hits = search(service, "幂等")
    assert {h.interview_id for h in hits} == {service.ids["zh"], service.ids["secret"]}
    transcript_hit = next(h for h in hits if h.kind == "segment" and "请求号" in h.snippet)
    assert "«幂等»" in transcript_hit.snippet and transcript_hit.start == pytest.approx(36.27, abs=2)
    assert transcript_hit.candidate == "张伟" and transcript_hit.created_at.startswith("2026-11-24")
    # several words must all match; a word inside a longer one is still found (库存 in 库存服务)
    assert all("«" in h.snippet for h in search(service, "消息队列 削峰"))
    assert search(service, "订单系统 重构")[0].interview_id == service.ids["zh"]


def test_summaries_and_follow_up_questions_are_searchable_too(service):
    kinds = {h.kind for h in search(service, "性能优化")}
    assert kinds == {"segment", "summary"}


def test_english_matches_stems_and_prefixes_case_insensitively(service):
    assert {h.interview_id for h in search(service, "design")} == {service.ids["en"]}  # designed
    hit = search(service, "idempot")[0]
    assert "«idempotency»" in hit.snippet and hit.start is not None
    assert {h.interview_id for h in search(service, "REDIS duplicates")} == {service.ids["en"]}
    assert search(service, "redis postgres") == []  # every word must match


def test_results_are_limited_to_channels_the_user_is_in(service):
    visible = {("slack", "C-BACKEND")}
    assert service.ids["secret"] not in {h.interview_id for h in search(service, "幂等", visible)}
    assert search(service, "唯一索引", visible) == [] and search(service, "唯一索引")
    assert search(service, "幂等", set()) == []


def test_query_text_is_never_fts_syntax(service):
    for nasty in ('"', "AND OR NOT", "幂等 NEAR(", "*", "col:幂等", "'); drop table interviews; --"):
        search(service, nasty)  # no exception
    assert service.own_store.interviews.get(service.ids["zh"])


async def test_deleted_interviews_leave_the_index(service):
    assert await service.delete(service.ids["secret"], "test")
    assert service.ids["secret"] not in {h.interview_id for h in search(service, "幂等")}
    assert not list(
        service.own_store.db.query(
            "select 1 from search_index where interview_id = ?", [service.ids["secret"]]
        )
    )


def test_an_older_database_is_indexed_when_it_is_upgraded(tmp_path, service):
    old = tmp_path / "old.db"
    src = sqlite3.connect(service.settings.db_path)
    src.backup(dst := sqlite3.connect(old))
    dst.execute("drop table search_index")
    dst.execute("PRAGMA user_version = 3")
    for table in (
        "digests",
        "digest_subscriptions",
        "candidate_aliases",
        "callbacks",
        "verdicts",
        "answers",
        "answer_index",
        "consents",
        "retractions",
        "answers_generation",
        "answer_sets",
        "ats_sends",
        "coaching_channels",
        "coaching_digests",
    ):
        dst.execute(f"drop table {table}")
    for column in ("decision", "decided_at", "decided_by"):
        dst.execute(f"alter table candidates drop column {column}")
    for table in ("interviews", "pending_files"):  # added by v9
        dst.execute(f"alter table {table} drop column ats_application")
    dst.execute("alter table interviews drop column interviewer_user")  # added by v10
    for column in ("interviewer", "interviewer_user"):
        dst.execute(f"alter table pending_files drop column {column}")
    dst.commit()
    dst.close()
    upgraded = Store(old)
    assert upgraded.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "language" in upgraded.db["coaching_digests"].columns_dict  # added by v12
    assert {h.interview_id for h in upgraded.search(None, "幂等")} == {
        service.ids["zh"],
        service.ids["secret"],
    }


async def test_search_command_gives_timestamped_links(service):
    async def member_of(channel):
        return channel == "C-BACKEND"

    ctx = commands.Context(
        service=service,
        platform="slack",
        channel="C-BACKEND",
        user="U1",
        is_admin=False,
        member_of=member_of,
        report_url=lambda i: f"https://ib/r/{i}/tok",
    )
    reply = await commands.execute(commands.parse("搜索 幂等"), ctx)
    assert reply.lines and all("王五" not in line for line in reply.lines)
    assert any(
        f"](https://ib/r/{service.ids['zh']}/tok#t=" in line and "张伟 · 2026-11-24" in line
        for line in reply.lines
    )
    payload = json.loads(render_reply(reply, "slack"))
    assert "«幂等»" in json.dumps(payload, ensure_ascii=False)


def test_percent_and_underscore_are_characters_not_wildcards(service):
    percent = search(service, "%")  # not every row: only texts with a literal percent sign
    assert percent and all("«%»" in h.snippet for h in percent)
    assert search(service, "%%") == []  # an unescaped %% would match every row
    assert search(service, "_") == []
    assert search(service, "%%  _") == []
    assert search(service, "Kaf_a") == []  # `_` is not "any one character"
    assert {h.interview_id for h in search(service, "Kafka")} == {service.ids["en"]}


@pytest.mark.parametrize(
    "fts",
    ['"Kafka" OR "Redis"', "Kafka NOT Redis", "NEAR(Kafka Redis)", "kafka*", "text:Kafka", "(Kafka", '"'],
)
def test_fts_syntax_in_a_query_is_taken_as_words(service, fts):
    hits = search(service, fts)  # never an FTS5 syntax error, never an operator
    assert all(h.interview_id == service.ids["en"] for h in hits)


def test_the_search_tokenizer_leaves_the_analysis_dictionary_alone():
    """Search adds technical terms to a jieba tokenizer of its own: the shared one the analysis reads word
    frequencies from is untouched, so an analysis never depends on whether an index was written first."""
    from bot.analysis.lexicon import ZH_TERMS
    from bot.analysis.terms import word_freq
    from bot.storage.search import tokens

    before = {t: word_freq(t) for t in ZH_TERMS}
    assert tokens("我们用分库分表和幂等键") and any(v < 2000 for v in before.values())
    assert {t: word_freq(t) for t in ZH_TERMS} == before
