"""The running service: accepts recordings from any handler, queues them durably, and works them off.

Threads: the event loop never touches SQLite or the ASR engine directly. One DB thread owns the
service's connection; ASR runs in its own worker thread(s) with the model loaded once (shared through
the cross-job batcher when the backend batches, e.g. qwen3 on a GPU).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asr_engine import AudioInputError, Engine
from asr_engine.audio import probe

from . import candidates, fulltext, links, queries
from .analysis import analyze, load_profile
from .analysis.profiles import ProfileError
from .candidates import from_filename
from .config import Settings
from .digest import DigestScheduler
from .events import Progress, ProgressBus
from .fetch import FetchPolicy, post_json
from .jobs import Job, JobQueue
from .store import Store, now

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """A recording handed over by an edge (HTTP upload, Slack file, Feishu message, batch folder)."""

    path: Path  # a file the service may move into its own storage
    filename: str
    key: str  # idempotency key: platform file id, Idempotency-Key header, or content hash
    sha256: str
    size_bytes: int
    platform: str = "api"
    channel: str | None = None
    thread: str | None = None
    uploader: str | None = None
    candidate: str | None = None
    interviewer: str | None = None
    profile: str | None = None
    language: str | None = None
    callback_url: str | None = None
    content_type: str | None = None


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        engine_factory: Callable[[], Engine] | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.bus = ProgressBus()
        self.worker_id = worker_id or f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._engine_factory = engine_factory or (lambda: Engine(settings.engine_config()))
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._db = ThreadPoolExecutor(1, thread_name_prefix="ib-db")
        self._asr = ThreadPoolExecutor(settings.asr_workers, thread_name_prefix="ib-asr")
        self._local = threading.local()
        self._secret = links.load_secret(settings.data_dir, settings.link_secret)
        self.fetch_policy = FetchPolicy.from_settings(settings.fetch_allow_nets, settings.max_upload_bytes)
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self.audio_dir = settings.data_dir / "audio"
        self.incoming_dir = settings.data_dir / "incoming"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.incoming_dir.mkdir(parents=True, exist_ok=True)
        self.digests = DigestScheduler(self)  # platform handlers register their posters

    # ---- per-thread storage -------------------------------------------------------------------------
    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.settings.db_path)
        return store

    def queue(self) -> JobQueue:
        return JobQueue(
            self.store(),
            lease_s=self.settings.job_lease_s,
            max_attempts=self.settings.job_max_attempts,
            backoff_s=self.settings.job_backoff_s,
        )

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._db, lambda: fn(*args))

    def engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._engine_factory()
                if self.settings.asr_workers > 1 and self._engine.backend.batch_size > 1:
                    from asr_engine.batcher import BatchingBackend

                    self._engine.backend = BatchingBackend(
                        self._engine.backend, max_wait_s=self.settings.batch_wait_s
                    )
                log.info("ASR engine %s loaded (%s)", self._engine.name, self._engine.reason)
            return self._engine

    # ---- accepting work -----------------------------------------------------------------------------
    def new_incoming(self) -> Path:
        return self.incoming_dir / f"{uuid.uuid4().hex}.part"

    def validate_audio(self, path: Path, filename: str) -> float | None:
        """Raises AudioInputError (one sentence, naming the upload) for anything that is not usable audio."""
        return probe(
            path,
            max_duration_s=self.settings.max_audio_seconds,
            max_bytes=self.settings.max_upload_bytes,
            name=filename,
        )

    def _submit_sync(self, sub: Submission) -> tuple[str, bool]:
        if not sub.profile and sub.channel:
            sub.profile = queries.channel_profile(self.store(), sub.platform, sub.channel)
        if sub.profile:
            try:
                load_profile(sub.profile)
            except ProfileError as exc:
                raise AudioInputError(str(exc)) from None
        store = self.store()
        ref = from_filename(sub.filename)
        name = sub.candidate or ref.name
        suffix = Path(sub.filename).suffix.lower()[:8] or ".audio"
        final = self.audio_dir / sub.sha256[:2] / f"{sub.sha256}{suffix}"
        interview_id, created = self.queue().submit(
            sub.key,
            {
                "source": sub.filename,
                "sha256": sub.sha256,
                "size_bytes": sub.size_bytes,
                "profile": sub.profile or "general",
                "title": Path(sub.filename).stem,
                "candidate_id": candidates.ensure(store, name),
                "round": ref.round,
                "interviewer": sub.interviewer,
                "platform": sub.platform,
                "channel": sub.channel,
                "thread": sub.thread,
                "uploader": sub.uploader,
                "callback_url": sub.callback_url,
                "language": sub.language,
            },
            {
                "path": str(final),
                "sha256": sub.sha256,
                "size_bytes": sub.size_bytes,
                "source": sub.filename,
                "content_type": sub.content_type,
                "duration_s": None,
                "deleted_at": None,
            },
        )
        if created and not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(sub.path), final)
        else:
            sub.path.unlink(missing_ok=True)
        self.audit(
            sub.uploader or sub.platform,
            "submit" if created else "submit-duplicate",
            interview_id,
            {"platform": sub.platform, "channel": sub.channel, "file": sub.filename},
        )
        return interview_id, created

    async def submit(self, sub: Submission) -> tuple[str, bool]:
        interview_id, created = await self.db(self._submit_sync, sub)
        if created:
            self.bus.publish(Progress(interview_id, "queued"))
        return interview_id, created

    def audit(
        self, actor: str, action: str, interview_id: str | None, detail: dict[str, Any] | None = None
    ) -> None:
        store = self.store()
        with store.db.conn:
            store.db.conn.execute(
                "insert into audit_log (at, actor, action, interview_id, detail) values (?, ?, ?, ?, ?)",
                [now(), actor, action, interview_id, json.dumps(detail or {}, ensure_ascii=False)],
            )

    # ---- reading --------------------------------------------------------------------------------------
    def report_url(self, interview_id: str) -> str:
        token = links.sign(self._secret, interview_id, self.settings.report_link_days * 86400)
        return f"{self.settings.public_url}/r/{interview_id}/{token}"

    def verify_link(self, interview_id: str, token: str) -> bool:
        return links.verify(self._secret, interview_id, token)

    def status_sync(self, interview_id: str) -> dict[str, Any] | None:
        store = self.store()
        row = store.interview(interview_id)
        if row is None:
            return None
        job = self.queue().job_for(interview_id) or {}
        out = {
            "id": interview_id,
            "status": row["status"],
            "error": row.get("error"),
            "analysis": queries.analysis(store, interview_id),
            "report_url": self.report_url(interview_id) if row["status"] == "done" else None,
            "progress": {
                "stage": job.get("stage"),
                "done": job.get("done"),
                "total": job.get("total"),
                "attempts": job.get("attempts"),
            },
            "source": row.get("source"),
            "created_at": row.get("created_at"),
        }
        return out

    def delete_sync(self, interview_id: str, actor: str) -> bool:
        """Everything about one interview goes: audio, transcript, analysis, reports, segments, job, posts."""
        store = self.store()
        row = store.interview(interview_id)
        if row is None:
            return False
        rec = next(
            store.db.query("select path, sha256 from recordings where interview_id = ?", [interview_id]), None
        )
        with store.db.conn:
            for table in (
                "segments",
                "transcripts",
                "analyses",
                "reports",
                "jobs",
                "platform_posts",
                "recordings",
                fulltext.TABLE,
            ):
                store.db.conn.execute(f"delete from {table} where interview_id = ?", [interview_id])
            store.db.conn.execute("delete from interviews where id = ?", [interview_id])
        if rec and rec["path"]:
            still_used = next(store.db.query("select 1 from recordings where path = ?", [rec["path"]]), None)
            if not still_used:
                Path(rec["path"]).unlink(missing_ok=True)
        self.audit(actor, "delete", interview_id, {"source": row.get("source")})
        return True

    def recording_path(self, interview_id: str) -> Path | None:
        rec = next(
            self.store().db.query(
                "select path, deleted_at from recordings where interview_id = ?", [interview_id]
            ),
            None,
        )
        if rec is None or rec["deleted_at"] or not rec["path"] or not Path(rec["path"]).exists():
            return None
        return Path(rec["path"])

    # ---- the worker -----------------------------------------------------------------------------------
    async def start(self) -> None:
        self.bus.bind(asyncio.get_running_loop())
        self._stop.clear()
        for _ in range(self.settings.asr_workers):
            self._spawn(self._work_loop())

    async def stop(self) -> None:
        self._stop.set()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._asr.shutdown(wait=False, cancel_futures=True)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _work_loop(self) -> None:
        while not self._stop.is_set():
            job = await self.db(lambda: self.queue().claim(self.worker_id))
            if job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=self.settings.poll_s)
                continue
            await self._run_job(job)

    async def _run_job(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        heartbeat = self._spawn(self._heartbeat(job))
        try:
            outcome = await loop.run_in_executor(self._asr, self._process, job)
        finally:
            heartbeat.cancel()
        if outcome == "done":
            self.bus.publish(Progress(job.interview_id, "done"))
            await self._deliver_callback(job.interview_id)
        elif outcome:
            status, error = outcome.split(":", 1)
            self.bus.publish(
                Progress(job.interview_id, "failed" if status == "failed" else "retrying", error=error)
            )
            if status == "failed":
                await self._deliver_callback(job.interview_id)

    async def _heartbeat(self, job: Job) -> None:
        while True:
            await asyncio.sleep(max(0.5, self.settings.job_lease_s / 3))
            if not await self.db(lambda: self.queue().heartbeat(job, self.worker_id)):
                log.warning("lost the lease on job %s", job.id)
                return

    def _process(self, job: Job) -> str:
        """Runs in the ASR thread. Returns 'done', 'failed:<reason>', 'queued:<reason>' or '' (lease lost)."""
        store, queue = self.store(), self.queue()
        row = store.interview(job.interview_id) or {}
        path = self.recording_path(job.interview_id)

        def progress(stage: str, done: int, total: int) -> None:
            queue.progress(job, self.worker_id, stage, done, total)
            self.bus.publish(Progress(job.interview_id, stage, done, total))

        try:
            if path is None:
                raise AudioInputError("the recording is no longer stored (deleted or purged)")
            profile = load_profile(row.get("profile"))
            t0 = time.perf_counter()
            transcript = self.engine().transcribe(
                path,
                language=row.get("language") or None,
                hotwords=profile.hotwords,
                progress=progress,
                name=row.get("source"),
            )
            transcript.timings["wall_s"] = round(time.perf_counter() - t0, 3)
            progress("analysing", 0, 1)
            analysis = analyze(transcript, profile)
        except (AudioInputError, ProfileError) as exc:
            queue.fail(job, self.worker_id, str(exc), permanent=True)
            return f"failed:{exc}"
        except Exception as exc:  # engine or unexpected errors: retried with backoff, then failed
            log.exception("job %s failed", job.id)
            reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            state = queue.fail(job, self.worker_id, f"internal error: {reason}", permanent=False)
            return f"{state}:internal error: {reason}"

        def write() -> None:
            store.write_results(job.interview_id, transcript.to_dict(), analysis.to_dict(), profile.name)
            store.db.conn.execute(
                "update recordings set duration_s = ? where interview_id = ?",
                [transcript.duration_s, job.interview_id],
            )

        if not queue.complete(job, self.worker_id, write):
            log.warning("job %s was taken over by another worker; result discarded", job.id)
            return ""
        return "done"

    async def _deliver_callback(self, interview_id: str) -> None:
        status = await self.db(self.status_sync, interview_id)
        if not status:
            return
        url = (await self.db(lambda: self.store().interview(interview_id) or {})).get("callback_url")
        if not url:
            return
        payload = {k: status[k] for k in ("id", "status", "error", "analysis", "report_url")}
        try:
            code = await post_json(
                url,
                payload,
                self.fetch_policy,
                retries=self.settings.callback_retries,
                backoff_s=self.settings.callback_backoff_s,
            )
            await self.db(self.audit, "service", "callback", interview_id, {"status": code})
        except Exception as exc:
            log.warning("callback for %s failed: %s", interview_id, exc)
            await self.db(self.audit, "service", "callback-failed", interview_id, {"error": str(exc)})
