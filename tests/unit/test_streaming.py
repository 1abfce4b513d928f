"""The streaming session's CPU policy on a scripted backend: what it hears depends on where in the stream
the window lies (samples carry their own index), so local agreement, endpointing and the bounded window
are checked exactly, without a model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from asr_engine.audio import SAMPLE_RATE
from asr_engine.backends.base import DecodeOptions
from asr_engine.streaming import Resampler, StreamEvent, StreamOptions, open_session
from asr_engine.types import ChunkResult, Segment, Word

# (start, end, word) in stream seconds: two utterances with a pause between them
SCRIPT = [
    (0.5 + 0.4 * i, 0.8 + 0.4 * i, w)
    for i, w in enumerate(["we", "sharded", "the", "orders", "table", "by", "user"])
]
SCRIPT += [(6.0 + 0.4 * i, 6.3 + 0.4 * i, w) for i, w in enumerate(["then", "we", "added", "a", "cache"])]


def stream(seconds: float) -> np.ndarray:
    """Sample i holds the value i (a fake: the backend reads where its window starts)."""
    return np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32)


class ScriptBackend:
    """Hears the script's words inside the window; the word still being spoken at the window's end comes
    out wrong (as a real model guesses a cut-off word), so only agreement makes it final."""

    name, batch_size = "script", 1

    def __init__(self) -> None:
        self.windows: list[float] = []

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        out = []
        for chunk in chunks:
            t0, t1 = chunk[0] / SAMPLE_RATE, (chunk[-1] + 1) / SAMPLE_RATE
            self.windows.append(t1 - t0)
            words = [
                Word(s - t0, min(e, t1) - t0, (" " + w) if e <= t1 - 0.05 else " ???")
                for s, e, w in SCRIPT
                if s >= t0 - 0.01 and s < t1
            ]
            text = "".join(w.text for w in words)
            segs = [Segment(words[0].start, words[-1].end, text, words)] if words else []
            out.append(ChunkResult(options.language or "en", segs))
        return out

    def detect_language(self, audio: np.ndarray) -> str | None:
        return "en"


def script_vad(samples: np.ndarray) -> list[tuple[float, float]]:
    t0 = samples[0] / SAMPLE_RATE
    t1 = t0 + len(samples) / SAMPLE_RATE
    spans = [(max(s, t0) - t0, min(e + 0.1, t1) - t0) for s, e, _w in SCRIPT if e > t0 and s < t1]
    return spans


def run(backend, audio: np.ndarray, frame_s: float = 0.1, **opts) -> list[StreamEvent]:
    session = open_session(backend, StreamOptions(vad=script_vad, **opts))
    events: list[StreamEvent] = []
    step = int(frame_s * SAMPLE_RATE)
    for i in range(0, len(audio), step):
        events += session.feed(audio[i : i + step])
    return events + session.finish()


def test_finals_are_what_successive_decodes_agree_on_and_never_a_guess():
    backend = ScriptBackend()
    events = run(backend, stream(9.0))
    finals = [e for e in events if e.type == "final"]
    assert " ".join(e.text for e in finals) == " ".join(w for _s, _e, w in SCRIPT)
    assert all("???" not in e.text for e in finals)
    assert any(e.type == "partial" for e in events)
    for a, b in zip(finals, finals[1:]):
        assert a.start <= a.end <= b.start <= b.end
    # the first utterance is settled at its pause, before the stream ends
    first_final_of_second = next(i for i, e in enumerate(events) if e.type == "final" and "cache" in e.text)
    assert any(e.type == "final" and "user" in e.text for e in events[:first_final_of_second])


def test_the_window_stays_bounded_and_the_stream_is_not_decoded_again():
    backend = ScriptBackend()
    long_script = [(0.2 + 0.4 * i, 0.5 + 0.4 * i, f"w{i}") for i in range(60)]  # 24 s, no pause
    SCRIPT[:], saved = long_script, list(SCRIPT)
    try:
        events = run(backend, stream(25.0), max_window_s=6.0)
    finally:
        SCRIPT[:] = saved
    finals = [e for e in events if e.type == "final"]
    assert " ".join(e.text for e in finals).split() == [w for _s, _e, w in long_script]
    assert max(backend.windows) <= 6.0 + 0.6
    assert sum(backend.windows) < 25.0 * 12  # each second is decoded a bounded number of times


def test_int16_bytes_are_accepted_and_silence_gives_nothing():
    backend = ScriptBackend()
    session = open_session(backend, StreamOptions(vad=lambda s: []))
    assert session.feed(np.zeros(SAMPLE_RATE, dtype="<i2").tobytes()) == []
    assert session.finish() == []
    assert backend.windows == []


def test_a_backend_with_its_own_streaming_is_used_as_is():
    class Native(ScriptBackend):
        def open_stream(self, options):
            return ("native", options)

    assert open_session(Native(), StreamOptions(language="zh"))[0] == "native"


def test_resampling_48k_to_16k_in_any_frame_sizes_keeps_a_tone():
    rate, seconds = 48000, 1.0
    t = np.arange(int(rate * seconds)) / rate
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    r = Resampler(rate)
    out = np.concatenate([r.process(tone[i : i + 1234]) for i in range(0, len(tone), 1234)])
    assert abs(len(out) - SAMPLE_RATE * seconds) <= 2
    expected = np.sin(2 * np.pi * 440 * np.arange(len(out)) / SAMPLE_RATE)
    assert np.corrcoef(out[100:-100], expected[100:-100])[0, 1] > 0.99


class WindowBackend(ScriptBackend):
    """Offers the cheap window decode (as Whisper does) and records what each call was told."""

    def __init__(self) -> None:
        super().__init__()
        self.contexts: list[str] = []
        self.starts: list[float] = []  # stream time where each window begins
        self.beams: list[int] = []  # the beam each window decode asked for
        self.batch_calls = 0

    def decode_window(
        self, samples: np.ndarray, language: str, context: str = "", beam_size: int = 1
    ) -> ChunkResult:
        self.contexts.append(context)
        self.starts.append(float(samples[0]) / SAMPLE_RATE)
        self.beams.append(beam_size)
        (result,) = ScriptBackend.transcribe_batch(self, [samples], DecodeOptions(language=language))
        return result

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        self.batch_calls += 1
        return ScriptBackend.transcribe_batch(self, chunks, options)


def test_settled_words_leave_the_window_and_come_back_as_the_next_decodes_context():
    backend = WindowBackend()
    long_script = [(0.2 + 0.4 * i, 0.5 + 0.4 * i, f"w{i}") for i in range(30)]  # 12 s, no pause
    SCRIPT[:], saved = long_script, list(SCRIPT)
    try:
        events = run(backend, stream(12.5), language="en", settled_window_s=2.0)
    finally:
        SCRIPT[:] = saved
    finals = [e for e in events if e.type == "final"]
    assert " ".join(e.text for e in finals).split() == [w for _s, _e, w in long_script]
    assert backend.batch_calls == 0  # the window decoder did all the work
    # no window holds more than 2 s of settled words (and the open ones)
    assert max(backend.windows) < 2.0 + 1.5
    said = [w for _s, _e, w in long_script]
    for context in backend.contexts:  # the settled text just before the window, in order
        words = context.split()[1:]  # (the oldest word may be cut by the length limit)
        if words:
            k = said.index(words[-1])
            assert said[k - len(words) + 1 : k + 1] == words
    assert backend.contexts[-1].split()[-1] in said[20:]


def test_settled_words_leave_the_window_at_a_clause_end():
    backend = WindowBackend()
    clauses = [(0.2 + 0.4 * i, 0.5 + 0.4 * i, f"w{i}," if i == 4 else f"w{i}") for i in range(15)]
    SCRIPT[:], saved = clauses, list(SCRIPT)
    try:
        run(backend, stream(6.5), language="en", settled_window_s=100.0)
    finally:
        SCRIPT[:] = saved
    comma_end = clauses[4][1]
    assert backend.starts[0] < comma_end
    assert any(abs(t - comma_end) < 0.01 for t in backend.starts)  # cut right after "w4,"
    assert all(t < 0.01 or abs(t - comma_end) < 0.01 or t > comma_end for t in backend.starts)


class GreedyMishears(WindowBackend):
    """Greedy decodes hear "cache" as "cash" (a misrecognition two decodes agree on); a beam hears it."""

    def decode_window(
        self, samples: np.ndarray, language: str, context: str = "", beam_size: int = 1
    ) -> ChunkResult:
        result = super().decode_window(samples, language, context, beam_size)
        if beam_size == 1:
            for seg in result.segments:
                seg.words = [Word(w.start, w.end, w.text.replace("cache", "cash")) for w in seg.words]
        return result


def test_an_utterance_is_finalised_at_its_pause_by_one_beam_decode_and_agreement_stays_greedy():
    backend = GreedyMishears()
    finals = [e.text for e in run(backend, stream(9.0), language="en") if e.type == "final"]
    assert " ".join(finals).split()[-1] == "cache"  # the endpoint's beam decode settled the last word
    # once per utterance (two of them), every other decode greedy
    assert backend.beams.count(StreamOptions().endpoint_beam_size) == 2
    assert set(backend.beams) == {1, 5}
    greedy = GreedyMishears()
    finals = [
        e.text for e in run(greedy, stream(9.0), language="en", endpoint_beam_size=1) if e.type == "final"
    ]
    assert " ".join(finals).split()[-1] == "cash" and set(greedy.beams) == {1}


def first_caption_at(**opts) -> float | None:
    """Stream time at which the first caption comes, fed in 50 ms frames."""
    session = open_session(ScriptBackend(), StreamOptions(vad=script_vad, language="en", **opts))
    audio, frame = stream(2.0), SAMPLE_RATE // 20
    for i in range(0, len(audio), frame):
        if session.feed(audio[i : i + frame]):
            return (i + frame) / SAMPLE_RATE
    return None


def test_the_first_caption_of_an_utterance_comes_after_a_quarter_second_not_a_full_step():
    # "we" starts at 0.5 s: a quarter second of it is shown (as a partial) at 0.75 s
    assert first_caption_at(first_step_s=0.25, step_s=1.0) == 0.75
    assert first_caption_at(first_step_s=1.0, step_s=1.0) == 1.0
