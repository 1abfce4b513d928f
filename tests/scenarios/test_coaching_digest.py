# ruff: noqa: F811 (the tests take the imported fixtures `slack_env`, `feishu_env` as their parameter)
"""The weekly coaching digest as a team uses it: a channel opts in with `/interview coaching on` (Feishu:
`@bot 辅导周报 开`), and once a week each interviewer who ran an analysed interview there gets one private
message about their own week (never in the channel), once however many channels, ticks and restarts; a
private message the platform refuses is said in the compliance channel; `serve` runs the schedule and a
week missed while it was down goes out late, once; operators preview a week with `coaching-digest`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from helpers import until
from history import store_interview
from slack_mock import BOT_TOKEN, SIGNING_SECRET, SlackMock
from test_feishu import BOT_MENTION, CHAT
from test_feishu import feishu as feishu_env  # noqa: F401 (test_feishu's fixture, used as a parameter)
from test_slack import CHANNEL
from test_slack import slack as slack_env  # noqa: F401 (test_slack's fixture, used as a parameter)

from bot import coaching_digest as weekly
from bot.config import load_settings
from bot.storage import Store

FLAGGED = [
    ("interviewer", "先简单介绍一下你自己吧。"),
    ("candidate", "我在上一家公司做支付系统，负责幂等和对账，把重复扣款降到了零。"),
    ("interviewer", "你结婚了吗？打算什么时候要孩子？"),
    ("candidate", "这个和工作有关系吗？"),
]
PLAIN = [
    ("interviewer", "说说你做过最难的项目？"),
    ("candidate", "我做过支付对账系统，把差错率从千分之三降到了零。"),
    ("interviewer", "你是怎么定位问题的？"),
    ("candidate", "先看日志，再在测试环境复现。"),
]
ENGLISH = [
    ("interviewer", "Walk me through the hardest incident you handled."),
    ("candidate", "A payment double charge: I added an idempotency key and reconciled hourly."),
    ("interviewer", "How did you find the root cause?"),
    ("candidate", "From the logs, then I reproduced it in staging."),
]


def interview(service, user: str, at: datetime, *, lines=PLAIN, channel=CHANNEL, platform="slack") -> str:
    """An analysed interview uploaded by `user` (the interviewer the private messages go to)."""
    iid = store_interview(
        service, lines=lines, candidate=f"候选人{user}", at=at, channel=channel, platform=platform
    )
    with contextlib.closing(Store(service.settings.db_path)) as store, store.db.conn:
        store.db.execute("update interviews set uploader = ? where id = ?", [user, iid])
    return iid


def opted_in_at(env, moment: datetime) -> None:
    """Date every channel's opt-in back (or on) to `moment`: which weeks are owed depends on it."""
    with env.store.db.conn:
        env.store.db.execute("update coaching_channels set created_at = ?", [moment.isoformat()])


def this_monday(setting: weekly.CoachingChannel) -> date:
    today = datetime.now(setting.tz).date()
    return today - timedelta(days=today.weekday())


async def flagged_week(
    env, mock: SlackMock, *, own_note: bool = False
) -> tuple[weekly.CoachingChannel, date, str]:
    """The channel opted in, and U1 (its one member) interviewed this week asking a flagged question:
    (the channel's setting, this week's Monday, the interview). `own_note`: the report sweep sends the
    interview's report and private note as for any interview (the test waits for them); else they are
    recorded as settled, so nothing but the digest under test reaches Slack."""
    mock.members[CHANNEL] = ["U1"]
    await env.command("coaching on")
    setting = weekly.channel_of(env.store, "slack", CHANNEL)
    monday = this_monday(setting)
    iid = interview(env.service, "U1", setting.window(monday)[0] + timedelta(hours=3), lines=FLAGGED)
    if not own_note:
        settled(env, iid)
    return setting, monday, iid


def settled(env, iid: str) -> None:
    """The interview's own report and private note recorded as settled when it was analysed (no message
    left to delete): else the report sweep may post them at any moment of the test, beside the digest."""
    for kind, place in (("report", CHANNEL), ("coach", "dm:U1")):
        env.store.posts.claim("slack", place, "", iid, kind)
        env.store.posts.set_message("slack", place, "", iid, kind, "")


def weekly_in(mock: SlackMock, channel: str, key: str = "coaching-") -> list[dict]:
    """What is in a channel or direct message now with a marker key starting `key`, each message once."""
    return [m for m in mock.posted_to(channel) if key_of(m).startswith(key)]


def slack_dms(mock: SlackMock) -> list[dict]:
    """Weekly digests the bot sent privately (the app's direct message with a user is D + the user's id);
    each interview's own private note (keyed coach-<id>, sent when its report is) is left out."""
    return [
        p
        for p in mock.called("chat.postMessage")
        if p["channel"].startswith("D")
        and not (p.get("metadata") or {}).get("event_payload", {}).get("key", "").startswith("coach-")
    ]


def key_of(message: dict) -> str:
    """The marker key the bot put on a message (a post's arguments, or the message as stored)."""
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key", ""))


def feishu_digests(mock) -> list[dict]:
    """Weekly digests the bot sent on Feishu (keyed coaching-...). The interview's own private note may go
    out too, by the sweep, when the interview was stored in the last day: it is not a digest."""
    return [c for c in mock.called("create") if str(c.get("uuid", "")).startswith("coaching-")]


def tries(mock: SlackMock, channel: str, key: str) -> list[str]:
    """The calls made for messages keyed `key...` in a channel: posts, and looks for them."""
    return [
        m
        for m, a in mock.calls
        if a.get("channel") == channel and (m == "conversations.history" or key_of(a).startswith(key))
    ]


def said(message: dict) -> str:
    """A message as text, without the zero-width spaces Slack's mrkdwn escaping puts in `Los_Angeles`."""
    return json.dumps(message, ensure_ascii=False).replace("\u200b", "")


async def test_an_opted_in_week_gives_each_interviewer_one_private_message_and_the_channel_none(slack_env):
    mock, make = slack_env
    env = await make()
    mock.members[CHANNEL] = ["U1", "U2", "U3", "U4"]
    mock.members["C0OTHER"] = ["U1"]
    on = await env.command("coaching on monday 9:00 Asia/Shanghai")
    assert on["response_type"] == "in_channel" and "每周一 09:00（Asia/Shanghai）" in said(on)
    other = await env.command("辅导周报 开", channel="C0OTHER")  # defaults: Monday 09:00, the profile's zone
    assert "每周一 09:00（America/Los_Angeles）" in said(other)
    status = await env.command("coaching status")
    assert status["response_type"] == "ephemeral" and "每周一 09:00" in said(status)

    setting = weekly.channel_of(env.store, "slack", CHANNEL)
    monday = this_monday(setting)
    start, _ = setting.window(monday)
    # opted in after the week before went out (whatever the time now): only this week is owed
    opted_in_at(env, setting.send_at(monday - weekly.WEEK) + timedelta(minutes=1))
    flagged = interview(env.service, "U1", start + timedelta(hours=30), lines=FLAGGED)
    interview(env.service, "U1", start + timedelta(hours=31))
    interview(env.service, "U1", start + timedelta(hours=40), channel="C0OTHER")
    interview(env.service, "U1", start - timedelta(days=2))  # the week before: for the change
    interview(env.service, "U2", start + timedelta(hours=32), lines=ENGLISH)
    interview(env.service, "U3", start + timedelta(hours=33))
    interview(env.service, "U4", start + timedelta(hours=34))
    interview(env.service, "U5", start + timedelta(hours=35), channel="C0QUIET")  # never opted in
    interview(env.service, "U6", start - timedelta(days=3))  # only the week before: nothing to say

    due = setting.send_at(monday)
    assert setting.due(due - timedelta(minutes=1)) != monday  # not before its time
    outcomes = await env.service.coaching.run_due(due + timedelta(seconds=5))
    assert sorted((o.user, o.status, o.late) for o in outcomes) == [
        (u, "posted", False) for u in ("U1", "U2", "U3", "U4")
    ]
    dms = slack_dms(mock)
    assert sorted(p["channel"] for p in dms) == ["DU1", "DU2", "DU3", "DU4"]  # one each, merged channels
    assert not [p for p in mock.called("chat.postMessage") if not p["channel"].startswith("D")]
    mine = said(next(p for p in dms if p["channel"] == "DU1"))
    week = weekly.week_name(monday)
    assert f"你的面试周报 · {week}（仅你可见）" in mine and "本周 3 场面试" in mine
    # a team median (three others) and the change against the week before
    assert re.search(r"提问数: [\d.]+ \(团队 [\d.]+；上周 [\d.]+，[+-][\d.]+\)", mine)
    assert "婚姻状况 “你结婚了吗？" in mine and f"/i/{flagged}/" in mine  # the flag, its private page
    assert "Your interviewing week" in said(next(p for p in dms if p["channel"] == "DU2"))  # English

    # later ticks, and a restart, send nothing more
    assert await env.service.coaching.run_due(due + timedelta(minutes=30)) == []
    await env.stop()
    env = await make()
    assert await env.service.coaching.run_due(due + timedelta(hours=2)) == []
    assert len(slack_dms(mock)) == 4
    off = await env.command("coaching off", channel="C0OTHER")
    assert off["response_type"] == "in_channel" and "已关闭" in said(off)


async def test_a_channel_that_is_not_opted_in_gets_nothing_and_strangers_cannot_opt_it_in(slack_env):
    mock, make = slack_env
    env = await make()
    mock.members[CHANNEL] = ["U1"]
    refused = await env.command("coaching on", user="USTRANGER")
    assert "只有本频道的成员" in said(refused)
    assert weekly.channel_of(env.store, "slack", CHANNEL) is None
    await env.command("coaching on")
    setting = weekly.channel_of(env.store, "slack", CHANNEL)
    assert "已关闭" in said(await env.command("辅导周报 关"))
    assert "没有开启辅导周报" in said(await env.command("coaching"))
    monday = this_monday(setting)
    interview(env.service, "U1", setting.window(monday)[0] + timedelta(hours=3))
    assert await env.service.coaching.run_due(setting.send_at(monday) + timedelta(seconds=5)) == []
    assert slack_dms(mock) == []


async def test_a_refused_private_message_is_said_in_the_compliance_channel_once(slack_env):
    mock, make = slack_env
    env = await make(IB_COMPLIANCE_CHANNEL="slack:C0COMPLIANCE")
    setting, monday, _ = await flagged_week(env, mock)
    mock.unreachable["U1"] = "cannot_dm_bot"  # Slack will never open a DM with U1
    due = setting.send_at(monday)
    [outcome] = await env.service.coaching.run_due(due + timedelta(seconds=5))
    assert outcome.status == "refused"
    assert await env.service.coaching.run_due(due + timedelta(hours=1)) == []  # not retried every tick
    [notice] = [p for p in mock.called("chat.postMessage") if p["channel"] == "C0COMPLIANCE"]
    assert "U1" in said(notice) and weekly.week_name(monday) in said(notice)
    assert "结婚" not in said(notice)  # the interviewer's week stays private
    assert not [p for p in mock.called("chat.postMessage") if p["channel"] == CHANNEL]


async def test_a_platform_outage_delays_the_week_and_tells_nobody_it_was_refused(slack_env):
    mock, make = slack_env
    env = await make(IB_COMPLIANCE_CHANNEL="slack:C0COMPLIANCE")
    setting, monday, _ = await flagged_week(env, mock)
    await env.service.coaching.run_due(setting.send_at(monday) - timedelta(days=1))  # nothing due yet
    before = len(mock.called("chat.postMessage"))
    mock.fail_next["chat.postMessage"] = [500, 500, 500, 500]  # Slack down while the week is due
    due = setting.send_at(monday)
    [outcome] = await env.service.coaching.run_due(due + timedelta(seconds=5))
    assert outcome.status == "failed" and slack_dms(mock) == []
    compliance = [p for p in mock.called("chat.postMessage")[before:] if p["channel"] == "C0COMPLIANCE"]
    assert compliance == []  # not "could not be reached": it will be
    mock.fail_next["chat.postMessage"] = []  # Slack is back
    [later] = await env.service.coaching.run_due(due + weekly.STALE_CLAIM + timedelta(minutes=1))
    assert later.status == "posted" and [d["channel"] for d in slack_dms(mock)] == ["DU1"]


async def test_a_digest_slack_took_before_the_sender_died_is_found_and_not_sent_again(slack_env):
    mock, make = slack_env
    env = await make()
    setting, monday, _ = await flagged_week(env, mock, own_note=True)
    await until(lambda: weekly_in(mock, "DU1", "coach-"))  # the interview's own note is out first
    mock.channel_faults["DU1"] = [(500, True)]  # Slack took the DM; the answer never came back
    due = setting.send_at(monday)
    [outcome] = await env.service.coaching.run_due(due + timedelta(seconds=5))
    assert outcome.status == "failed" and len(weekly_in(mock, "DU1")) == 1
    await env.stop()  # the sender is gone; its claim goes stale
    env = await make()
    [again] = await env.service.coaching.run_due(due + weekly.STALE_CLAIM + timedelta(minutes=1))
    [digest] = weekly_in(mock, "DU1")
    assert again.status == "posted" and again.message_id == digest["ts"]  # found by its marker, recorded
    assert tries(mock, "DU1", "coaching-") == [
        "chat.postMessage:500",
        "conversations.history",  # looked before sending again, and found it
    ]
    [row] = env.store.coaching.outcomes("slack")
    assert (row["status"], row["message_id"]) == ("posted", digest["ts"])
    assert await env.service.coaching.run_due(due + timedelta(hours=2)) == []


async def test_a_week_retried_after_the_interviewer_became_unreachable_is_refused_not_retried(slack_env):
    mock, make = slack_env
    env = await make(IB_COMPLIANCE_CHANNEL="slack:C0COMPLIANCE")
    setting, monday, _ = await flagged_week(env, mock, own_note=True)
    await until(lambda: weekly_in(mock, "DU1", "coach-"))
    mock.channel_faults["DU1"] = [(500, False)]
    due = setting.send_at(monday)
    [failed] = await env.service.coaching.run_due(due + timedelta(seconds=5))
    mock.unreachable["U1"] = "user_disabled"  # meanwhile the account was deactivated
    [again] = await env.service.coaching.run_due(due + weekly.STALE_CLAIM + timedelta(minutes=1))
    assert (failed.status, again.status) == ("failed", "refused")  # no DM to look in: settled, told
    await until(lambda: weekly_in(mock, "C0COMPLIANCE", "coaching-refused-"))
    assert await env.service.coaching.run_due(due + 3 * weekly.STALE_CLAIM) == []


async def test_a_refused_digests_compliance_notice_that_fails_to_post_is_retried_and_said_once(slack_env):
    mock, make = slack_env
    env = await make(IB_COMPLIANCE_CHANNEL="slack:C0COMPLIANCE")
    mock.unreachable["U1"] = "cannot_dm_bot"
    setting, monday, _ = await flagged_week(env, mock, own_note=True)
    await until(lambda: weekly_in(mock, "C0COMPLIANCE", "compliance-"))  # the interview's own notice
    # the compliance channel fails twice: a 500 with nothing posted, then a 500 although it did post
    mock.channel_faults["C0COMPLIANCE"] = [(500, False), (500, True)]
    [outcome] = await env.service.coaching.run_due(setting.send_at(monday) + timedelta(seconds=5))
    assert outcome.status == "refused"
    # the sweep (every second here) takes the owed notice over, looks, posts; then looks and finds it
    await until(lambda: env.store.posts.message("slack", _notice(monday), "coaching"))
    [notice] = weekly_in(mock, "C0COMPLIANCE", "coaching-refused-")
    assert "U1" in notice["text"] and weekly.week_name(monday) in notice["text"]
    assert env.store.posts.message("slack", _notice(monday), "coaching") == notice["ts"]
    await env.slack.sweep()
    assert len(weekly_in(mock, "C0COMPLIANCE", "coaching-refused-")) == 1
    assert tries(mock, "C0COMPLIANCE", "coaching-refused-") == [
        "chat.postMessage:500",
        "conversations.history",
        "chat.postMessage:500",
        "conversations.history",
    ]


def _notice(monday: date, user: str = "U1") -> str:
    return f"coaching:{weekly.week_name(monday)}:{user}"


async def opted_in_weeks_ago(slack_env, weeks: int):
    """The channel opted in `weeks` weeks ago, U1 its member: (env, mock, setting, this week's monday)."""
    mock, make = slack_env
    env = await make()
    mock.members[CHANNEL] = ["U1"]
    await env.command("coaching on")
    setting = weekly.channel_of(env.store, "slack", CHANNEL)
    monday = this_monday(setting)
    opted_in_at(env, setting.window(monday)[0] - weeks * weekly.WEEK)
    return env, mock, setting, monday


async def test_after_an_outage_of_weeks_each_missed_week_goes_out_once_oldest_first(slack_env):
    env, mock, setting, monday = await opted_in_weeks_ago(slack_env, 8)  # two months ago
    mondays = [monday - weekly.WEEK * back for back in range(6)]  # this week and the five before
    for week in mondays:
        interview(env.service, "U1", setting.window(week)[0] + timedelta(hours=3))
    # the service was down from before the oldest of those weeks was due until this week's was
    back = setting.send_at(monday) + timedelta(hours=1)
    outcomes = await env.service.coaching.run_due(back)
    kept = sorted(mondays[: weekly.LOOK_BACK_WEEKS])  # the newest LOOK_BACK_WEEKS, oldest first
    assert [(o.week, o.status, o.late) for o in outcomes] == [
        (weekly.week_name(w), "posted", True) for w in kept
    ]
    dms = slack_dms(mock)
    assert [weekly.week_name(w) in said(d) for d, w in zip(dms, kept, strict=True)] == [True] * len(kept)
    assert all("晚发了" in said(d) for d in dms)
    assert await env.service.coaching.run_due(back + timedelta(minutes=30)) == []
    assert len(slack_dms(mock)) == weekly.LOOK_BACK_WEEKS


async def test_when_an_older_missed_week_fails_the_newer_ones_wait_for_it(slack_env):
    env, mock, setting, monday = await opted_in_weeks_ago(slack_env, 4)
    mondays = [monday - weekly.WEEK * back for back in (2, 1, 0)]
    for week in mondays:
        interview(env.service, "U1", setting.window(week)[0] + timedelta(hours=3))
    back = setting.send_at(monday) + timedelta(hours=1)
    mock.fail_next["chat.postMessage"] = [500] * 4  # the oldest week's post fails (with its retries)
    outcomes = await env.service.coaching.run_due(back)
    assert [(o.week, o.status) for o in outcomes] == [(weekly.week_name(mondays[0]), "failed")]
    assert slack_dms(mock) == []  # the two newer weeks did not overtake it
    mock.fail_next["chat.postMessage"] = []
    later = await env.service.coaching.run_due(back + weekly.STALE_CLAIM + timedelta(minutes=1))
    assert [(o.week, o.status) for o in later] == [(weekly.week_name(w), "posted") for w in mondays]
    assert [weekly.week_name(w) in said(d) for d, w in zip(slack_dms(mock), mondays, strict=True)] == [
        True
    ] * 3


async def test_feishu_sends_a_digest_again_with_the_same_uuid_so_it_arrives_once(feishu_env):
    mock, env = feishu_env
    mock.members[CHAT] = ["ou_member"]
    setting = weekly.opt_in(
        env.store,
        platform="feishu",
        channel=CHAT,
        weekday=0,
        at_time="09:00",
        timezone_name="Asia/Shanghai",
        user="ou_member",
    )
    monday = this_monday(setting)
    at = setting.window(monday)[0] + timedelta(hours=5)
    interview(env.service, "ou_member", at, channel=CHAT, platform="feishu")
    due = setting.send_at(monday)
    [first] = await env.service.coaching.run_due(due + timedelta(seconds=5))
    with env.store.db.conn:  # the sender died after Feishu took it, before it was recorded
        env.store.db.execute("update coaching_digests set status = 'claimed', message_id = null")
    [again] = await env.service.coaching.run_due(due + weekly.STALE_CLAIM + timedelta(minutes=1))
    created = feishu_digests(mock)
    assert len(created) == 2 and created[0]["uuid"] == created[1]["uuid"]  # one per interviewer and week
    assert again.status == "posted" and again.message_id == first.message_id  # Feishu sent nothing new


async def test_erasing_a_candidate_retracts_the_weekly_digest_that_named_them(slack_env):
    mock, make = slack_env
    env = await make()
    setting, monday, _ = await flagged_week(env, mock)
    [outcome] = await env.service.coaching.run_due(setting.send_at(monday) + timedelta(seconds=5))
    assert outcome.status == "posted"
    erased = await env.service.consent.record("候选人U1", "refused", how="cli", actor="cli")
    assert outcome.message_id in {d["ts"] for d in mock.called("chat.delete")}
    assert erased.messages_deleted >= 1


async def test_a_candidate_erased_while_the_digest_is_on_its_way_is_retracted_by_the_sweep(slack_env):
    mock, make = slack_env
    mock.hold["chat.postMessage"] = asyncio.Event()  # the digest is on its way when the erasure comes
    mock.hold_only = lambda args: args.get("channel", "").startswith("D")
    env = await make(SLACK_TIMEOUT_S="600")  # the held call waits as long as the test needs
    mock.members[CHANNEL] = ["U1"]
    await env.command("coaching on")
    setting = weekly.channel_of(env.store, "slack", CHANNEL)
    monday = this_monday(setting) - timedelta(days=7)
    opted_in_at(env, setting.window(monday)[0])
    iid = interview(env.service, "U1", setting.window(monday)[0] + timedelta(hours=3), lines=FLAGGED)
    settled(env, iid)  # else its private note, held like every direct message here, is owed a retraction too
    sending = asyncio.create_task(
        env.service.coaching.run_due(setting.send_at(monday) + timedelta(seconds=5))
    )
    await until(
        lambda: [a for m, a in mock.held if m == "chat.postMessage" and key_of(a).startswith("coaching-")]
    )
    erased = await env.service.consent.record("候选人U1", "refused", how="cli", actor="cli")
    assert erased.messages_deleted == 0  # nothing of the digest was recorded yet to find
    mock.hold["chat.postMessage"].set()
    [outcome] = await sending
    assert outcome.status == "posted"
    assert await env.service.consent.retract_owed("slack") == 1  # what the platform's sweep runs
    assert outcome.message_id in {d["ts"] for d in mock.called("chat.delete")}
    assert await env.service.consent.retract_owed("slack") == 0


async def test_feishu_chats_opt_in_in_chinese_and_interviewers_get_their_week_by_open_id(feishu_env):
    mock, env = feishu_env
    mock.members[CHAT] = ["ou_member"]

    async def ask(text: str) -> str:
        n = len(mock.called("reply"))
        mid = f"om_cmd_{time.monotonic_ns()}"
        await env.post(_event(mid, text))
        return said(json.loads((await until(lambda: mock.called("reply")[n:]))[0]["content"]))

    assert "每周五 17:00（Asia/Shanghai）" in await ask("辅导周报开 周五 17:00")
    assert "辅导周报" in await ask("帮助")
    setting = weekly.channel_of(env.store, "feishu", CHAT)
    monday = this_monday(setting)
    interview(
        env.service,
        "ou_member",
        setting.window(monday)[0] + timedelta(hours=5),
        channel=CHAT,
        platform="feishu",
    )
    due = setting.send_at(monday)
    assert due.astimezone(setting.tz).weekday() == 4
    for tick in range(3):
        await env.service.coaching.run_due(due + timedelta(seconds=5 + 30 * tick))
    created = feishu_digests(mock)
    assert [(c["receive_id_type"], c["receive_id"]) for c in created] == [("open_id", "ou_member")]
    assert "你的面试周报" in created[0]["content"] and "本周 1 场面试" in created[0]["content"]


def _event(mid: str, text: str) -> dict:
    from feishu_mock import message_event

    return message_event(f"ev-{mid}", mid, CHAT, "text", {"text": f"@_user_1 {text}"}, mentions=BOT_MENTION)


async def test_operators_preview_a_week_from_the_command_line(slack_env, acli):
    mock, make = slack_env
    env = await make()
    setting, monday, flagged = await flagged_week(env, mock)
    cli_env = {
        "IB_DATA_DIR": str(env.settings.data_dir),
        "IB_DB": str(env.settings.db_path),
        "IB_PUBLIC_URL": env.settings.public_url,
    }
    week = weekly.week_name(monday)

    text = await acli(cli_env, "coaching-digest", "--week", week)
    assert (
        text.returncode == 0
        and f"slack:U1 · 你的面试周报 · {week}" in text.stdout
        and "你结婚了吗" in text.stdout
    )
    shown = await acli(cli_env, "coaching-digest", "--week", week, "--channel", f"slack:{CHANNEL}", "--json")
    [digest] = json.loads(shown.stdout)
    link = digest["flags"][0]["link"]
    assert digest["user"] == "U1" and link.startswith(f"{env.settings.public_url}/i/{flagged}/")
    assert env.service.verify_interviewer_link(flagged, link.rsplit("/", 1)[1])  # the server opens it
    assert slack_dms(mock) == []  # a preview sends nothing
    for args, says in (
        (["--week", "2026-W60"], "is not an ISO week"),
        (["--week", "last week"], "is not an ISO week"),
        (["--week", week, "--channel", "slack:CNOBODY"], "unknown channel slack:CNOBODY"),
        (["--week", week, "--channel", "CNOBODY"], "PLATFORM:CHANNEL"),
    ):
        bad = await acli(cli_env, "coaching-digest", *args)
        assert bad.returncode == 2 and says in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serve_sends_a_week_missed_while_it_was_down_late_and_once(tmp_path):
    from handlers.server import serve

    mock = await SlackMock().start()
    mock.members[CHANNEL] = ["U1"]
    settings = load_settings(
        {
            "IB_DATA_DIR": str(tmp_path / "data"),
            "IB_DB": str(tmp_path / "ib.db"),
            "IB_HTTP_PORT": str(_free_port()),
            "IB_HTTP_HOST": "127.0.0.1",
            "IB_DIGEST_TICK_S": "0.2",
            "IB_ASR_ENGINE": "whisper",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": mock.api_url,
        }
    )
    # opted in a month ago; its time came yesterday, while nothing was running
    now = datetime.now(UTC)
    at = (now - timedelta(days=1)).weekday()
    with contextlib.closing(Store(settings.db_path)) as store:
        setting = weekly.opt_in(
            store,
            platform="slack",
            channel=CHANNEL,
            weekday=at,
            at_time="00:00",
            timezone_name="UTC",
            user="U1",
        )
        with store.db.conn:
            store.db.execute(
                "update coaching_channels set created_at = ?", [(now - timedelta(days=30)).isoformat()]
            )
    setting.created_at = (now - timedelta(days=30)).isoformat()
    monday = setting.due(now)
    interview(SimpleNamespace(settings=settings), "U1", setting.window(monday)[0] + timedelta(hours=2))
    ready = asyncio.Event()
    server = asyncio.create_task(serve(settings, http=False, platforms=["slack"], ready=ready))
    try:
        await asyncio.wait_for(ready.wait(), 60)
        [dm] = await until(lambda: slack_dms(mock))
        assert dm["channel"] == "DU1" and "晚发了" in said(dm)
        with contextlib.closing(Store(settings.db_path)) as store:
            [row] = store.coaching.outcomes("slack")
        assert row["status"] == "posted" and row["late"] == 1 and row["week"] == weekly.week_name(monday)
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server
        await mock.close()
    assert len(slack_dms(mock)) == 1
