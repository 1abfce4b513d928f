"""Real transcription with the bundled Whisper engine on the shipped Mandarin and English clips."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from audiotools import cer, wer, write_audio
from conftest import FIXTURES, SAMPLE

from asr_engine.engine import to_simplified

pytestmark = pytest.mark.slow

# Bounds sit above what Whisper base int8 measured on these clips (see docs/benchmarks.md / closing note) so a
# regression in decoding, chunking or merging shows, while model noise does not.
ZH_CER_MAX = 0.30
EN_WER_MAX = 0.10
SAMPLE_CER_MAX = 0.30


def test_mandarin_clip_accuracy_and_simplified_script(whisper_engine):
    transcript = whisper_engine.transcribe(FIXTURES / "zh_short.flac")
    reference = (FIXTURES / "zh_short.txt").read_text().strip()
    assert transcript.language == "zh"
    assert cer(reference, transcript.text) <= ZH_CER_MAX, transcript.text
    assert to_simplified(transcript.text) == transcript.text  # no Traditional characters left


def test_english_clip_accuracy(whisper_engine):
    transcript = whisper_engine.transcribe(FIXTURES / "en_two_cities.ogg")
    reference = (FIXTURES / "en_two_cities.txt").read_text()
    assert transcript.language == "en"
    assert wer(reference, transcript.text) <= EN_WER_MAX, transcript.text


def test_forced_language(whisper_engine):
    transcript = whisper_engine.transcribe(FIXTURES / "zh_short.flac", language="zh")
    assert transcript.language == "zh"
    assert "分库分表" in transcript.text


def test_sample_interview_words_are_timed_inside_their_segments(whisper_engine):
    transcript = whisper_engine.transcribe(SAMPLE)
    script = json.loads((FIXTURES / "interview_zh.script.json").read_text())
    assert cer("".join(u["text"] for u in script), transcript.text) <= SAMPLE_CER_MAX
    assert transcript.duration_s == pytest.approx(script[-1]["end"] + 0.8, abs=0.5)
    for seg in transcript.segments:
        assert seg.start <= seg.end
        assert seg.confidence is not None and 0 < seg.confidence <= 1
        for word in seg.words:
            assert seg.start <= word.start <= word.end <= seg.end
            assert 0 <= word.probability <= 1
    # the candidate's first answer starts after the interviewer's question, within a second
    first_answer = script[1]
    assert any(abs(s.start - first_answer["start"]) < 1.0 for s in transcript.segments)


def test_long_file_timestamps_monotonic_and_cover_the_whole_recording(tmp_path, whisper_engine, zh_samples):
    # ~2.5 minutes: the clip repeated with irregular silences, so chunks must be cut on silences.
    rng = np.random.default_rng(7)
    parts = []
    for _ in range(20):
        parts += [np.zeros(int(16000 * rng.uniform(0.6, 3.0)), np.float32), zh_samples]
    audio = np.concatenate(parts)
    path = write_audio(tmp_path / "long.flac", audio)
    events = []
    transcript = whisper_engine.transcribe(
        path, progress=lambda stage, done, total: events.append((stage, done, total))
    )
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)
    ends = [s.end for s in transcript.segments]
    assert all(a <= b for a, b in zip(ends, starts[1:]))  # no overlap across chunk boundaries
    assert transcript.timings["chunks"] >= 5  # really chunked (each chunk at most 30 s)
    assert transcript.segments[0].start < 3.5
    assert transcript.segments[-1].end > transcript.duration_s - 4.0
    assert transcript.text.count("分库分表") >= 15  # every repetition recognised, none lost at a boundary
    done = [e for e in events if e[0] == "transcribing"]
    assert done[-1][1] == done[-1][2] == transcript.timings["chunks"]


def test_cli_json_output(cli_env):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--verbose", "transcribe", "--json", FIXTURES / "zh_short.flac"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {"language", "duration_s", "segments", "engine", "timings", "text"}
    assert data["engine"] == "whisper"
    assert data["segments"][0]["words"][0].keys() >= {"start", "end", "text", "probability"}
    assert "engine: whisper" in proc.stderr  # which engine ran is said with --verbose only


def test_cli_text_output_has_timestamps(cli_env):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "transcribe", "--language", "en", FIXTURES / "en_two_cities.ogg"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("[00:0") and "best of times" in first
