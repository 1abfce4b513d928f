"""The corpus validator and the analysis model speak the same labels: a snippet the validator accepts
trains the heads it names."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bot.analysis.results import COMPETENCIES, QUALIFIER_TYPES, VAGUE_TYPES

ROOT = Path(__file__).resolve().parents[2]


def test_the_validator_knows_exactly_the_models_labels():
    spec = importlib.util.spec_from_file_location("check_corpus", ROOT / "scripts" / "check_corpus.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert tuple(check.COMPETENCIES) == tuple(COMPETENCIES)
    assert tuple(check.QUALIFIERS) == tuple(QUALIFIER_TYPES)
    assert tuple(check.MISSING) == tuple(VAGUE_TYPES)
