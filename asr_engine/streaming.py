"""Streaming recognition: feed PCM as it arrives, get partial and final captions.

A session is the unit: `open_session(backend, StreamOptions(...))` returns an object with
`feed(pcm) -> list[StreamEvent]` and `finish() -> list[StreamEvent]`, usable without any server. Times are
seconds of stream time (samples fed so far / 16 kHz). Finals are never revised; a partial is the
utterance in progress and is replaced by the next partial or final.

Two ways to get there, one API:
* A backend that streams natively (qwen-asr's streaming on a GPU) offers `open_stream(options)` returning
  its own object with the same `feed`/`finish`; `open_session` hands that back unchanged.
* Every other backend gets `AgreementSession`, the CPU policy: the not-yet-final audio is kept in a
  window bounded in seconds and decoded again every `step_s` (every `first_step_s` while the utterance
  shows nothing yet, so the first caption comes early); words two successive decodes agree on (local
  agreement) become final and leave the window at the next clause end, so a decode's cost follows the
  open words, not the utterance. VAD endpointing finalises an utterance when the speaker pauses, and the
  window is cut there. A backend offering `decode_window(samples, language, context, beam_size)` (Whisper:
  the window encoded at its own length, greedy, the final text before the window as its prompt) gets that
  instead of the offline `transcribe_batch`; the decode at an endpoint, whose words become final without
  a second opinion, asks it for a beam (`endpoint_beam_size`), once per utterance.

Sessions on one backend share it; put a `BatchingBackend` in front and concurrent sessions' windows are
recognised in one call where the backend batches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

from .audio import SAMPLE_RATE
from .backends.base import Backend, DecodeOptions
from .types import Segment, Word

CLAUSE_END = tuple(",，。.!！?？;；:：、")
CONTEXT_CHARS = 120  # settled text handed to a window decoder as what was said just before
Vad = Callable[[np.ndarray], list[tuple[float, float]]]  # samples -> speech spans in seconds
TextHook = Callable[[str, str], str]  # (text, language) -> text as shown


@dataclass
class StreamEvent:
    type: str  # "partial" | "final"
    text: str
    start: float
    end: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StreamOptions:
    language: str | None = None  # "zh", "en" or None (detected once, on the first speech)
    hotwords: Sequence[str] = ()
    step_s: float = 0.5  # decode the window again after this much new audio
    first_step_s: float = 0.25  # ... or this much while the utterance shows nothing yet: the first caption
    max_window_s: float = 12.0  # the undecided window never grows past this
    clause_pause_s: float = 0.3  # settled words leave the window at a clause end: punctuation or this pause
    settled_window_s: float = 4.0  # ... or anywhere once they fill this much of it
    endpoint_silence_s: float = 0.5  # a pause this long after speech ends the utterance
    # ... and its open words are decoded once more with a beam (1: greedy), where the backend offers
    # decode_window (Whisper); transcribe_batch (qwen3, hotwords) decodes as the offline path does
    endpoint_beam_size: int = 5
    detect_after_s: float = 2.0  # speech needed before the language is detected
    text_hook: TextHook | None = None  # default `display_text`: what the offline engine does to text
    vad: Vad | None = None  # default: silero (what faster-whisper ships)


class StreamingSession(Protocol):
    def feed(self, pcm: bytes | np.ndarray) -> list[StreamEvent]:
        """PCM: int16 little-endian bytes or float32 samples in [-1, 1], 16 kHz mono."""
        ...

    def finish(self) -> list[StreamEvent]:
        """The end of the stream: whatever is pending becomes final."""
        ...


def open_session(backend: Backend, options: StreamOptions | None = None) -> StreamingSession:
    options = options or StreamOptions()
    native = getattr(backend, "open_stream", None)
    if callable(native):
        return native(options)
    return AgreementSession(backend, options)


def as_float(pcm: bytes | np.ndarray) -> np.ndarray:
    if isinstance(pcm, np.ndarray):
        if pcm.dtype == np.int16:
            return pcm.astype(np.float32) / 32768.0
        return pcm.astype(np.float32, copy=False)
    usable = len(pcm) - len(pcm) % 2
    return np.frombuffer(pcm[:usable], dtype="<i2").astype(np.float32) / 32768.0


def display_text(text: str, language: str) -> str:
    """Mandarin in Simplified script with readers' digits, as the offline transcript shows it."""
    if language != "zh":
        return text
    from .engine import to_simplified
    from .textnorm import normalize_zh

    return normalize_zh(to_simplified(text))


def silero_vad(samples: np.ndarray) -> list[tuple[float, float]]:
    from .vad import speech_spans

    return speech_spans(samples, min_silence_ms=300, pad_ms=100)


class Resampler:
    """Any rate to 16 kHz, chunk by chunk (linear interpolation with a box filter when reducing)."""

    def __init__(self, rate: int) -> None:
        self.rate, self.step = rate, rate / SAMPLE_RATE
        self._tail = np.zeros(0, dtype=np.float32)
        self._pos = 0.0  # where the next output sample lies, in input samples from the tail's start

    def process(self, x: np.ndarray) -> np.ndarray:
        if self.rate == SAMPLE_RATE or len(x) == 0:
            return x
        x = np.concatenate([self._tail, x])
        width = int(self.step)
        if width > 1:  # a little low-pass before dropping samples
            x_f = np.convolve(x, np.ones(width, dtype=np.float32) / width, mode="same")
        else:
            x_f = x
        positions = np.arange(self._pos, len(x) - 1, self.step)
        out = np.interp(positions, np.arange(len(x)), x_f).astype(np.float32)
        keep = min(len(x), width + 1)
        consumed = len(x) - keep
        self._pos = self._pos + len(positions) * self.step - consumed
        self._tail = x[consumed:]
        return out


_PUNCT = re.compile(r"[\s,，。.!！?？;；:：、\"'“”‘’()（）-]+")
_UNITS = re.compile(r"[\u3400-\u9fff]|[^\s\u3400-\u9fff]+\s*")


def _key(word: Word) -> str:
    return _PUNCT.sub("", word.text).lower()


def words_of(segments: Sequence[Segment], offset: float) -> list[Word]:
    """Timed words on the stream's timeline; segments without word times are split evenly."""
    out: list[Word] = []
    for seg in segments:
        words = seg.words
        if not words:
            units = _UNITS.findall(seg.text.strip())
            span = (seg.end - seg.start) / max(1, len(units))
            words = [Word(seg.start + i * span, seg.start + (i + 1) * span, u) for i, u in enumerate(units)]
        out += [
            Word(w.start + offset, w.end + offset, w.text, w.probability) for w in words if w.text.strip()
        ]
    return out


def join(words: Sequence[Word]) -> str:
    text = "".join(w.text for w in words).strip()
    return re.sub(r"\s+", " ", text)


def agreed_prefix(a: Sequence[Word], b: Sequence[Word]) -> int:
    n = 0
    while n < len(a) and n < len(b) and _key(a[n]) == _key(b[n]):
        n += 1
    return n


class AgreementSession:
    """The CPU policy: a bounded window, local agreement between successive decodes, VAD endpointing."""

    def __init__(self, backend: Backend, options: StreamOptions) -> None:
        self.backend, self.options = backend, options
        self.vad: Vad = options.vad or silero_vad
        self.language = options.language
        self._buf = np.zeros(0, dtype=np.float32)
        self._buf_start = 0.0  # stream time of the window's first sample
        self._received = 0  # samples fed
        self._decoded_at = 0  # samples fed at the last decode
        self._committed = 0.0  # stream time up to which text is final
        self._pending: list[Word] = []  # the last decode's words beyond the final ones
        self._settled: list[Word] = []  # final words still in the window
        self._context = ""  # final text before the window, as the model wrote it (a window decoder's prompt)
        self.decodes = 0  # window decodes so far (for benchmarks and tests)
        self.decoded_s = 0.0  # seconds of audio decoded so far

    @property
    def duration_s(self) -> float:
        return self._received / SAMPLE_RATE

    def feed(self, pcm: bytes | np.ndarray) -> list[StreamEvent]:
        samples = as_float(pcm)
        if len(samples) == 0:
            return []
        self._buf = np.concatenate([self._buf, samples])
        self._received += len(samples)
        step = self.options.step_s if self._pending else self.options.first_step_s
        if (self._received - self._decoded_at) / SAMPLE_RATE < step:
            return []
        return self._step(last=False)

    def finish(self) -> list[StreamEvent]:
        if len(self._buf) == 0:
            return []
        return self._step(last=True)

    def _step(self, last: bool) -> list[StreamEvent]:
        self._decoded_at = self._received
        spans = self.vad(self._buf)
        window_s = len(self._buf) / SAMPLE_RATE
        if not spans:  # nothing said in the window: what is pending is final, the silence goes
            events, self._pending = self._final(self._pending), []
            self._cut(max(0.0, window_s - 0.3))
            return events
        speech_end = spans[-1][1]
        endpoint = last or window_s - speech_end >= self.options.endpoint_silence_s
        if self.language is None and not self._detect(spans, force=last):
            return []
        upto = min(window_s, speech_end + 0.2) if endpoint else window_s
        beam = self.options.endpoint_beam_size if endpoint else 1
        words = [w for w in self._decode(upto, beam) if (w.start + w.end) / 2 > self._committed]
        if endpoint:
            events, self._pending = self._final(words), []
            self._cut(window_s if last else max(speech_end, window_s - 0.3))
            return events
        n = agreed_prefix(self._pending, words)
        events = self._final(words[:n])
        self._pending = words[n:]
        if n:  # settled words leave the window (see _cut_settled)
            self._cut_settled()
        if len(self._buf) / SAMPLE_RATE > self.options.max_window_s:  # bounded: settle all but 1 s
            horizon = self._buf_start + len(self._buf) / SAMPLE_RATE - 1.0
            keep = [w for w in self._pending if w.end > horizon]
            events += self._final(self._pending[: len(self._pending) - len(keep)])
            self._pending = keep
            self._cut(min(self._committed, horizon) - self._buf_start)
        if self._pending:
            p = self._pending
            events.append(
                StreamEvent("partial", self._show(join(p)), round(p[0].start, 3), round(p[-1].end, 3))
            )
        return events

    def _detect(self, spans: list[tuple[float, float]], force: bool) -> bool:
        speech = sum(b - a for a, b in spans)
        if speech < self.options.detect_after_s and not force:
            return False
        detect = getattr(self.backend, "detect_window_language", None) or self.backend.detect_language
        self.language = detect(self._buf) or None
        return self.language is not None

    def _decode(self, upto_s: float, beam_size: int = 1) -> list[Word]:
        window = self._buf[: int(upto_s * SAMPLE_RATE)]
        decode_window = getattr(self.backend, "decode_window", None)
        if callable(decode_window) and self.language and not self.options.hotwords:
            result = decode_window(window, self.language, self._context, beam_size=beam_size)
        else:
            options = DecodeOptions(language=self.language, hotwords=list(self.options.hotwords))
            (result,) = self.backend.transcribe_batch([window], options)
        self.decodes += 1
        self.decoded_s += len(window) / SAMPLE_RATE
        return words_of(result.segments, self._buf_start)

    def _final(self, words: Sequence[Word]) -> list[StreamEvent]:
        """Settle `words`: one final event; its times never go back before the previous final's end."""
        text = self._show(join(words))
        if not words or not text:
            return []
        start = max(words[0].start, self._committed)
        end = max(words[-1].end, start)
        self._committed = end
        self._settled += words
        return [StreamEvent("final", text, round(start, 3), round(end, 3))]

    def _cut_settled(self) -> None:
        """Final words leave the window, so the next decode hears (and generates) only what is still open;
        the cut goes at the last clause end among them, where the audio has a natural break (a cut
        mid-clause makes Whisper repeat or invent a word), or at their end once they fill too much."""
        words, cut = self._settled, None
        for i, w in enumerate(words):
            after = words[i + 1 : i + 2] or self._pending[:1]
            paused = bool(after) and after[0].start - w.end >= self.options.clause_pause_s
            if paused or w.text.strip().endswith(CLAUSE_END):
                cut = w.end
        if cut is None and self._committed - self._buf_start >= self.options.settled_window_s:
            cut = self._committed
        if cut is not None:
            self._cut(cut - self._buf_start)

    def _cut(self, upto_s: float) -> None:
        """Drop the window's first `upto_s` seconds (already final or silence)."""
        n = max(0, int(upto_s * SAMPLE_RATE))
        self._buf = self._buf[n:]
        self._buf_start += n / SAMPLE_RATE
        gone = [w for w in self._settled if (w.start + w.end) / 2 < self._buf_start]
        self._settled = self._settled[len(gone) :]
        self._context = (self._context + "".join(w.text for w in gone))[-CONTEXT_CHARS:]
        if not self._pending:
            self._committed = max(self._committed, self._buf_start)

    def _show(self, text: str) -> str:
        hook = self.options.text_hook or display_text
        return hook(text, self.language or "") if text else text
