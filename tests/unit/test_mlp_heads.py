"""The network half of the competency model (`train_analysis.py --mlp-hidden N`, shipped since heldout14): it
learns what the logistic heads cannot, and an artefact that carries it scores with it after a save and a
load."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.analysis.learned import ARTEFACT, RULES_VERSION, LocalModel
from bot.analysis.learned.linear import fit
from bot.analysis.learned.mlp import MlpOptions, fit_mlp


def xor_data(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.choice([-1.0, 1.0], size=(n, 2)).astype(np.float32) + rng.normal(0, 0.1, (n, 2)).astype(
        np.float32
    )
    y = ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.float32)[:, None]
    return x, y


def test_the_network_learns_an_interaction_the_logistic_heads_cannot():
    x, y = xor_data()
    mask = np.ones_like(y)
    net = fit_mlp(x, y, mask, MlpOptions(hidden=16, dropout=0.0, epochs=400, lr=0.05))
    linear = fit(x, y, mask, l2=1.0)
    assert ((net.predict(x) > 0.5) == (y > 0.5)).mean() > 0.95
    assert ((linear.predict(x) > 0.5) == (y > 0.5)).mean() < 0.75


def test_an_artefact_with_the_network_scores_with_it_after_save_and_load(tmp_path):
    shipped = LocalModel.load(ARTEFACT)
    assert shipped.comp_mlp is not None  # the shipped model scores with both halves
    d = shipped.comp.weights.shape[0]
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, d)).astype(np.float32)
    y = (rng.random((64, len(shipped.comp_keys))) > 0.5).astype(np.float32)
    shipped.comp_mlp = fit_mlp(x, y, np.ones_like(y), MlpOptions(hidden=8, epochs=20))
    path = tmp_path / "with-network.npz"
    shipped.save(path, shipped.meta)
    loaded = LocalModel.load(path)
    assert loaded.comp_mlp is not None
    both = 0.5 * (loaded.comp.predict(x[:4]) + loaded.comp_mlp.predict(x[:4]))
    np.testing.assert_allclose(loaded.unit_probs(x[:4]), both, rtol=1e-5)
    assert not np.allclose(loaded.unit_probs(x[:4]), loaded.comp.predict(x[:4]))


def test_several_seeds_are_one_network_scoring_their_mean_logit():
    x, y = xor_data(200)
    mask = np.ones_like(y)
    opts = MlpOptions(hidden=8, dropout=0.0, epochs=60, lr=0.05, seed=3)
    merged = fit_mlp(x, y, mask, replace(opts, seeds=3))
    alone = [fit_mlp(x, y, mask, replace(opts, seed=3 + k)) for k in range(3)]
    assert merged.w1.shape == (2, 24)  # the three hidden layers side by side
    logits = np.mean([np.log(n.predict(x) / (1 - n.predict(x))) for n in alone], axis=0)
    np.testing.assert_allclose(merged.predict(x), 1 / (1 + np.exp(-logits)), rtol=1e-4, atol=1e-6)


def test_the_analysis_version_keeps_the_network_and_the_training_digest():
    """Stored analyses and verdicts are grouped by it: two artefacts that score differently never share it."""
    model = LocalModel.load(ARTEFACT)
    assert model.analysis_version == f"{model.version}+{RULES_VERSION}"
    assert "+mlp" in model.analysis_version and model.analysis_version.count("+") == 2


def test_an_artefact_whose_network_half_is_damaged_is_refused_in_one_line(tmp_path):
    from bot.analysis.learned.embed import ModelUnavailable

    with np.load(ARTEFACT, allow_pickle=False) as npz:
        data = {k: npz[k] for k in npz.files}
    for name, arrays in {
        "wrong-shape": {**data, "mlp_w2": data["mlp_w2"][:, :3]},
        "missing": {k: v for k, v in data.items() if not k.startswith("mlp_")},
    }.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **arrays)
        with pytest.raises(ModelUnavailable) as refused:
            LocalModel.load(path)
        assert "corrupt" in str(refused.value) and "reinstall" in str(refused.value), name
        assert "\n" not in str(refused.value)
