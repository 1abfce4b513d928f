# ruff: noqa: F811 (the tests take the imported fixture `slack_env` as their parameter)
"""Verdicts on a Slack report with the real slack-bolt app against the local Slack: a signed block_actions
payload becomes a stored verdict and the report updated in place with the tally; non-members are refused
with an ephemeral note; forged or stale signatures are refused by bolt; a second click by the same person
replaces the first; a click on a deleted interview is refused cleanly; `/interview verdicts` answers
with the channel's stats."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp
from helpers import until
from slack_mock import message_event, sign
from test_slack import CHANNEL, add_recording, reports
from test_slack import slack as slack_env  # noqa: F401 (test_slack's fixture, used as a parameter)

TS = "1700000000.000101"


async def click(env, value: str, user: str, message_ts: str, *, action_id: str = "verdict", **sig) -> int:
    """Post a signed block_actions payload the way Slack does (form-encoded `payload`)."""
    n = len(env.mock.responses)
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "user": {"id": user, "team_id": "T1"},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL},
        "message": {"ts": message_ts, "type": "message"},
        "response_url": env.mock.url(f"/respond/{n}"),
        "trigger_id": "1.2.3",
        "actions": [
            {
                "type": "overflow" if action_id == "verdict" else "static_select",
                "action_id": action_id,
                "block_id": "competency:x",
                "selected_option": {"value": value, "text": {"type": "plain_text", "text": "x"}},
                "action_ts": str(time.time()),
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, **sig)}
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as s:
        async with s.post(env.server.make_url("/slack/events"), data=body, headers=headers) as r:
            env.ack_ms.append((time.perf_counter() - t0) * 1000)
            return r.status


async def reported(env, mock) -> tuple[str, str]:
    """Upload one recording and wait for its report: (interview id, the report message's ts)."""
    await env.post(message_event("EvV1", add_recording(mock, "FV1", TS), CHANNEL, TS))
    await until(lambda: reports(mock))
    [report] = await until(lambda: mock.reports_in_thread(CHANNEL, TS))
    iid = env.store.db.execute("select id from interviews").fetchone()[0]
    return iid, report["ts"]


def updates_of(mock, ts: str) -> list[dict]:
    return [a for a in mock.called("chat.update") if a.get("ts") == ts and a.get("blocks")]


def blocks_of(update: dict) -> list[dict]:
    blocks = update["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def test_a_click_is_stored_and_the_report_updated_with_the_tally(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1", "U2"]
    env = await make()
    iid, ts = await reported(env, mock)
    posted = next(a for a in reports(mock))
    posted_blocks = json.loads(posted["blocks"]) if isinstance(posted["blocks"], str) else posted["blocks"]
    assert any(e.get("action_id") == "verdict_missed" for b in posted_blocks for e in b.get("elements", []))
    assert await click(env, f"{iid}|technical_depth|agree", "U1", ts) == 200
    assert await click(env, f"{iid}|technical_depth|too_high", "U2", ts) == 200
    rows = await until(lambda: env.count("select count(*) from verdicts") == 2)
    assert rows
    update = await until(lambda: updates_of(mock, ts)[1:] and updates_of(mock, ts)[-1])
    tally = await until(
        lambda: [
            b
            for u in updates_of(mock, ts)
            for b in blocks_of(u)
            if b.get("block_id") == "tally:technical_depth" and "1 同意, 1 偏高" in b["elements"][0]["text"]
        ]
    )
    assert tally and update["channel"] == CHANNEL
    row = env.store.db.execute(
        "select platform, user, verdict, analysis_version from verdicts where user = 'U1'"
    ).fetchone()
    assert row[:3] == ("slack", "U1", "agree") and row[3] is not None
    assert max(env.ack_ms) < 3000


async def test_missed_is_a_verdict_of_its_own(slack_env):
    """A competency the report did not score, flagged from its own menu (the second click replacing the
    first, and refusals, are in test_platform_contract.py)."""
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1"]
    env = await make()
    iid, ts = await reported(env, mock)
    await click(env, f"{iid}|technical_depth|agree", "U1", ts)
    await until(lambda: env.count("select count(*) from verdicts where verdict = 'agree'"))
    await click(env, f"{iid}|learning|missed", "U1", ts, action_id="verdict_missed")
    await until(lambda: env.count("select count(*) from verdicts where competency = 'learning'"))
    assert env.count("select count(*) from verdicts") == 2


async def test_forged_and_stale_action_signatures_are_refused(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1"]
    env = await make()
    iid, ts = await reported(env, mock)
    assert await click(env, f"{iid}|technical_depth|agree", "U1", ts, secret="not-the-secret") == 401
    assert (
        await click(env, f"{iid}|technical_depth|agree", "U1", ts, timestamp=int(time.time()) - 3600) == 401
    )
    assert env.count("select count(*) from verdicts") == 0


async def test_the_verdicts_command_answers_with_the_channel_stats(slack_env):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1", "U2"]
    env = await make()
    iid, ts = await reported(env, mock)
    await click(env, f"{iid}|technical_depth|agree", "U1", ts)
    await click(env, f"{iid}|technical_depth|too_high", "U2", ts)
    await until(lambda: env.count("select count(*) from verdicts") == 2)
    answer = await env.command("verdicts")
    text = json.dumps(answer, ensure_ascii=False)
    assert "50%" in text and "技术深度" in text
