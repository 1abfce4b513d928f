"""Daily digests on a controllable clock: once per day at local time, late after downtime (once, marked
late), never twice across restarts or replicas, time zones, and what a manager reads in one."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from history import open_store, store_interview, store_round

from bot import digest
from bot.config import load_settings
from bot.render import render_history
from bot.service import Service

UTC = UTC


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Poster:
    """Records what would have been posted; can be told to fail or to die half-way."""

    def __init__(self, members: set[str] | None = None) -> None:
        self.posts: list[tuple[str, digest.Digest]] = []
        self.fail = False
        self.members = members if members is not None else {"UBOSS"}

    async def post_digest(self, sub, d):
        if self.fail:
            raise ConnectionError("platform unreachable")
        self.posts.append((sub.target, d))
        return f"m{len(self.posts)}"

    async def may_receive(self, sub):
        return sub.target in self.members


def make_service(tmp_path, name="a") -> Service:
    return Service(
        load_settings(
            {
                "IB_DATA_DIR": str(tmp_path / "data"),
                "IB_DB": str(tmp_path / "ib.db"),
                "IB_PUBLIC_URL": "https://ib.example",
            }
        ),
        worker_id=name,
    )


@pytest.fixture
def service(tmp_path):
    svc = make_service(tmp_path)
    svc.own_store = open_store(svc)  # the test's own connection, for setting up and inspecting
    yield svc
    svc.own_store.close()
    svc.db.close()


def subscriptions(service) -> list[digest.Subscription]:
    return digest.subscriptions(service.own_store)


def subscribe(
    service,
    *,
    when="09:00",
    tz="Asia/Shanghai",
    created="2026-11-24T08:30:00+08:00",
    channel="C1",
    target=None,
    kind="channel",
    language="zh",
    skip_empty=False,
) -> digest.Subscription:
    sub = digest.subscribe(
        service.own_store,
        platform="slack",
        channel=channel,
        target=target or channel,
        target_kind=kind,
        at_time=when,
        timezone_name=tz,
        language=language,
        skip_empty=skip_empty,
        user="UBOSS",
    )
    with service.own_store.db.conn:
        service.own_store.db.conn.execute(
            "update digest_subscriptions set created_at = ? where id = ?", [at(created).isoformat(), sub.id]
        )
    return next(s for s in subscriptions(service) if s.id == sub.id)


def scheduler(service, poster) -> digest.DigestScheduler:
    service.digests.register("slack", poster)
    return service.digests


async def test_posts_once_a_day_at_local_time(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service)  # 09:00 Beijing time = 01:00 UTC
    assert await sched.run_due(at("2026-11-24T08:59:30+08:00")) == []
    first = await sched.run_due(at("2026-11-24T09:00:05+08:00"))
    assert [(o.date, o.status, o.late) for o in first] == [("2026-11-24", "posted", False)]
    for moment in ("2026-11-24T09:00:35+08:00", "2026-11-24T17:00:00+08:00", "2026-11-25T08:59:59+08:00"):
        assert await sched.run_due(at(moment)) == []
    second = await sched.run_due(at("2026-11-25T09:00:10+08:00"))
    assert [(o.date, o.status) for o in second] == [("2026-11-25", "posted")]
    assert len(poster.posts) == 2
    # consecutive digests cover consecutive windows, nothing twice and nothing missed
    assert (poster.posts[0][1].window_end, poster.posts[1][1].window_start) == (
        "2026-11-24 09:00",
        "2026-11-24 09:00",
    )


async def test_down_at_the_scheduled_time_posts_late_once_covering_the_missed_days(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service, created="2026-11-20T12:00:00+08:00")
    await sched.run_due(at("2026-11-21T09:00:03+08:00"))  # the 21st went out on time
    store_round(service, "1", at=at("2026-11-22T15:00:00+08:00"))  # then the service was down for days
    store_round(service, "2", at=at("2026-11-23T15:00:00+08:00"))
    outcome = await sched.run_due(at("2026-11-24T14:30:00+08:00"))  # back at 14:30 on the 24th
    assert [(o.date, o.status, o.late) for o in outcome] == [("2026-11-24", "posted", True)]
    late = poster.posts[-1][1]
    assert late.late and late.window_start == "2026-11-21 09:00" and len(late.items) == 2
    assert "迟发：原定 09:00（Asia/Shanghai）" in render_history("digest", late.to_dict(), "md")
    assert await sched.run_due(at("2026-11-24T14:31:00+08:00")) == []
    assert len(poster.posts) == 2


async def test_no_duplicate_across_restarts_and_replicas(tmp_path, service):
    subscribe(service)
    posters = [Poster(), Poster()]
    replicas = [scheduler(make_service(tmp_path, f"r{i}"), p) for i, p in enumerate(posters)]
    moment = at("2026-11-24T09:00:02+08:00")
    results = await asyncio.gather(*(r.run_due(moment) for r in replicas))
    assert sum(len(p.posts) for p in posters) == 1 and sum(len(r) for r in results) == 1
    # a restart around the scheduled time: a new process sees the day's digest went out
    restarted = scheduler(make_service(tmp_path, "after-restart"), Poster())
    assert await restarted.run_due(at("2026-11-24T09:01:00+08:00")) == []


async def test_a_digest_whose_poster_failed_is_retried_later_not_lost(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service)
    poster.fail = True
    assert [o.status for o in await sched.run_due(at("2026-11-24T09:00:01+08:00"))] == ["failed"]
    poster.fail = False
    assert await sched.run_due(at("2026-11-24T09:05:00+08:00")) == []  # claimed recently: nobody doubles up
    retried = await sched.run_due(at("2026-11-24T09:11:00+08:00"))
    assert [(o.status, o.late) for o in retried] == [("posted", True)] and len(poster.posts) == 1


async def test_each_subscription_keeps_its_own_time_zone(service):
    poster = Poster()
    sched = scheduler(service, poster)
    for channel, tz in (("CBJ", "Asia/Shanghai"), ("CNY", "America/New_York"), ("CIN", "UTC+05:30")):
        subscribe(service, channel=channel, tz=tz, created="2026-11-24T00:00:00+00:00")

    async def posted(moment: str) -> list[str]:
        return sorted(o.subscription for o in await sched.run_due(at(moment)) if o.status == "posted")

    ids = {s.channel: s.id for s in subscriptions(service)}
    assert await posted("2026-11-24T00:59:00+00:00") == []
    assert await posted("2026-11-24T01:00:30+00:00") == [ids["CBJ"]]  # 09:00 in Beijing
    assert await posted("2026-11-24T03:30:30+00:00") == [ids["CIN"]]  # 09:00 in India
    assert await posted("2026-11-24T14:00:30+00:00") == [ids["CNY"]]  # 09:00 EST
    assert not any(o.late for o in await sched.run_due(at("2026-11-25T01:00:10+00:00")))
    # a New York morning in summer time is an hour earlier in UTC
    summer = next(s for s in subscriptions(service) if s.channel == "CNY")
    assert summer.scheduled_at(date(2026, 7, 1)) == at("2026-07-01T13:00:00+00:00")
    # the local date decides which day's digest it is: 23:30 UTC on the 24th is already the 25th in Beijing
    assert next(s for s in subscriptions(service) if s.channel == "CBJ").due(
        at("2026-11-25T01:30:00+00:00")
    ) == date(2026, 11, 25)


def test_times_and_zones_users_type():
    assert [digest.parse_time(t) for t in ("9:30", "09:00", "18点", "6pm", "18：05")] == [
        "09:30",
        "09:00",
        "18:00",
        "18:00",
        "18:05",
    ]
    for bad in ("25:00", "soon"):
        with pytest.raises(digest.DigestError):
            digest.parse_time(bad)
    with pytest.raises(digest.DigestError, match="unknown time zone"):
        digest.zone("Mars/Olympus")
    assert digest.zone("UTC+8").utcoffset(None) == timedelta(hours=8)


async def test_what_a_digest_holds(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service, created="2026-11-20T00:00:00+08:00")
    store_round(service, "1", at=at("2026-11-17T10:00:00+08:00"), interviewer="李娜")  # an earlier round
    today = store_round(service, "2", at=at("2026-11-23T15:00:00+08:00"))
    store_interview(
        service,
        lines=[("candidate", "我主导了支付网关的重构，延迟从八百毫秒降到一百毫秒。")],
        candidate="李雷",
        round_="1",
        at=at("2026-11-23T16:00:00+08:00"),
    )
    store_interview(
        service,
        lines=[("candidate", "我负责过推荐系统。")],
        candidate="韩梅梅",
        round_="1",
        at=at("2026-11-23T16:30:00+08:00"),
        channel="C-OTHER",
    )  # another team's channel
    service.own_store.candidates.decide("李雷", "reject", "UBOSS")
    await sched.run_due(at("2026-11-24T09:00:01+08:00"))
    d = poster.posts[0][1]
    assert [i.candidate for i in d.items] == ["张伟", "李雷"]  # only this channel, only the window
    item = d.items[0]
    assert (
        item.round_label == "二面" and item.profile and item.recommendation in ("advance", "hold", "decline")
    )
    assert item.score is not None and item.to_verify
    assert "毫秒" in (d.items[1].strength or "")  # each interview's strongest uncaveated quote
    assert item.report_url.startswith(f"https://ib.example/r/{today}/")
    assert [w.candidate for w in d.waiting] == ["张伟"] and d.waiting[0].rounds == 2  # 李雷 was decided
    assert d.open_questions and all(
        q.candidate == "张伟" and q.link.startswith("https://ib.example/r/") for q in d.open_questions
    )
    md = render_history("digest", d.to_dict(), "md")
    assert "等待决定的候选人" in md and "尚未追问的问题" in md and "韩梅梅" not in md


def give_verdicts(service, iid: str, verdicts: list[tuple[str, str]], when: str) -> None:
    """(competency, verdict) by one person each, dated `when`."""
    store = service.own_store
    for n, (comp, verdict) in enumerate(verdicts):
        store.verdicts.record(iid, comp, verdict, f"U{n}", "slack")
        store.db.execute(
            "update verdicts set at = ? where user = ? and interview_id = ? and competency = ?",
            [at(when).isoformat(), f"U{n}", iid, comp],
        )
    store.db.conn.commit()


async def test_the_digest_says_how_often_interviewers_agreed_with_the_scores_this_week(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service, created="2026-11-20T00:00:00+08:00")
    subscribe(service, channel="C2", created="2026-11-20T00:00:00+08:00", language="en")
    mine = store_round(service, "1", at=at("2026-11-20T10:00:00+08:00"))
    other = store_round(service, "1", candidate="李雷", at=at("2026-11-20T10:00:00+08:00"), channel="C2")
    week = (
        [("technical_depth", "agree")] * 3
        + [("leadership", "too_high")] * 2
        + [
            ("leadership", "wrong_evidence"),
            ("communication", "missed"),
        ]
    )
    give_verdicts(service, mine, week, "2026-11-22T12:00:00+08:00")
    give_verdicts(service, mine, [("learning", "too_low")] * 5, "2026-11-10T12:00:00+08:00")  # long ago
    give_verdicts(service, other, [("learning", "agree")], "2026-11-23T12:00:00+08:00")
    await sched.run_due(at("2026-11-24T09:00:01+08:00"))
    by_target = {t: d for t, d in poster.posts}
    line = "近 7 天面试官认同 6 个评分中的 50%；争议最多：领导力（2 偏高，1 证据不对）"
    assert by_target["C1"].agreement == line
    assert by_target["C2"].agreement == "Interviewers agreed with 100% of 1 scores in the last 7 days"
    data = by_target["C1"].to_dict()
    assert line in render_history("digest", data, "md").replace("\\", "")
    assert line in render_history("digest", data, "slack") and line in render_history(
        "digest", data, "feishu"
    )
    assert digest.agreement_line({"leadership": {"too_high": 3}, "learning": {"agree": 7}}, "en") == (
        "Interviewers agreed with 70% of 10 scores in the last 7 days; most disputed: Leadership (3 too high)"
    )


async def test_an_empty_day_says_so_or_is_skipped(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service, channel="C1")
    subscribe(service, channel="C2", skip_empty=True)
    outcomes = await sched.run_due(at("2026-11-24T09:00:01+08:00"))
    assert sorted(o.status for o in outcomes) == ["posted", "skipped"]
    assert [t for t, _ in poster.posts] == ["C1"]
    assert "这段时间没有完成的面试" in render_history("digest", poster.posts[0][1].to_dict(), "md")
    assert poster.posts[0][1].agreement is None  # no verdicts, no agreement line
    assert await sched.run_due(at("2026-11-24T09:30:00+08:00")) == []  # skipped counts as done for the day


async def test_a_personal_digest_stops_when_the_manager_leaves_the_channel(service):
    poster = Poster(members={"UOTHER"})
    sched = scheduler(service, poster)
    subscribe(service, target="UBOSS", kind="dm")
    assert [o.status for o in await sched.run_due(at("2026-11-24T09:00:01+08:00"))] == ["refused"]
    assert poster.posts == []


async def test_english_subscriptions_get_english_digests_on_both_platforms(service):
    poster = Poster()
    sched = scheduler(service, poster)
    subscribe(service, language="en")
    store_round(service, "1", at=at("2026-11-23T15:00:00+08:00"))
    await sched.run_due(at("2026-11-24T09:00:01+08:00"))
    data = poster.posts[0][1].to_dict()
    slack = json.loads(render_history("digest", data, "slack"))
    assert slack["blocks"][0]["text"]["text"] == "Interview digest · 2026-11-24"
    assert len(slack["blocks"]) <= 50 and "<https://ib.example/r/" in json.dumps(slack, ensure_ascii=False)
    card = json.loads(render_history("digest", data, "feishu"))
    assert card["header"]["title"]["content"] == "Interview digest · 2026-11-24"
    assert "round 1" in json.dumps(card, ensure_ascii=False)
