"""How scripts/train_analysis.py chooses the vague-claim rule: `--vague-modes model` keeps the exact cues out
of it (the cue rules the cross-validation prefers lost follow-ups on two new writers, docs/analysis-encoder.md)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from helpers import ROOT

from bot.analysis import corpus
from bot.analysis.results import QUALIFIER_TYPES

CUED = "效果提升很明显"  # an outcome without a number: the "number" cue
PLAIN = "我们就是执行"  # vague to a person, no cue


@pytest.fixture
def ta(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    module = importlib.import_module("train_analysis")
    monkeypatch.setattr(module, "VAGUE_MODES", module.VAGUE_MODES)  # restored after each test
    return module


def rows_and_snippets(ta):
    """Two labelled vague clauses: one the head misses but a cue names, one the head finds (p = 0.7)."""
    nq = len(QUALIFIER_TYPES)
    snippets, rows = [], []
    for i, (text, head) in enumerate(((CUED, 0.1), (PLAIN, 0.7))):
        turns = [{"speaker": "candidate", "text": text}]
        snippets.append(
            corpus.Snippet(f"s{i}", "zh", turns, [], [], [], [{"span": text, "missing": "number"}])
        )
        probs = np.concatenate([np.zeros(nq), [head, 0.0, 0.0]]).astype(np.float32)
        rows.append(ta.ClauseRow(i, text, text, probs, set()))
    return rows, snippets


def test_the_cross_validation_may_choose_the_head_or_a_cue_by_default(ta):
    rows, snippets = rows_and_snippets(ta)
    rule, recall, _ = ta.choose_vague_rule(rows, snippets, 0.4)
    assert rule["mode"] == "or" and recall == 1.0


def test_vague_modes_model_chooses_the_head_alone(ta):
    ta.VAGUE_MODES = ("model",)
    rows, snippets = rows_and_snippets(ta)
    rule, recall, precision = ta.choose_vague_rule(rows, snippets, 0.4)
    assert rule["mode"] == "model" and recall == 0.5 and precision == 1.0


def test_an_unknown_vague_mode_is_refused_in_one_line(ta, capsys):
    with pytest.raises(SystemExit) as exc:
        ta.main(["corpus/analysis/heldout.jsonl", "--vague-modes", "model,and"])
    assert exc.value.code == 2
    assert "--vague-modes: a comma list of model, or" in capsys.readouterr().err
