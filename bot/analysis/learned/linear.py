"""Multi-label logistic regression in numpy: one sigmoid head per label over a shared feature matrix.

Small enough to train in seconds on the corpus and to ship as a few hundred KB. A label can be masked
out for an example (a competency that is `allowed` but not `required` is neither right nor wrong).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LinearHeads:
    mean: np.ndarray  # (d,) feature standardisation
    scale: np.ndarray  # (d,)
    weights: np.ndarray  # (d, h)
    bias: np.ndarray  # (h,)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(x), -30, 30)))


def fit(
    x: np.ndarray,
    y: np.ndarray,
    mask: np.ndarray | None = None,
    *,
    l2: float = 1.0,
    epochs: int = 300,
    lr: float = 0.05,
    pos_weight: float = 1.0,
    scale_floor: float | np.ndarray = 1e-3,
) -> LinearHeads:
    """Adam on the mean binary cross-entropy plus an L2 penalty (l2 / n per weight)."""
    n, d = x.shape
    h = y.shape[1]
    y = y.astype(np.float32)
    mask = np.ones_like(y) if mask is None else mask.astype(np.float32)
    mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
    # a floor on the scale keeps rare sparse features (n-grams) from being blown up to unit variance
    scale = np.maximum(x.std(axis=0, dtype=np.float64), scale_floor).astype(np.float32)
    xs = ((x - mean) / scale).astype(np.float32)
    xt = np.ascontiguousarray(xs.T)
    w = np.zeros((d, h), dtype=np.float32)
    b = np.zeros(h, dtype=np.float32)
    # start the bias at the label's base rate so the first steps do not fight it
    rate = np.clip((y * mask).sum(0) / np.maximum(mask.sum(0), 1), 1e-3, 1 - 1e-3)
    b[:] = np.log(rate / (1 - rate))
    sample = (mask * np.where(y > 0, pos_weight, 1.0)).astype(np.float32)
    decay = np.float32(l2 / n)
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    for t in range(1, epochs + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(xs @ w + b, -30, 30)))
        g = ((p - y) * sample / n).astype(np.float32)
        gw = xt @ g + decay * w
        gb = g.sum(0)
        m_w = 0.9 * m_w + 0.1 * gw
        v_w = 0.999 * v_w + 0.001 * gw * gw
        m_b = 0.9 * m_b + 0.1 * gb
        v_b = 0.999 * v_b + 0.001 * gb * gb
        corr1, corr2 = 1 - 0.9**t, 1 - 0.999**t
        w -= lr * (m_w / corr1) / (np.sqrt(v_w / corr2) + 1e-8)
        b -= lr * (m_b / corr1) / (np.sqrt(v_b / corr2) + 1e-8)
    return LinearHeads(mean, scale, w.astype(np.float32), b.astype(np.float32))
