"""The running core, composed: storage, intake, the worker and its pipeline, report links, callbacks,
the digest schedulers. Edges (handlers/) hold a Service and call it; nothing here knows a platform.

Threads: the event loop never touches SQLite or the ASR engine directly. The database has its own thread
(storage.Database); ASR runs on the worker's thread(s) with the model loaded once.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from asr_engine import Engine

from . import links
from .asr import Engines
from .callbacks import Callbacks
from .coaching_digest import CoachingScheduler
from .config import Settings
from .consent import ConsentDesk
from .digest import DigestScheduler
from .events import Progress, ProgressBus
from .fetch import FetchPolicy
from .intake import Intake, Submission
from .liveness import Liveness
from .metrics import Metrics, Snapshot
from .pipeline import Pipeline
from .storage import Database
from .worker import Outcome, Worker

__all__ = ["Service", "Submission"]


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        engine_factory: Callable[[], Engine] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.db = Database(
            settings.db_path, settings.jobs, settings.db_busy_s, on_busy=self.metrics.db_busy.inc
        )
        self.liveness = Liveness()
        self.metrics.loops = lambda: {
            name: beat["last_ok_s_ago"] for name, beat in self.liveness.report().items()
        }
        self.bus = ProgressBus()
        self.worker_id = worker_id or f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.engines = Engines(
            settings.engine,
            workers=settings.asr_workers,
            live_sessions=settings.live_max_sessions,
            batch_wait_s=settings.batch_wait_s,
            factory=engine_factory,
        )
        self.intake = Intake(
            self.db,
            settings.data_dir,
            max_bytes=settings.max_upload_bytes,
            max_seconds=settings.max_audio_seconds,
            require_consent=settings.require_consent,
            on_created=lambda interview_id, status: self.bus.publish(Progress(interview_id, status)),
        )
        self.worker = Worker(
            self.db,
            self._pipeline(),
            self.bus,
            worker_id=self.worker_id,
            threads=settings.asr_workers,
            poll_s=settings.poll_s,
            lease_s=settings.jobs.lease_s,
            on_finished=self._finished,
            beat=self.liveness.beat("worker"),
            metrics=self.metrics,
        )
        self.fetch_policy = FetchPolicy.from_settings(settings.fetch_allow_nets, settings.max_upload_bytes)
        self.callbacks = Callbacks(
            self.db,
            self.fetch_policy,
            self.status,
            retries=settings.callback_retries,
            backoff_s=settings.callback_backoff_s,
            metrics=self.metrics,
        )
        self._secret = links.load_secret(settings.data_dir, settings.link_secret)
        self.digests = DigestScheduler(self)  # platform handlers register their posters
        self.coaching = CoachingScheduler(self)  # the weekly coaching digest, the same way
        self.consent = ConsentDesk(self)  # platform handlers register their message retractors
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    def _pipeline(self) -> Pipeline:
        """The settings the pipeline honours (IB_ANALYST, IB_JURISDICTIONS) come from here, for every edge."""
        s = self.settings
        return Pipeline(self.db, self.engines, s.analyst, metrics=self.metrics, jurisdictions=s.jurisdictions)

    # ---- accepting work ------------------------------------------------------------------------------
    async def submit(self, sub: Submission) -> tuple[str, bool]:
        """A recording already staged and checked (tests, tools); edges call `intake.accept`."""
        return await self.intake.submit(sub)

    # ---- reading -------------------------------------------------------------------------------------
    def report_url(self, interview_id: str) -> str:
        token = links.sign(self._secret, interview_id, self.settings.report_link_days * 86400)
        return f"{self.settings.public_url}/r/{interview_id}/{token}"

    def verify_link(self, interview_id: str, token: str) -> bool:
        return links.verify(self._secret, interview_id, token)

    def interviewer_url(self, interview_id: str) -> str:
        """The interviewer's private page: signed for that purpose, so a report link never opens it."""
        token = links.sign(
            self._secret, f"interviewer:{interview_id}", self.settings.report_link_days * 86400
        )
        return f"{self.settings.public_url}/i/{interview_id}/{token}"

    def verify_interviewer_link(self, interview_id: str, token: str) -> bool:
        return links.verify(self._secret, f"interviewer:{interview_id}", token)

    async def status(self, interview_id: str) -> dict[str, Any] | None:
        """What the API, callbacks and chat reports show about one interview."""

        def read(store) -> tuple[dict | None, dict, dict | None]:
            row = store.interviews.get(interview_id)
            return row, store.jobs.job_for(interview_id) or {}, store.interviews.analysis(interview_id)

        row, job, analysis = await self.db.run(read)
        if row is None:
            return None
        return {
            "id": interview_id,
            "status": row["status"],
            "error": row.get("error"),
            "analysis": analysis,
            "report_url": self.report_url(interview_id) if row["status"] == "done" else None,
            "progress": {k: job.get(k) for k in ("stage", "done", "total", "attempts")},
            "source": row.get("source"),
            "created_at": row.get("created_at"),
        }

    async def scrape(self) -> bytes:
        """/metrics: the store's counts if the database answers at once, else the last ones; never waits."""

        def read(store) -> Snapshot:
            totals = store.interviews.asr_totals()
            return Snapshot(store.jobs.counts(), totals["audio"], totals["wall"], time.monotonic())

        await self.metrics.refresh(lambda: self.db.run(read))
        return self.metrics.exposition()

    async def delete(self, interview_id: str, actor: str) -> bool:
        """Everything about one interview goes: audio, transcript, analysis, reports, search, job, posts."""
        row = await self.db.interviews.delete(interview_id)
        if row is None:
            return False
        await self.db.audit(actor, "delete", interview_id, {})
        return True

    async def health(self, db_timeout_s: float = 2.0) -> dict[str, Any]:
        """What /healthz says: the database answers, every loop's beat, the queue. `ok` is false (503)
        when the database does not answer or the worker has not ticked for `health_stale_s`."""
        loops = self.liveness.report()
        worker = self.liveness.get("worker")
        problems = []
        if worker is not None and worker.age() > self.settings.health_stale_s:
            problems.append(f"the worker has not ticked for {worker.age():.0f} s ({worker.last_error})")
        counts: dict[str, int] = {}
        try:  # the database thread may be stuck behind a write waiting for a lock: do not wait with it
            counts = await asyncio.wait_for(self.db.jobs.counts(), db_timeout_s)
            database = "ok"
        except TimeoutError:
            database = f"no answer within {db_timeout_s:g} s"
        except Exception as exc:
            database = f"{type(exc).__name__}: {exc}"
        if database != "ok":
            problems.append(f"database: {database}")
        engine = self.engines.readiness_problem()
        if engine:
            problems.append(engine)
        return {
            "status": "ok" if not problems else "unhealthy",
            "problems": problems,
            "database": database,
            "loops": loops,
            "queued": counts.get("queued", 0),
            "running": counts.get("running", 0),
        }

    # ---- running -------------------------------------------------------------------------------------
    async def start(self) -> None:
        self.bus.bind(asyncio.get_running_loop())
        self._stop.clear()
        await self.db.run(self.intake.sweep_orphans)
        if self.engines.warm_at_start():  # /healthz answers 503 until the engine is loaded and warm
            self.engines.preloading = True
            self._spawn(asyncio.to_thread(self.engines.preload))
        for _ in range(self.settings.asr_workers):
            self._spawn(self.worker.run(self._stop))
        self._spawn(self.callbacks.run(self.liveness.beat("callbacks")))

    async def stop(self) -> None:
        self._stop.set()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.close()  # before the database closes: no late event may reach it
        self.worker.close()
        self.db.close()

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _finished(self, interview_id: str, outcome: Outcome) -> None:
        await self.callbacks.deliver(interview_id)
