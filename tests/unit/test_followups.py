"""Follow-up questions are anchored to the candidate's own words and specific to them; never generic."""

from __future__ import annotations

from bot.analysis import analyze, transcript_from_text


def followups(text: str):
    transcript, roles = transcript_from_text(text)
    return analyze(transcript, known_roles=roles).to_dict()["followups"]


def test_vague_performance_claim_asks_for_numbers_and_the_bottleneck():
    (f, *_rest) = followups("interviewer: 项目里做了什么？\ncandidate: 我们做了性能优化，效果挺好的。")
    assert "优化前后" in f["question"] and "瓶颈" in f["question"]
    assert "性能优化" in f["anchor"]["text"]


def test_redis_lock_asks_about_expiry_and_release():
    qs = [f["question"] for f in followups("candidate: 我们用 Redis 做分布式锁，防止重复下单。")]
    assert any("过期" in q and "释放" in q for q in qs)


def test_check_then_write_idempotency_asks_about_the_race():
    qs = [
        f["question"]
        for f in followups("candidate: 我们用唯一的请求号做幂等键，写入之前先查一下，重复的请求直接返回。")
    ]
    assert any("并发" in q for q in qs)


def test_contradiction_between_answers_is_asked_first():
    fs = followups(
        "candidate: 这个项目是我主导的。\ninterviewer: 你具体做了什么？\ncandidate: 我主要是参与了接口开发。"
    )
    assert fs[0]["reason"] == "前后说法矛盾"


def test_at_most_three_each_with_a_distinct_anchor():
    text = (
        "candidate: 我们做了很多性能优化。\ncandidate: 我带过团队，不过最后项目没上线。\n"
        "candidate: 我们用 Redis 做缓存，用 Kafka 削峰。\ncandidate: QPS 大概是两万左右吧。"
    )
    fs = followups(text)
    assert 2 <= len(fs) <= 3
    assert len({f["anchor"]["start"] for f in fs}) == len(fs)


def test_nothing_to_probe_means_no_questions():
    assert followups("interviewer: 你好\ncandidate: 您好，谢谢。") == []


def test_english_follow_up():
    (f, *_rest) = followups("candidate: We optimized performance a lot and it was pretty good.")
    assert f["question"].startswith("You said") and "bottleneck" in f["question"]
