"""Minutes written elsewhere (Feishu Hire's interview minutes): timed, attributed sentences analysed
without our ASR, then stored and reported like any interview (no recording; a job already done under
the source's key, so importing the same minutes again finds the first import)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .storage import Database

ROLES = ("interviewer", "candidate")


@dataclass
class Line:
    start: float  # seconds from the start
    speaker: str  # interviewer | candidate | anything else: unknown
    text: str


def as_text(lines: list[Line]) -> str:
    """The .txt transcript format (`[h:mm:ss.s] role: text`) the analysis reads."""

    def stamp(t: float) -> str:
        return f"{int(t // 3600)}:{int(t % 3600 // 60):02d}:{t % 60:04.1f}"

    return "\n".join(
        f"[{stamp(max(0.0, ln.start))}] {ln.speaker + ': ' if ln.speaker in ROLES else ''}{ln.text}"
        for ln in lines
    )


def import_minutes(
    db: Database,
    lines: list[Line],
    *,
    key: str,
    source: str,
    title: str,
    candidate: str | None,
    profile: str | None,
    analyst: Any = None,
) -> tuple[str, bool]:
    """Analyse and store; (interview id, created). Raises ValueError for minutes without sentences and
    ProfileError for an unknown profile. Call from a thread that may block (not the event loop)."""
    from .analysis import analyze, load_profile, transcript_from_text

    text = as_text(lines)
    transcript, roles = transcript_from_text(text, source=source)
    chosen = load_profile(profile)
    analysis = analyze(transcript, chosen, known_roles=roles, analyst=analyst).to_dict()
    body = text.encode()

    def store(s) -> tuple[str, bool]:
        row = {
            "source": source,
            "sha256": hashlib.sha256(body).hexdigest(),
            "size_bytes": len(body),
            "duration_s": transcript.duration_s,
            "language": analysis.get("language"),
            "engine": "text",
            "profile": chosen.name,
            "title": title,
            "candidate_id": s.candidates.ensure(candidate),
            "platform": "import",
        }

        def write(iid: str) -> None:
            s.interviews.write_results(iid, transcript.to_dict(), analysis, chosen.name)

        return s.jobs.record_done(key, row, write)

    return db.blocking(store)
