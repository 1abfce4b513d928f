"""Flags on interviewer questions that touch a protected topic (issue 26).

Two judges, one decision: the exact cues of bot/analysis/flag_rules.py, and a small logistic head over the
e5 sentence embedding plus hashed character n-grams, trained by scripts/train_flags.py on every labelled
file of corpus/interviewer. A cue names its category unless the head reads the sentence as lawful;
otherwise the head flags a sentence when its "protected" probability clears a threshold (`decide`). The
head ships as one artefact whose sha256 is recorded here, so a changed or damaged file is refused rather
than trusted.
"""

from __future__ import annotations

import json
import logging
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from asr_engine.weights import sha256_of

from ..jurisdictions import Jurisdictions
from .flag_rules import (
    CATEGORIES,
    alternative,
    citation,
    cue_category,
    on_topic,
    open_clauses,
    reason,
    sure_cue,
)
from .learned.embed import Embedder, ModelUnavailable, load_embedder
from .learned.features import ngram_vector
from .learned.linear import LinearHeads

log = logging.getLogger(__name__)

ARTEFACT = Path(__file__).parent / "data" / "flags_model.npz"
# written by scripts/train_flags.py; a mismatch means the artefact is not the one this code was shipped with
ARTEFACT_SHA256 = "decb122f63291cc07f390b292c389a4bf208e6c188831d40f2f0bdbd55fdfeba"


@dataclass
class Flag:
    category: str
    quote: str
    start: float | None
    rule: str
    reason: str
    alternative: str


@dataclass(frozen=True)
class FlagRecipe:
    embedder: str = "e5"
    ngram_dim: int = 1024
    ngram_floor: float = 0.1  # the standardising floor for the sparse n-gram columns


def features(texts: Sequence[str], recipe: FlagRecipe, embedder: Embedder) -> np.ndarray:
    """[e5 embedding | hashed n-grams] per text."""
    if not texts:
        return np.zeros((0, embedder.dim + recipe.ngram_dim), dtype=np.float32)
    emb = embedder.encode(list(texts))
    grams = np.stack([ngram_vector(t, recipe.ngram_dim) for t in texts])
    return np.concatenate([emb, grams], axis=1).astype(np.float32)


def floors(recipe: FlagRecipe, embed_dim: int) -> np.ndarray:
    return np.concatenate(
        [np.full(embed_dim, 1e-3, np.float32), np.full(recipe.ngram_dim, recipe.ngram_floor, np.float32)]
    )


@dataclass(frozen=True)
class Thresholds:
    """How the head's probabilities are read, recorded in the artefact."""

    head: float  # its "protected" probability flags an open clause on a protected topic (TOPICAL)
    cue_veto: float = 0.0  # below it a cue's flag is dropped: the head reads the sentence as lawful
    cue_margin: float | None = None  # the head's category replaces the cue's when it is this much likelier


def decide(text: str, probs: np.ndarray | None, th: Thresholds, use_cues: bool = True) -> str | None:
    """The one decision rule, shared by the analysis, the training script's cross-validation and the
    bench. A clause in a job-related context is never flagged. A cue in another clause names its
    category, unless the head (which reads the whole sentence, where a cue reads a word) finds it lawful
    (its "protected" column, the last of `probs`, below `cue_veto`: a health certificate, a maternal
    product; never an unmistakable cue, `sure_cue`) or a neighbouring category far likelier (`cue_margin`:
    家里人 about a spouse, not a family; an unmistakable cue keeps its own category).
    Otherwise, when an open clause is on a protected topic at all and the "protected" probability clears
    `head`, the head's best category."""
    clauses = open_clauses(text)
    cue = cue_category(text, clauses) if use_cues else None
    if probs is None or not len(probs):
        return cue
    best = int(np.argmax(probs[: len(CATEGORIES)]))
    if cue is not None:
        sure = sure_cue(cue, text)
        if probs[-1] < th.cue_veto and not sure:
            return None
        named = CATEGORIES.index(cue)
        override = not sure and th.cue_margin is not None and probs[best] - probs[named] > th.cue_margin
        return CATEGORIES[best] if override else cue
    if probs[-1] < th.head or not on_topic(clauses):
        return None
    return CATEGORIES[best]


def needs_head(text: str, th: Thresholds) -> bool:
    """Whether `decide` reads the head's probabilities for this text (the others are not embedded)."""
    clauses = open_clauses(text)
    if cue_category(text, clauses) is not None:
        return th.cue_veto > 0 or th.cue_margin is not None
    return on_topic(clauses)


@dataclass
class FlagModel:
    recipe: FlagRecipe
    heads: LinearHeads
    thresholds: Thresholds
    meta: dict[str, Any]
    embedder: Embedder | None = None

    def probs(self, texts: Sequence[str]) -> np.ndarray:
        assert self.embedder is not None
        return self.heads.predict(features(texts, self.recipe, self.embedder))

    def classify(self, texts: Sequence[str]) -> list[str | None]:
        """`decide` for each text; only the sentences whose decision reads the head are embedded."""
        pending = [i for i, text in enumerate(texts) if needs_head(text, self.thresholds)]
        probs = dict(zip(pending, self.probs([texts[i] for i in pending]))) if pending else {}
        return [decide(text, probs.get(i), self.thresholds) for i, text in enumerate(texts)]

    def save(self, path: Path) -> None:
        meta = {**self.meta, "recipe": self.recipe.__dict__, "thresholds": self.thresholds.__dict__}
        meta["categories"] = list(CATEGORIES)
        np.savez_compressed(
            path,
            meta=np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True)),
            mean=self.heads.mean.astype(np.float16),
            scale=self.heads.scale.astype(np.float16),
            weights=self.heads.weights.astype(np.float16),
            bias=self.heads.bias.astype(np.float32),
        )

    @classmethod
    def load(cls, path: Path = ARTEFACT, expected_sha256: str | None = ARTEFACT_SHA256) -> FlagModel:
        hint = "reinstall interview-bot (pip install --force-reinstall interview-bot)"
        if not path.is_file():
            raise ModelUnavailable(f"the question-flag artefact {path.name} is missing; {hint}")
        if expected_sha256 is not None and sha256_of(path) != expected_sha256:
            raise ModelUnavailable(
                f"the question-flag artefact {path.name} does not match its sha256; {hint}"
            )
        try:
            with np.load(path, allow_pickle=False) as npz:
                data = {k: npz[k] for k in npz.files}
            meta = json.loads(str(data["meta"]))
            if tuple(meta["categories"]) != CATEGORIES:
                raise ValueError("categories differ")
            heads = LinearHeads(*(data[k].astype(np.float32) for k in ("mean", "scale", "weights", "bias")))
            model = cls(FlagRecipe(**meta["recipe"]), heads, Thresholds(**meta["thresholds"]), meta)
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelUnavailable(
                f"the question-flag artefact {path.name} is corrupt ({type(exc).__name__}); {hint}"
            ) from None
        model.embedder = load_embedder(model.recipe.embedder)
        return model


_model: FlagModel | None = None
_failed: str | None = None
_lock = threading.Lock()


def get_flag_model() -> FlagModel | None:
    """The shipped head, loaded once; None (cues only, logged once) when it cannot be loaded, so a broken
    artefact never blocks the candidate's report."""
    global _model, _failed
    with _lock:
        if _model is None and _failed is None:
            try:
                _model = FlagModel.load()
            except ModelUnavailable as exc:
                _failed = str(exc)
                log.warning("question flags use the exact cues only: %s", exc)
        return _model


def classify(texts: Sequence[str], model: FlagModel | None) -> list[str | None]:
    if model is None:
        return [cue_category(t) for t in texts]
    return model.classify(texts)


def make_flag(
    category: str, quote: str, start: float | None, jurisdictions: Jurisdictions, lang: str
) -> Flag | None:
    """A Flag, or None when no chosen jurisdiction has a rule for the category."""
    rule = citation(category, jurisdictions, lang)
    if rule is None:
        return None
    return Flag(category, quote, start, rule, reason(category, rule, lang), alternative(category, lang))
