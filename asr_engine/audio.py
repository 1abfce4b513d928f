"""Decode any container to 16 kHz mono float32 with PyAV, streaming, with clear errors for bad input.

Stereo recordings (one speaker per side is common for phone and meeting exports) are mixed down for
recognition, but a coarse per-channel energy envelope is kept so later stages can tell which side
spoke without holding the whole stereo signal in memory.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import AudioInputError

SAMPLE_RATE = 16000
ENERGY_HOP_S = 0.1  # resolution of the per-channel energy envelope

# What counts as a recording, for every edge (chat uploads, the batch folder): the containers PyAV decodes
# that recorders, phones and meeting tools export. The one list; decoding still checks the content.
RECORDING_SUFFIXES = frozenset(
    {
        ".wav",
        ".mp3",
        ".m4a",
        ".aac",
        ".ogg",
        ".opus",
        ".flac",
        ".webm",
        ".amr",
        ".wma",
        ".mp4",
        ".m4v",
        ".mov",
        ".mkv",
        ".mpg",
    }
)


def is_recording(filename: str | None, mimetype: str | None = None) -> bool:
    """A recording by its declared type (audio/*, video/*) or its file name's suffix."""
    if (mimetype or "").lower().startswith(("audio/", "video/")):
        return True
    return Path(filename or "").suffix.lower() in RECORDING_SUFFIXES


@dataclass
class DecodedAudio:
    samples: np.ndarray  # float32, mono, SAMPLE_RATE
    channels: int  # channels in the source
    channel_energy: np.ndarray | None  # (channels, frames) RMS per ENERGY_HOP_S for stereo sources
    source_format: str

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def _fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n} B"


def check_readable(path: Path, max_bytes: int | None, name: str | None = None) -> int:
    """Fail early, in one sentence, on paths that cannot be audio at all. `name`: how to call the file in
    messages (an upload kept under a temporary name is still called what the user called it)."""
    name = name or path.name
    if not path.exists():
        raise AudioInputError(f"{path} does not exist")
    if path.is_dir():
        raise AudioInputError(f"{path} is a directory, not an audio file")
    if not os.access(path, os.R_OK):
        raise AudioInputError(f"cannot read {path}: permission denied")
    size = path.stat().st_size
    if size == 0:
        raise AudioInputError(f"{name} is empty (0 bytes)")
    if max_bytes is not None and size > max_bytes:
        raise AudioInputError(f"{name} is {_fmt_bytes(size)}; the upload limit is {_fmt_bytes(max_bytes)}")
    return size


def _check_riff_header(path: Path, size: int, name: str) -> None:
    """A WAV header that promises far more data than the file holds means truncation or corruption."""
    with path.open("rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return
        pos = 12
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return
            cid, csize = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            pos += 8
            if cid == b"data":
                held = size - pos
                if csize > held + 1:
                    raise AudioInputError(
                        f"{name} is truncated or corrupt: its WAV header promises "
                        f"{_fmt_bytes(csize)} of audio but the file holds {_fmt_bytes(held)}"
                    )
                return
            pos += csize + (csize & 1)
            fh.seek(pos)


def _open(path: Path, max_duration_s: float | None, max_bytes: int | None, name: str | None = None):
    """Open a container and find its audio stream, refusing bad input early; (container, stream,
    claimed s)."""
    import av

    name = name or path.name
    size = check_readable(path, max_bytes, name)
    _check_riff_header(path, size, name)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise AudioInputError(f"{name} is not a readable audio or video file ({_short(exc)})") from None
    stream = next((s for s in container.streams if s.type == "audio"), None)
    if stream is None:
        container.close()
        raise AudioInputError(f"{name} has no audio track")
    claimed = None
    if container.duration:
        claimed = container.duration / 1_000_000
    elif stream.duration and stream.time_base:
        claimed = float(stream.duration * stream.time_base)
    if max_duration_s is not None and claimed is not None and claimed > max_duration_s:
        container.close()
        raise AudioInputError(
            f"{name} is {_fmt_duration(claimed)} long; the limit is {_fmt_duration(max_duration_s)}"
        )
    return container, stream, claimed


def probe(
    path: str | os.PathLike[str],
    *,
    max_duration_s: float | None = None,
    max_bytes: int | None = None,
    name: str | None = None,
) -> float | None:
    """Check that `path` is usable audio without decoding it; returns the duration the container claims."""
    container, _stream, claimed = _open(Path(path), max_duration_s, max_bytes, name)
    container.close()
    return claimed


def decode(
    path: str | os.PathLike[str],
    *,
    max_duration_s: float | None = None,
    max_bytes: int | None = None,
    name: str | None = None,
) -> DecodedAudio:
    """Decode `path` to 16 kHz mono float32; raises AudioInputError with one clear sentence that calls the
    file `name` (default: its file name)."""
    path = Path(path)
    name = name or path.name
    container, stream, claimed = _open(path, max_duration_s, max_bytes, name)
    with container:
        n_channels = stream.codec_context.channels or 1
        samples, energy = _decode_stream(container, stream, n_channels, name, max_duration_s)
        fmt = container.format.name

    decoded_s = len(samples) / SAMPLE_RATE
    if claimed and claimed > 2.0 and decoded_s < 0.8 * claimed and claimed - decoded_s > 2.0:
        raise AudioInputError(
            f"{name} is truncated: the container says {_fmt_duration(claimed)} "
            f"but only {_fmt_duration(decoded_s)} of audio could be decoded"
        )
    if len(samples) == 0:
        raise AudioInputError(f"{name} contains no decodable audio")
    return DecodedAudio(
        samples=samples,
        channels=n_channels,
        channel_energy=energy if n_channels > 1 else None,
        source_format=fmt,
    )


def _decode_stream(container, stream, n_channels: int, name: str, max_duration_s: float | None):
    import av

    layout = "stereo" if n_channels >= 2 else "mono"
    resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
    hop = int(ENERGY_HOP_S * SAMPLE_RATE)
    limit = int(max_duration_s * SAMPLE_RATE) if max_duration_s is not None else None
    mono_parts: list[np.ndarray] = []
    energy_parts: list[np.ndarray] = []
    carry = np.zeros((2, 0), dtype=np.float32)  # stereo samples not yet filling a whole energy hop
    total = 0

    def consume(frames) -> None:
        nonlocal total, carry
        for frame in frames:
            data = frame.to_ndarray().astype(np.float32, copy=False)
            if data.ndim == 1:
                data = data[None, :]
            mono_parts.append(data.mean(axis=0) if data.shape[0] > 1 else data[0].copy())
            if data.shape[0] > 1:
                carry = np.concatenate([carry, data[:2]], axis=1)
                whole = carry.shape[1] // hop * hop
                if whole:
                    block = carry[:, :whole].reshape(2, -1, hop)
                    energy_parts.append(np.sqrt((block**2).mean(axis=2)))
                    carry = carry[:, whole:]
            total += data.shape[1]

    try:
        for packet in container.demux(stream):
            for frame in packet.decode():
                consume(resampler.resample(frame))
            if limit is not None and total > limit:
                raise AudioInputError(
                    f"{name} is longer than the limit of {_fmt_duration(max_duration_s or 0)}"
                )
        consume(resampler.resample(None))
    except av.error.FFmpegError as exc:
        if total < SAMPLE_RATE:
            raise AudioInputError(f"{name} is not a readable audio file ({_short(exc)})") from None
        raise AudioInputError(
            f"{name} is corrupt or truncated after {_fmt_duration(total / SAMPLE_RATE)} ({_short(exc)})"
        ) from None
    samples = np.concatenate(mono_parts) if mono_parts else np.zeros(0, dtype=np.float32)
    energy = np.concatenate(energy_parts, axis=1) if energy_parts else None
    return samples, energy


def _short(exc: BaseException) -> str:
    text = str(exc).split(":")[0] if isinstance(exc, UnicodeDecodeError) else str(exc)
    # PyAV messages end with the path; the user already knows which file it is.
    return text.split(";")[0].split(": '")[0].strip()[:120]


def dominant_channel(energy: np.ndarray | None, start: float, end: float, ratio: float = 2.0) -> int | None:
    """Which side of a stereo recording carries a span, if one clearly dominates (else None)."""
    if energy is None or energy.shape[0] < 2:
        return None
    a, b = int(start / ENERGY_HOP_S), max(int(end / ENERGY_HOP_S), int(start / ENERGY_HOP_S) + 1)
    left, right = float(energy[0, a:b].mean() if b > a else 0), float(energy[1, a:b].mean() if b > a else 0)
    if left > ratio * right:
        return 0
    if right > ratio * left:
        return 1
    return None
