"""One recording end to end, the same for every entry point (HTTP, Slack, Feishu, CLI, batch, bench):
a queued interview's stored audio -> transcript (reused when identical audio was already transcribed
by the same engine) -> analysis. The worker runs it for each job it claims; retries belong to the job
queue, so every entry point gets the same policy."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asr_engine import AudioInputError, Transcript

from .analysis import analyze, load_profile
from .analysis.results import Analysis
from .asr import Engines
from .jurisdictions import DEFAULT_JURISDICTIONS, Jurisdictions
from .metrics import Metrics
from .storage import Database
from .storage.answers import StoredAnswer

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class Processed:
    transcript: Transcript
    analysis: Analysis
    profile: str
    reused_transcript: bool
    answers: list[StoredAnswer] = field(default_factory=list)  # for search across interviews (bot.ask)


class Pipeline:
    def __init__(
        self,
        db: Database,
        engines: Engines,
        analyst: Any = None,
        metrics: Metrics | None = None,
        jurisdictions: Jurisdictions = DEFAULT_JURISDICTIONS,
    ) -> None:
        self.db, self.engines, self.analyst = db, engines, analyst
        self.metrics = metrics or Metrics()
        self.jurisdictions = jurisdictions

    def process(self, interview_id: str, progress: Progress | None = None) -> Processed:
        """Runs on a worker thread. Raises AudioInputError / ProfileError for what retrying cannot fix."""
        row, path = self.db.blocking(
            lambda s: (s.interviews.get(interview_id) or {}, s.interviews.recording_path(interview_id))
        )
        if path is None:
            raise AudioInputError("the recording is no longer stored (deleted or purged)")
        profile = load_profile(row.get("profile"))
        transcript = self._transcript(row, path, profile.hotwords, progress)
        if progress:
            progress("analysing", 0, 1)
        started = time.perf_counter()
        analysis = analyze(transcript, profile, analyst=self.analyst, jurisdictions=self.jurisdictions)
        self.metrics.analysis_seconds.observe(time.perf_counter() - started)
        answers = _answers(analysis.to_dict())
        return Processed(transcript, analysis, profile.name, transcript.timings.get("reused") == 1, answers)

    def _transcript(self, row: dict[str, Any], path, hotwords: list[str], progress: Progress | None):
        engine_name = self.engines.name
        if not row.get("language"):  # a forced language means: transcribe again in it
            stored = self.db.blocking(lambda s: s.interviews.stored_transcript(row["sha256"], engine_name))
            if stored:
                transcript = Transcript.from_dict(stored)
                transcript.timings = {**transcript.timings, "reused": 1, "wall_s": 0.0}
                return transcript
        started = time.perf_counter()
        transcript = self.engines.get().transcribe(
            path,
            language=row.get("language") or None,
            hotwords=hotwords,
            progress=progress,
            name=row.get("source"),
        )
        transcript.timings["wall_s"] = round(time.perf_counter() - started, 3)
        self.metrics.transcribed(transcript.duration_s, time.perf_counter() - started)
        return transcript


def _answers(analysis: dict[str, Any]) -> list[StoredAnswer]:
    """Each answer with its embedding; without the embedding model they are still found by their words."""
    from .analysis.learned.embed import ModelUnavailable
    from .ask import embed_answers, plain_answers

    try:
        return embed_answers(analysis)
    except ModelUnavailable as exc:
        log.warning("answers stored without embeddings: %s", exc)
        return plain_answers(analysis)
