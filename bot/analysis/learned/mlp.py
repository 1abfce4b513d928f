"""A one-hidden-layer network per competency set, in numpy: the non-linear half of the competency model.

Trained with `scripts/train_analysis.py --mlp-hidden 128`; when an artefact carries it (the shipped one does,
since heldout14), the score is the mean of the logistic heads (linear.py) and this network. It lifts recall
on answers told without the words a linear head leans on (docs/analysis-encoder.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass
class MlpHeads:
    mean: np.ndarray  # (d,) feature standardisation, as LinearHeads
    scale: np.ndarray  # (d,)
    w1: np.ndarray  # (d, hidden)
    b1: np.ndarray  # (hidden,)
    w2: np.ndarray  # (hidden, h)
    b2: np.ndarray  # (h,)

    def predict(self, x: np.ndarray) -> np.ndarray:
        hidden = np.maximum(((x - self.mean) / self.scale) @ self.w1 + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-np.clip(hidden @ self.w2 + self.b2, -30, 30)))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in ("mean", "scale", "w1", "b1", "w2", "b2")}


@dataclass(frozen=True)
class MlpOptions:
    hidden: int = 128
    l2: float = 1e-3
    dropout: float = 0.3
    epochs: int = 300
    lr: float = 0.01
    seed: int = 0
    # networks averaged (their logits); the shipped model has one (three measured CV F1 0.841 against 0.839)
    seeds: int = 1


def _adam(params: list[np.ndarray], grads: list[np.ndarray], state: list, t: int, lr: float) -> None:
    for p, g, (m, v) in zip(params, grads, state):
        m *= 0.9
        m += 0.1 * g
        v *= 0.999
        v += 0.001 * g * g
        p -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)


def fit_mlp(
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    opts: MlpOptions = MlpOptions(),
    scale_floor: float | np.ndarray = 1e-3,
) -> MlpHeads:
    """`opts.seeds` networks from different seeds, merged into one wider network whose output is the
    sigmoid of their mean logit (the hidden layers side by side, the output weights divided by their count),
    so an artefact stores and runs the average as one network."""
    nets = [fit_one(x, y, mask, replace(opts, seed=opts.seed + k), scale_floor) for k in range(opts.seeds)]
    if len(nets) == 1:
        return nets[0]
    return MlpHeads(
        nets[0].mean,
        nets[0].scale,
        np.concatenate([n.w1 for n in nets], axis=1),
        np.concatenate([n.b1 for n in nets]),
        np.concatenate([n.w2 for n in nets], axis=0) / len(nets),
        np.mean([n.b2 for n in nets], axis=0).astype(np.float32),
    )


def fit_one(
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray,
    opts: MlpOptions = MlpOptions(),
    scale_floor: float | np.ndarray = 1e-3,
) -> MlpHeads:
    """Full-batch Adam on the masked binary cross-entropy, with dropout on the hidden layer."""
    rng = np.random.default_rng(opts.seed)
    mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
    scale = np.maximum(x.std(axis=0, dtype=np.float64), scale_floor).astype(np.float32)
    xs = ((x - mean) / scale).astype(np.float32)
    n, d = xs.shape
    y, mask = y.astype(np.float32), mask.astype(np.float32)
    w1 = (rng.standard_normal((d, opts.hidden)) * np.sqrt(1 / d)).astype(np.float32)
    w2 = (rng.standard_normal((opts.hidden, y.shape[1])) * np.sqrt(1 / opts.hidden)).astype(np.float32)
    b1, b2 = np.zeros(opts.hidden, np.float32), np.zeros(y.shape[1], np.float32)
    params = [w1, b1, w2, b2]
    state = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    keep = 1.0 - opts.dropout
    for t in range(1, opts.epochs + 1):
        pre = xs @ w1 + b1
        drop = (rng.random(pre.shape) < keep).astype(np.float32) / keep
        hidden = np.maximum(pre, 0.0) * drop
        p = 1.0 / (1.0 + np.exp(-np.clip(hidden @ w2 + b2, -30, 30)))
        g = (p - y) * mask / n
        g_hidden = (g @ w2.T) * drop * (pre > 0)
        grads = [xs.T @ g_hidden + opts.l2 * w1, g_hidden.sum(0), hidden.T @ g + opts.l2 * w2, g.sum(0)]
        _adam(params, grads, state, t, opts.lr)
    return MlpHeads(mean, scale, w1, b1, w2, b2)
