"""Candidates linked by name from uploads or file names; retention deletes what the policy says."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FIXTURES
from fakes import fake_engine_factory

from bot.candidates import from_filename
from bot.config import load_settings
from bot.retention import purge
from bot.service import Service, Submission
from bot.storage import Store


@pytest.mark.parametrize(
    "name, who, round_",
    [
        ("张三_一面.m4a", "张三", "1"),
        ("Jane Doe - round 2.mp3", "Jane Doe", "2"),
        ("李四-二面-20261124.m4a", "李四", "2"),
        ("王五 终面 录音.wav", "王五", "final"),
        ("Bob Smith_final.m4a", "Bob Smith", "final"),
        ("audio_message_2b1e.mp4", None, None),
        ("interview.m4a", None, None),
    ],
)
def test_names_and_rounds_from_file_names(name, who, round_):
    ref = from_filename(name)
    assert (ref.name, ref.round) == (who, round_)


@pytest.fixture
def service(tmp_path):
    settings = load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")})
    svc = Service(settings, engine_factory=fake_engine_factory(settings.engine))
    svc.own_store = Store(settings.db_path)  # the test's own connection, for inspecting
    yield svc
    svc.own_store.close()
    svc.db.close()


async def submit(service, tmp_path, filename, key, **kw):
    src = tmp_path / f"upload-{key}"
    shutil.copy(FIXTURES / "zh_short.flac", src)
    return await service.submit(
        Submission(path=src, filename=filename, key=key, sha256=key * 8, size_bytes=1, **kw)
    )


async def test_interviews_of_one_candidate_are_linked(service, tmp_path):
    await submit(service, tmp_path, "张三_一面.m4a", "a")
    await submit(service, tmp_path, "张三_二面.m4a", "b")
    await submit(service, tmp_path, "whatever.m4a", "c", candidate="张三")
    rows = list(service.own_store.db.query("select candidate_id, round from interviews order by round"))
    assert len({r["candidate_id"] for r in rows}) == 1
    assert [r["round"] for r in rows] == [None, "1", "2"]


async def test_purge_removes_old_audio_then_old_interviews(service, tmp_path):
    interview_id, _ = await submit(service, tmp_path, "张三_一面.m4a", "a")
    store = service.own_store
    with store.db.conn:
        store.db.conn.execute("update interviews set status = 'done'")
    path = store.interviews.recording_path(interview_id)
    assert path and path.exists()
    later = datetime.now(UTC) + timedelta(days=31)
    assert purge(store, audio_days=30, text_days=None, at=later) == {"audio": 1, "interviews": 0, "held": 0}
    assert not path.exists() and store.interviews.recording_path(interview_id) is None
    assert store.interviews.get(interview_id) is not None  # transcript and analysis kept
    removed = purge(store, audio_days=None, text_days=90, at=later + timedelta(days=90))
    assert removed == {"audio": 0, "interviews": 1, "held": 0}
    assert store.interviews.get(interview_id) is None


async def test_a_job_failure_names_the_recording_as_uploaded(service, tmp_path):
    interview_id, _ = await submit(service, tmp_path, "张三_一面.m4a", "a")
    stored = service.own_store.interviews.recording_path(interview_id)
    assert stored.name != "张三_一面.m4a"  # kept under its content hash
    stored.write_text("damaged on disk")
    assert await service.worker.work_one()
    row = service.own_store.interviews.get(interview_id)
    assert row["status"] == "failed"
    assert (
        row["error"].startswith("张三_一面.m4a is not a readable audio") and stored.name not in row["error"]
    )
