"""Bad input gets one clear sentence (exit code 2 on the CLI) and never a crash or a traceback."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from audiotools import write_audio

from asr_engine import AudioInputError
from asr_engine.audio import decode


def assert_one_line_error(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error:"), proc.stderr  # refused before any engine
    for needle in needles:
        assert needle in errors[0]


def test_empty_file(cli, tmp_path, cli_env):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert_one_line_error(cli(cli_env, "transcribe", path), "empty.wav is empty")


def test_text_file_named_wav(cli, tmp_path, cli_env):
    path = tmp_path / "notes.wav"
    path.write_text("candidate notes: strong on Redis\n" * 20)
    assert_one_line_error(cli(cli_env, "transcribe", path), "notes.wav is not a readable audio")


def test_truncated_m4a(cli, tmp_path, zh_samples, cli_env):
    good = write_audio(tmp_path / "good.m4a", np.tile(zh_samples, 3))
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_one_line_error(cli(cli_env, "transcribe", cut), "cut.m4a")


def test_truncated_wav_is_reported_not_silently_shortened(tmp_path, zh_samples):
    good = write_audio(tmp_path / "good.wav", np.tile(zh_samples, 4))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(AudioInputError, match="truncated"):
        decode(cut)


def test_wav_header_claiming_4_gb(cli, tmp_path, cli_env):
    path = tmp_path / "huge.wav"
    pcm = (np.random.default_rng(0).standard_normal(16000) * 1000).astype("<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    header += b"data" + struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(header + pcm)
    assert_one_line_error(cli(cli_env, "transcribe", path), "huge.wav is truncated or corrupt", "4.0 GB")


def test_file_over_the_duration_limit(cli, tmp_path, cli_env):
    path = write_audio(tmp_path / "ten_hours.flac", np.zeros(16000 * 20, np.float32))
    env = dict(cli_env, IB_MAX_AUDIO_SECONDS="10")
    assert_one_line_error(
        cli(env, "transcribe", path), "ten_hours.flac is 0:00:20 long; the limit is 0:00:10"
    )


def test_ten_hour_wav_refused_before_decoding(tmp_path):
    # A real 10-hour header (sparse file: no disk cost); the check uses the container's own duration.
    path = tmp_path / "ten_hours.wav"
    n_bytes = 10 * 3600 * 16000 * 2
    header = b"RIFF" + struct.pack("<I", 36 + n_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    header += b"data" + struct.pack("<I", n_bytes)
    with path.open("wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + n_bytes)
    with pytest.raises(AudioInputError, match=r"is 10:00:00 long; the limit is 4:00:00"):
        decode(path, max_duration_s=4 * 3600)


def test_file_over_the_size_limit(cli, tmp_path, zh_samples, cli_env):
    path = write_audio(tmp_path / "big.wav", zh_samples)
    env = dict(cli_env, IB_MAX_UPLOAD_BYTES="1000")
    assert_one_line_error(cli(env, "transcribe", path), "big.wav is", "the upload limit is")


def test_missing_path_and_directory(cli, tmp_path, cli_env):
    assert_one_line_error(cli(cli_env, "transcribe", tmp_path / "nope.m4a"), "does not exist")
    assert_one_line_error(cli(cli_env, "transcribe", tmp_path), "is a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(cli, tmp_path, zh_samples, cli_env):
    path = write_audio(tmp_path / "locked.wav", zh_samples)
    path.chmod(0)
    assert_one_line_error(cli(cli_env, "transcribe", path), "permission denied")


@pytest.mark.slow  # the good file is transcribed by Whisper
def test_one_bad_file_does_not_lose_the_good_ones(cli, tmp_path, zh_samples, cli_env):
    good = write_audio(tmp_path / "good.flac", zh_samples)
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    proc = cli(cli_env, "transcribe", bad, good)
    assert proc.returncode == 2
    assert "bad.wav is not a readable audio" in proc.stderr
    assert "订单" in proc.stdout or "系统" in proc.stdout


@pytest.mark.slow
def test_pure_silence_is_an_empty_transcript_not_an_error(tmp_path, whisper_engine):
    path = write_audio(tmp_path / "silence.wav", np.zeros(16000 * 8, np.float32))
    transcript = whisper_engine.transcribe(path)
    assert transcript.segments == []
    assert transcript.duration_s == pytest.approx(8, abs=0.05)


@pytest.mark.slow
def test_white_noise_does_not_crash_or_invent_speech(tmp_path, whisper_engine):
    noise = np.random.default_rng(1).standard_normal(16000 * 8).astype(np.float32) * 0.1
    transcript = whisper_engine.transcribe(write_audio(tmp_path / "noise.wav", noise))
    assert len(transcript.text) < 20
