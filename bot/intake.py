"""Accepting a recording from any edge (HTTP upload, Slack file, Feishu message, CLI, batch folder):
check it is audio, put the file durably in the service's storage (fsync, rename), then store the
interview, its recording and a queued job in one transaction (a repeated idempotency key finds the
existing interview). File first: a crash in between leaves an orphan file, swept at start-up, never a
row pointing at nothing. Files are 0600 in 0700 folders: recordings are personal data."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from asr_engine import AudioInputError
from asr_engine.audio import probe

from .analysis import load_profile
from .analysis.profiles import ProfileError
from .candidates import from_filename
from .profile_input import is_stored, named
from .storage import Database, IdempotencyConflict, Store

log = logging.getLogger(__name__)
ORPHAN_AGE_S = 900.0  # a .part or unreferenced file older than this is no upload in progress (replicas)


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def place(src: Path, dest: Path) -> None:
    """`src` durably at `dest`: its bytes flushed, renamed in one step, the folder entry flushed."""
    fd = os.open(src, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    src.chmod(0o600)
    private_dir(dest.parent)
    try:
        os.replace(src, dest)
    except OSError:  # another file system: copy (then flush the copy)
        shutil.move(str(src), dest)
        place(dest, dest)
        return
    dfd = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


@dataclass
class Submission:
    """A recording handed over by an edge."""

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
    round: str | None = None
    interviewer: str | None = None
    profile: str | None = None
    language: str | None = None
    callback_url: str | None = None
    content_type: str | None = None
    local_profile: bool = False  # True only where `profile` may name a local file (the command line)


class Intake:
    def __init__(
        self,
        db: Database,
        data_dir: Path,
        *,
        max_bytes: int,
        max_seconds: float,
        require_consent: bool = False,
    ) -> None:
        self.db, self.data_dir = db, data_dir
        self.require_consent = require_consent  # without the candidate's consent a recording is held
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self.audio_dir = data_dir / "audio"
        self.incoming_dir = data_dir / "incoming"
        private_dir(data_dir)
        private_dir(self.audio_dir)
        private_dir(self.incoming_dir)

    def new_incoming(self) -> Path:
        """Where an edge streams an upload before it is submitted."""
        return self.incoming_dir / f"{uuid.uuid4().hex}.part"

    def stage_copy(self, path: Path) -> tuple[Path, str, int]:
        """A local file copied into the incoming folder, hashed on the way (the user's file stays where
        it is); (copy, sha256, bytes)."""
        tmp, digest, size = self.new_incoming(), hashlib.sha256(), 0
        with path.open("rb") as src, tmp.open("wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
                dst.write(block)
        return tmp, digest.hexdigest(), size

    def validate_audio(self, path: Path, filename: str) -> float | None:
        """Raises AudioInputError (one sentence, naming the upload) for anything that is not usable audio."""
        return probe(path, max_duration_s=self.max_seconds, max_bytes=self.max_bytes, name=filename)

    async def submit(self, sub: Submission) -> tuple[str, bool]:
        """(interview id, created). Raises AudioInputError for an unknown profile."""
        return await self.db.run(lambda store: self._submit(store, sub))

    def _submit(self, store: Store, sub: Submission) -> tuple[str, bool]:
        if not sub.profile and sub.channel:
            sub.profile = store.interviews.channel_profile(sub.platform, sub.channel)
        if sub.profile:
            try:
                if sub.local_profile or is_stored(sub.profile, self.data_dir):
                    load_profile(sub.profile)
                else:
                    named(sub.profile)  # from outside: a name, never a path on this server
            except ProfileError as exc:
                raise AudioInputError(str(exc)) from None
        ref = from_filename(sub.filename)
        suffix = Path(sub.filename).suffix.lower()[:8] or ".audio"
        final = self.audio_dir / sub.sha256[:2] / f"{sub.sha256}{suffix}"
        placed = not final.exists()
        if placed:
            place(sub.path, final)
        row = self._interview_row(store, sub, ref)
        held = self.require_consent and not store.consents.granted(row["candidate_id"])
        try:
            interview_id, created = store.jobs.submit(
                sub.key,
                row,
                {
                    "path": str(final),
                    "sha256": sub.sha256,
                    "size_bytes": sub.size_bytes,
                    "source": sub.filename,
                    "content_type": sub.content_type,
                    "duration_s": None,
                    "deleted_at": None,
                },
                held=held,
            )
        except IdempotencyConflict:
            if placed:
                final.unlink(missing_ok=True)
            raise
        finally:
            sub.path.unlink(missing_ok=True)
        store.audit(
            sub.uploader or sub.platform,
            ("submit-held" if held else "submit") if created else "submit-duplicate",
            interview_id,
            {"platform": sub.platform, "channel": sub.channel},
        )
        return interview_id, created

    def sweep_orphans(self, store: Store, older_than_s: float = ORPHAN_AGE_S) -> int:
        """Start-up: remove interrupted uploads (.part) and stored files no recording refers to (a crash
        between placing a file and committing its row). Young files may be another replica's upload."""
        cutoff, removed = time.time() - older_than_s, 0
        kept = store.interviews.live_recording_paths()
        candidates = [*self.incoming_dir.glob("*.part"), *self.audio_dir.glob("*/*")]
        for path in candidates:
            try:
                if str(path) not in kept and path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            log.warning("removed %d orphaned upload file(s)", removed)
        return removed

    @staticmethod
    def _interview_row(store: Store, sub: Submission, ref) -> dict:
        return {
            "source": sub.filename,
            "sha256": sub.sha256,
            "size_bytes": sub.size_bytes,
            "profile": sub.profile or "general",
            "title": Path(sub.filename).stem,
            "candidate_id": store.candidates.ensure(sub.candidate or ref.name),
            "round": sub.round or ref.round,
            "interviewer": sub.interviewer,
            "platform": sub.platform,
            "channel": sub.channel,
            "thread": sub.thread,
            "uploader": sub.uploader,
            "callback_url": sub.callback_url,
            "language": sub.language,
        }
