# ruff: noqa: F811 (the tests take the imported fixtures as their parameters)
"""Verdicts on a Feishu report card with the real lark-oapi dispatcher against the local Feishu: a signed,
encrypted card action becomes a stored verdict and the card patched in place with the tally; a
non-member gets an error toast (shown to the clicker alone); a tampered signature is refused; a second
click by the same person replaces the first; a click on a deleted interview is refused cleanly."""

from __future__ import annotations

import json
import time

from feishu_mock import APP_ID, VERIFICATION_TOKEN, message_event
from helpers import until
from test_feishu import CHAT, report_cards
from test_feishu import feishu as feishu_env  # noqa: F401 (test_feishu's fixture, used as a parameter)
from test_feishu import opus_clip as clip  # noqa: F401 (test_feishu's fixture, used as a parameter)


def card_action(event_id: str, value: str, user: str, message_id: str, tag: str = "overflow") -> dict:
    """A card.action.trigger callback (schema 2.0) as Feishu sends it."""
    return {
        "schema": "2.0",
        "header": {
            "event_id": event_id,
            "token": VERIFICATION_TOKEN,
            "create_time": str(int(time.time() * 1000)),
            "event_type": "card.action.trigger",
            "tenant_key": "tenant",
            "app_id": APP_ID,
        },
        "event": {
            "operator": {"tenant_key": "tenant", "open_id": user, "union_id": "on_" + user},
            "token": "c-token",
            "action": {"tag": tag, "option": value, "value": {}},
            "host": "im_message",
            "context": {"open_message_id": message_id, "open_chat_id": CHAT},
        },
    }


async def reported(mock, env, clip) -> tuple[str, str]:
    mock.resources[("om_v1", "file_v2_v")] = clip.read_bytes()
    await env.post(
        message_event("ev-v1", "om_v1", CHAT, "audio", {"file_key": "file_v2_v", "duration": 5600})
    )
    await until(lambda: report_cards(mock))
    iid = env.store.db.execute("select id from interviews").fetchone()[0]
    mid = await until(
        lambda: env.store.db.execute(
            "select message_id from platform_posts where kind = 'report' and message_id like 'om_%'"
        ).fetchone()
    )
    return iid, mid[0]


def tally_patches(mock, mid: str) -> list[str]:
    return [
        p["content"] for p in mock.called("patch") if p["mid"] == mid and "1 同意" in p.get("content", "")
    ]


async def test_a_card_action_is_stored_and_the_card_patched_with_the_tally(feishu_env, clip):
    mock, env = feishu_env
    mock.members[CHAT] = ["ou_member", "ou_two"]
    iid, mid = await reported(mock, env, clip)
    card = json.loads(report_cards(mock)[0]["content"])
    assert any(a.get("tag") == "select_static" for e in card["elements"] for a in e.get("actions", []))
    started = time.perf_counter()
    status, body = await env.post(card_action("ca-1", f"{iid}|technical_depth|agree", "ou_member", mid))
    assert status == 200 and (time.perf_counter() - started) < 3
    assert body["toast"]["type"] == "success"
    await until(lambda: tally_patches(mock, mid))
    # the second click replacing the first, and refusals: test_platform_contract.py


async def test_a_tampered_card_action_is_refused(feishu_env, clip):
    mock, env = feishu_env
    mock.members[CHAT] = ["ou_member"]
    iid, mid = await reported(mock, env, clip)
    status, _ = await env.post(
        card_action("ca-4", f"{iid}|technical_depth|agree", "ou_member", mid), tamper=True
    )
    assert status == 401
    assert env.count("select count(*) from verdicts") == 0 and not tally_patches(mock, mid)
