"""History from the command line: `candidate`, `search` and `digest` (render, or post by hand once per day),
and the three shipped sample rounds through `report` into a panorama that finds their contradictions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers import ROOT
from history import store_round
from slack_mock import BOT_TOKEN, SIGNING_SECRET, SlackMock

from bot import digest
from bot.config import load_settings
from bot.service import Service
from bot.storage import Store

AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 15:00 in Beijing


@pytest.fixture
def history_env(cli_env, tmp_path):
    service = Service(load_settings(cli_env))
    for n, day in (("1", 9), ("2", 16), ("3", 23)):
        store_round(service, n, at=AT.replace(day=day), channel="C1")
    return cli_env


def test_candidate_panorama_and_fixes_from_the_cli(cli, history_env):
    proc = cli(history_env, "candidate", "张伟")
    assert proc.returncode == 0, proc.stderr
    assert (
        "候选人全景图: 张伟" in proc.stdout
        and "前后矛盾的说法" in proc.stdout
        and "| 三面 | 2026-11-23 |" in proc.stdout
    )
    data = json.loads(cli(history_env, "candidate", "张伟", "--json").stdout)
    assert len(data["rounds"]) == 3 and len(data["contradictions"]) == 4
    missing = cli(history_env, "candidate", "李四")
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == "error: no candidate called 李四 with an analysed interview"
    )
    assert cli(history_env, "candidate", "张伟", "--rename", "张伟明").returncode == 0
    clash = cli(history_env, "candidate", "张伟明", "--merge-into", "张伟明")
    assert clash.returncode == 2 and "already the same candidate" in clash.stderr
    assert cli(history_env, "candidate", "张伟明", "--decide", "offer").stdout.strip() == "张伟明: offer"


def test_search_and_digest_from_the_cli(cli, history_env):
    found = cli(history_env, "search", "幂等")
    assert found.returncode == 0 and "«幂等»" in found.stdout and "张伟" in found.stdout
    proc = cli(history_env, "digest", "--date", "2026-11-23", "--tz", "Asia/Shanghai", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [i["round_label"] for i in data["items"]] == ["三面"] and data["waiting"][0]["candidate"] == "张伟"
    assert json.loads(
        cli(history_env, "digest", "--date", "2026-11-22", "--tz", "Asia/Shanghai", "--json").stdout
    )["empty"]
    bad = cli(history_env, "digest", "--tz", "Mars/Base")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    nothing = cli(history_env, "digest", "--post")
    assert nothing.returncode == 2 and "no digest subscriptions" in nothing.stderr


async def test_digest_post_by_hand_goes_out_once_per_day(acli, history_env):
    mock = await SlackMock().start()
    env = {
        **history_env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": mock.api_url,
    }
    digest.subscribe(
        Store(load_settings(env).db_path),
        platform="slack",
        channel="C1",
        target="C1",
        target_kind="channel",
        at_time="18:00",
        timezone_name="Asia/Shanghai",
        language="zh",
        skip_empty=False,
        user="UBOSS",
    )

    async def cli(*args):
        ran = await acli(env, *args)
        return ran.returncode, ran.stdout, ran.stderr

    try:
        code, out, err = await cli("digest", "--post", "--date", "2026-11-23")
        assert code == 0, err
        assert out.strip() == "slack:C1 -> channel C1: posted"
        code, out, _ = await cli("digest", "--post", "--date", "2026-11-23")
        assert code == 0 and "already posted" in out
        assert (
            (await cli("digest", "--post", "--date", "2026-11-23", "--force"))[1].strip().endswith("posted")
        )
        posts = [a for a in mock.called("chat.postMessage") if a["text"].startswith("面试日报 · 2026-11-23")]
        assert len(posts) == 2 and "张伟" in json.dumps(posts[0], ensure_ascii=False)
    finally:
        await mock.close()


@pytest.mark.slow
def test_the_three_shipped_rounds_make_a_panorama(cli, cli_env):
    for n, name in (
        ("1", "interview_zh.m4a"),
        ("2", "interview_zh_round2.m4a"),
        ("3", "interview_zh_round3.m4a"),
    ):
        proc = cli(
            cli_env,
            "report",
            ROOT / "samples" / name,
            "--candidate",
            "张伟",
            "--round",
            n,
            "--profile",
            "backend",
            "--format",
            "json",
        )
        assert proc.returncode == 0, proc.stderr
    data = json.loads(cli(cli_env, "candidate", "张伟", "--json").stdout)
    assert [r["label"] for r in data["rounds"]] == ["一面", "二面", "三面"]
    # heard through the real ASR engine: 订单系统 comes back as 电单系统 in round 2 and is still the same project
    assert {c["kind"] for c in data["contradictions"]} >= {"peak_requests", "years", "led_team", "role"}
