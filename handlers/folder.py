"""Batch folder mode, for teams that export recordings from a meeting system.

`interview-bot batch IN_DIR OUT_DIR [--watch]` writes <name>.json, <name>.md and <name>.html for every
recording in IN_DIR. A manifest in OUT_DIR remembers finished recordings by content hash, so a rerun (or
a renamed file) does not transcribe again. Engine failures are retried with backoff; bad audio is
reported with its reason. Cron, every 10 minutes:
    */10 * * * * cd /srv/interview-bot && \
        .venv/bin/interview-bot batch /data/exports /data/reports >> /var/log/ib-batch.log 2>&1
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from asr_engine import AudioInputError, Engine
from bot.analysis import load_profile
from bot.analysis.profiles import Profile
from bot.config import Settings
from bot.pipeline import file_digest, process_recording
from bot.render import ReportContext, render
from bot.store import Store

AUDIO_SUFFIXES = {
    ".wav",
    ".mp3",
    ".m4a",
    ".aac",
    ".ogg",
    ".opus",
    ".flac",
    ".webm",
    ".mp4",
    ".mov",
    ".mkv",
    ".amr",
    ".wma",
}
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
    def __init__(
        self,
        settings: Settings,
        in_dir: Path,
        out_dir: Path,
        profile: Profile,
        engine_factory: Callable[[], Engine],
        *,
        retries: int = 2,
        backoff_s: float = 2.0,
    ) -> None:
        self.settings = settings
        self.in_dir, self.out_dir = in_dir, out_dir
        self.profile = profile
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self.retries, self.backoff_s = retries, backoff_s
        self.store = Store(settings.db_path)
        self.manifest_path = out_dir / MANIFEST
        self.manifest: dict[str, dict] = (
            json.loads(self.manifest_path.read_text()) if self.manifest_path.exists() else {}
        )

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._engine_factory()
            log.info("engine: %s (%s)", self._engine.name, self._engine.reason)
        return self._engine

    def candidates(self) -> list[Path]:
        return sorted(
            p
            for p in self.in_dir.iterdir()
            if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
        )

    def _save_manifest(self) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1))
        os.replace(tmp, self.manifest_path)

    def process(self, path: Path, result: BatchResult) -> None:
        sha, _size = file_digest(path)
        seen = self.manifest.get(sha)
        if seen and seen.get("status") == "done" and (self.out_dir / f"{seen['name']}.json").exists():
            result.skipped.append(path.name)
            log.info("skip %s: already processed as %s", path.name, seen["name"])
            return
        for attempt in range(self.retries + 1):
            try:
                done = process_recording(
                    path,
                    store=self.store,
                    engine=self.engine,
                    engine_name=self._engine_name(),
                    profile=self.profile,
                    max_bytes=self.settings.max_upload_bytes,
                )
                break
            except AudioInputError as exc:
                result.failed[path.name] = str(exc)
                self.manifest[sha] = {"name": path.stem, "status": "failed", "error": str(exc)}
                self._save_manifest()
                log.error("failed %s: %s", path.name, exc)
                return
            except Exception as exc:  # engine trouble: retry with backoff
                if attempt == self.retries:
                    result.failed[path.name] = f"internal error: {exc}"
                    result.internal.add(path.name)
                    log.exception("failed %s after %d attempts", path.name, attempt + 1)
                    return
                log.warning("retrying %s after error: %s", path.name, exc)
                time.sleep(self.backoff_s * 2**attempt)
        audio_ref = os.path.relpath(path.resolve(), self.out_dir.resolve())
        ctx = ReportContext(title=path.stem, audio_url=audio_ref, interview_id=done.interview_id)
        # JSON last, each file renamed into place: whoever waits for <name>.json finds the others ready
        for fmt, suffix in (("md", ".md"), ("html", ".html"), ("json", ".json")):
            target = self.out_dir / f"{path.stem}{suffix}"
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_text(render(done.analysis, fmt, ctx), encoding="utf-8")
            os.replace(tmp, target)
        self.manifest[sha] = {"name": path.stem, "status": "done", "interview_id": done.interview_id}
        self._save_manifest()
        result.done.append(path.name)
        log.info("done %s -> %s.{json,md,html} (%s)", path.name, path.stem, done.analysis.recommendation)

    def _engine_name(self) -> str:
        from asr_engine import choose_engine

        return choose_engine(self.settings.engine_config())[0]

    def run_once(self, files: list[Path] | None = None, result: BatchResult | None = None) -> BatchResult:
        from tqdm import tqdm

        result = result or BatchResult()
        files = self.candidates() if files is None else files
        for path in tqdm(files, desc="recordings", unit="file", disable=None, leave=False):
            self.process(path, result)
        return result

    def watch(self, interval_s: float = 2.0, stop: Callable[[], bool] = lambda: False) -> BatchResult:
        """Pick up new recordings once they stop growing (same size and mtime on two looks)."""
        result = BatchResult()
        last: dict[Path, tuple[int, float]] = {}
        handled: set[tuple[Path, int, float]] = set()
        try:
            self._watch_loop(interval_s, stop, result, last, handled)
        except KeyboardInterrupt:
            log.info("stopped watching")
        return result

    def _watch_loop(self, interval_s, stop, result, last, handled) -> None:
        while not stop():
            ready = []
            for path in self.candidates():
                st = path.stat()
                sig = (st.st_size, st.st_mtime)
                if last.get(path) == sig and (path, *sig) not in handled:
                    ready.append(path)
                    handled.add((path, *sig))
                last[path] = sig
            if ready:
                self.run_once(ready, result)
                log.info("%s", result.line())
            time.sleep(interval_s)


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
    batch = Batch(
        settings, in_dir, out_dir, load_profile(profile_spec), lambda: Engine(settings.engine_config())
    )
    return batch.watch(interval_s) if watch else batch.run_once()
