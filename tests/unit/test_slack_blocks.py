"""The Slack format built as Block Kit data posts what the Jinja templates it replaced posted: the fixture
analyses under every report context (channel, thread with verdict controls and Send to ATS, no report page,
far past the limits), digests, panoramas and command replies, compared payload by payload with the
payloads recorded from the templates (tests/golden/slack_blocks.json).

Intended differences, each shown by its own test below, none of which the recorded cases reach:
- round labels are escaped for mrkdwn in a digest too (the panorama already escaped them);
- a command reply's line longer than a section is clipped (the template built a block Slack rejects) and
  never leaves an empty section before it;
- digests and panoramas stay inside the total size too, not only the block count;
- a choice button's label is clipped with "…" (it was cut).
"""

from __future__ import annotations

import json
import os

import pytest
import slack_blocks_golden as golden

from bot.commands import Reply
from bot.render import build_payload, render_document
from bot.render_slack import SLACK_MAX_SECTION, SLACK_MAX_TOTAL, choices

RECORDED = golden.load()


def built(kind, data, ctx):
    return build_payload(kind, data, "slack", ctx)


@pytest.fixture(scope="module")
def payloads():
    out = golden.rendered(RECORDED, built)
    if os.environ.get("IB_UPDATE_GOLDEN"):
        golden.write(RECORDED, out)
    return out


@pytest.mark.parametrize("case", sorted(RECORDED["payloads"]))
def test_the_built_payload_is_the_recorded_one(payloads, case):
    assert payloads[case] == RECORDED["payloads"][case]


def test_every_recorded_case_is_still_rendered(payloads):
    assert set(payloads) == set(RECORDED["payloads"])


def test_the_text_format_is_the_payload_serialised_once():
    kind, data, ctx = golden.cases(RECORDED)["interview_zh.script.json/thread"]
    text = render_document(kind, data, "slack", ctx)
    assert json.loads(text) == RECORDED["payloads"]["interview_zh.script.json/thread"]


def test_thread_controls_carry_their_action_ids_and_values(payloads):
    blocks = payloads["interview_zh.script.json/thread"]["blocks"]
    menus = [b["accessory"] for b in blocks if "accessory" in b]
    assert menus and all(m["type"] == "overflow" and m["action_id"] == "verdict" for m in menus)
    assert menus[0]["options"][0]["value"].startswith(f"{golden.IID}|") and len(menus[0]["options"]) == 4
    actions = blocks[-1]["elements"]
    assert [e["action_id"] for e in actions] == ["open_report", "open_qa", "verdict_missed", "ats_send"]
    assert all(o["value"].endswith("|missed") for o in actions[2]["options"])
    assert any(b.get("block_id", "").startswith("tally:") for b in blocks)


def test_round_labels_typed_by_users_never_ping_in_a_digest():
    data = dict(RECORDED["histories"]["digest/zh"])
    data["items"] = [dict(it, round_label="<!here>") for it in data["items"]]
    data["waiting"] = [dict(w, last_round="<!channel>") for w in data["waiting"]]
    data["open_questions"] = [dict(q, round_label="<@U9>") for q in data["open_questions"]]
    text = json.dumps(built("digest", data, None), ensure_ascii=False)
    assert not any(m in text for m in ("<!here>", "<!channel>", "<@U9>"))
    assert "&lt;!here&gt;" in text and "&lt;@U9&gt;" in text


def test_a_reply_line_longer_than_a_section_is_clipped_not_refused():
    payload = built("reply", Reply("long", ["x" * 5000, "short"]), None)
    texts = [b["text"]["text"] for b in payload["blocks"][1:]]
    assert texts == ["x" * (SLACK_MAX_SECTION - 1) + "…", "short"]


def test_a_huge_digest_stays_inside_the_total_size():
    data = dict(RECORDED["histories"]["digest/en-full"])
    data["open_questions"] = data["open_questions"] * 40
    data["waiting"] = data["waiting"] * 40
    blocks = built("digest", data, None)["blocks"]
    assert len(json.dumps(blocks, ensure_ascii=False)) <= SLACK_MAX_TOTAL
    assert blocks[0]["type"] == "header"


def test_choice_buttons_are_clipped_to_slacks_label_limit():
    payload = choices("Which application?", [("a" * 100, "iid|app1"), ("Backend · Lever", "iid|app2")])
    buttons = payload["blocks"][1]["elements"]
    assert [b["action_id"] for b in buttons] == ["ats_send_0", "ats_send_1"]
    assert buttons[0]["text"]["text"] == "a" * 74 + "…" and buttons[1]["value"] == "iid|app2"
