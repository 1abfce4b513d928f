"""The learned model's surface features: the exact signals (detectors from bot/analysis/signals.py, as
floats) and hashed character n-grams, next to the sentence embedding (see semantic.py)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..signals import (
    COMPETENCY_CUES,
    FIRST,
    HYPOTHETICAL,
    NEGATION,
    NUMBER,
    QUALIFIER_CUES,
    QUESTION,
    THEY,
    VAGUE_CUES,
    WE,
)
from ..spans import Span, clauses, sentences
from .embed import Embedder


@dataclass(frozen=True)
class Recipe:
    embedder: str = "use"
    ngram_dim: int = 2048
    signals: bool = True
    question: bool = True
    embeddings: bool = True
    maxpool: bool = False  # the element-wise max of the sentence embeddings next to their mean


@dataclass
class Unit:
    """One answer. `turns` are the candidate's texts; spans index into them."""

    question: str
    turns: list[str]
    sentences: list[tuple[int, Span]] = field(default_factory=list)
    clauses: list[tuple[int, Span]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sentences = [(i, s) for i, t in enumerate(self.turns) for s in sentences(t)]
        self.clauses = [(i, c) for i, t in enumerate(self.turns) for c in clauses(t)]

    @property
    def text(self) -> str:
        return "\n".join(self.turns)


SIGNAL_NAMES: tuple[str, ...] = (
    "number",
    "numbers_many",
    "first",
    "we",
    "they",
    "negation",
    "first_negated",
    "hypothetical",
    "question",
    "length",
    *(f"q_{k}" for k in QUALIFIER_CUES),
    *(f"v_{k}" for k in VAGUE_CUES),
    *(f"cue_{k}" for k in COMPETENCY_CUES),
)


def signal_vector(text: str) -> np.ndarray:
    """The exact signals of one text, as floats in [0, 1]."""
    first_negated = re.search(
        r"我(没有|没|从没|从来没|不曾)|\bi (never|have never|haven't|didn't|did not)\b", text, re.I
    )
    values = [
        bool(NUMBER.search(text)),
        min(len(NUMBER.findall(text)), 4) / 4,
        min(len(FIRST.findall(text)), 4) / 4,
        min(len(WE.findall(text)), 4) / 4,
        min(len(THEY.findall(text)), 4) / 4,
        bool(NEGATION.search(text)),
        bool(first_negated),
        bool(HYPOTHETICAL.search(text)),
        bool(QUESTION.search(text)),
        min(len(text), 400) / 400,
        *(bool(rx.search(text)) for rx in QUALIFIER_CUES.values()),
        *(bool(rx.search(text)) for rx in VAGUE_CUES.values()),
        *(any(rx.search(text) for rx in cues) for cues in COMPETENCY_CUES.values()),
    ]
    return np.asarray(values, dtype=np.float32)


_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


def _grams(text: str) -> list[str]:
    tokens = _WORD.findall(text.lower())
    grams = list(tokens)
    grams += [a + b for a, b in zip(tokens, tokens[1:])]
    grams += [a + b + c for a, b, c in zip(tokens, tokens[1:], tokens[2:]) if _HAN.match(a)]
    return grams


def ngram_vector(text: str, dim: int) -> np.ndarray:
    """Hashed character (Han) and word (Latin) 1-3 grams, L2-normalised; zeros when dim is 0."""
    out = np.zeros(dim, dtype=np.float32)
    if dim == 0:
        return out
    for g in _grams(text):
        out[zlib.crc32(g.encode()) % dim] += 1.0
    norm = float(np.linalg.norm(out))
    return out / norm if norm else out


class Featurizer:
    def __init__(self, recipe: Recipe, embedder: Embedder | None) -> None:
        self.recipe, self.embedder = recipe, embedder

    def floors(self, clause: bool = False, ngram_floor: float = 0.1) -> np.ndarray:
        """Per-column floors on the standardising scale: n-gram columns are sparse and rare, and at unit
        variance they would outvote the embedding (measured by cross-validation, see train_analysis)."""
        dim = self.embedder.dim if self.recipe.embeddings and self.embedder is not None else 0
        n_sig = len(SIGNAL_NAMES)
        if clause:
            sizes = [(dim, 1e-3), (self.recipe.ngram_dim, ngram_floor), (2 * n_sig, 1e-3)]
        else:
            q = dim if self.recipe.question else 0
            mx = dim if self.recipe.maxpool else 0
            sizes = [
                (dim + q + mx, 1e-3),
                (self.recipe.ngram_dim, ngram_floor),
                (n_sig if self.recipe.signals else 0, 1e-3),
            ]
        return np.concatenate([np.full(n, f, dtype=np.float32) for n, f in sizes])

    def embed_units(self, units: list[Unit]) -> dict[str, np.ndarray]:
        if not self.recipe.embeddings or self.embedder is None:
            return {}
        texts = sorted({u.question for u in units} | {s.text for u in units for _, s in u.sentences})
        vectors = self.embedder.encode(texts)
        return dict(zip(texts, vectors))

    def _emb(self, table: dict[str, np.ndarray], texts: list[str]) -> np.ndarray:
        if not self.recipe.embeddings or self.embedder is None:
            return np.zeros((0,), dtype=np.float32)
        vs = [table[t] for t in texts if t in table]
        if not vs:
            return np.zeros(self.embedder.dim, dtype=np.float32)
        mean = np.mean(vs, axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)

    def _max(self, table: dict[str, np.ndarray], texts: list[str]) -> np.ndarray:
        """One strong sentence in a long answer is diluted in the mean; the max keeps it."""
        vs = [table[t] for t in texts if t in table]
        return np.max(vs, axis=0) if vs else np.zeros(self.embedder.dim, dtype=np.float32)

    def text_features(self, table: dict[str, np.ndarray], text: str, parts: list[str], question: str):
        r = self.recipe
        out = [self._emb(table, parts)]
        if r.question and r.embeddings and self.embedder is not None:
            out.append(self._emb(table, [question]) if question else np.zeros(self.embedder.dim, np.float32))
        if r.maxpool and r.embeddings and self.embedder is not None:
            out.append(self._max(table, parts))
        out.append(ngram_vector(text, r.ngram_dim))
        if r.signals:
            out.append(signal_vector(text))
        return np.concatenate(out).astype(np.float32)

    def unit_matrix(self, units: list[Unit], table: dict[str, np.ndarray]) -> np.ndarray:
        rows = [
            self.text_features(table, u.text, [s.text for _, s in u.sentences], u.question) for u in units
        ]
        return np.stack(rows)

    def sentence_matrix(self, unit: Unit, table: dict[str, np.ndarray]) -> np.ndarray:
        rows = [self.text_features(table, s.text, [s.text], unit.question) for _, s in unit.sentences]
        return np.stack(rows) if rows else np.zeros((0, 0), np.float32)

    def clause_matrix(self, unit: Unit, table: dict[str, np.ndarray]) -> np.ndarray:
        rows = []
        for turn, c in unit.clauses:
            host = next((s for t, s in unit.sentences if t == turn and s.start <= c.start < s.end), c)
            parts = [self._emb(table, [host.text])]
            parts += [
                ngram_vector(c.text, self.recipe.ngram_dim),
                signal_vector(c.text),
                signal_vector(host.text),
            ]
            rows.append(np.concatenate(parts).astype(np.float32))
        return np.stack(rows) if rows else np.zeros((0, 0), np.float32)
