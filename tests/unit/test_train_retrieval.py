"""scripts/train_retrieval.py --hard-negatives: the near misses a question is trained against are answers its
own writer labelled for other questions, never one labelled for it, and a file whose questions label one
snippet each (round 1) gives none."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")


@pytest.fixture
def trainer(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "scripts"))
    return importlib.import_module("train_retrieval")


def indexed(trainer, pools: dict[int, int], relevant: dict[int, set[str]], snippet_pool: list[set[int]]):
    ids = [f"s{j}" for j in range(len(snippet_pool))]
    return trainer.Indexed(
        group=[],
        snippet=[],
        relevant={g: frozenset(r) for g, r in relevant.items()},
        snippet_index={s: j for j, s in enumerate(ids)},
        q_states=[],
        p_states=[],
        pool=pools,
        snippet_pool=snippet_pool,
    )


def test_near_misses_come_from_the_writers_own_labels_and_skip_the_questions_answers(trainer):
    # question 0 (file 1) answered by s0; s1 and s2 are file 1's answers to other questions, s3 file 2's;
    # question 1 comes from round 1 (labels not exhaustive): no near misses
    data = indexed(trainer, {0: 1, 1: -1}, {0: {"s0"}, 1: {"s3"}}, [{1}, {1}, {1}, {2}])
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.9, 0.1], [1.0, 0.0]])
    snips = [0, 1, 2, 3]
    got = trainer.hard_negatives(q, p, [0, 1], snips, data, k=5)
    assert got == {0: [2, 1]}  # nearest first; s0 is its answer, s3 another writer's
    assert trainer.hard_negatives(q, p, [0, 1], snips, data, k=1) == {0: [2]}
    # only the answers given are candidates (mine() gives the training pairs' answers: never a dev answer)
    assert trainer.hard_negatives(q, p[[0, 1, 3]], [0, 1], [0, 1, 3], data, k=5) == {0: [1]}


def test_a_mined_answer_that_answers_another_question_in_the_batch_is_not_its_negative(trainer):
    data = indexed(trainer, {0: 1, 1: 1}, {0: {"s0"}, 1: {"s1", "s2"}}, [{1}, {1}, {1}])
    data.group, data.snippet = [0, 1], [0, 1]
    mask = trainer.Indexed.relevant_mask(data, [0, 1], [2, 0])
    assert mask.tolist() == [[False, True], [True, False]]
