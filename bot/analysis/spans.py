"""Clauses and sentences of a candidate's turn, with their character offsets: the units a quote, a
qualifier or a vague claim is judged on (by the rules and by the learned model alike)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the text it was cut from
    end: int
    text: str


# a "." between digits (1.5) does not end a clause
CLAUSE_SPLIT = re.compile(r"(?:[^,，。.!！?？;；\n]|(?<=\d)\.(?=\d))+[,，。.!！?？;；\n]*")


def clauses(text: str) -> list[Span]:
    """Comma-level pieces, the unit a quote or a qualifier is judged on."""
    out = []
    for m in CLAUSE_SPLIT.finditer(text):
        body = m.group().strip()
        if body:
            lead = len(m.group()) - len(m.group().lstrip())
            out.append(Span(m.start() + lead, m.start() + lead + len(body), body))
    return out


SENTENCE_LIMIT = 80


def sentences(text: str, limit: int = SENTENCE_LIMIT) -> list[Span]:
    """Sentences, with run-ons packed from clauses into pieces of at most `limit` characters."""
    pieces: list[Span] = []
    for s in clauses(text):
        last = pieces[-1] if pieces else None
        if last is None or last.text[-1:] in "。！？!?；;." or (s.end - last.start) > limit:
            pieces.append(s)
        else:
            pieces[-1] = Span(last.start, s.end, text[last.start : s.end])
    return pieces
