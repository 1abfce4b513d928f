"""The bundled Whisper weights are assembled once, verified by sha256, and a mismatch is a clear error."""

from __future__ import annotations

import pytest

from asr_engine.errors import EngineError
from asr_engine.weights import WHISPER_BASE, BundledModel, ensure_bundled_model


def test_assembled_once_and_verified(tmp_path):
    folder = ensure_bundled_model(WHISPER_BASE, tmp_path)
    model_bin = folder / "model.bin"
    assert {p.name for p in folder.iterdir()} >= {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    first = model_bin.stat().st_mtime_ns
    assert ensure_bundled_model(WHISPER_BASE, tmp_path) == folder
    assert model_bin.stat().st_mtime_ns == first  # not rebuilt on the next start


def test_wrong_checksum_is_refused(tmp_path):
    bogus = BundledModel(name="whisper-base-bogus", packages=WHISPER_BASE.packages, sha256="0" * 64)
    with pytest.raises(EngineError, match="expected 000000000000"):
        ensure_bundled_model(bogus, tmp_path)
    assert not (tmp_path / "models" / "whisper-base-bogus").exists()  # nothing half-written left


def test_tampered_file_is_detected(tmp_path):
    folder = ensure_bundled_model(WHISPER_BASE, tmp_path)
    with (folder / "model.bin").open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    with pytest.raises(EngineError, match="does not match the pinned sha256"):
        ensure_bundled_model(WHISPER_BASE, tmp_path)


def test_missing_weight_package_is_named(tmp_path):
    missing = BundledModel(name="x", packages=("no_such_weight_pkg",), sha256="0" * 64)
    with pytest.raises(EngineError, match="no_such_weight_pkg is not installed"):
        ensure_bundled_model(missing, tmp_path)
