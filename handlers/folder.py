"""Batch folder mode, for teams that export recordings from a meeting system.

`interview-bot batch IN_DIR OUT_DIR [--watch]` writes <name>.json, <name>.md and <name>.html for every
recording in IN_DIR, through the same intake, job queue and worker as an upload to the service (so
the same retry policy). A manifest in OUT_DIR remembers finished recordings by content hash, so a rerun
(or a renamed file) does not transcribe again. Cron, every 10 minutes:
    */10 * * * * cd /srv/interview-bot && \\
        .venv/bin/interview-bot batch /data/exports /data/reports >> /var/log/ib-batch.log 2>&1
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from asr_engine import AudioInputError
from asr_engine.audio import is_recording
from bot.config import Settings
from bot.liveness import backoff
from bot.render import ReportContext, render_stored
from bot.service import Service, Submission

MANIFEST = ".interview-bot-manifest.json"
log = logging.getLogger("interview_bot.batch")


@dataclass
class BatchResult:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    internal: set[str] = field(default_factory=set)

    def exit_code(self) -> int:
        if self.internal:
            return 1
        return 2 if self.failed else 0

    def line(self) -> str:
        return f"done {len(self.done)}, skipped {len(self.skipped)}, failed {len(self.failed)}"


class Batch:
    def __init__(self, service: Service, in_dir: Path, out_dir: Path, profile: str | None) -> None:
        self.service = service
        self.in_dir, self.out_dir, self.profile = in_dir, out_dir, profile
        self.manifest_path = out_dir / MANIFEST
        self.manifest: dict[str, dict] = (
            json.loads(self.manifest_path.read_text()) if self.manifest_path.exists() else {}
        )

    def recordings(self) -> list[Path]:
        return sorted(
            p
            for p in self.in_dir.iterdir()
            if p.is_file() and is_recording(p.name) and not p.name.startswith(".")
        )

    async def run_once(
        self, files: list[Path] | None = None, result: BatchResult | None = None
    ) -> BatchResult:
        from tqdm import tqdm

        result = result or BatchResult()
        queued: dict[str, tuple[Path, str]] = {}
        for path in self.recordings() if files is None else files:
            submitted = await self._submit(path, result)
            if submitted and submitted[0] in queued:  # its content twin in this folder goes first
                result.skipped.append(path.name)
            elif submitted:
                queued[submitted[0]] = (path, submitted[1])
        with tqdm(total=len(queued), desc="recordings", unit="file", disable=None, leave=False) as bar:
            final = await self.service.worker.finish(list(queued))
            bar.update(len(final))
        for interview_id, state in final.items():
            await self._record(interview_id, state, *queued[interview_id], result)
        return result

    async def _submit(self, path: Path, result: BatchResult) -> tuple[str, str] | None:
        """Queue one file unless it is a duplicate by content; (interview id, sha256)."""
        seen_sha: list[str] = []

        def describe(tmp: Path, sha: str, size: int) -> Submission | None:
            seen_sha.append(sha)
            seen = self.manifest.get(sha)
            if seen and seen.get("status") == "done" and (self.out_dir / f"{seen['name']}.json").exists():
                result.skipped.append(path.name)
                log.info("skip %s: already processed as %s", path.name, seen["name"])
                return None
            return Submission(
                path=tmp,
                filename=path.name,
                key=f"batch:{sha}",
                sha256=sha,
                size_bytes=size,
                platform="batch",
                profile=self.profile,
                local_profile=True,
            )

        try:
            accepted = await self.service.intake.accept(self.service.intake.local_file(path), describe)
        except AudioInputError as exc:
            self._fail(path, None, str(exc), result)
            return None
        if accepted is None:
            return None
        interview_id, created = accepted
        if not created:
            await self.service.db.jobs.requeue(interview_id, profile=self.profile or "general")
        return interview_id, seen_sha[0]

    async def _record(self, interview_id: str, state: str, path: Path, sha: str, result: BatchResult) -> None:
        status = await self.service.status(interview_id)
        if state == "held":  # IB_REQUIRE_CONSENT: stored, waiting; a later run reports it once released
            self._fail(
                path, sha, "held for consent: record it with `interview-bot consent NAME grant`", result
            )
            return
        if state != "done" or not status or not status["analysis"]:
            error = (status or {}).get("error") or state
            self._fail(path, sha, error, result, internal=error.startswith("internal error"))
            return
        self._write_outputs(path, interview_id, status["analysis"])
        result.failed.pop(path.name, None)  # a watch that failed on this file earlier has now done it
        result.internal.discard(path.name)
        self.manifest[sha] = {"name": path.stem, "status": "done", "interview_id": interview_id}
        self._save_manifest()
        result.done.append(path.name)
        log.info(
            "done %s -> %s.{json,md,html} (%s)",
            path.name,
            path.stem,
            status["analysis"]["overall"]["recommendation"],
        )

    def _write_outputs(self, path: Path, interview_id: str, analysis: dict) -> None:
        audio_ref = os.path.relpath(path.resolve(), self.out_dir.resolve())
        ctx = ReportContext(title=path.stem, audio_url=audio_ref, interview_id=interview_id)
        # JSON last, each file renamed into place: whoever waits for <name>.json finds the others ready
        for fmt in ("md", "html", "json"):
            target = self.out_dir / f"{path.stem}.{fmt}"
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_text(render_stored(analysis, fmt, ctx), encoding="utf-8")
            os.replace(tmp, target)

    def _fail(
        self, path: Path, sha: str | None, error: str, result: BatchResult, internal: bool = False
    ) -> None:
        result.failed[path.name] = error
        if internal:
            result.internal.add(path.name)
        if sha:
            self.manifest[sha] = {"name": path.stem, "status": "failed", "error": error}
            self._save_manifest()
        log.error("failed %s: %s", path.name, error)

    def _save_manifest(self) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1))
        os.replace(tmp, self.manifest_path)

    async def watch(
        self,
        interval_s: float = 2.0,
        stop: Callable[[], bool] = lambda: False,
        result: BatchResult | None = None,
    ) -> BatchResult:
        """Pick up new recordings once they stop growing (same size and mtime on two looks). No error
        ends the watch (a file gone between listing and stat, a locked database): logged, backed off.
        `result` is filled as files finish, so a watch ended by Ctrl-C still reports what it did."""
        result, beat = result or BatchResult(), self.service.liveness.beat("folder-watch")
        last: dict[Path, tuple[int, float]] = {}
        handled: set[tuple[Path, int, float]] = set()
        while not stop():
            try:
                ready = self._ready(last, handled)
                if ready:
                    await self.run_once(ready, result)
                    log.info("%s", result.line())
                beat.ok()
            except Exception as exc:  # one bad pass must not stop the watch
                beat.failed(exc)
                log.exception("batch pass failed (%d in a row); watching on", beat.failures)
            await asyncio.sleep(backoff(interval_s, beat.failures))
        return result

    def _ready(
        self, last: dict[Path, tuple[int, float]], handled: set[tuple[Path, int, float]]
    ) -> list[Path]:
        ready = []
        for path in self.recordings():
            try:
                st = path.stat()
            except FileNotFoundError:  # moved away between the listing and now
                continue
            sig = (st.st_size, st.st_mtime)
            if last.get(path) == sig and (path, *sig) not in handled:
                ready.append(path)
                handled.add((path, *sig))
            last[path] = sig
        return ready


def setup_logging(out_dir: Path) -> None:
    handler = logging.FileHandler(out_dir / "interview-bot-batch.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.handlers[:] = [handler, console]
    log.setLevel(logging.INFO)
    log.propagate = False


def run_batch(
    settings: Settings,
    in_dir: Path,
    out_dir: Path,
    profile_spec: str | None,
    watch: bool,
    interval_s: float = 2.0,
) -> BatchResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(out_dir)

    result = BatchResult()  # outlives an interrupted run: its summary and exit code count what finished

    async def go() -> BatchResult:
        # Ctrl-C and SIGTERM (docker stop) cancel the run through the loop's own wakeup fd, as serve does; a
        # watcher left to asyncio.run's plain SIGINT handler once stayed up after "done 1" under load
        # (signals reach the main thread only: run from another thread, the caller stops it)
        main, loop = asyncio.current_task(), asyncio.get_running_loop()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, main.cancel)
        service = Service(settings)
        service.bus.bind(loop)
        batch = Batch(service, in_dir, out_dir, profile_spec)
        try:
            return await (batch.watch(interval_s, result=result) if watch else batch.run_once(result=result))
        finally:
            service.worker.close()

    try:
        return asyncio.run(go())
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped (Ctrl-C or SIGTERM) after %s", result.line())
        return result
