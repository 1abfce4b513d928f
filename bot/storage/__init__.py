"""The SQLite history. `Store`: one connection, queries grouped by what they serve (interviews, jobs,
candidates, posts, digests, search, audit). `Database`: the same behind its own thread for async code."""

import errno
import sqlite3

from ..config import JobPolicy
from .candidates import DECISIONS, CandidateError
from .database import Database
from .interviews import InterviewRow, Visible, access_clause
from .jobs import IdempotencyConflict, Job, JobQueue
from .schema import now
from .search import Hit
from .store import Store
from .verdicts import VERDICTS, CompetencyStats, VerdictError


def is_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked / busy": another process holds the write lock (try later)."""
    return isinstance(exc, sqlite3.OperationalError) and any(word in str(exc) for word in ("locked", "busy"))


def is_disk_full(exc: BaseException) -> bool:
    """True when the disk (or the process's file-size limit) has no room for a write: try later."""
    if isinstance(exc, sqlite3.OperationalError):
        return "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


__all__ = [
    "is_busy",
    "is_disk_full",
    "DECISIONS",
    "CandidateError",
    "Database",
    "Hit",
    "InterviewRow",
    "IdempotencyConflict",
    "Job",
    "JobPolicy",
    "JobQueue",
    "Store",
    "Visible",
    "access_clause",
    "now",
    "VERDICTS",
    "CompetencyStats",
    "VerdictError",
]
