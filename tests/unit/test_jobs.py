"""The durable queue: atomic submit with idempotency, leases that expire, backoff, exactly-once completion."""

from __future__ import annotations

import pytest

from bot.config import JobPolicy
from bot.storage import JobQueue, Store


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def queue(tmp_path):
    clock = Clock()
    q = JobQueue(
        Store(tmp_path / "ib.db").db, JobPolicy(lease_s=30, max_attempts=3, backoff_s=10), clock=clock
    )
    q.clock_ = clock
    return q


def submit(q, key="k1"):
    return q.submit(
        key,
        {"source": "a.m4a", "sha256": "x", "size_bytes": 1, "profile": "general", "title": "a"},
        {"path": "/tmp/a.m4a", "sha256": "x", "size_bytes": 1, "source": "a.m4a"},
    )


def test_same_key_returns_the_existing_interview(queue):
    first, created = submit(queue)
    again, created_again = submit(queue)
    assert created and not created_again and first == again
    assert queue.counts() == {"queued": 1}


def test_a_dead_workers_job_is_taken_over_after_its_lease(queue):
    submit(queue)
    job = queue.claim("worker-a")
    assert job and queue.claim("worker-b") is None  # leased
    queue.clock_.t += 31  # worker-a died: no heartbeat
    taken = queue.claim("worker-b")
    assert taken and taken.id == job.id and taken.attempts == 2
    # the dead worker's late result is refused; the new owner's is accepted, once
    assert queue.complete(job, "worker-a", lambda: None) is False
    assert queue.complete(taken, "worker-b", lambda: None) is True
    assert queue.complete(taken, "worker-b", lambda: None) is False
    assert queue.counts() == {"done": 1}


def test_heartbeat_keeps_the_lease(queue):
    submit(queue)
    job = queue.claim("a")
    queue.clock_.t += 25
    assert queue.heartbeat(job, "a")
    queue.clock_.t += 25
    assert queue.claim("b") is None


def test_transient_failures_back_off_then_fail(queue):
    submit(queue)
    job = queue.claim("a")
    assert queue.fail(job, "a", "engine crashed", permanent=False) == "queued"
    assert queue.claim("a") is None  # backing off for 10 s
    queue.clock_.t += 11
    job = queue.claim("a")
    assert queue.fail(job, "a", "engine crashed", permanent=False) == "queued"
    queue.clock_.t += 19
    assert queue.claim("a") is None  # 20 s the second time
    queue.clock_.t += 2
    job = queue.claim("a")
    assert queue.fail(job, "a", "engine crashed", permanent=False) == "failed"  # max_attempts reached
    assert queue.job_for(job.interview_id)["error"] == "engine crashed"


def test_bad_audio_fails_at_once_with_the_reason(queue):
    interview_id, _ = submit(queue)
    job = queue.claim("a")
    assert queue.fail(job, "a", "a.m4a is not a readable audio file", permanent=True) == "failed"
    assert (
        queue.db.execute("select error from interviews where id = ?", [interview_id]).fetchone()[0]
        == "a.m4a is not a readable audio file"
    )


def test_a_failed_write_leaves_the_job_running_for_retry(queue):
    submit(queue)
    job = queue.claim("a")

    def broken():
        queue.db.conn.execute("insert into audit_log (at, actor, action) values ('t', 'x', 'y')")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        queue.complete(job, "a", broken)
    assert queue.counts() == {"running": 1}
    assert queue.db.execute("select count(*) from audit_log").fetchone()[0] == 0  # rolled back together


def test_a_job_that_kills_its_worker_every_time_fails_with_its_reason(queue):
    interview_id, _ = submit(queue)
    for attempt in range(1, 4):  # max_attempts = 3; each worker dies (no heartbeat, no outcome)
        assert queue.give_up_expired() == []
        job = queue.claim(f"worker-{attempt}")
        assert job and job.attempts == attempt
        queue.progress(job, f"worker-{attempt}", "transcribing", 1, 4)
        queue.clock_.t += 31
    assert queue.give_up_expired() == [interview_id]
    assert queue.claim("worker-4") is None  # not taken over a fourth time
    row = queue.job_for(interview_id)
    assert row["status"] == "failed" and row["attempts"] == 3
    assert row["error"] == "gave up after 3 attempts: the worker stopped each time (last during transcribing)"
    status = queue.db.execute("select status, error from interviews where id = ?", [interview_id]).fetchone()
    assert status == ("failed", row["error"])


def test_the_same_key_with_other_audio_is_a_conflict(queue):
    from bot.storage import IdempotencyConflict

    first, _ = submit(queue)
    with pytest.raises(IdempotencyConflict, match="different recording"):
        queue.submit(
            "k1",
            {"source": "b.m4a", "sha256": "y", "size_bytes": 1, "profile": "general", "title": "b"},
            {"path": "/tmp/b.m4a", "sha256": "y", "size_bytes": 1, "source": "b.m4a"},
        )
    assert submit(queue) == (first, False)  # the same recording again is still the old interview
