"""Full-text search over transcripts and summaries: SQLite FTS5 over jieba tokens stored alongside the text.

FTS5's own tokenizers split Chinese into whole runs (unicode61) or need three characters (trigram), so two-
character words such as 幂等 or 缓存 would never match. Text is cut with jieba's search mode (a long word and
its parts: 分布式锁 -> 分布, 分布式, 锁, 分布式锁) plus the technical lexicon as words; `porter unicode61`
then lower-cases and stems the English. A query is cut the same way and every token must match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlite_utils

from ..analysis.summary import summary_items

TABLE = "search_index"
CREATE = (
    f"create virtual table if not exists {TABLE} using fts5(tokens, interview_id unindexed, kind unindexed, "
    "start unindexed, text unindexed, tokenize = 'porter unicode61')"
)
_WORD = re.compile(r"[\w+#.]+", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _tokenizer():
    """A jieba tokenizer of search's own: the technical terms added here must not change the shared one
    the analysis reads word frequencies from (an analysis would then depend on whether a search index was
    written earlier in the same process)."""
    import jieba

    from ..analysis.lexicon import ZH_TERMS
    from ..analysis.terms import jieba_tokenizer

    jieba_tokenizer()  # the shared one initialised first: its dictionary cache is then on disk
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in ZH_TERMS:
        tokenizer.add_word(term, freq=max(tokenizer.FREQ.get(term) or 0, 2000))
    return tokenizer


def tokens(text: str, *, for_query: bool = False) -> list[str]:
    """Search tokens of a text; a query is cut in precise mode (each of its words is also emitted by
    search mode when the same word is indexed)."""
    cut = _tokenizer().lcut(text) if for_query else _tokenizer().lcut_for_search(text)
    return [t.lower() for t in cut if _WORD.fullmatch(t.strip()) and t.strip()]


def rows_for(interview_id: str, analysis: dict[str, Any]) -> list[tuple[str, str, str, float | None, str]]:
    """(tokens, interview_id, kind, start, text) for every segment and every summary line."""
    out = [
        (" ".join(tokens(s["text"])), interview_id, "segment", s["start"], s["text"])
        for s in analysis.get("segments", [])
        if s.get("text")
    ]
    summary = analysis.get("summary") or {}
    # a summary point that quotes evidence links to its moment too
    lines: list[tuple[str, float | None]] = [(i["text"], i["start"]) for i in summary_items(analysis)]
    if summary.get("recommendation"):
        lines.append((summary["recommendation"], None))
    lines += [(f["question"], (f.get("anchor") or {}).get("start")) for f in analysis.get("followups") or []]
    out += [(" ".join(tokens(text)), interview_id, "summary", start, text) for text, start in lines]
    return out


def index(conn, interview_id: str, analysis: dict[str, Any]) -> None:
    """Replace an interview's entries; no commit (the caller's transaction)."""
    conn.execute(f"delete from {TABLE} where interview_id = ?", [interview_id])
    conn.executemany(
        f"insert into {TABLE} (tokens, interview_id, kind, start, text) values (?, ?, ?, ?, ?)",
        rows_for(interview_id, analysis),
    )


def unindex(conn, interview_id: str) -> None:
    conn.execute(f"delete from {TABLE} where interview_id = ?", [interview_id])


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH string with every token quoted (a query is text, never FTS syntax); Latin tokens of
    three letters or more also match as a prefix (idempot -> idempotency)."""
    parts = []
    for tok in dict.fromkeys(tokens(query, for_query=True)):
        quoted = '"' + tok.replace('"', '""') + '"'
        parts.append(quoted + ("*" if not _HAN.search(tok) and len(tok) >= 3 else ""))
    return " AND ".join(parts) or None


def highlight_terms(query: str) -> list[str]:
    """What to mark in a snippet: the query's words as typed and its tokens, longest first."""
    words = {w for w in re.split(r"\s+", query.strip()) if w}
    words |= set(tokens(query, for_query=True))
    return sorted(words, key=len, reverse=True)


def snippet(text: str, terms: Iterable[str], width: int = 60) -> str:
    """The part of `text` around the first hit, hits wrapped in « » (English hits may be inflected)."""
    terms = [t for t in terms if t]
    if not terms:
        return text[: width * 2]
    pattern = re.compile(
        "|".join(re.escape(t) + (r"[a-z]*" if re.fullmatch(r"[a-z]+", t, re.I) else "") for t in terms), re.I
    )
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 2)
    end = min(len(text), start + width * 2)
    piece = pattern.sub(lambda m: f"«{m.group()}»", text[start:end])
    return ("…" if start else "") + piece + ("…" if end < len(text) else "")


@dataclass
class Hit:
    interview_id: str
    source: str
    candidate: str | None
    created_at: str
    start: float | None  # None for a summary line without a moment
    snippet: str  # with each hit wrapped in « »
    kind: str = "segment"  # segment | summary


_HIT_SQL = (
    f"select f.interview_id, f.kind, f.start, f.text, i.source, i.created_at, c.name as candidate "
    f"from {TABLE} f join interviews i on i.id = f.interview_id "
    "left join candidates c on c.id = i.candidate_id "
)


class Search:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def __call__(self, visible, words: str, limit: int = 10) -> list[Hit]:
        """Full-text search (FTS5 over jieba tokens) in transcripts and summaries, best match first; a
        substring match when the tokens find nothing (a word jieba cut differently in context)."""
        from .interviews import access_clause

        if not words.strip():
            return []
        where, args = access_clause(visible)
        expression = match_expression(words)
        rows: list[dict[str, Any]] = []
        if expression:
            order = f"order by bm25({TABLE}), i.created_at desc limit ?"
            sql = f"{_HIT_SQL} where {TABLE} match ? and {where} {order}"
            rows = list(self.db.query(sql, [expression, *args, limit]))
        if not rows:
            plain = [t for t in re.split(r"\s+", words.strip()) if t]
            like = " and ".join("f.text like ? escape '\\'" for _ in plain)
            sql = f"{_HIT_SQL} where {like} and {where} order by i.created_at desc limit ?"
            rows = list(self.db.query(sql, [*(f"%{_escape_like(t)}%" for t in plain), *args, limit]))
        terms = highlight_terms(words)
        return [
            Hit(
                r["interview_id"],
                r["source"],
                r["candidate"],
                r["created_at"],
                float(r["start"]) if r["start"] is not None else None,
                snippet(r["text"], terms),
                r["kind"],
            )
            for r in rows
        ]


def _escape_like(text: str) -> str:
    """A search word taken literally by LIKE: `%` and `_` are characters, not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
