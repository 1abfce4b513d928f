"""Test helpers: write audio in any container with PyAV (no ffmpeg binary needed) and score transcripts."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np

# extension -> (container format, codec, sample rate)
FORMATS = {
    "wav": ("wav", "pcm_s16le", 16000),
    "mp3": ("mp3", "libmp3lame", 44100),
    "m4a": ("ipod", "aac", 44100),
    "aac": ("adts", "aac", 22050),
    "ogg": ("ogg", "libopus", 48000),
    "opus": ("ogg", "libopus", 48000),
    "flac": ("flac", "flac", 16000),
    "webm": ("webm", "libopus", 48000),
    "mp4": ("mp4", "aac", 48000),
}


def write_audio(path: Path, samples: np.ndarray, rate: int = 16000, *, fmt: str | None = None) -> Path:
    """Write mono (n,) or stereo (2, n) float samples at `rate` into the container the suffix names."""
    import av

    container, codec, out_rate = FORMATS[fmt or path.suffix.lstrip(".")]
    data = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    layout = "stereo" if data.shape[0] == 2 else "mono"
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=out_rate, layout=layout)
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=out_rate)
        step = rate  # feed one second at a time, as a recorder would
        for i in range(0, data.shape[1], step):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(data[:, i : i + step]), format="fltp", layout=layout
            )
            frame.rate = rate
            for rf in resampler.resample(frame):
                for packet in stream.encode(rf):
                    out.mux(packet)
        for rf in resampler.resample(None):
            for packet in stream.encode(rf):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _edit_distance(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _strip(text: str) -> str:
    return "".join(ch for ch in text.lower() if not unicodedata.category(ch).startswith(("P", "Z", "S")))


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = list(_strip(reference)), list(_strip(hypothesis))
    return _edit_distance(ref, hyp) / max(len(ref), 1)


def wer(reference: str, hypothesis: str) -> float:
    words = lambda t: re.findall(r"[a-z0-9']+", t.lower())  # noqa: E731
    ref, hyp = words(reference), words(hypothesis)
    return _edit_distance(ref, hyp) / max(len(ref), 1)
