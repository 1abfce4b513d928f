"""The corpus validator and the analysis model speak the same labels: a snippet the validator accepts
trains the heads it names."""

from __future__ import annotations

import importlib.util
import json
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


def _snippet(**labels) -> dict:
    turns = [{"speaker": "candidate", "text": "其实是同事做的，我只是看过，大概快了一倍。"}]
    base = {"id": "t-1", "lang": "zh", "turns": turns, "required": [], "allowed": [], "qualifiers": []}
    return base | labels


def test_span_rules_warn_without_failing_older_files(tmp_path):
    """Qualifiers on a negative snippet and overlapping qualifier spans break GUIDELINES.md; they are
    warnings by default (older files predate the rules) and problems with --strict."""
    spec = importlib.util.spec_from_file_location("check_corpus", ROOT / "scripts" / "check_corpus.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    negative = _snippet(
        negative=True,
        negative_kind="others_work",
        qualifiers=[{"type": "team_not_me", "span": "其实是同事做的"}],
    )
    nested = _snippet(
        required=["learning"],
        qualifiers=[{"type": "hearsay", "span": "我只是看过"}, {"type": "hedge", "span": "只是看过"}],
    )
    clean = _snippet(required=["learning"], qualifiers=[{"type": "hedge", "span": "大概快了一倍"}])
    assert check.problems_of(negative, "x") == []
    assert len(check.warnings_of(negative, "x")) == 1
    assert len(check.warnings_of(nested, "x")) == 1
    assert check.warnings_of(clean, "x") == []
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps(negative, ensure_ascii=False) + "\n", encoding="utf-8")
    warnings: list[str] = []
    _, problems = check.load(path, warnings)
    assert problems == [] and warnings
