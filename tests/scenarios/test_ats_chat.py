# ruff: noqa: F811 (the tests take the imported fixtures as their parameters)
""" "Send to ATS" from the threaded report, with the real slack-bolt app against the local Slack (and a
local Lever) and the real lark-oapi dispatcher against the local Feishu (whose Feishu Hire is the ATS):
the button is on the report; a member's click posts one private draft naming them and tells them alone
(ephemeral message, toast); a stranger is refused; a failing ATS is reported to the clicker and the
retry posts once; the upload's `application: <id>` line is used; several applications: the bot asks in
the thread with one button each, and a click on one sends there."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from ats_mocks import LEVER_KEY, LEVER_USER, FeishuHireMock, LeverMock
from conftest import until
from feishu_mock import APP_ID, APP_SECRET
from feishu_mock import message_event as feishu_message
from slack_mock import message_event, sign
from test_feishu import CHAT, report_cards
from test_feishu import Env as FeishuEnv
from test_feishu import opus_clip as clip  # noqa: F401 (test_feishu's fixture, used as a parameter)
from test_slack import CHANNEL, add_recording, reports
from test_slack import slack as slack_env  # noqa: F401 (test_slack's fixture, used as a parameter)
from test_slack_verdicts import blocks_of

from bot.config import ConfigSource, ats_settings

TS = "1700000000.000301"


@pytest.fixture
async def lever():
    mock = await LeverMock().start()
    mock.opportunities = [{"id": "opp-1", "name": "张三", "headline": "Backend"}]
    yield mock
    await mock.close()


async def click(env, value: str, user: str, action_id: str = "ats_send") -> str:
    """A signed block_actions payload for a button, as Slack sends it; the ephemeral answer's text."""
    n = len(env.mock.responses)
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "user": {"id": user, "team_id": "T1"},
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "message_ts": TS, "channel_id": CHANNEL},
        "message": {"ts": TS, "type": "message"},
        "response_url": env.mock.url(f"/respond/{n}"),
        "trigger_id": "1.2.3",
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b", "value": value,
                     "action_ts": str(time.time())}],
    }  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with aiohttp.ClientSession() as s:
        async with s.post(env.server.make_url("/slack/events"), data=body, headers=headers) as r:
            assert r.status == 200
    answer = await until(lambda: env.mock.responses[n] if len(env.mock.responses) > n else None)
    assert answer["response_type"] == "ephemeral"
    return answer["text"]


async def slack_report(mock, env, text: str = "") -> str:
    event = message_event("EvA1", add_recording(mock, "FA1", TS), CHANNEL, TS)
    event["event"]["text"] = text
    await env.post(event)
    await until(lambda: reports(mock))
    return env.store.db.execute("select id from interviews").fetchone()[0]


async def test_slack_send_to_ats_button(slack_env, lever):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1"]
    env = await make(IB_ATS="lever", IB_LEVER_API_KEY=LEVER_KEY, IB_LEVER_USER_ID=LEVER_USER,
                     IB_LEVER_URL=lever.url("/v1"), IB_ATS_TIMEOUT_S="2")  # fmt: skip
    iid = await slack_report(mock, env, "张三 一面\napplication: opp-7")
    [footer] = [
        b
        for b in blocks_of(reports(mock)[0])
        if any(e.get("action_id") == "ats_send" for e in b.get("elements", []))
    ]
    assert next(e for e in footer["elements"] if e.get("action_id") == "ats_send")["value"] == iid
    assert "只有报告所在频道的成员" in await click(env, iid, "USTRANGER")
    lever.fail_posts = ["500-stored"]
    assert "发送到 ATS 没有成功：Lever answered HTTP 500" in await click(env, iid, "U1")
    assert "已作为草稿笔记发送到 lever" in await click(env, iid, "U1")
    assert "已经发送到 lever" in await click(env, iid, "U1")
    [note] = lever.notes  # the retry found the stored note by its marker
    assert note["opportunity"] == "opp-7" and "u1 (U1) (slack)" in note["fields"][0]["value"]


async def test_slack_asks_in_the_thread_when_several_applications_match(slack_env, lever):
    mock, make = slack_env
    mock.members[CHANNEL] = ["U1"]
    lever.opportunities = [  # the candidate's name comes from the file name, FA1.flac
        {"id": "opp-1", "name": "FA1", "headline": "Backend"},
        {"id": "opp-2", "name": "fa1", "headline": "SRE"},
    ]
    env = await make(IB_ATS="lever", IB_LEVER_API_KEY=LEVER_KEY, IB_LEVER_USER_ID=LEVER_USER,
                     IB_LEVER_URL=lever.url("/v1"))  # fmt: skip
    iid = await slack_report(mock, env)
    await click(env, iid, "U1")
    [ask] = [a for a in mock.called("chat.postMessage") if "ats_send_1" in json.dumps(a.get("blocks"))]
    assert ask["thread_ts"] == TS and not lever.notes
    buttons = blocks_of(ask)[1]["elements"]
    assert [b["value"] for b in buttons] == [f"{iid}|opp-1", f"{iid}|opp-2"]
    assert "已作为草稿笔记发送到 lever" in await click(env, buttons[1]["value"], "U1", "ats_send_1")
    assert [n["opportunity"] for n in lever.notes] == ["opp-2"]


@pytest.fixture
async def feishu_hire(tmp_path):
    mock = await FeishuHireMock().start()
    mock.applications = {"app-1": {"talent_id": "t-1", "name": "voice"}}
    env = await FeishuEnv(tmp_path, mock).start()
    env.settings.ats = ats_settings(ConfigSource({"IB_ATS": "feishu-hire", "FEISHU_APP_ID": APP_ID,
                                                  "FEISHU_APP_SECRET": APP_SECRET, "FEISHU_DOMAIN": mock.domain}))  # fmt: skip
    yield mock, env
    await env.stop()
    await mock.close()


def card_button(event_id: str, value: dict, user: str, message_id: str) -> dict:
    from test_feishu_verdicts import card_action

    payload = card_action(event_id, "", user, message_id, tag="button")
    payload["event"]["action"] = {"tag": "button", "value": value}
    return payload


async def test_feishu_send_to_ats_button_posts_a_feishu_hire_note(feishu_hire, clip):
    mock, env = feishu_hire
    mock.members[CHAT] = ["ou_member"]
    mock.resources[("om_a1", "file_a")] = clip.read_bytes()
    await env.post(feishu_message("ev-a1", "om_a1", CHAT, "audio", {"file_key": "file_a", "duration": 5600}))
    [card] = await until(lambda: report_cards(mock))
    iid = env.store.db.execute("select id from interviews").fetchone()[0]
    buttons = [a for e in json.loads(card["content"])["elements"] for a in e.get("actions", [])]
    assert {"ats": iid} in [b.get("value") for b in buttons]
    status, body = await env.post(card_button("ca-a1", {"ats": f"{iid}|app-1"}, "ou_stranger", "om_r"))
    assert status == 200 and "只有报告所在频道的成员" in body["toast"]["content"]
    status, body = await env.post(card_button("ca-a2", {"ats": f"{iid}|app-1"}, "ou_member", "om_r"))
    assert status == 200 and body["toast"]["content"].startswith(
        ("已作为草稿笔记", "Sent to", "正在发送", "Sending")
    )
    [note] = await until(lambda: mock.notes)
    assert note["application_id"] == "app-1" and note["privacy"] == 1 and "ou_member" in note["content"]
