"""Cheap per-segment voice features (pitch, brightness) so later stages can tell two speakers apart
without a diarization model. Numpy only; about a millisecond per second of audio."""

from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE

FRAME = 640  # 40 ms
HOP = 320
F0_MIN, F0_MAX = 60.0, 400.0


def _frames(x: np.ndarray) -> np.ndarray:
    if len(x) < FRAME:
        return np.zeros((0, FRAME), np.float32)
    n = 1 + (len(x) - FRAME) // HOP
    idx = np.arange(FRAME)[None, :] + HOP * np.arange(n)[:, None]
    return x[idx]


def voice_features(x: np.ndarray) -> list[float] | None:
    """[median F0 in Hz, spectral centroid in Hz, voiced fraction] of a span, or None if too little voice."""
    frames = _frames(np.asarray(x, np.float32))
    if len(frames) == 0:
        return None
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = (frames**2).mean(axis=1)
    loud = energy > max(1e-6, 0.1 * np.median(energy[energy > 0]) if np.any(energy > 0) else 1e-6)
    frames = frames[loud]
    if len(frames) < 5:
        return None
    windowed = frames * np.hanning(FRAME)[None, :]
    spec = np.fft.rfft(windowed, n=2 * FRAME, axis=1)
    power = np.abs(spec) ** 2
    ac = np.fft.irfft(power, axis=1)[:, :FRAME]
    ac = ac / np.maximum(ac[:, :1], 1e-12)
    lo, hi = int(SAMPLE_RATE / F0_MAX), int(SAMPLE_RATE / F0_MIN)
    lags = np.argmax(ac[:, lo:hi], axis=1) + lo
    peaks = ac[np.arange(len(ac)), lags]
    voiced = peaks > 0.45
    freqs = np.fft.rfftfreq(2 * FRAME, 1 / SAMPLE_RATE)
    centroid = float(np.median((power * freqs).sum(axis=1) / np.maximum(power.sum(axis=1), 1e-12)))
    if voiced.sum() < 3:
        return None
    f0 = float(np.median(SAMPLE_RATE / lags[voiced]))
    return [round(f0, 1), round(centroid, 1), round(float(voiced.mean()), 3)]
