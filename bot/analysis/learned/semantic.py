"""The semantic model: sentence embeddings plus exact signals, scored by small linear heads.

One answer (the interviewer's question for context, then the candidate's turns) is the unit a
competency is credited on; its sentences are scored by the same heads to find the one that earned it.
Qualifiers and vague claims are judged per clause. The heads, their thresholds and the feature recipe
live in one versioned artefact (`data/analysis_model.npz`) written by scripts/train_analysis.py.
"""

from __future__ import annotations

import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import records
from ..results import QUALIFIER_TYPES, VAGUE_TYPES
from .embed import Embedder, ModelUnavailable, load_embedder
from .features import Featurizer, Recipe, Unit, feature_fingerprint
from .linear import LinearHeads
from .mlp import MlpHeads

ARTEFACT = Path(__file__).parent.parent / "data" / "analysis_model.npz"
# The rules in code (signals, cues, evidence rules in local.py): an analysis names the artefact it scored
# with and these; rules-5 adds the hypothetical and third-person evidence rules; rules-6 captions evidence
# told vaguely with what the vague claim misses (it always said "no numbers").
RULES_VERSION = "rules-6"
HEAD_ARRAYS = ("mean", "scale", "weights", "bias")
CLAUSE_LABELS = (*(f"q:{t}" for t in QUALIFIER_TYPES), *(f"v:{t}" for t in VAGUE_TYPES))


@dataclass
class UnitScores:
    competencies: dict[str, float]  # key -> probability for the whole answer
    sentence_logits: np.ndarray  # (sentences, competencies in `keys` order)
    keys: tuple[str, ...]
    clause_probs: np.ndarray  # (clauses, CLAUSE_LABELS)


def without_rules(version: str) -> str:
    """An artefact's whole version ("e5-lora-lr+mlp128x1-<date>-<digest>-tq…") without the rules suffix a
    training script wrote on it ("+rules-5"): the network half and the training digest stay."""
    return re.sub(r"\+rules-\d+$", "", version)


def _heads(data: dict[str, np.ndarray], prefix: str) -> LinearHeads:
    return LinearHeads(*(data[f"{prefix}_{k}"].astype(np.float32) for k in HEAD_ARRAYS))


def _mlp(data: dict[str, np.ndarray], meta: dict) -> MlpHeads | None:
    if "mlp_w1" not in data:  # an artefact from before the network half, or one that lost it
        if int(meta.get("mlp", {}).get("hidden", 0)):
            raise ValueError("trained with a network half that the artefact lacks")
        return None
    net = MlpHeads(*(data[f"mlp_{k}"].astype(np.float32) for k in ("mean", "scale", "w1", "b1", "w2", "b2")))
    d, k = data["comp_weights"].shape
    hidden = net.w1.shape[1] if net.w1.ndim == 2 else -1
    want = {"mean": (d,), "scale": (d,), "w1": (d, hidden), "b1": (hidden,), "w2": (hidden, k), "b2": (k,)}
    if any(getattr(net, name).shape != shape for name, shape in want.items()):
        raise ValueError("network half of another shape than the competency heads")
    return net


def _qualifier_heads(data: dict[str, np.ndarray]) -> LinearHeads | None:
    if "qual_weights" not in data:  # an artefact from before the tightened labels
        return None
    heads = _heads(data, "qual")
    if heads.weights.shape != (data["clause_weights"].shape[0], len(QUALIFIER_TYPES)):
        raise ValueError("qualifier heads of another shape than the clause heads")
    return heads


def _check_fingerprint(model: LocalModel, path: Path) -> None:
    """Refuse an artefact trained on other features than this code computes (a detector edited since)."""
    expected = feature_fingerprint(model.recipe)
    found = model.meta.get("feature_fingerprint")
    if found != expected:
        raise ModelUnavailable(
            f"the analysis model artefact {path.name} was trained on other features (fingerprint "
            f"{found or 'none'}, this code computes {expected}: a detector in bot/analysis/detectors.py or "
            "the feature recipe changed); retrain it (python scripts/train_analysis.py) or reinstall "
            "interview-bot"
        )


@dataclass
class LocalModel:
    version: str
    recipe: Recipe
    comp_keys: tuple[str, ...]
    comp: LinearHeads
    comp_thresholds: np.ndarray
    clause: LinearHeads
    clause_thresholds: np.ndarray
    embedder: Embedder | None = None
    meta: dict[str, object] = field(default_factory=dict)
    comp_mlp: MlpHeads | None = None  # when trained, the answer's score is the mean of both heads
    # qualifier heads fitted only on the splits labelled under the tightened span rules (GUIDELINES.md);
    # when present, a clause's qualifier probabilities are the mean of these and the clause heads'
    qual: LinearHeads | None = None
    _examples: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def analysis_version(self) -> str:
        """What an analysis scored with: the artefact as trained, and the rules this code applies on top."""
        return f"{without_rules(self.version)}+{RULES_VERSION}"

    def save(self, path: Path, meta: dict[str, object]) -> None:
        arrays: dict[str, np.ndarray] = {}
        for prefix, heads in (("comp", self.comp), ("clause", self.clause)):
            for k in HEAD_ARRAYS:
                arrays[f"{prefix}_{k}"] = getattr(heads, k).astype(np.float16)
        if self.comp_mlp is not None:
            arrays.update({f"mlp_{k}": v.astype(np.float16) for k, v in self.comp_mlp.arrays().items()})
        if self.qual is not None:
            arrays.update({f"qual_{k}": getattr(self.qual, k).astype(np.float16) for k in HEAD_ARRAYS})
        info = {"version": self.version, "recipe": self.recipe.__dict__, "comp_keys": list(self.comp_keys)}
        # the fingerprint of the features as this code computes them, whatever `meta` carried
        info = {**info, **meta, "feature_fingerprint": feature_fingerprint(self.recipe)}
        arrays["meta"] = np.array(json.dumps(info, ensure_ascii=False))
        arrays["comp_thresholds"] = self.comp_thresholds.astype(np.float32)
        arrays["clause_thresholds"] = self.clause_thresholds.astype(np.float32)
        np.savez_compressed(path, **arrays)

    @classmethod
    def load(cls, path: Path = ARTEFACT) -> LocalModel:
        hint = "reinstall interview-bot (pip install --force-reinstall interview-bot)"
        if not path.is_file():
            raise ModelUnavailable(f"the analysis model artefact {path.name} is missing; {hint}")
        try:
            with np.load(path, allow_pickle=False) as npz:
                data = {k: npz[k] for k in npz.files}
            meta = json.loads(str(data["meta"]))
            model = cls(
                meta["version"],
                Recipe(**meta["recipe"]),
                tuple(meta["comp_keys"]),
                _heads(data, "comp"),
                data["comp_thresholds"],
                _heads(data, "clause"),
                data["clause_thresholds"],
                meta=meta,
                comp_mlp=_mlp(data, meta),
                qual=_qualifier_heads(data),
            )
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelUnavailable(
                f"the analysis model artefact {path.name} is corrupt ({type(exc).__name__}); {hint}"
            ) from None
        _check_fingerprint(model, path)
        if model.recipe.embeddings:
            model.embedder = load_embedder(model.recipe.embedder)
            # an encoder with an adapter: the heads were fitted on that adapter's embeddings, no other's
            trained_on = meta.get("adapter_sha256")
            if trained_on and trained_on != getattr(model.embedder, "adapter_sha256", trained_on):
                raise ModelUnavailable(
                    f"the analysis model artefact {path.name} was trained with another encoder adapter than "
                    f"the installed one; {hint}"
                )
        return model

    @property
    def rules(self) -> dict:
        """How clause heads and exact cues combine (bot/analysis/cues.py), as trained."""
        return self.meta.get("clause_rules") or {}  # type: ignore[return-value]

    @property
    def featurizer(self) -> Featurizer:
        return Featurizer(self.recipe, self.embedder)

    def unit_probs(self, x: np.ndarray) -> np.ndarray:
        """Per-answer probabilities, before the thresholds: logistic heads, averaged with the network."""
        p = self.comp.predict(x)
        return p if self.comp_mlp is None else 0.5 * (p + self.comp_mlp.predict(x))

    def clause_probs(self, x: np.ndarray) -> np.ndarray:
        """Per-clause probabilities (CLAUSE_LABELS), before the thresholds."""
        p = self.clause.predict(x)
        if self.qual is not None:
            nq = len(QUALIFIER_TYPES)
            p[:, :nq] = 0.5 * (p[:, :nq] + self.qual.predict(x))
        return p

    def score(self, units: list[Unit]) -> list[UnitScores]:
        if not units:
            return []
        f = self.featurizer
        table = f.embed_units(units)
        unit_p = self.unit_probs(f.unit_matrix(units, table)) - self.comp_thresholds + 0.5
        keys = tuple(k for k in records.competency_keys() if k in self.comp_keys or records.get(k).examples)
        out = []
        for i, unit in enumerate(units):
            probs = {k: float(unit_p[i, self.comp_keys.index(k)]) for k in keys if k in self.comp_keys}
            sent = f.sentence_matrix(unit, table)
            logits = self.comp.logits(sent) if len(sent) else np.zeros((0, len(self.comp_keys)))
            cols = [logits[:, self.comp_keys.index(k)] for k in keys if k in self.comp_keys]
            for k in keys:
                if k not in self.comp_keys:  # a registered record without a trained head
                    sims = self._similarity(k, unit, table)
                    probs[k] = float(sims.max(initial=0.0))
                    cols.insert(keys.index(k), sims)
            clause = f.clause_matrix(unit, table)
            cp = self.clause_probs(clause) - self.clause_thresholds + 0.5 if len(clause) else clause
            out.append(UnitScores(probs, np.stack(cols, axis=1) if cols else logits, keys, cp))
        return out

    def _similarity(self, key: str, unit: Unit, table: dict[str, np.ndarray]) -> np.ndarray:
        """Probability-like closeness of each sentence to the record's examples (0.5 at cosine 0.75)."""
        if self.embedder is None or not unit.sentences:
            return np.zeros(len(unit.sentences))
        if key not in self._examples:
            self._examples[key] = self.embedder.encode(list(records.get(key).examples))
        ex = self._examples[key]
        vs = np.stack([table[s.text] for _, s in unit.sentences])
        cos = (vs @ ex.T) / (np.linalg.norm(vs, axis=1, keepdims=True) * np.linalg.norm(ex, axis=1) + 1e-9)
        return 1.0 / (1.0 + np.exp(-20 * (cos.max(axis=1) - 0.75)))


_model: LocalModel | None = None
_lock = threading.Lock()


def get_model() -> LocalModel:
    """The shipped model, loaded on first use (or the one `use_model` set)."""
    global _model
    with _lock:
        if _model is None:
            _model = LocalModel.load()
        return _model


def use_model(model: LocalModel | None) -> None:
    """Score every later analysis with `model` (a bench comparing artefacts); None goes back to the shipped
    one."""
    global _model
    with _lock:
        _model = model
