"""Full-text search over transcripts and summaries: SQLite FTS5 over jieba tokens stored alongside the text.

FTS5's own tokenizers split Chinese into whole runs (unicode61) or need three characters (trigram), so two-
character words such as 幂等 or 缓存 would never match. Text is cut with jieba's search mode (a long word and
its parts: 分布式锁 -> 分布, 分布式, 锁, 分布式锁) plus the technical lexicon as words; `porter unicode61`
then lower-cases and stems the English. A query is cut the same way and every token must match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .analysis.summary import moment_of

TABLE = "search_index"
CREATE = (
    f"create virtual table if not exists {TABLE} using fts5(tokens, interview_id unindexed, kind unindexed, "
    "start unindexed, text unindexed, tokenize = 'porter unicode61')"
)
_WORD = re.compile(r"[\w+#.]+", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _tokenizer():
    from .analysis.lexicon import ZH_TERMS
    from .analysis.terms import jieba_tokenizer

    tokenizer = jieba_tokenizer()
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
    # a summary line that quotes evidence links to its moment too
    lines: list[tuple[str, float | None]] = [
        (line, moment_of(line)) for line in (summary.get("strengths") or [])
    ]
    lines += [(line, moment_of(line)) for line in (summary.get("to_verify") or [])]
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
