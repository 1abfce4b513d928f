"""Accepting a recording: the file is stored before the row that points at it; orphans are swept."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat

import pytest
from helpers import FIXTURES

import bot.intake as intake_module
from bot.intake import Intake, Submission
from bot.storage import Database


@pytest.fixture
def intake(tmp_path):
    db = Database(tmp_path / "ib.db")
    yield Intake(db, tmp_path / "data", max_bytes=1 << 30, max_seconds=3600), db
    db.close()


def submission(intake: Intake, key: str = "api:k1") -> Submission:
    data = (FIXTURES / "zh_short.flac").read_bytes()
    tmp = intake.new_incoming()
    tmp.write_bytes(data)
    return Submission(tmp, "a.flac", key, hashlib.sha256(data).hexdigest(), len(data))


def test_a_crash_while_storing_the_file_does_not_poison_the_key(intake, monkeypatch):
    intake, db = intake
    real = intake_module.place

    def crash(src, dest):
        raise OSError("killed while moving the file")

    monkeypatch.setattr(intake_module, "place", crash)
    with pytest.raises(OSError):
        asyncio.run(intake.submit(submission(intake)))
    monkeypatch.setattr(intake_module, "place", real)
    interview_id, created = asyncio.run(intake.submit(submission(intake)))  # the client retries
    assert created  # not "the existing interview", whose recording would be "no longer stored"
    path = db.blocking(lambda s: s.interviews.recording_path(interview_id))
    assert path is not None and path.read_bytes() == (FIXTURES / "zh_short.flac").read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_start_up_sweeps_interrupted_uploads_and_unreferenced_files(intake):
    intake, db = intake
    interview_id, _ = asyncio.run(intake.submit(submission(intake)))
    kept = db.blocking(lambda s: s.interviews.recording_path(interview_id))
    part = intake.new_incoming()
    part.write_bytes(b"half an upload")
    orphan = intake.audio_dir / "ab" / "ab12.flac"  # placed, then the process died before the commit
    orphan.parent.mkdir()
    orphan.write_bytes(b"x")
    young = intake.new_incoming()  # another replica's upload in progress
    young.write_bytes(b"x")
    for path in (part, orphan, kept):
        os.utime(path, (0, 0))
    assert db.blocking(intake.sweep_orphans) == 2
    assert not part.exists() and not orphan.exists() and kept.exists() and young.exists()
