"""The issue's interview workload, built from the speech this repository ships, and a GPU memory probe.

24 recordings, 3 h 42 min in all (the published reference: 24 interviews, 11.3 s on one RTX 3090), each
6 to 13 minutes long. Each is a different shuffle of the shipped clips (samples/*.m4a: Mandarin
interviews; tests/fixtures: Mandarin and real English speech), every clip perturbed on its own (speed
0.9-1.1 by resampling, gain -6..+3 dB, noise at 30-40 dB SNR) and separated by 0.3-1.5 s pauses, so
no two recordings share a content hash and the VAD sees interview-like pauses. `scale` shrinks every
duration for CPU runs that only prove the commands.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

SOURCES = [
    ROOT / "samples" / "interview_zh.m4a",
    ROOT / "samples" / "interview_zh_round2.m4a",
    ROOT / "samples" / "interview_zh_round3.m4a",
    ROOT / "tests" / "fixtures" / "zh_short.flac",
    ROOT / "tests" / "fixtures" / "en_two_cities.ogg",
]
SR = 16000
RECORDINGS = 24
TOTAL_S = 3 * 3600 + 42 * 60  # 13,320 s


@dataclass(frozen=True)
class Recording:
    path: Path
    seconds: float


def durations(n: int = RECORDINGS, total_s: float = TOTAL_S) -> list[float]:
    """n lengths spread evenly from 0.6x to 1.4x of the mean, summing to total_s."""
    mean = total_s / n
    return [mean * (0.6 + 0.8 * i / max(1, n - 1)) for i in range(n)]


def _perturb(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    speed = rng.uniform(0.9, 1.1)
    positions = np.arange(0, len(clip) - 1, speed)
    out = np.interp(positions, np.arange(len(clip)), clip).astype(np.float32)
    out *= 10 ** (rng.uniform(-6, 3) / 20)
    power = float(np.mean(out**2)) or 1e-8
    noise = rng.standard_normal(len(out)).astype(np.float32) * np.sqrt(
        power / 10 ** (rng.uniform(30, 40) / 10)
    )
    return np.clip(out + noise, -1, 1)


def build(
    folder: Path,
    n: int = RECORDINGS,
    total_s: float = TOTAL_S,
    seed: int = 17,
    clips: list[Path] | None = None,
) -> list[Recording]:
    """Write the workload as 16 kHz FLAC files into `folder` (reused if already there). With `clips`
    (.npy files of 16 kHz samples, e.g. from `bench/live.py --save-samples`) the sources are those and
    the recordings are .npy files: a machine without PyAV (the lent GPU) can build and read them."""
    folder.mkdir(parents=True, exist_ok=True)
    if clips:
        sources = [np.load(p).astype(np.float32) for p in clips]
        write, suffix = (lambda path, samples: np.save(path, samples.astype(np.float32))), "npy"
    else:
        from audiotools import write_audio

        from asr_engine.audio import decode

        sources, write, suffix = [decode(p).samples for p in SOURCES], write_audio, "flac"
    return _write_recordings(folder, n, total_s, seed, sources, write, suffix)


def _write_recordings(folder, n, total_s, seed, clips, write, suffix) -> list[Recording]:
    rng = np.random.default_rng(seed)
    out = []
    for i, seconds in enumerate(durations(n, total_s)):
        path = folder / f"interview_{i:02d}_{int(seconds)}s.{suffix}"
        if not path.exists():
            parts, length = [], 0
            while length < seconds * SR:
                clip = _perturb(clips[int(rng.integers(len(clips)))], rng)
                gap = np.zeros(int(rng.uniform(0.3, 1.5) * SR), np.float32)
                parts += [clip, gap]
                length += len(clip) + len(gap)
            write(path, np.concatenate(parts)[: int(seconds * SR)])
        out.append(Recording(path, seconds))
    return out


def transcribe(engine, rec: Recording, language: str = "zh"):
    """A workload recording through `engine`; a .npy one as samples (no container to decode)."""
    if rec.path.suffix == ".npy":
        from asr_engine.audio import DecodedAudio

        audio = DecodedAudio(np.load(rec.path).astype(np.float32), 1, None, "npy")
        return engine.transcribe_audio(audio, language=language)
    return engine.transcribe(rec.path, language=language)


class GpuMemory:
    """Peak device memory in use while the block runs, from nvidia-smi (it sees vLLM's engine process
    too, and its preallocated KV cache); None where there is no nvidia-smi."""

    def __init__(self, every_s: float = 0.25) -> None:
        self.every_s = every_s
        self.peak_mib: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                line = subprocess.run(
                    ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                ).stdout.strip()
                self.peak_mib = max(self.peak_mib or 0.0, float(line.splitlines()[0]))
            except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
                return
            self._stop.wait(self.every_s)

    def __enter__(self) -> GpuMemory:
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


def card_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    except ImportError:
        pass
    import platform

    return f"CPU ({platform.processor() or platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores)"
