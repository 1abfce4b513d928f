"""The SQLite history. `Store`: one connection, queries grouped by what they serve (interviews, jobs,
candidates, posts, digests, search, audit). `Database`: the same behind its own thread for async code."""

from ..config import JobPolicy
from .candidates import DECISIONS, CandidateError
from .database import Database
from .interviews import InterviewRow, Visible, access_clause
from .jobs import Job, JobQueue
from .schema import now
from .search import Hit
from .store import Store

__all__ = [
    "DECISIONS",
    "CandidateError",
    "Database",
    "Hit",
    "InterviewRow",
    "Job",
    "JobPolicy",
    "JobQueue",
    "Store",
    "Visible",
    "access_clause",
    "now",
]
