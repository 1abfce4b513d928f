"""One recording end to end: transcribe (or reuse the stored transcript of identical audio), analyse,
store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asr_engine import Engine, Transcript
from asr_engine.audio import check_readable

from . import candidates
from .analysis import analyze
from .analysis.model import Analysis
from .analysis.profiles import Profile
from .candidates import from_filename
from .store import Store


def file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


@dataclass
class Processed:
    interview_id: str
    transcript: Transcript
    analysis: Analysis
    reused_transcript: bool


def process_recording(
    path: Path,
    *,
    store: Store,
    engine: Callable[[], Engine],
    engine_name: str,
    profile: Profile,
    language: str | None = None,
    max_bytes: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    candidate: str | None = None,
    round_: str | None = None,
    interviewer: str | None = None,
) -> Processed:
    """`engine` is a factory so a recording whose transcript is already stored never loads a model."""
    check_readable(path, max_bytes)
    sha, size = file_digest(path)
    cached = store.find_transcript(sha, engine_name) if not language else None
    if cached:
        transcript = Transcript.from_dict(cached[1])
    else:
        transcript = engine().transcribe(
            path, language=language, hotwords=profile.hotwords, progress=progress
        )
    if progress:
        progress("analysing", 0, 1)
    analysis = analyze(transcript, profile)
    ref = from_filename(path.name)
    people = {
        "candidate_id": candidates.ensure(store, candidate or ref.name),
        "round": round_ or ref.round,
        "interviewer": interviewer,
    }
    interview_id = store.save_interview(
        source=path.name,
        sha256=sha,
        size_bytes=size,
        transcript=transcript.to_dict(),
        analysis=analysis.to_dict(),
        profile=profile.name,
        title=path.stem,
        interview_id=cached[0] if cached else None,  # the same audio is the same interview
        people=people,
    )
    return Processed(interview_id, transcript, analysis, reused_transcript=bool(cached))
