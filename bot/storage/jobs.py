"""Durable job queue in SQLite.

An interview and its job are written in one transaction, keyed by an idempotency key (platform file id,
Idempotency-Key header or content hash), so a repeated submission finds the existing interview. Workers
claim a job with a lease; a worker that dies (kill -9, power loss) stops renewing it, and once it expires
another worker takes the job over. A job's result is written in the same transaction that checks the
lease is still ours, so a job completes exactly once even if two workers ever overlap.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..config import JobPolicy
from .schema import immediate, now, upsert


class IdempotencyConflict(ValueError):
    """An idempotency key used before for a different recording (Stripe's rule: same key, other request,
    is the caller's error, never silently the old result)."""


@dataclass
class Job:
    id: str
    interview_id: str
    status: str
    attempts: int
    max_attempts: int
    lease_owner: str | None
    stage: str | None
    error: str | None
    due_at: float | None = None  # when it became runnable (the clock's seconds): queue wait = claim - due
    source: str | None = None  # the interview's platform (api, slack, feishu, cli, batch, live), if known

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        return cls(
            row["id"],
            row["interview_id"],
            row["status"],
            row["attempts"],
            row["max_attempts"],
            row["lease_owner"],
            row["stage"],
            row["error"],
            row.get("next_attempt_at"),
        )


class JobQueue:
    def __init__(
        self,
        db: sqlite_utils.Database,
        policy: JobPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.policy = policy or JobPolicy()
        self.clock = clock

    @property
    def lease_s(self) -> float:
        return self.policy.lease_s

    def submit(
        self,
        key: str,
        interview: dict[str, Any],
        recording: dict[str, Any] | None = None,
        *,
        held: bool = False,
    ) -> tuple[str, bool]:
        """Store the interview, its recording and a queued job atomically; (interview id, created). A held
        job (consent required and not given) waits, untouched by workers, until `release_held`."""
        status = "held" if held else "queued"
        conn = self.db.conn
        with immediate(conn):
            row = conn.execute(
                "select j.interview_id, i.sha256 from jobs j left join interviews i on i.id = j.interview_id "
                "where j.idempotency_key = ?",
                [key],
            ).fetchone()
            if row:
                if interview.get("sha256") and row[1] and row[1] != interview["sha256"]:
                    raise IdempotencyConflict(
                        f"this idempotency key was already used for a different recording (interview "
                        f"{row[0]}); use a new key for new audio"
                    )
                return row[0], False
            interview_id = interview.get("id") or uuid.uuid4().hex[:12]
            stamp = now()
            upsert(
                conn,
                "interviews",
                {**interview, "id": interview_id, "created_at": stamp, "status": status},
                ("id",),
            )
            if recording:
                upsert(
                    conn,
                    "recordings",
                    {**recording, "interview_id": interview_id, "created_at": stamp},
                    ("interview_id",),
                )
            upsert(conn, "jobs", self._new_job(interview_id, key, status, stamp), ("id",))
        return interview_id, True

    def _new_job(self, interview_id: str, key: str, status: str, stamp: str) -> dict[str, Any]:
        return {
            "id": uuid.uuid4().hex[:12],
            "interview_id": interview_id,
            "idempotency_key": key,
            "status": status,
            "attempts": 0,
            "max_attempts": self.policy.max_attempts,
            "lease_owner": None,
            "lease_until": 0.0,
            "next_attempt_at": 0.0,
            "stage": status,
            "done": 0,
            "total": 0,
            "error": None,
            "created_at": stamp,
            "updated_at": stamp,
            "finished_at": None,
        }

    def record_done(
        self, key: str, interview: dict[str, Any], write: Callable[[str], None]
    ) -> tuple[str, bool]:
        """An interview analysed elsewhere (imported minutes: no recording, no ASR): the interview, a job
        already done under `key` and `write(interview_id)` (its results) in one transaction, so no worker
        ever picks it up; (interview id, created) — the same key again changes nothing."""
        conn = self.db.conn
        with immediate(conn):
            row = conn.execute("select interview_id from jobs where idempotency_key = ?", [key]).fetchone()
            if row:
                return row[0], False
            interview_id, stamp = interview.get("id") or uuid.uuid4().hex[:12], now()
            upsert(
                conn,
                "interviews",
                {**interview, "id": interview_id, "created_at": stamp, "status": "done"},
                ("id",),
            )
            job = {
                "id": uuid.uuid4().hex[:12], "interview_id": interview_id, "idempotency_key": key,
                "status": "done", "attempts": 0, "max_attempts": 0, "lease_owner": None, "lease_until": 0.0,
                "next_attempt_at": 0.0, "stage": "done", "done": 1, "total": 1, "error": None,
                "created_at": stamp, "updated_at": stamp, "finished_at": stamp,
            }  # fmt: skip
            upsert(conn, "jobs", job, ("id",))
            write(interview_id)
        return interview_id, True

    def release_held(self, candidate_id: str) -> list[str]:
        """The candidate's held interviews, queued now (consent arrived); their ids."""
        conn = self.db.conn
        with immediate(conn):
            ids = [
                r[0]
                for r in conn.execute(
                    "select id from interviews where candidate_id = ? and status = 'held'", [candidate_id]
                )
            ]
            for interview_id in ids:
                conn.execute(
                    "update jobs set status = 'queued', stage = 'queued', updated_at = ? "
                    "where interview_id = ? and status = 'held'",
                    [now(), interview_id],
                )
                conn.execute("update interviews set status = 'queued' where id = ?", [interview_id])
        return ids

    def held_before(self, cutoff: str) -> list[str]:
        """Interviews held for consent since before `cutoff` (ISO time): deleted by the retention sweep."""
        return [
            r[0]
            for r in self.db.execute(
                "select id from interviews where status = 'held' and created_at < ?", [cutoff]
            )
        ]

    def requeue(self, interview_id: str, **interview: Any) -> bool:
        """Run a finished or failed interview's job again (the same audio submitted again, e.g. with
        another profile); `interview` columns are updated first. False while it is queued or running."""
        conn = self.db.conn
        with immediate(conn):
            cur = conn.execute(
                "update jobs set status = 'queued', stage = 'queued', attempts = 0, error = null, "
                "lease_owner = null, next_attempt_at = 0, updated_at = ? where interview_id = ? "
                "and status in ('done', 'failed')",
                [now(), interview_id],
            )
            if cur.rowcount == 0:
                return False
            sets = ", ".join(f"[{k}] = ?" for k in interview)
            conn.execute(
                f"update interviews set status = 'queued', error = null{', ' + sets if sets else ''} "
                "where id = ?",
                [*interview.values(), interview_id],
            )
        return True

    def claim(self, owner: str, only: Collection[str] = ()) -> Job | None:
        """Take the oldest runnable job: queued and due, or running with an expired lease (its worker
        died). `only`: just these interviews' jobs (a command-line run works its own, not the server's)."""
        t = self.clock()
        scope = f" and interview_id in ({', '.join('?' for _ in only)})" if only else ""
        conn = self.db.conn
        with immediate(conn):
            cur = conn.execute(
                "update jobs set status = 'running', lease_owner = ?, lease_until = ?, "
                "attempts = attempts + 1, updated_at = ? where id = (select id from jobs where "
                "((status = 'queued' and next_attempt_at <= ?) or (status = 'running' and lease_until < ? "
                "and attempts < max_attempts))"
                f"{scope} order by created_at limit 1) returning *",
                [owner, t + self.lease_s, now(), t, t, *only],
            )
            row = cur.fetchone()
            if row is None:
                return None
            job = Job.from_row(dict(zip([d[0] for d in cur.description], row)))
            source = conn.execute(
                "update interviews set status = 'running' where id = ? returning platform", [job.interview_id]
            ).fetchone()
        job.source = source[0] if source else None
        return job

    def give_up_expired(self) -> list[str]:
        """Jobs whose lease expired on their last allowed attempt (each attempt ended with its worker:
        a recording that crashes the process) fail with that reason instead of being taken over again
        forever. Returns their interview ids."""
        conn = self.db.conn
        with immediate(conn):
            rows = conn.execute(
                "update jobs set status = 'failed', lease_owner = null, finished_at = ?, updated_at = ?, "
                "error = 'gave up after ' || attempts || ' attempts: the worker stopped each time (last "
                "during ' || coalesce(stage, 'queued') || ')', stage = 'failed' where status = 'running' "
                "and lease_until < ? and attempts >= max_attempts returning interview_id, error",
                [now(), now(), self.clock()],
            ).fetchall()
            for interview_id, error in rows:
                conn.execute(
                    "update interviews set status = 'failed', error = ? where id = ?", [error, interview_id]
                )
        return [r[0] for r in rows]

    def next_due(self, interview_ids: Collection[str]) -> float | None:
        """Seconds until the first of these interviews' queued jobs may run (0: now), None if none waits."""
        marks = ", ".join("?" for _ in interview_ids)
        row = self.db.execute(
            f"select min(next_attempt_at) from jobs where status = 'queued' and interview_id in ({marks})",
            list(interview_ids),
        ).fetchone()
        return None if row[0] is None else max(0.0, row[0] - self.clock())

    def heartbeat(self, job: Job, owner: str) -> bool:
        """Extend our lease; False means the job is no longer ours."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "update jobs set lease_until = ?, updated_at = ? where id = ? and lease_owner = ? and "
                "status = 'running'",
                [self.clock() + self.lease_s, now(), job.id, owner],
            )
        return cur.rowcount == 1

    def progress(self, job: Job, owner: str, stage: str, done: int = 0, total: int = 0) -> None:
        with self.db.conn:
            self.db.conn.execute(
                "update jobs set stage = ?, done = ?, total = ?, updated_at = ? where id = ? and "
                "lease_owner = ?",
                [stage, done, total, now(), job.id, owner],
            )

    def complete(self, job: Job, owner: str, write: Callable[[], None]) -> bool:
        """Run `write` and mark the job done in one transaction, only if the lease is still ours."""
        conn = self.db.conn
        with immediate(conn):
            row = conn.execute("select status, lease_owner from jobs where id = ?", [job.id]).fetchone()
            if row is None or row[0] != "running" or row[1] != owner:
                return False
            write()
            conn.execute(
                "update jobs set status = 'done', stage = 'done', finished_at = ?, updated_at = ?, error = "
                "null "
                "where id = ?",
                [now(), now(), job.id],
            )
            conn.execute(
                "update interviews set status = 'done', error = null where id = ?", [job.interview_id]
            )
        return True

    def fail(self, job: Job, owner: str, error: str, *, permanent: bool) -> str:
        """Permanent failures (bad audio) end the job; transient ones retry with exponential backoff."""
        final = permanent or job.attempts >= job.max_attempts
        with immediate(self.db.conn):
            if final:
                self.db.conn.execute(
                    "update jobs set status = 'failed', stage = 'failed', error = ?, finished_at = ?, "
                    "updated_at = ? "
                    "where id = ? and lease_owner = ?",
                    [error, now(), now(), job.id, owner],
                )
                self.db.conn.execute(
                    "update interviews set status = 'failed', error = ? where id = ?",
                    [error, job.interview_id],
                )
                return "failed"
            delay = self.policy.backoff_s * 2 ** max(0, job.attempts - 1)
            self.db.conn.execute(
                "update jobs set status = 'queued', stage = 'retrying', error = ?, lease_owner = null, "
                "next_attempt_at = ?, updated_at = ? where id = ? and lease_owner = ?",
                [error, self.clock() + delay, now(), job.id, owner],
            )
            self.db.conn.execute("update interviews set status = 'queued' where id = ?", [job.interview_id])
            return "queued"

    def job_for(self, interview_id: str) -> dict[str, Any] | None:
        row = next(
            self.db.query(
                "select * from jobs where interview_id = ? order by created_at desc limit 1", [interview_id]
            ),
            None,
        )
        return dict(row) if row else None

    def counts(self) -> dict[str, int]:
        return {
            r["status"]: r["n"]
            for r in self.db.query("select status, count(*) as n from jobs group by status")
        }
