"""Whisper's cheap path for live captions: one short window, re-decoded many times a second.

`WhisperModel.transcribe` pads every window to a 30 s frame (3000 mel frames) before the encoder, detects
nothing we need, and may decode twice (temperature fallback). CTranslate2's Whisper encoder accepts fewer
frames, so here the window is encoded at its own length (an 8 s window: ~0.18 s CPU instead of ~1.6 s),
once, then decoded greedily without timestamps; word times come from the cross-attention alignment.
The decoder's cost is per generated token (~17 ms CPU on base int8, the encoder's is small once unpadded),
so the caller keeps the window to what is not yet settled and passes the settled text before it as
context (a prompt, read in one parallel pass), not as a forced prefix (forced token by token).
An utterance's last decode (`beam_size` > 1, once per utterance) is the careful one: beam search and a
longer silent tail, closer to how the offline transcript decodes a 30 s frame.
"""

from __future__ import annotations

import re

import numpy as np

from ..types import ChunkResult, Segment, Word
from .whisper import MEAN_WORD_PROB_FLOOR, NO_SPEECH_DOUBT, plausible

MAX_FRAMES = 3000  # Whisper's 30 s frame: the encoder's positions end there
FRAME_QUANTUM = 100  # encode lengths round up to whole seconds: fewer shapes
TAIL_FRAMES = 300  # padding after the audio, as in the 30 s frame: without it Whisper loops on short windows
BEAM_TAIL_FRAMES = 1000  # a beam decode's padding: 10 s brought finals closer to offline than 3 s (docs/)
CONTEXT_TOKENS = 64  # the settled text before the window, as a prompt
TOKENS_PER_S = 10  # above fast Mandarin (~6 tokens/s); bounds a looping decode
_LOOP = re.compile(r"(.{3,}?)\1{2,}", re.S)  # a phrase said three times in a row
PREPEND = "\"'“¿([{-"
APPEND = "\"'.。,，!！?？:：”)]}、"


def encode_window(model, samples: np.ndarray, tail_frames: int = TAIL_FRAMES):
    """(encoder output, content frames) for `samples` at their own length plus `tail_frames` of silence,
    not a padded 30 s."""
    import ctranslate2

    features = model.feature_extractor(samples)[:, :-1]  # the extractor adds one frame of padding
    frames = min(features.shape[-1], MAX_FRAMES - TAIL_FRAMES)  # live windows are far shorter than 27 s
    tail = min(tail_frames, MAX_FRAMES - frames)  # a long window gives up padding, never its audio
    padded = min(MAX_FRAMES, -(-(frames + tail) // FRAME_QUANTUM) * FRAME_QUANTUM)
    batch = np.zeros((1, features.shape[0], padded), dtype=np.float32)
    batch[0, :, :frames] = features[:, :frames]
    return model.model.encode(ctranslate2.StorageView.from_array(batch)), frames


def detect_language(model, samples: np.ndarray) -> str | None:
    encoded, _frames = encode_window(model, samples)
    token, _prob = model.model.detect_language(encoded)[0][0]
    return token[2:-2] or None


def decode_window(
    model, samples: np.ndarray, language: str, context: str = "", beam_size: int = 1
) -> ChunkResult:
    """Timed words of `samples` (16 kHz); `context` is the text said just before them (a prompt);
    `beam_size` > 1: the careful decode (beam search, a longer tail)."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import merge_punctuations

    tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=language)
    encoded, frames = encode_window(model, samples, BEAM_TAIL_FRAMES if beam_size > 1 else TAIL_FRAMES)
    before = tokenizer.encode(context)[-CONTEXT_TOKENS:] if context else []
    prompt = [tokenizer.sot_prev, *before] if before else []
    prompt += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    seconds = len(samples) / 16000
    (result,) = model.model.generate(
        encoded,
        [prompt],
        beam_size=beam_size,
        max_length=len(prompt) + int(TOKENS_PER_S * seconds) + 8,
        return_scores=True,
        return_no_speech_prob=True,
    )
    tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
    if not tokens:
        return ChunkResult(language=language, segments=[])
    (alignment,) = model.find_alignment(tokenizer, [tokens], encoded, frames)
    merge_punctuations(alignment, PREPEND, APPEND)
    words = [
        Word(
            round(float(w["start"]), 3),
            round(float(w["end"]), 3),
            w["word"],
            round(float(w["probability"]), 4),
        )
        for w in alignment
        if w["word"]
    ]
    words = before_loop(words)
    text = "".join(w.text for w in words).strip()
    if not words or invented(text, words, seconds, result.no_speech_prob):
        return ChunkResult(language=language, segments=[])
    return ChunkResult(language=language, segments=[Segment(words[0].start, words[-1].end, text, words)])


def before_loop(words: list[Word]) -> list[Word]:
    """The words up to the end of a phrase's first copy when the decode loops on it (a greedy decode has
    no temperature fallback to escape a loop; the offline path has)."""
    joined = "".join(w.text for w in words)
    loop = _LOOP.search(joined)
    if loop is None:
        return words
    upto, kept, size = loop.start() + len(loop.group(1)), [], 0
    for w in words:
        if size >= upto:
            break
        kept.append(w)
        size += len(w.text)
    return kept


def invented(text: str, words: list[Word], seconds: float, no_speech_prob: float) -> bool:
    """The offline filters: an impossible rate or a loop, or words the model itself barely believes
    where it doubts there is speech at all."""
    probs = [w.probability or 0.0 for w in words]
    doubted = no_speech_prob >= NO_SPEECH_DOUBT and sum(probs) / len(probs) < MEAN_WORD_PROB_FLOOR
    return doubted or not plausible(text, seconds)
