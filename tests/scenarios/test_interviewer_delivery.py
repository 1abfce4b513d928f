# ruff: noqa: F811 (the tests take the imported fixtures as their parameters)
"""Coaching goes to the interviewer, privately, exactly once (issue 26, "Delivery that respects people"),
with the real slack-bolt app against the local Slack and the real lark-oapi dispatcher against the local
Feishu: a platform user named with the upload gets the note and the uploader does not; a free-text name
reaches only the compliance channel; a private note the platform fails to take is owed and posted once by
the sweep; one it refuses for good is told to the compliance channel once and never tried again."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from feishu_mock import BOT_OPEN_ID
from feishu_mock import message_event as feishu_message
from helpers import until
from slack_mock import message_event, thread_reply_event
from test_feishu import CHAT
from test_feishu import feishu as feishu_env  # noqa: F401 (test_feishu's fixture, used as a parameter)
from test_feishu import opus_clip as clip  # noqa: F401 (test_feishu's fixture, used as a parameter)
from test_slack import CHANNEL, add_recording, reports
from test_slack import slack as slack_env  # noqa: F401 (test_slack's fixture, used as a parameter)

TS = "1700000000.000401"
COMPLIANCE = "C0COMPLIANCE"


def coach_notes(mock, channel: str) -> list[dict]:
    """The private notes in a channel or direct message, each once however many attempts there were."""
    return [
        m
        for m in mock.posted_to(channel)
        if str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith("coach-")
    ]


def compliance_said(mock) -> str:
    return json.dumps(
        [p for p in mock.called("chat.postMessage") if p["channel"] == COMPLIANCE], ensure_ascii=False
    )


async def slack_upload(env, mock, text: str) -> str:
    """A recording posted with `text` by U1; the interview it became, once its report is out."""
    await env.post(message_event("EvI1", add_recording(mock, "FI1", TS), CHANNEL, TS, text=text))
    await until(lambda: reports(mock))
    return env.store.db.execute("select id from interviews").fetchone()[0]


async def test_a_named_slack_user_gets_the_note_and_the_uploader_does_not(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1", "U2INT"]
    env = await make()
    iid = await slack_upload(env, mock, "张三 一面\ninterviewer: <@U2INT>")
    note = (await until(lambda: coach_notes(mock, "DU2INT")))[0]
    assert "仅你可见" in note["text"]
    assert [c["users"] for c in mock.called("conversations.open")] == ["U2INT"]  # never the uploader's
    row = env.store.interviews.get(iid)
    assert (row["interviewer_user"], row["uploader"]) == ("U2INT", "U1")
    # /interview coach counts the interviews one ran, not the ones one uploaded
    assert "1 场面试" in json.dumps(await env.command("coach", user="U2INT"), ensure_ascii=False)
    assert "没有你做面试官的面试" in json.dumps(await env.command("coach", user="U1"), ensure_ascii=False)


async def test_a_named_user_outside_the_channel_gets_nothing_and_compliance_is_told(slack_env):
    """The note names the candidate and quotes the interview: a mistyped or stray mention must not leak it."""
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1"]
    env = await make(IB_COMPLIANCE_CHANNEL=f"slack:{COMPLIANCE}")
    await slack_upload(env, mock, "interviewer: <@U9OUTSIDER>")
    await until(lambda: mock.posted_to(COMPLIANCE))
    assert "不是本次面试所在频道的成员" in compliance_said(mock)
    assert mock.called("conversations.open") == []  # neither the outsider nor the uploader


async def test_a_free_text_name_reaches_only_the_compliance_channel(slack_env):
    mock, make = slack_env
    env = await make(IB_COMPLIANCE_CHANNEL=f"slack:{COMPLIANCE}")
    iid = await slack_upload(env, mock, "interviewer: 王伟")
    note = (await until(lambda: mock.posted_to(COMPLIANCE)))[0]
    assert "王伟" in note["text"] and mock.called("conversations.open") == []  # no one gets a DM
    assert "不是可以私信的平台用户" in compliance_said(mock)  # the note says no private delivery was possible
    row = env.store.interviews.get(iid)
    assert (row["interviewer"], row["interviewer_user"]) == ("王伟", None)
    await env.slack.sweep()
    assert len(mock.posted_to(COMPLIANCE)) == 1


async def test_a_failed_private_note_is_posted_once_by_the_sweep(slack_env):
    mock, make = slack_env
    # Slack fails the DM twice: a 500 with nothing posted, then a 500 although it did post
    mock.channel_faults["DU1"] = [(500, False), (500, True)]
    env = await make()
    iid = await slack_upload(env, mock, "")
    await until(lambda: coach_notes(mock, "DU1"))  # the sweep's second try (it posted, the answer lost)
    ts = await until(lambda: _coach_ts(env, iid))
    assert ts == coach_notes(mock, "DU1")[0]["ts"]  # found where it was, adopted, not posted again
    tries = [m for m, a in mock.calls if a.get("channel") == "DU1"]
    assert tries == ["chat.postMessage:500", "conversations.history"] * 2  # looked before each retry
    await env.slack.sweep()
    assert len(coach_notes(mock, "DU1")) == 1
    assert not [
        p for p in mock.called("chat.postMessage") if p["channel"] == CHANNEL and "仅你可见" in str(p)
    ]


async def test_a_note_whose_poster_died_after_the_report_is_sent_by_the_sweep(slack_env):
    """kill -9 between the report and the private note: the note was never claimed, so nothing marks it owed
    but the report that went out without it."""
    mock, make = slack_env
    env = await make()

    async def died(interview):  # the process is gone before it claims the note
        return None

    env.slack.deliver_coaching = died
    iid = await slack_upload(env, mock, "")
    del env.slack.deliver_coaching  # the restarted process
    assert coach_notes(mock, "DU1") == []
    await env.slack.sweep()
    assert coach_notes(mock, "DU1") == []  # a report just posted may still have its notes on the way
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    with env.store.db.conn:
        env.store.db.execute(
            "update platform_posts set created_at = ? where interview_id = ?", [an_hour_ago, iid]
        )
    await env.slack.sweep()
    await until(lambda: coach_notes(mock, "DU1"))
    await env.slack.sweep()
    assert len(coach_notes(mock, "DU1")) == 1


async def test_a_note_is_not_sent_again_when_slack_refuses_to_show_the_dm(slack_env):
    """The DM took the note but its answer was lost; Slack then refuses the history (a scope removed):
    the bot cannot tell whether it went out, so it does not post it blindly a second time."""
    mock, make = slack_env
    mock.channel_faults["DU1"] = [(500, True)]
    mock.refuse["conversations.history"] = "missing_scope"
    env = await make()
    await slack_upload(env, mock, "")
    await until(lambda: mock.called("conversations.history"))
    await env.slack.sweep()
    assert len(coach_notes(mock, "DU1")) == 1


def _coach_ts(env, iid: str) -> str | None:
    row = env.store.db.execute(
        "select message_id from platform_posts where interview_id = ? and kind = 'coach'", [iid]
    ).fetchone()
    return row[0] if row else None


async def test_a_note_still_failing_a_day_after_the_upload_is_given_up_and_compliance_told(slack_env):
    mock, make = slack_env
    mock.channel_faults["DU1"] = [(500, False)] * 20  # Slack keeps failing this DM
    env = await make(IB_COMPLIANCE_CHANNEL=f"slack:{COMPLIANCE}")
    iid = await slack_upload(env, mock, "")
    await until(lambda: [m for m, a in mock.calls if a.get("channel") == "DU1"])
    assert not mock.posted_to(COMPLIANCE)  # still owed: compliance waits to say whether it arrived
    with env.store.db.conn:  # the recording came in two days ago
        env.store.db.execute(
            "update interviews set created_at = '2026-01-01T00:00:00+00:00' where id = ?", [iid]
        )
    await env.slack.sweep()
    await until(lambda: mock.posted_to(COMPLIANCE))
    assert "无法私信面试官" in compliance_said(mock)
    tries = len([m for m, a in mock.calls if a.get("channel") == "DU1"])
    await env.slack.sweep()
    assert len([m for m, a in mock.calls if a.get("channel") == "DU1"]) == tries  # no more retries


async def test_a_note_refused_for_good_is_told_to_compliance_once_and_not_retried(slack_env):
    mock, make = slack_env
    mock.unreachable["U1"] = "cannot_dm_bot"
    env = await make(IB_COMPLIANCE_CHANNEL=f"slack:{COMPLIANCE}")
    await slack_upload(env, mock, "")
    await until(lambda: mock.posted_to(COMPLIANCE))
    assert "无法私信面试官" in compliance_said(mock)
    await env.slack.sweep()
    await env.slack.sweep()
    assert len(mock.called("conversations.open")) == 1 and len(mock.posted_to(COMPLIANCE)) == 1


async def test_a_slack_reply_in_the_recordings_thread_names_the_interviewer(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1", "U2INT"]
    mock.gate = asyncio.Event()  # the recording is still downloading when the uploader names the interviewer
    env = await make()
    await env.post(message_event("EvR1", add_recording(mock, "FR1", TS), CHANNEL, TS, text="张三 一面"))
    await until(lambda: mock.called("download"))
    stranger = thread_reply_event(
        "EvR2", CHANNEL, TS, "1700000000.000402", "interviewer: <@U1>", user="U2INT"
    )
    await env.post(stranger)  # not the uploader: names no one, says nothing
    reply = thread_reply_event("EvR3", CHANNEL, TS, "1700000000.000403", "<@UBOT> interviewer: <@U2INT>")
    await env.post(reply)
    await env.post(reply)  # Slack's retry of the same event
    answers = await until(lambda: [m for m in mock.threads.get((CHANNEL, TS), []) if "U2INT" in m["text"]])
    assert "已记下面试官" in answers[0]["text"]
    mock.gate.set()
    note = (await until(lambda: coach_notes(mock, "DU2INT")))[0]
    assert "仅你可见" in note["text"]
    await until(lambda: reports(mock))
    await env.slack.sweep()
    assert len(coach_notes(mock, "DU2INT")) == 1 and coach_notes(mock, "DU1") == []  # not the uploader
    assert len([m for m in mock.threads[(CHANNEL, TS)] if "已记下面试官" in (m["text"] or "")]) == 1
    late = thread_reply_event("EvR4", CHANNEL, TS, "1700000000.000404", "interviewer: <@U1>")
    await env.post(late)  # after the note went out: too late
    await until(lambda: [m for m in mock.threads[(CHANNEL, TS)] if "不能再改" in (m["text"] or "")])
    assert coach_notes(mock, "DU1") == []


async def test_naming_the_interviewer_while_the_note_is_on_its_way_waits_and_is_too_late(slack_env, caplog):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1", "U2INT", "U3INT"]
    mock.hold["conversations.members"] = asyncio.Event()  # the note's membership check is in flight
    env = await make(SLACK_TIMEOUT_S="600")  # the held call waits as long as the test needs
    caplog.set_level("INFO", logger="handlers.platform")
    await env.post(
        message_event("EvN1", add_recording(mock, "FN1", TS), CHANNEL, TS, text="interviewer: <@U2INT>")
    )
    await until(lambda: [m for m, _ in mock.held if m == "conversations.members"])
    await env.post(thread_reply_event("EvN2", CHANNEL, TS, "1700000000.000405", "interviewer: <@U3INT>"))
    await until(lambda: "named while its note is on its way" in caplog.text)
    mock.hold["conversations.members"].set()
    await until(lambda: [m for m in mock.threads[(CHANNEL, TS)] if "不能再改" in (m["text"] or "")])
    assert len(coach_notes(mock, "DU2INT")) == 1 and coach_notes(mock, "DU3INT") == []
    row = env.store.db.execute("select interviewer_user from interviews").fetchone()
    assert row[0] == "U2INT"  # the weekly credit and the note go to the same person


async def test_an_interviewer_named_while_the_report_is_posting_gets_the_note_not_the_uploader(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1", "U3INT"]
    mock.hold["chat.postMessage"] = asyncio.Event()  # the report is on its way when the name arrives
    mock.hold_only = lambda args: args.get("channel") == CHANNEL and bool(args.get("blocks"))
    env = await make(SLACK_TIMEOUT_S="600")  # the held call waits as long as the test needs
    await env.post(message_event("EvN3", add_recording(mock, "FN3", TS), CHANNEL, TS, text="张三 一面"))
    await until(lambda: mock.held)
    await env.post(thread_reply_event("EvN4", CHANNEL, TS, "1700000000.000406", "interviewer: <@U3INT>"))
    await until(lambda: [m for m in mock.threads[(CHANNEL, TS)] if "已记下面试官" in (m["text"] or "")])
    mock.hold["chat.postMessage"].set()
    assert "仅你可见" in (await until(lambda: coach_notes(mock, "DU3INT")))[0]["text"]
    await env.slack.sweep()
    assert coach_notes(mock, "DU1") == [] and len(coach_notes(mock, "DU3INT")) == 1


async def test_a_feishu_mention_in_the_recordings_thread_names_the_interviewer(feishu_env, clip):
    mock, env = feishu_env
    mock.members[CHAT] = ["ou_member", "ou_wang"]
    mock.gate = asyncio.Event()  # the recording is still downloading when the uploader names the interviewer
    mock.resources[("om_rec", "file_r")] = clip.read_bytes()
    await env.post(feishu_message("ev-r1", "om_rec", CHAT, "audio", {"file_key": "file_r", "duration": 5600}))
    await until(lambda: [r for r in mock.called("reply") if r["uuid"].startswith("ack-")])
    mentions = [
        {"key": "@_user_1", "id": {"open_id": BOT_OPEN_ID}, "name": "interview-bot", "tenant_key": "tenant"},
        {"key": "@_user_2", "id": {"open_id": "ou_wang"}, "name": "王伟", "tenant_key": "tenant"},
    ]
    text = {"text": "@_user_1 面试官：@_user_2"}
    await env.post(feishu_message("ev-r2", "om_name", CHAT, "text", text, mentions=mentions, root="om_rec"))
    await until(lambda: [r for r in mock.called("reply") if r["to"] == "om_name"])
    mock.gate.set()
    dm = (await until(lambda: [c for c in mock.called("create") if c["receive_id_type"] == "open_id"]))[0]
    assert dm["receive_id"] == "ou_wang" and "coach-" in dm["uuid"]
    await env.feishu.sweep()
    assert [c["receive_id"] for c in mock.called("create")] == ["ou_wang"]  # once, not to the uploader
    assert "王伟" in json.dumps(mock.called("reply"), ensure_ascii=False)  # the thread was told who


async def test_a_feishu_note_refused_for_good_goes_to_compliance_once(feishu_env, clip):
    mock, env = feishu_env
    env.settings.compliance_channel = ("feishu", "oc_compliance")
    mock.unreachable["ou_member"] = 230013  # the uploader is outside the app's availability
    mock.resources[("om_rec2", "file_r2")] = clip.read_bytes()
    await env.post(feishu_message("ev-s1", "om_rec2", CHAT, "audio", {"file_key": "file_r2"}))
    told = await until(lambda: [c for c in mock.called("create") if c["receive_id"] == "oc_compliance"])
    assert "无法私信面试官" in told[0]["content"]
    await env.feishu.sweep()
    await env.feishu.sweep()
    refused = [a for m, _, a in mock.calls if m == "REFUSED"]
    posted = [a for m, w, a in mock.calls if (m, w) == ("POST", "create")]
    assert len(refused) == 1 and [a["receive_id"] for a in posted] == ["oc_compliance"]


async def test_a_private_note_on_its_way_when_the_candidate_is_erased_is_deleted_by_the_sweep(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1"]
    mock.hold["chat.postMessage"] = asyncio.Event()  # the note is on its way when the erasure comes
    mock.hold_only = lambda args: args.get("channel") == "DU1"
    env = await make(SLACK_TIMEOUT_S="600")  # the held call waits as long as the test needs
    await env.post(message_event("EvE1", add_recording(mock, "FE1", TS), CHANNEL, TS, text="张三 一面"))
    await until(lambda: mock.held)
    [(name,)] = env.store.db.execute("select name from candidates").fetchall()
    erased = await env.service.consent.record(name, "refused", how="cli", actor="cli")
    assert erased.erased and erased.messages_deleted >= 1  # the report went; the note had no id to find
    mock.hold["chat.postMessage"].set()
    # the note went out after the erasure looked: the service's sweep (every second here) deletes it
    await until(lambda: [d for d in mock.called("chat.delete") if d["channel"] == "DU1"])
    assert coach_notes(mock, "DU1") == []
    await until(lambda: not env.store.db.execute("select count(*) from retractions").fetchone()[0])
