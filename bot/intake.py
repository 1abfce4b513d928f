"""Accepting a recording from any edge (HTTP upload, Slack file, Feishu message, CLI, batch folder):
check it is audio, put the file durably in the service's storage (fsync, rename), then store the
interview, its recording and a queued job in one transaction (a repeated idempotency key finds the
existing interview). File first: a crash in between leaves an orphan file, swept at start-up, never a
row pointing at nothing. Files are 0600 in 0700 folders: recordings are personal data."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import os
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
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
# An edge's part of an arrival: put the recording's bytes at the given path -> (sha256, bytes).
Fill = Callable[[Path], Awaitable[tuple[str, int]]]
# Then say what it is: (staged path, sha256, bytes) -> the Submission, or None to take nothing after all.
Describe = Callable[[Path, str, int], "Submission | None | Awaitable[Submission | None]"]
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
        on_created: Callable[[str, str], None] | None = None,
    ) -> None:
        self.db, self.data_dir = db, data_dir
        self.on_created = on_created  # (interview id, status): the service's progress bus
        self.require_consent = require_consent  # without the candidate's consent a recording is held
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self.audio_dir = data_dir / "audio"
        self.incoming_dir = data_dir / "incoming"
        private_dir(data_dir)
        private_dir(self.audio_dir)
        private_dir(self.incoming_dir)

    async def accept(self, fill: Fill, describe: Describe) -> tuple[str, bool] | None:
        """The one way a recording enters, from every edge: its bytes staged in the incoming folder
        (`fill`: an upload, a download, a local file, a finished live stream), described by the edge,
        checked as audio (off the event loop), stored and queued (or held for consent); the staged file
        never outlives the call. (interview id, created), or None when `describe` declined. Raises
        AudioInputError (not audio, an unknown profile) and IdempotencyConflict; the edge words them."""
        tmp = self.new_incoming()
        try:
            sha, size = await fill(tmp)
            sub = describe(tmp, sha, size)
            if inspect.isawaitable(sub):
                sub = await sub
            if sub is None:
                return None
            await asyncio.get_running_loop().run_in_executor(None, self.validate_audio, tmp, sub.filename)
            return await self.submit(sub)
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def local_file(path: Path) -> Fill:
        """A `fill` that copies a local file (the user's stays where it is), hashing on the way."""

        async def fill(tmp: Path) -> tuple[str, int]:
            return await asyncio.get_running_loop().run_in_executor(None, _copy_hashed, path, tmp)

        return fill

    @staticmethod
    def moved_file(path: Path) -> Fill:
        """A `fill` that moves a file the service wrote itself (a live stream's recording)."""

        async def fill(tmp: Path) -> tuple[str, int]:
            os.replace(path, tmp)
            return await asyncio.get_running_loop().run_in_executor(None, _hash_file, tmp)

        return fill

    def new_incoming(self) -> Path:
        """Where an edge streams an upload before it is submitted."""
        return self.incoming_dir / f"{uuid.uuid4().hex}.part"

    def validate_audio(self, path: Path, filename: str) -> float | None:
        """Raises AudioInputError (one sentence, naming the upload) for anything that is not usable audio."""
        return probe(path, max_duration_s=self.max_seconds, max_bytes=self.max_bytes, name=filename)

    async def submit(self, sub: Submission) -> tuple[str, bool]:
        """(interview id, created) for a file already staged and checked (edges call `accept`). Raises
        AudioInputError for an unknown profile."""
        interview_id, created, status = await self.db.run(lambda store: self._submit(store, sub))
        if created and self.on_created:
            self.on_created(interview_id, status)
        return interview_id, created

    def _submit(self, store: Store, sub: Submission) -> tuple[str, bool, str]:
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
        self._refuse_without_consent(store, sub.candidate or ref.name)
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
        return interview_id, created, "held" if held else "queued"

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
    def _refuse_without_consent(store: Store, name: str | None) -> None:
        """A person who refused or withdrew consent is not recorded again, whatever IB_REQUIRE_CONSENT says:
        the file is not kept and the edge tells the uploader."""
        found = store.candidates.find(name) if name else None
        record = store.consents.get(found["id"]) if found else None
        if record and record["state"] in ("refused", "withdrawn"):
            raise AudioInputError(
                f"{record['candidate']} {record['state']} consent to recording and analysis; "
                "this recording was not kept"
            )

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


def _copy_hashed(src: Path, dest: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with src.open("rb") as fin, dest.open("wb") as fout:
        for block in iter(lambda: fin.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
            fout.write(block)
    return digest.hexdigest(), size


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fin:
        for block in iter(lambda: fin.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
