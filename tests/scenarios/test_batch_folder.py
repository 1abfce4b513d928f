"""Batch folder mode: every recording gets .json/.md/.html; duplicates by content are skipped; bad files
are reported with a reason and a non-zero exit; --watch picks up files once they stop growing."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

import pytest
from helpers import FIXTURES

pytestmark = pytest.mark.slow


def test_good_duplicate_and_bad_files(cli, cli_env, tmp_path):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(FIXTURES / "zh_short.flac", inbox / "张三_一面.flac")
    shutil.copy(FIXTURES / "zh_short.flac", inbox / "renamed copy.flac")
    (inbox / "broken.wav").write_text("this is not audio")
    (inbox / "notes.txt").write_text("ignored: not a recording")

    proc = cli(cli_env, "batch", inbox, out, "--profile", "backend")
    assert proc.returncode == 2, proc.stderr
    assert "done 1, skipped 1, failed 1" in proc.stderr
    assert "failed: broken.wav: broken.wav is not a readable audio" in proc.stderr
    produced = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    stem = "renamed copy"  # files go in name order; its content twin is the duplicate
    assert produced == ["interview-bot-batch.log", f"{stem}.html", f"{stem}.json", f"{stem}.md"]
    assert json.loads((out / f"{stem}.json").read_text())["profile"] == "backend_engineer"
    assert "broken.wav" in (out / "interview-bot-batch.log").read_text()

    again = cli(cli_env, "batch", inbox, out)
    assert "done 0, skipped 2, failed 1" in again.stderr  # nothing transcribed twice

    # its answers are searchable by meaning at once: embedded by the current search encoder, none owed
    from bot.ask import ENCODER

    with closing(sqlite3.connect(cli_env["IB_DB"])) as db:
        [(answers, encoder)] = db.execute("select answers, encoder from answer_sets").fetchall()
        assert answers > 0 and encoder == ENCODER
        assert {e for (e,) in db.execute("select encoder from answers")} == {ENCODER}


def wait_for(condition, proc, timeout=600.0):
    """Poll `condition` until it holds; fail at once if the watching process ended. The timeout is only
    a backstop for a hung run: a loaded machine makes the wait longer, never the test red."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the watch ended early: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "the watch never produced the report"
        time.sleep(0.1)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_watch_picks_up_new_files(cli_env, tmp_path, stop_signal):
    """In a process of its own: --watch runs until the user presses Ctrl-C (SIGINT) or a supervisor stops it
    (SIGTERM, as docker stop does); either way it reports what it finished."""
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "batch", str(inbox), str(out), "--watch", "--interval", "0.3"],
        env={**cli_env, "PYTHONFAULTHANDLER": "1"},  # a hang at exit dumps its threads (see below)
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: (out / "interview-bot-batch.log").exists(), proc)  # watching
        # the file appears whole (a copy finished elsewhere, then moved in): no wall-clock race with the
        # "stopped growing" check, which tests/unit/test_folder_watch.py covers with its own clock
        staged = tmp_path / "staged.flac"
        shutil.copy(FIXTURES / "zh_short.flac", staged)
        staged.rename(inbox / "Jane Doe - round 2.flac")
        wait_for(lambda: (out / "Jane Doe - round 2.json").exists(), proc)  # written last
        assert (out / "Jane Doe - round 2.md").exists()
    finally:
        proc.send_signal(stop_signal)
        try:
            _stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack: what held the exit
            _stdout, stderr = proc.communicate()
            pytest.fail(f"batch --watch did not exit on {stop_signal.name}; its threads:\n{stderr[-6000:]}")
    # the summary after Ctrl-C counts what the watch finished (it once printed "done 0")
    assert "done 1, skipped 0, failed 0" in stderr.strip().splitlines()[-1:], stderr[-2000:]
    assert proc.returncode == 0
