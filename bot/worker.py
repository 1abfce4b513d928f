"""The worker: claims jobs from the durable queue, runs the pipeline for each on an ASR thread, keeps its
lease alive while it works, and records the outcome with the queue's retry policy (bad input fails at
once; anything else is retried with backoff up to the job's attempts, then fails with its reason).

The loop survives any exception of its own (a locked database, a full disk): it logs, backs off and
goes on; its `beat` tells /healthz whether it is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from asr_engine import AudioInputError

from .analysis.profiles import ProfileError
from .events import Progress, ProgressBus
from .liveness import Beat, backoff
from .metrics import Metrics
from .pipeline import Pipeline, Processed
from .storage import Database, Job

log = logging.getLogger(__name__)
# An idle worker re-embeds answers the current ask encoder did not make (an upgrade, or the model was down),
# this many interviews per pass so a new job waits seconds at most; it looks again this often once none
# are left, or after a failure.
REEMBED_BATCH = 3
REEMBED_EVERY_S = 300.0
State = Literal["done", "failed", "retrying", "lost"]


@dataclass(frozen=True)
class Outcome:
    state: State  # lost: another worker took the job over (our lease expired); its result is discarded
    error: str | None = None


class Worker:
    def __init__(
        self,
        db: Database,
        pipeline: Pipeline,
        bus: ProgressBus,
        *,
        worker_id: str,
        threads: int = 1,
        poll_s: float = 1.0,
        lease_s: float = 60.0,
        on_finished: Callable[[str, Outcome], Awaitable[None]] | None = None,
        beat: Beat | None = None,
        metrics: Metrics | None = None,
        reembed_every_s: float = REEMBED_EVERY_S,
    ) -> None:
        self.db, self.pipeline, self.bus = db, pipeline, bus
        self.worker_id, self.threads, self.poll_s, self.lease_s = worker_id, threads, poll_s, lease_s
        self.on_finished = on_finished
        self.beat = beat or Beat("worker")
        self.metrics = metrics or Metrics()
        self._asr = ThreadPoolExecutor(threads, thread_name_prefix="ib-asr")
        self.reembed_every_s = reembed_every_s
        self._reembed_at = 0.0  # monotonic: when an idle pass may look for stale answers again

    async def run(self, stop: asyncio.Event) -> None:
        """Work jobs until `stop` is set; never dies of an error of its own."""
        while not stop.is_set():
            try:
                worked = await self.work_one()
                self.beat.ok()
            except Exception as exc:
                self.beat.failed(exc)
                log.exception(
                    "worker %s: the loop failed (%d in a row); going on", self.worker_id, self.beat.failures
                )
                worked = False
            if not worked:
                await self.reembed_idle()
                delay = backoff(self.poll_s, self.beat.failures)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

    async def reembed_idle(self) -> int:
        """A few interviews' stale answers embedded again, on an ASR thread (the loop stays free); how many
        interviews. Never raises: a failure (the encoder cannot load) logs one line and waits its turn."""
        if time.monotonic() < self._reembed_at:
            return 0
        try:
            done = await asyncio.get_running_loop().run_in_executor(self._asr, self._reembed_some)
        except Exception as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.warning("answers not re-embedded: %s; trying again in %.0f s", reason, self.reembed_every_s)
            done = 0
        if done:
            log.info("worker %s: re-embedded the answers of %d interviews", self.worker_id, done)
        else:
            self._reembed_at = time.monotonic() + self.reembed_every_s
        return done

    def _reembed_some(self) -> int:
        from . import ask

        todo = ask.stale(self.db)
        random.shuffle(todo)  # replicas on one database mostly take different interviews, not the same ones
        # one with no answer is recorded as such and not taken again; None: deleted or re-analysed meanwhile
        return sum(ask.reembed(self.db, interview_id) is not None for interview_id in todo[:REEMBED_BATCH])

    async def finish(self, interview_ids: Collection[str]) -> dict[str, str]:
        """Work these interviews' jobs (retries included, by the queue's policy) until each is done or
        failed, or held for consent: what the command line and batch mode wait for. Returns each one's final
        status."""
        pending, final = set(interview_ids), {}
        while pending:
            worked = await self.work_one(only=pending)
            states = await self.db.run(
                lambda s: {i: (s.interviews.get(i) or {}).get("status") for i in pending}
            )
            for interview_id, state in states.items():
                if state in ("done", "failed", "held", None):
                    final[interview_id] = state or "deleted"
                    pending.discard(interview_id)
            if pending and not worked:  # waiting for a retry's backoff, or another process has the job
                due = await self.db.jobs.next_due(pending)
                await asyncio.sleep(min(1.0, due if due is not None else self.poll_s))
        return final

    async def work_one(self, only: Collection[str] = ()) -> bool:
        """Claim and run one job (of `only`, if given); False when there was none."""
        for interview_id in await self.db.jobs.give_up_expired():
            self.metrics.jobs_finished.labels("unknown", "gave_up").inc()
            error = (await self.db.interviews.get(interview_id) or {}).get("error")
            log.error("interview %s failed: %s", interview_id, error)
            self.bus.publish(Progress(interview_id, "failed", error=error))
            if self.on_finished:
                await self.on_finished(interview_id, Outcome("failed", error))
        job = await self.db.jobs.claim(self.worker_id, only)
        if job is None:
            return False
        if job.due_at is not None:
            self.metrics.queue_wait_seconds.labels(job.source or "unknown").observe(
                max(0.0, time.time() - job.due_at)
            )
        started = time.perf_counter()
        outcome = await self.run_job(job)
        self.metrics.job_ended(job.source, outcome.state, time.perf_counter() - started)
        self.bus.publish(Progress(job.interview_id, outcome.state, error=outcome.error))
        if self.on_finished and outcome.state in ("done", "failed"):
            await self.on_finished(job.interview_id, outcome)
        return True

    async def run_job(self, job: Job) -> Outcome:
        heartbeat = asyncio.get_running_loop().create_task(self._heartbeat(job))
        try:
            return await asyncio.get_running_loop().run_in_executor(self._asr, self._process, job)
        finally:
            heartbeat.cancel()

    async def _heartbeat(self, job: Job) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.lease_s / 3))
            try:
                if not await self.db.jobs.heartbeat(job, self.worker_id):
                    log.warning("lost the lease on job %s", job.id)
                    return
                self.beat.ok()  # a long transcription is a live worker
            except Exception as exc:  # a locked database must not end the heartbeat: try again next beat
                self.beat.failed(exc)
                log.exception("heartbeat for job %s failed", job.id)

    def _process(self, job: Job) -> Outcome:
        """On an ASR thread: the pipeline, then the outcome recorded under our lease."""

        def progress(stage: str, done: int, total: int) -> None:
            self.db.blocking(lambda s: s.jobs.progress(job, self.worker_id, stage, done, total))
            self.bus.publish(Progress(job.interview_id, stage, done, total))

        try:
            result = self.pipeline.process(job.interview_id, progress)
        except (AudioInputError, ProfileError) as exc:
            error = str(exc)
            self.db.blocking(lambda s: s.jobs.fail(job, self.worker_id, error, permanent=True))
            return Outcome("failed", error)
        except Exception as exc:  # engine or unexpected errors: retried with backoff, then failed
            log.exception("job %s failed", job.id)
            reason = f"internal error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            state = self.db.blocking(lambda s: s.jobs.fail(job, self.worker_id, reason, permanent=False))
            return Outcome("failed" if state == "failed" else "retrying", reason)
        if not self.db.blocking(lambda s: self._complete(s, job, result)):
            log.warning("job %s was taken over by another worker; result discarded", job.id)
            return Outcome("lost")
        return Outcome("done")

    def _complete(self, store, job: Job, result: Processed) -> bool:
        def write() -> None:
            store.interviews.write_results(
                job.interview_id,
                result.transcript.to_dict(),
                result.analysis.to_dict(),
                result.profile,
                result.answers,
            )

        return store.jobs.complete(job, self.worker_id, write)

    def close(self) -> None:
        self._asr.shutdown(wait=False, cancel_futures=True)
