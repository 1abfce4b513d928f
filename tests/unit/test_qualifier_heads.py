"""Qualifier heads fitted on the splits labelled under the tightened rules (scripts/train_qualifier_heads.py):
an artefact that carries them scores each clause's qualifiers with the mean of both heads, after a save and
a load, and leaves the vague-claim columns to the clause heads."""

from __future__ import annotations

import numpy as np

from bot.analysis.cues import qualifier_hit
from bot.analysis.learned import ARTEFACT, LocalModel
from bot.analysis.learned.linear import fit
from bot.analysis.results import QUALIFIER_TYPES

NQ = len(QUALIFIER_TYPES)


def test_an_artefact_with_qualifier_heads_scores_qualifiers_with_the_mean_after_save_and_load(tmp_path):
    model = LocalModel.load(ARTEFACT)
    d = model.clause.weights.shape[0]
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, d)).astype(np.float32)
    y = (rng.random((64, NQ)) > 0.7).astype(np.float32)
    model.qual = fit(x, y, l2=1.0, epochs=20)
    path = tmp_path / "with-qualifier-heads.npz"
    model.save(path, model.meta)
    loaded = LocalModel.load(path)
    assert loaded.qual is not None
    clause, probs = loaded.clause.predict(x[:4]), loaded.clause_probs(x[:4])
    np.testing.assert_allclose(probs[:, :NQ], 0.5 * (clause[:, :NQ] + loaded.qual.predict(x[:4])), rtol=1e-3)
    np.testing.assert_allclose(probs[:, NQ:], clause[:, NQ:], rtol=1e-6)


def test_an_artefact_without_them_scores_with_the_clause_heads_alone(tmp_path):
    model = LocalModel.load(ARTEFACT)
    model.qual = None
    path = tmp_path / "clause-heads-only.npz"
    model.save(path, model.meta)
    loaded = LocalModel.load(path)
    x = np.random.default_rng(6).normal(size=(3, loaded.clause.weights.shape[0])).astype(np.float32)
    assert loaded.qual is None
    np.testing.assert_allclose(loaded.clause_probs(x), loaded.clause.predict(x), rtol=1e-6)


def test_the_trainer_picks_the_most_precise_rules_that_keep_the_recall_target(monkeypatch):
    """scripts/train_qualifier_heads.py: of the per-type offsets, the one that drops the false flags while
    every labelled caveat is still found."""
    import importlib
    from pathlib import Path

    from bot.analysis.corpus import Snippet

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "scripts"))
    trainer = importlib.import_module("train_qualifier_heads")
    hedge = QUALIFIER_TYPES.index("hedge")
    snippets, rows = [], []
    for i in range(10):
        turns = [{"speaker": "candidate", "text": "大概降了一半，我觉得挺好。"}]
        snippets.append(
            Snippet(
                f"s{i}",
                "zh",
                turns,
                ["result_orientation"],
                [],
                [{"type": "hedge", "span": "大概降了一半"}],
                [],
            )
        )
        for quote, p in (
            ("大概降了一半", 0.9),
            ("我觉得挺好", 0.6),
        ):  # the labelled caveat; a hedge nobody marks
            probs = np.zeros(NQ + 3)
            probs[hedge] = p
            rows.append(trainer.ta.ClauseRow(i, quote, quote, probs, set()))
    rules, recall, precision = trainer.operating_point(rows, snippets)
    assert (recall, precision) == (1.0, 1.0)
    chosen = {"q": rules}
    assert qualifier_hit("hedge", 0.9, set(), chosen) and not qualifier_hit("hedge", 0.6, set(), chosen)


def trainer_module(monkeypatch):
    import importlib
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "scripts"))
    return importlib.import_module("train_qualifier_heads")


def writers(trainer, plan: dict[str, list[tuple]]):
    """Clause rows, snippets and each snippet's split: per writer, per snippet, its clauses' (hedge
    probability, labelled) pairs; every snippet labels the same caveat."""
    from bot.analysis.corpus import Snippet

    hedge = QUALIFIER_TYPES.index("hedge")
    snippets, rows, split_of = [], [], []
    for writer, plans in plan.items():
        for scored in plans:
            k = len(snippets)
            turns = [{"speaker": "candidate", "text": "大概降了一半，我觉得挺好。"}]
            caveat = [{"type": "hedge", "span": "大概降了一半"}]
            snippets.append(Snippet(f"{writer}{k}", "zh", turns, [], [], caveat, []))
            split_of.append(writer)
            for p, labelled in scored:
                quote = "大概降了一半" if labelled else "我觉得挺好"
                probs = np.zeros(NQ + 3)
                probs[hedge] = p
                rows.append(trainer.ta.ClauseRow(k, quote, quote, probs, set()))
    return rows, snippets, split_of


def test_leaving_one_writer_out_scores_each_split_with_the_rules_picked_on_the_others(monkeypatch):
    """--lowo-target: a writer whose caveats the heads rank low is scored by rules the other writers chose,
    so the figure that picks the recall floor is what a new writer would see, not the pooled fit."""
    trainer = trainer_module(monkeypatch)
    # writers a and b: the labelled caveat at 0.95, an unmarked hedge at 0.65; writer c: its caveat at 0.65
    usual = [((0.95, True), (0.65, False))] * 10
    parts = trainer.per_split_options(
        *writers(trainer, {"a": usual, "b": usual, "c": [((0.65, True),)] * 10})
    )
    assert set(parts) == {"a", "b", "c"} and all(n == 10 for _, n in parts.values())
    views = {name: parts for name in parts}  # the same thresholds whichever split is left out
    # a (and b) held out: b + c need the low threshold for recall 0.6, so a's unmarked hedges are flagged;
    # c held out: a + b reach it at the high one, so none of c's caveats is found
    recall, precision = trainer.out_of_writer(views, 0.60)
    assert (round(recall, 3), round(precision, 3)) == (0.667, 0.5)


def test_the_recall_floor_left_one_writer_out_is_the_one_with_the_best_f1_not_the_most_recall(monkeypatch):
    """Every writer has ten caveats the heads rank high (an unmarked hedge beside each) and two they rank
    below every unmarked hedge: asking the rules for 0.84 recall flags all hedges, so the chosen floor is
    the highest that still keeps the precise rule (0.82)."""
    trainer = trainer_module(monkeypatch)
    plan = [((0.95, True), (0.65, False))] * 10 + [((0.35, True),)] * 2
    parts = trainer.per_split_options(*writers(trainer, {w: plan for w in "abc"}))
    views = {name: parts for name in parts}
    assert trainer.out_of_writer(views, 0.82) == (10 / 12, 1.0)
    assert trainer.out_of_writer(views, 0.84)[0] == 1.0
    assert trainer.lowo_floor(views) == 0.82  # 0.60-0.82 tie on F1; the highest floor among them


def test_the_qualifier_heads_version_keeps_what_the_clause_heads_version_says(tmp_path, monkeypatch):
    """Verdicts are grouped by version: a network half ("lr+mlp128x1-…") and the training digest must survive
    the qualifier heads' suffix, so two artefacts that score differently never share a version."""
    import importlib
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "scripts"))
    version = importlib.import_module("train_qualifier_heads").version

    split = tmp_path / "tight.jsonl"
    split.write_text("{}\n")
    model = LocalModel.load(ARTEFACT)
    for clause_heads in (
        "e5-lora-lr+mlp128x1-20261207-a6c398bd+rules-5",
        "e5-lora-lr-20261207-80eae4a7+rules-5",
    ):
        model.version = clause_heads
        got = version(model, [split], {"l2": 30})
        assert got.startswith(clause_heads.removesuffix("+rules-5") + "-tq"), got
    model.version = "e5-lora-lr-20261207-80eae4a7-tq35f32374"  # refitting the heads replaces the old suffix
    assert version(model, [split], {}).count("-tq") == 1


def test_leaving_a_writer_out_refits_the_thresholds_without_it_too(monkeypatch):
    """The rule picked for a left-out writer is an offset from per-type thresholds; those thresholds come from
    the other writers only, so a writer whose caveats the heads score low is scored as a new writer would be."""
    from types import SimpleNamespace

    from bot.analysis.corpus import Snippet

    trainer = trainer_module(monkeypatch)
    hedge = QUALIFIER_TYPES.index("hedge")
    turns = [{"speaker": "candidate", "text": "大概降了一半。我们后来换了一个方案。"}]
    snippets, oof, labels, split_of = [], {}, [], []
    for writer, (caveat, other) in (("a", (0.45, 0.2)), ("b", (0.8, 0.5))):
        for _ in range(10):
            k = len(snippets)
            snippets.append(
                Snippet(f"{writer}{k}", "zh", turns, [], [], [{"type": "hedge", "span": "大概降了一半"}], [])
            )
            assert len(snippets[-1].unit().clauses) == 2
            probs, y = np.zeros((2, NQ)), np.zeros((2, NQ))
            probs[:, hedge], y[0, hedge] = (caveat, other), 1.0
            oof[k] = probs
            labels.append(y)
            split_of.append(writer)
    views = trainer.writer_views(SimpleNamespace(cy=labels), snippets, oof, np.zeros(3), split_of)
    at_threshold = ("model", 0.0)
    # a left out: the threshold comes from b (between 0.5 and 0.8), so a's caveats at 0.45 are not found
    assert views["a"]["a"][0]["hedge"][at_threshold] == (0, 0, 0)
    # b left out: the threshold comes from a (between 0.2 and 0.45): a's caveats are found, nothing else
    assert views["b"]["a"][0]["hedge"][at_threshold] == (10, 10, 10)
