"""One SQLite connection (sqlite-utils, WAL) with its queries grouped by what they serve.

A Store belongs to one thread. The service never shares one: `Database` keeps a Store on its own thread
and gives async callers an API that hides it; a command-line run may use a Store directly.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from .answers import Answers
from .ats import AtsSends
from .audit import Audit
from .callbacks import CallbackQueue
from .candidates import Candidates
from .coaching import CoachingDigests
from .consent import Consents
from .digests import Digests
from .interviews import Interviews
from .jobs import JobPolicy, JobQueue
from .posts import Posts
from .schema import migrate
from .search import Search
from .verdicts import Verdicts


class Store:
    def __init__(self, path: Path | str, jobs: JobPolicy | None = None, busy_s: float = 30.0) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():  # created private: the history is personal data (WAL files follow its mode)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        # A busy timeout lets writers of other processes (a second replica, the CLI) queue up.
        self.db = sqlite_utils.Database(sqlite3.connect(path, timeout=busy_s, check_same_thread=False))
        self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA secure_delete = ON")  # a deleted interview's text is overwritten in place
        migrate(self.db)
        self.interviews = Interviews(self.db)
        self.jobs = JobQueue(self.db, jobs)
        self.candidates = Candidates(self.db)
        self.posts = Posts(self.db)
        self.digests = Digests(self.db)
        self.coaching = CoachingDigests(self.db)
        self.search = Search(self.db)
        self.audit = Audit(self.db)
        self.callbacks = CallbackQueue(self.db)
        self.verdicts = Verdicts(self.db)
        self.answers = Answers(self.db)
        self.consents = Consents(self.db)
        self.ats = AtsSends(self.db)

    def close(self) -> None:
        self.db.conn.close()
