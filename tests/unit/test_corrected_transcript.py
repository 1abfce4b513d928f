"""What a reader sees and searches is the corrected transcript: a term the ASR misheard (瑞迪斯, 卡夫卡,
秘等性) reads as Redis, Kafka, 幂等性 in the stored transcript, the report's quotes and transcript, the HTML
page and search; the raw ASR text stays stored, and every correction is listed with its original and time."""

from __future__ import annotations

import shutil

import pytest
from fakes import fake_engine_factory
from helpers import FIXTURES

from bot.config import load_settings
from bot.formats import ReportContext
from bot.render import render_stored
from bot.service import Service, Submission
from bot.storage import Store

HEARD = "我们用瑞迪斯做缓存，卡夫卡做削峰，接口保证秘等性。"
FIXES = {("瑞迪斯", "Redis"), ("卡夫卡", "Kafka"), ("秘等性", "幂等性")}


@pytest.fixture
def service(tmp_path):
    settings = load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")})
    svc = Service(settings, engine_factory=fake_engine_factory(settings.engine, lines=[HEARD]))
    svc.own_store = Store(settings.db_path)  # the test's own connection, for inspecting
    yield svc
    svc.own_store.close()
    svc.worker.close()
    svc.db.close()


@pytest.fixture
async def interview(service, tmp_path) -> str:
    src = tmp_path / "upload.flac"
    shutil.copy(FIXTURES / "zh_short.flac", src)
    sub = Submission(path=src, filename="张三_一面.flac", key="k", sha256="ab" * 32, size_bytes=1)
    interview_id, _ = await service.submit(sub)
    assert (await service.worker.finish([interview_id]))[interview_id] == "done"
    return interview_id


async def test_the_stored_transcript_reads_corrected_and_keeps_what_was_heard(service, interview):
    analysis = (await service.status(interview))["analysis"]
    said = [s for s in analysis["segments"] if s.get("original_text")]
    assert said, analysis["segments"]
    assert all("瑞迪斯" not in s["text"] and "秘等性" not in s["text"] for s in analysis["segments"])
    assert "用 Redis 做缓存" in said[0]["text"] and "幂等性" in said[0]["text"]
    assert "瑞迪斯" in said[0]["original_text"]
    # the raw ASR output is kept as the engine gave it
    raw = service.own_store.interviews.transcript(interview)
    assert "瑞迪斯" in " ".join(s["text"] for s in raw["segments"])
    # each correction with its original, at a moment inside the utterance that was corrected
    assert {(c["original"], c["corrected"]) for c in analysis["corrections"]} >= FIXES
    for c in analysis["corrections"]:
        seg = next(s for s in analysis["segments"] if c["original"] in (s.get("original_text") or ""))
        assert seg["start"] <= c["start"] <= seg["end"], (c, seg)


async def test_search_finds_the_interview_by_the_corrected_term(service, interview):
    for words in ("Redis", "redis", "Kafka", "幂等性"):
        hits = service.own_store.search(None, words)
        assert any(h.interview_id == interview and "«" in h.snippet for h in hits), (words, hits)
    hit = next(h for h in service.own_store.search(None, "Redis") if h.kind == "segment")
    assert "«Redis»" in hit.snippet and "瑞迪斯" not in hit.snippet


async def test_reports_quote_the_corrected_text_and_list_each_correction(service, interview):
    analysis = (await service.status(interview))["analysis"]
    ctx = ReportContext(title="张三")
    md = render_stored(analysis, "md", ctx)
    transcript_part = md.split(
        "\n## ",
    )[-1]
    assert "Redis" in transcript_part and "瑞迪斯" not in transcript_part
    assert "瑞迪斯" in md and "**Redis**" in md  # the corrections section: original -> corrected
    html = render_stored(analysis, "html", ctx)
    assert "<del>瑞迪斯</del>" in html and "<del>秘等性</del>" in html
    assert HEARD in html  # the transcript shows what was heard under the corrected line
    # quotes in the summary and follow-up questions come from the corrected text
    quoted = " ".join(f["question"] for f in analysis["followups"]) + str(analysis["summary"])
    assert "瑞迪斯" not in quoted and "秘等性" not in quoted
