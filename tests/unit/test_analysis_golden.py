"""The analysis a user gets for the stored fixtures and one corpus split does not change by accident.

A change on purpose is written with IB_UPDATE_GOLDEN=1 and explained in its commit message.
"""

from __future__ import annotations

import json
import os

import analysis_golden
import pytest


@pytest.fixture(scope="module")
def outputs():
    data = analysis_golden.current()
    if os.environ.get("IB_UPDATE_GOLDEN") == "1":
        analysis_golden.write(data)
    return data


def _expected() -> dict:
    return json.loads(analysis_golden.GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("group", ["fixtures", "heldout3"])
def test_analyses_match_the_golden_file(outputs, group):
    expected = _expected()[group]
    got = json.loads(json.dumps(outputs[group], ensure_ascii=False))
    assert sorted(got) == sorted(expected)
    changed = [name for name in expected if got[name] != expected[name]]
    assert not changed, f"{len(changed)} analyses changed, first {changed[:5]}; see tests/analysis_golden.py"
