"""The candidate panorama: three rounds side by side, contradictions between them, what is still open, and
fixing a wrong link (rename, merge, assign) by command."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from history import open_store, store_interview, store_round

from bot import commands, panorama
from bot.analysis.consistency import extract_facts, parse_number, same_topic, was_asked
from bot.config import load_settings
from bot.render import render_history
from bot.service import Service
from handlers.platform import render_reply

T1, T2, T3 = (datetime(2026, 11, d, 6, 0, tzinfo=UTC) for d in (10, 17, 24))


@pytest.fixture
def service(tmp_path):
    svc = Service(load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")}))
    svc.own_store = open_store(svc)  # the test's own connection, for setting up and inspecting
    yield svc
    svc.own_store.close()
    svc.db.close()


@pytest.fixture
def three_rounds(service):
    ids = [
        store_round(service, "1", at=T1, interviewer="李娜", channel="C1"),
        store_round(service, "2", at=T2, interviewer="王强", channel="C1"),
        store_round(service, "3", at=T3, interviewer="陈总", channel="C2"),
    ]
    return ids


def build(service, visible=None, name="张伟", language="zh"):
    return panorama.build(
        service.own_store, visible, name, language=language, report_url=lambda i: f"https://ib/r/{i}/t"
    )


@pytest.mark.parametrize(
    "text, scale, value",
    [
        ("两万", "", 20000),
        ("5000", "", 5000),
        ("一百二十", "", 120),
        ("五", "", 5),
        ("1.5", "万", 15000),
        ("十二", "", 12),
        ("3", "k", 3000),
    ],
)
def test_numbers_as_people_say_them(text, scale, value):
    assert parse_number(text, scale) == value


def test_same_project_is_recognised_through_asr_homophones():
    lead = extract_facts([{"speaker": "candidate", "start": 1.0, "text": "我主导了订单系统的重构"}])[0]
    heard = extract_facts([{"speaker": "candidate", "start": 2.0, "text": "电单系统的重工我主要是参与"}])[0]
    other = extract_facts([{"speaker": "candidate", "start": 3.0, "text": "支付网关我只是参与了测试"}])[0]
    assert (lead.value, heard.value) == ("lead", "contributor")
    assert same_topic(lead.topic, heard.topic) and not same_topic(lead.topic, other.topic)


def test_a_question_counts_as_asked_only_when_a_later_interviewer_raised_it():
    followup = {
        "question": "缓存和数据库的一致性怎么保证？",
        "anchor": {"start": 47.9, "text": "我们用Redis做缓存"},
    }
    assert was_asked(followup, ["缓存和数据库的一致性是怎么保证的？"])
    assert not was_asked(followup, ["你们的缓存用了多少内存？", "说说数据库的一致性"])


def test_three_rounds_side_by_side_with_their_contradictions(service, three_rounds):
    p = build(service)
    assert [r.label for r in p.rounds] == ["一面", "二面", "三面"]
    assert [r.interviewer for r in p.rounds] == ["李娜", "王强", "陈总"]
    assert [r.date for r in p.rounds] == ["2026-11-10", "2026-11-17", "2026-11-24"]
    kinds = {c.kind: c for c in p.contradictions}
    assert set(kinds) == {"role", "peak_requests", "years", "led_team"}
    assert "主导" in kinds["role"].earlier and "参与" in kinds["role"].later
    assert (kinds["peak_requests"].earlier_round, kinds["peak_requests"].later_round) == ("一面", "二面")
    assert "五年" in kinds["years"].earlier and "三年" in kinds["years"].later
    assert kinds["led_team"].later_round == "三面" and "没有带过团队" in kinds["led_team"].later
    # every contradiction links to the moment in each round's report
    assert kinds["years"].earlier_link.startswith(f"https://ib/r/{three_rounds[0]}/t#t=")
    # the trend shows each competency across the rounds; round 2 asked about the cache, round 1's open doubt
    # (its consistency answer is technical depth to two blind annotators: docs/analysis-encoder.md)
    technical_depth = next(t for t in p.trends if t.key == "technical_depth")
    assert len(technical_depth.scores) == 3 and technical_depth.scores[1] is not None
    assert any("核实在项目中的角色" in f for f in p.focus) and len(p.focus) <= 6
    assert p.unverified and all(u.link.startswith("https://ib/r/") for u in p.unverified)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="known miss of the shipped model (E23, as of M14 before E22): two blind annotators require system "
    "design of round 2's redesign answer (分片, Redis 原子扣减, 异步写库); E23 does not credit it "
    "(docs/analysis-encoder.md, 'E23 on heldout22'). Strict: a model that credits it again makes this pass, "
    "and the mark must then go",
)
def test_the_design_round_shows_system_design_in_the_trend(service, three_rounds):
    system_design = next(t for t in build(service).trends if t.key == "system_design")
    assert system_design.scores[1] is not None


def test_follow_ups_answered_in_a_later_round_are_no_longer_open(service):
    first = [("interviewer", "缓存怎么做的？"), ("candidate", "我们用Redis做缓存，热点数据放在缓存里。")]
    second = [
        ("interviewer", "上次说到Redis缓存，缓存和数据库的一致性怎么保证？"),
        ("candidate", "先更新数据库再删除缓存。"),
    ]
    store_interview(service, lines=first, candidate="Li", round_="1", at=T1)
    assert any("一致性" in p.text for p in build(service, name="Li").pending_followups)
    store_interview(service, lines=second, candidate="Li", round_="2", at=T2)
    assert not any(
        "一致性" in p.text and p.round_label == "一面" for p in build(service, name="Li").pending_followups
    )


def test_rounds_in_channels_the_user_is_not_in_are_left_out(service, three_rounds):
    p = build(service, visible={("slack", "C1")})
    assert [r.label for r in p.rounds] == ["一面", "二面"]
    assert {c.kind for c in p.contradictions} == {"role", "peak_requests"}  # round 3's are not shown
    assert build(service, visible={("slack", "C9")}) is None


def test_panorama_renders_for_every_platform(service, three_rounds):
    import json

    data = build(service, language="en").to_dict()
    md = render_history("panorama", data, "md")
    assert "Statements that contradict each other" in md and "round 3" in md
    slack = json.loads(render_history("panorama", data, "slack"))
    assert len(slack["blocks"]) <= 50 and all(
        len(b.get("text", {}).get("text", "")) <= 3000 for b in slack["blocks"]
    )
    card = json.loads(render_history("panorama", build(service).to_dict(), "feishu"))
    assert card["header"]["template"] == "red" and "张伟" in card["header"]["title"]["content"]


def ctx(service, visible_channels=("C1", "C2"), user="U1"):
    async def member_of(channel):
        return channel in visible_channels

    return commands.Context(
        service=service,
        platform="slack",
        channel="C1",
        user=user,
        is_admin=False,
        member_of=member_of,
        report_url=lambda i: f"https://ib/r/{i}/t",
    )


async def run(service, text, **kw):
    return await commands.execute(commands.parse(text), ctx(service, **kw))


async def test_candidate_command_shows_the_panorama(service, three_rounds):
    reply = await run(service, "候选人 张伟")
    assert reply.panorama["candidate"] == "张伟" and len(reply.panorama["rounds"]) == 3
    assert "前后矛盾" in render_reply(reply, "slack")
    reply = await run(service, "candidate 张伟", visible_channels=("C7",))
    assert reply.panorama is None and "没有找到候选人 张伟" in reply.title  # answered in the language typed


async def test_rename_merge_and_assign_fix_wrong_links(service, three_rounds):
    # a recording named "Zhang Wei_final.m4a" made a second record of the same person
    other = store_interview(
        service,
        lines=[("candidate", "我带过一个八个人的团队。")],
        candidate="Zhang Wei",
        round_="final",
        at=T3,
        channel="C1",
    )
    reply = await run(service, "candidate merge Zhang Wei -> 张伟")
    assert "已把 Zhang Wei 合并到 张伟（移动了 1 场面试）" in reply.title
    assert len(build(service).rounds) == 4
    # the next upload called "Zhang Wei" links to 张伟 through the alias the merge left
    assert service.own_store.candidates.ensure("Zhang Wei") == service.own_store.candidates.find("张伟")["id"]
    # one interview was someone else's
    reply = await run(service, f"候选人 归属 {other} -> 张薇")
    assert "现在属于候选人 张薇" in reply.title and len(build(service).rounds) == 3
    reply = await run(service, "候选人 改名 张薇 -> 张薇（前端）")
    assert build(service, name="张薇（前端）").rounds[0].interview_id == other
    # nobody renames or merges a candidate whose interviews they cannot see
    reply = await run(service, "candidate rename 张伟 -> Someone", visible_channels=())
    assert "没有找到候选人 张伟" in reply.title and service.own_store.candidates.find("张伟")
    assert (await run(service, "candidate rename Zhang Wei -> Z. Wei", visible_channels=("C1",))).public
    assert "->" in (await run(service, "candidate merge 张伟")).title
    actions = [r["action"] for r in service.own_store.db.query("select action from audit_log")]
    assert {"candidate-merge", "candidate-assign", "candidate-rename"} <= set(actions)


async def test_a_decision_takes_a_candidate_off_the_waiting_list(service, three_rounds):
    reply = await run(service, "决定 张伟 通过")
    assert "advance" in reply.title and service.own_store.candidates.find("张伟")["decision"] == "advance"
    assert "unknown decision" in (await run(service, "decide 张伟 maybe")).title


def test_a_slack_panorama_notification_never_pings_the_channel(service, three_rounds):
    """The `text` field is what Slack puts in notifications: a candidate named `<!channel>` must not
    ping everyone in it."""
    import json

    data = {**build(service, language="en").to_dict(), "candidate": "<!channel> <@U123> Zhang & Co"}
    slack = json.loads(render_history("panorama", data, "slack"))
    assert "<!channel>" not in slack["text"] and "<@U123>" not in slack["text"]
    assert "&lt;!channel&gt;" in slack["text"] and "&amp; Co" in slack["text"]


def test_round_labels_and_profiles_typed_by_users_never_ping_in_a_slack_panorama(service, three_rounds):
    """A round (`--round`, the upload's field) or profile named `<!here>` shows as text in every section."""
    import json

    data = build(service, language="en").to_dict()
    for r in data["rounds"]:
        r.update(label="round <!here>", profile="<@U9> & co")
    for c in data["contradictions"]:
        c.update(earlier_round="<!channel>", later_round="<!everyone>")
    for p in data["unverified"] + data["pending_followups"]:
        p["round_label"] = "<!subteam^S1>"
    slack = json.dumps(json.loads(render_history("panorama", data, "slack")), ensure_ascii=False)
    assert not any(m in slack for m in ("<!here>", "<@U9>", "<!channel>", "<!everyone>", "<!subteam"))
    assert "round &lt;!here&gt;" in slack and "&lt;@U9&gt; &amp; co" in slack
