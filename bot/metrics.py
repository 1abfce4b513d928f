"""The service's Prometheus metrics: one registry per Service (never the library's global one, so several
services in one process, as in the tests, do not collide), counted where each event happens.

A scrape never waits on the database: the job gauges and ASR totals come from a snapshot that
`refresh` takes from the store with a short timeout (a locked database leaves the last snapshot in
place); everything else is counted in memory as it happens. docs/operations.md says what each means.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
JOB_STATES = ("queued", "running", "done", "failed", "held")  # held: waiting for consent
# a minute-long clip to a two-hour interview on a slow CPU
_JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
_WAIT_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600)
_XRT_BUCKETS = (0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128)
_ANALYSIS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_LAG_BUCKETS = (0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34)


@dataclass
class Snapshot:
    """What the store knows (survives restarts): job counts and ASR totals, as of `taken_at`."""

    counts: dict[str, int] = field(default_factory=dict)
    audio_s: float = 0.0
    wall_s: float = 0.0
    taken_at: float | None = None  # monotonic; None: never taken


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.snapshot = Snapshot()
        self.loops: Callable[[], dict[str, float]] = dict  # {loop: seconds since its last good tick}
        self._pipeline(r)
        self._edges(r)
        r.register(_StoreCollector(self))

    def _pipeline(self, r: CollectorRegistry) -> None:
        """Jobs, ASR, analysis: counted by the worker and the pipeline."""
        self.job_seconds = Histogram(
            "ib_job_seconds",
            "Wall seconds from claim to outcome, per job attempt.",
            ["source", "outcome"],
            buckets=_JOB_BUCKETS,
            registry=r,
        )
        self.queue_wait_seconds = Histogram(
            "ib_queue_wait_seconds",
            "Seconds a job waited, from due to claimed.",
            ["source"],
            buckets=_WAIT_BUCKETS,
            registry=r,
        )
        self.asr_x_real_time = Histogram(
            "ib_asr_x_real_time",
            "Audio seconds per wall second of one transcription (higher is faster).",
            buckets=_XRT_BUCKETS,
            registry=r,
        )
        self.analysis_seconds = Histogram(
            "ib_analysis_seconds",
            "Wall seconds of one analysis (transcript -> scores, summary).",
            buckets=_ANALYSIS_BUCKETS,
            registry=r,
        )
        self.jobs_finished = Counter(
            "ib_jobs_finished",
            "Job attempts ended, by outcome (done, failed, retrying, lost).",
            ["source", "outcome"],
            registry=r,
        )

    def _edges(self, r: CollectorRegistry) -> None:
        """Platforms, live captions, the database, callbacks: counted where each happens."""
        self.reports_posted = Counter(
            "ib_reports_posted", "Reports posted in their thread.", ["platform"], registry=r
        )
        self.reports_failed = Counter(
            "ib_reports_failed",
            "Report posts that failed (left pending for the sweep).",
            ["platform"],
            registry=r,
        )
        self.platform_retries = Counter(
            "ib_platform_retries",
            "Platform API calls tried again after a transient failure.",
            ["platform"],
            registry=r,
        )
        self.platform_rate_limited = Counter(
            "ib_platform_rate_limited",
            "Platform API answers that were rate limits (HTTP 429 or the platform's own code).",
            ["platform"],
            registry=r,
        )
        self.live_sessions = Gauge("ib_live_sessions", "Live caption streams open now.", registry=r)
        self.caption_lag_seconds = Histogram(
            "ib_caption_lag_seconds",
            "Audio received minus the end of the caption just sent, in seconds.",
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self.db_busy = Counter(
            "ib_db_busy", "Database calls that failed because another writer held the lock.", registry=r
        )
        self.callback_attempts = Counter(
            "ib_callback_attempts",
            "ATS callback attempts, by result (delivered, retry, failed).",
            ["result"],
            registry=r,
        )

    def exposition(self) -> bytes:
        """The text exposition format (0.0.4): memory only, never the database."""
        return generate_latest(self.registry)

    async def refresh(self, read: Callable[[], Awaitable[Snapshot]], timeout_s: float = 0.5) -> None:
        """A new snapshot from the store if it answers within `timeout_s`; else the last one stays."""
        try:
            self.snapshot = await asyncio.wait_for(read(), timeout_s)
        except Exception:  # a locked or busy database (or a timeout): answer from memory
            return

    def job_ended(self, source: str | None, outcome: str, seconds: float) -> None:
        src = source or "unknown"
        self.job_seconds.labels(src, outcome).observe(seconds)
        self.jobs_finished.labels(src, outcome).inc()

    def transcribed(self, audio_s: float, wall_s: float) -> None:
        if audio_s > 0 and wall_s > 0:
            self.asr_x_real_time.observe(audio_s / wall_s)


class _StoreCollector:
    """The five first metrics of /metrics (their names are a contract), from the latest snapshot, and
    each supervised loop's age: read at scrape time, from memory."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        snap = self.metrics.snapshot
        yield GaugeMetricFamily(
            "ib_queue_depth", "Jobs waiting to be worked on.", snap.counts.get("queued", 0)
        )
        jobs = GaugeMetricFamily("ib_jobs", "Jobs by state.", labels=["state"])
        for state in JOB_STATES:
            jobs.add_metric([state], snap.counts.get(state, 0))
        yield jobs
        yield CounterMetricFamily("ib_audio_seconds", "Seconds of audio transcribed.", snap.audio_s)
        yield CounterMetricFamily("ib_asr_wall_seconds", "Wall seconds spent transcribing.", snap.wall_s)
        xrt = snap.audio_s / snap.wall_s if snap.wall_s else 0.0
        yield GaugeMetricFamily("ib_x_real_time", "Audio seconds per wall second, over all jobs.", xrt)
        age = None if snap.taken_at is None else time.monotonic() - snap.taken_at
        yield GaugeMetricFamily(
            "ib_store_snapshot_age_seconds",
            "Seconds since the job counts above were read from the database (-1: never).",
            -1 if age is None else age,
        )
        loops = GaugeMetricFamily(
            "ib_loop_seconds_since_ok",
            "Seconds since each supervised loop last ticked well.",
            labels=["loop"],
        )
        for name, seconds in sorted(self.metrics.loops().items()):
            loops.add_metric([name], seconds)
        yield loops

    def describe(self) -> list[Any]:
        return []  # names known only at collect time; nothing to check for collisions up front
