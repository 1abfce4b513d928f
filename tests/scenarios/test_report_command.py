"""The main job end to end: `interview-bot report` transcribes, analyses, stores in SQLite and renders."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from helpers import SAMPLE, run_process


@pytest.mark.slow
def test_report_on_the_sample_recording(cli_env, tmp_path):
    """The installed program itself, in a process of its own: the one end-to-end run of `report`."""
    proc = run_process(cli_env, "report", SAMPLE, "--format", "json", "--profile", "backend")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["language"] == "zh" and data["profile"] == "backend_engineer"
    assert {"interviewer", "candidate"} == {s["speaker"] for s in data["segments"]}
    assert any(c["corrected"] == "幂等性" for c in data["corrections"])
    assert 2 <= len(data["followups"]) <= 3
    assert any(c["score"] is not None for c in data["competencies"].values())
    assert data["analysis_version"] and data["analyst"] == "local"

    db = sqlite3.connect(cli_env["IB_DB"])
    (count,) = db.execute("select count(*) from interviews").fetchone()
    assert count == 1
    stored = json.loads(db.execute("select body from analyses").fetchone()[0])
    assert stored["overall"] == data["overall"]

    # Same audio again, another format: no second transcription, the same interview.
    again = run_process(cli_env, "report", SAMPLE, "--format", "html", "-o", tmp_path / "r.html")
    assert again.returncode == 0, again.stderr
    assert "reused the stored transcript" in again.stderr
    assert db.execute("select count(*) from interviews").fetchone()[0] == 1
    assert "<audio" in (tmp_path / "r.html").read_text()


def test_help_is_fast_and_lists_every_command(cli_env):
    """Heavy modules load inside the commands: `--help` in a fresh process stays quick."""
    t0 = time.perf_counter()
    proc = run_process(cli_env, "--help", timeout=60)
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    assert all(name in proc.stdout for name in ("report", "transcribe", "analyze", "serve", "doctor"))
    assert elapsed < 5, f"--help took {elapsed:.1f} s"


def test_analyze_a_text_transcript(cli, cli_env, tmp_path):
    txt = tmp_path / "notes.txt"
    txt.write_text(
        "interviewer: 支付接口的秘等性怎么保证？\ncandidate: 我们通过唯一请求号做幂等键，先查再写。\n"
    )
    proc = cli(cli_env, "analyze", txt, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["corrections"][0]["corrected"] == "幂等性"


@pytest.mark.parametrize(
    "content, needle",
    [
        ("{not json", "is not valid JSON"),
        ('{"text": "no segments"}', 'has no "segments" list'),
        ('{"segments": [{"start": "x"}]}', "malformed segment"),
    ],
)
def test_bad_transcript_files_are_one_line_errors(cli, cli_env, tmp_path, content, needle):
    path = tmp_path / "t.json"
    path.write_text(content)
    proc = cli(cli_env, "analyze", path, "--json")
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_profile_is_a_one_line_error(cli, cli_env, tmp_path):
    txt = tmp_path / "t.txt"
    txt.write_text("candidate: hello\n")
    proc = cli(cli_env, "analyze", txt, "--profile", "astronaut")
    assert proc.returncode == 2 and "unknown profile 'astronaut'" in proc.stderr


def test_report_on_non_audio_is_a_one_line_error(cli, cli_env, tmp_path):
    bad = tmp_path / "cv.pdf"
    bad.write_bytes(b"%PDF-1.4 not audio")
    proc = cli(cli_env, "report", bad)
    assert proc.returncode == 2 and "cv.pdf is not a readable audio" in proc.stderr
