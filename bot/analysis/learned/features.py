"""The learned model's surface features: the exact signals (detectors from bot/analysis/detectors.py, as
floats) and hashed character n-grams, next to the sentence embedding (see semantic.py)."""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..detectors import (
    COMPETENCY_CUES,
    FIRST_NEGATED,
    FIRST_PERSON,
    HYPOTHETICAL,
    NEGATION,
    NUMBER,
    QUALIFIER_CUES,
    QUESTION,
    THEY,
    VAGUE_CUES,
    WE,
    Detector,
)
from ..spans import CLAUSE_SPLIT, SENTENCE_LIMIT, Span, clauses, sentences
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


# The exact signals, in the order the artefact's columns have them: (name, detector, how it is read).
# "any": whether it fires; "count": how often, capped at four. Every detector here is part of the feature
# recipe's fingerprint (FEATURE_DETECTORS).
SIGNALS: tuple[tuple[str, Detector | None, str], ...] = (
    ("number", NUMBER, "any"),
    ("numbers_many", NUMBER, "count"),
    ("first", FIRST_PERSON, "count"),
    ("we", WE, "count"),
    ("they", THEY, "count"),
    ("negation", NEGATION, "any"),
    ("first_negated", FIRST_NEGATED, "any"),
    ("hypothetical", HYPOTHETICAL, "any"),
    ("question", QUESTION, "any"),
    ("length", None, "length"),  # characters, up to 400
    *((f"q_{k}", d, "any") for k, d in QUALIFIER_CUES.items()),
    *((f"v_{k}", d, "any") for k, d in VAGUE_CUES.items()),
    *((f"cue_{k}", d, "any") for k, d in COMPETENCY_CUES.items()),
)
SIGNAL_NAMES: tuple[str, ...] = tuple(name for name, _, _ in SIGNALS)
FEATURE_DETECTORS: tuple[Detector, ...] = tuple(dict.fromkeys(d for _, d, _ in SIGNALS if d is not None))


def _signal(detector: Detector | None, how: str, text: str) -> float:
    if detector is None:
        return min(len(text), 400) / 400
    if how == "count":
        return min(detector.count(text), 4) / 4
    return float(detector.search(text) is not None)


def signal_vector(text: str) -> np.ndarray:
    """The exact signals of one text, as floats in [0, 1]."""
    return np.asarray([_signal(d, how, text) for _, d, how in SIGNALS], dtype=np.float32)


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


# Bump when the code that turns text into features changes in a way the table below cannot see.
FEATURE_CODE = 1


def feature_fingerprint(recipe: Recipe) -> str:
    """A hash over everything that decides the model's inputs besides the embedder's own weights: the
    detectors its signals read (patterns and flags), the signal names and how each is read, the n-gram
    tokenizer and the clause and sentence splitting. An artefact records it when written (LocalModel.save)
    and refuses to load under code that computes another one."""
    spec = {
        "code": FEATURE_CODE,
        "recipe": recipe.__dict__,
        "signals": [[name, how] for name, _, how in SIGNALS],
        "detectors": [d.spec() for d in FEATURE_DETECTORS],
        "ngrams": [_WORD.pattern, _HAN.pattern, "1-2 grams, Han-led 3-grams, crc32"],
        "spans": [CLAUSE_SPLIT.pattern, SENTENCE_LIMIT],
    }
    blob = json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


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
