"""Long audio is cut into chunks of at most 30 s on silences and merged back onto one timeline."""

from __future__ import annotations

import numpy as np

from asr_engine.engine import merge_chunks
from asr_engine.types import ChunkResult, Segment, Word
from asr_engine.vad import Chunk, plan_chunks, speech_spans


def test_spans_group_into_chunks_without_cutting_speech():
    spans = [(0.5, 8.0), (9.0, 20.0), (21.0, 29.0), (31.0, 40.0), (40.5, 55.0)]
    chunks = plan_chunks(spans, max_chunk_s=30)
    assert chunks == [Chunk(0.5, 29.0), Chunk(31.0, 55.0)]
    assert all(c.duration <= 30 for c in chunks)


def test_a_span_longer_than_the_cap_is_split():
    chunks = plan_chunks([(0.0, 75.0)], max_chunk_s=30)
    assert [c.duration for c in chunks] == [30.0, 30.0, 15.0]
    assert chunks[0].end == chunks[1].start


def test_vad_finds_speech_and_skips_silence(zh_samples):
    audio = np.concatenate([np.zeros(16000 * 5, np.float32), zh_samples, np.zeros(16000 * 5, np.float32)])
    spans = speech_spans(audio)
    assert spans, "speech not found"
    assert spans[0][0] > 4.0 and spans[-1][1] < 5.0 + len(zh_samples) / 16000 + 0.6


def test_merge_shifts_clamps_and_keeps_order():
    chunks = [Chunk(10.0, 20.0), Chunk(20.0, 30.0)]
    results = [
        ChunkResult(
            "zh",
            [
                Segment(0.0, 9.0, "第一句", [Word(0.0, 1.0, "第一")]),
                Segment(8.5, 12.0, "越界", [Word(8.5, 12.0, "越界")]),
            ],
        ),
        ChunkResult("zh", [Segment(-0.5, 4.0, "第二句", [Word(-0.5, 1.0, "第二")]), Segment(5, 5, "", [])]),
    ]
    merged = merge_chunks(chunks, results, duration_s=28.0)
    assert [s.text for s in merged] == ["第一句", "越界", "第二句"]
    assert merged[0].start == 10.0 and merged[1].end == 20.0  # clamped to its chunk
    assert merged[2].start >= merged[1].end
    for seg in merged:
        for w in seg.words:
            assert seg.start <= w.start <= w.end <= seg.end


def test_speech_no_segment_covers_is_found_for_a_second_pass():
    from asr_engine.engine import uncovered_spans

    spans = [(0.0, 5.0), (6.0, 9.0), (9.5, 9.8), (20.0, 25.0)]
    chunks = [Chunk(0.0, 9.8), Chunk(20.0, 25.0)]
    results = [
        ChunkResult("zh", [Segment(0.1, 4.9, "第一句")]),
        ChunkResult("zh", [Segment(0.0, 5.0, "第三句")]),
    ]
    # 6-9 s was heard by the VAD but nothing was recognised there; 9.5-9.8 is too short to matter
    assert uncovered_spans(spans, chunks, results) == [(6.0, 9.0)]
