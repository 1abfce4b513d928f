"""Every container a chat platform hands us decodes to 16 kHz mono float32; stereo sides stay knowable."""

from __future__ import annotations

import numpy as np
import pytest
from audiotools import FORMATS, write_audio

from asr_engine.audio import SAMPLE_RATE, decode, dominant_channel


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_each_container_decodes_to_16k_mono_float32(tmp_path, zh_samples, ext):
    path = write_audio(tmp_path / f"clip.{ext}", zh_samples)
    audio = decode(path)
    assert audio.samples.dtype == np.float32
    assert audio.samples.ndim == 1
    assert audio.duration_s == pytest.approx(len(zh_samples) / SAMPLE_RATE, abs=0.15)
    assert 0.05 < float(np.abs(audio.samples).max()) <= 1.5


def test_slack_voice_clip_named_mp4_is_audio(tmp_path, zh_samples):
    # Slack voice clips arrive as MP4/AAC named audio_message*.mp4, sometimes labelled video/mp4.
    path = write_audio(tmp_path / "audio_message_2b1e.mp4", zh_samples)
    assert decode(path).duration_s > 5


def test_stereo_keeps_which_side_spoke(tmp_path, zh_samples):
    n = len(zh_samples)
    left = np.concatenate([zh_samples, np.zeros(n, np.float32)])
    right = np.concatenate([np.zeros(n, np.float32), zh_samples])
    audio = decode(write_audio(tmp_path / "call.m4a", np.stack([left, right])))
    assert audio.channels == 2
    half = n / SAMPLE_RATE
    assert dominant_channel(audio.channel_energy, 0.5, half - 0.5) == 0
    assert dominant_channel(audio.channel_energy, half + 0.5, 2 * half - 0.5) == 1
    # mixed down for recognition, nothing lost
    assert audio.duration_s == pytest.approx(2 * half, abs=0.15)


def test_three_hour_file_decodes_without_float64_blowup(tmp_path):
    # 3 h of 8 kHz mono PCM written quickly as a WAV; decoding must stay float32 and streaming.
    import wave

    path = tmp_path / "long.wav"
    second = (np.sin(np.arange(8000) / 8000 * 2 * np.pi * 220) * 3000).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        for _ in range(3 * 3600 // 60):
            w.writeframes(second * 60)
    audio = decode(path)
    assert audio.samples.dtype == np.float32
    assert audio.duration_s == pytest.approx(3 * 3600, abs=1)
    assert audio.samples.nbytes == pytest.approx(3 * 3600 * SAMPLE_RATE * 4, rel=0.01)
