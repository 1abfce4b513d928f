"""Interviewer vs candidate on real recognised speech: the two-voice sample, mono and as a stereo call."""

from __future__ import annotations

import json

import numpy as np
import pytest
from audiotools import write_audio
from helpers import FIXTURES, SAMPLE

from asr_engine.audio import decode
from bot.analysis import analyze, transcript_from_text
from bot.analysis.roles import assign_roles, text_cue

SCRIPT = json.loads((FIXTURES / "interview_zh.script.json").read_text())


def true_speaker(start: float, end: float) -> str:
    mid = (start + end) / 2
    return min(
        SCRIPT,
        key=lambda u: (
            0
            if u["start"] - 0.3 <= mid <= u["end"] + 0.3
            else min(abs(mid - u["start"]), abs(mid - u["end"]))
        ),
    )["speaker"]


def accuracy(analysis) -> float:
    segs = analysis.utterances
    return sum(u.speaker == true_speaker(u.start, u.end) for u in segs) / len(segs)


@pytest.mark.slow
def test_two_voice_mono_recording(whisper_engine):
    analysis = analyze(whisper_engine.transcribe(SAMPLE))
    assert accuracy(analysis) >= 0.85


@pytest.mark.slow
def test_stereo_call_one_speaker_per_side(tmp_path, whisper_engine):
    mono = decode(SAMPLE).samples
    left, right = np.zeros_like(mono), np.zeros_like(mono)
    for u in SCRIPT:
        a, b = int((u["start"] - 0.2) * 16000), int((u["end"] + 0.2) * 16000)
        (left if u["speaker"] == "interviewer" else right)[a:b] = mono[a:b]
    path = write_audio(tmp_path / "call.m4a", np.stack([left, right]))
    transcript = whisper_engine.transcribe(path)
    assert transcript.channels == 2
    assert sum(s.channel is not None for s in transcript.segments) >= 0.7 * len(transcript.segments)
    assert accuracy(analyze(transcript)) >= 0.9


def test_text_cues():
    assert text_cue("能讲讲你做过最有挑战的项目吗？") > 0
    assert text_cue("Can you walk me through the design?") > 0
    assert text_cue("我主导了订单系统的重构，把单体服务拆成了微服务，用消息队列做削峰。") < 0
    assert text_cue("I led the migration of our payment service to Kafka last year.") < 0


def test_turn_taking_without_any_cue_alternates_after_a_question():
    roles = assign_roles(
        ["你做过什么项目？", "做过一个支付系统", "后来呢", "后来上线了"], [0, 3, 6, 8], [2, 5, 7, 9]
    )
    assert roles[:2] == ["interviewer", "candidate"]


def test_prefixed_text_transcript_keeps_the_given_roles():
    transcript, roles = transcript_from_text(
        "面试官：介绍一下你自己\n候选人：我是后端工程师\nQ: why?\nA: because"
    )
    assert roles == ["interviewer", "candidate", "interviewer", "candidate"]
