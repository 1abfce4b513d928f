"""GPU production engine: Qwen3-ASR through `qwen-asr`, word times from Qwen3-ForcedAligner.

torch and qwen_asr are imported here only (importing qwen_asr costs seconds and hundreds of MB), so
a whisper-only run never loads them. Audio is always decoded by our PyAV path and handed over as
(array, 16000): qwen-asr's own loader would need an ffmpeg binary for m4a/webm.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import EngineError
from ..registry import BackendSpec, register
from ..types import ChunkResult, Segment, Word
from .base import DecodeOptions

SAMPLE_RATE = 16000
# qwen-asr's own limits: longer inputs it would split blindly, mid-word; our chunks stay far below.
MAX_ASR_INPUT_S = 1200.0
MAX_ALIGNER_INPUT_S = 180.0
MIN_WORD_S = 0.02  # the aligner can return zero-length spans; give them a visible width

_LANG_NAMES = {"zh": "Chinese", "en": "English", "yue": "Cantonese", "ja": "Japanese", "ko": "Korean"}
_LANG_CODES = {v: k for k, v in _LANG_NAMES.items()}


def cuda_available() -> bool:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


class Qwen3Backend:
    name = "qwen3"

    def __init__(
        self,
        model: str,
        aligner: str | None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        max_new_tokens: int = 512,
        dtype: str | None = None,
    ) -> None:
        try:
            import torch
            from qwen_asr import Qwen3ASRModel
        except ImportError as exc:
            raise EngineError(
                "the qwen3 engine needs the optional extra: pip install 'interview-bot[qwen3]'"
            ) from exc
        device = device or ("cuda:0" if torch.cuda.is_available() else "cpu")
        torch_dtype = (
            getattr(torch, dtype)
            if dtype
            else (torch.bfloat16 if device.startswith("cuda") else torch.float32)
        )
        load_kwargs: dict[str, Any] = {"dtype": torch_dtype, "device_map": device}
        try:
            self.model = Qwen3ASRModel.from_pretrained(
                model,
                forced_aligner=aligner,
                forced_aligner_kwargs=dict(load_kwargs) if aligner else None,
                max_inference_batch_size=batch_size,
                max_new_tokens=max_new_tokens,
                **load_kwargs,
            )
        except (OSError, ValueError) as exc:
            raise EngineError(f"cannot load Qwen3-ASR from {model!r}: {str(exc).splitlines()[0]}") from exc
        self.batch_size = batch_size
        self.has_aligner = aligner is not None
        self.device = device

    def detect_language(self, audio: np.ndarray) -> str | None:
        return None  # Qwen3-ASR identifies the language per chunk as part of recognition

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        limit = MAX_ALIGNER_INPUT_S if self.has_aligner else MAX_ASR_INPUT_S
        for chunk in chunks:
            if len(chunk) / SAMPLE_RATE > limit:
                raise EngineError(
                    f"a {len(chunk) / SAMPLE_RATE:.0f} s chunk exceeds qwen3's {limit:.0f} s input limit"
                )
        language = _LANG_NAMES.get(options.language or "")
        context = ", ".join(options.hotwords)
        results = self.model.transcribe(
            audio=[(np.asarray(c, dtype=np.float32), SAMPLE_RATE) for c in chunks],
            context=context,
            language=language,
            return_time_stamps=self.has_aligner,
        )
        return [self._convert(r, len(c) / SAMPLE_RATE) for r, c in zip(results, chunks)]

    def _convert(self, result: Any, chunk_s: float) -> ChunkResult:
        langs = [x.strip() for x in (result.language or "").split(",") if x.strip()]
        language = _LANG_CODES.get(langs[0], langs[0].lower()[:2]) if langs else ""
        text = (result.text or "").strip()
        if not text:
            return ChunkResult(language=language, segments=[])
        items = list(result.time_stamps.items) if result.time_stamps is not None else []
        words = fix_word_spans(
            [(float(it.start_time), float(it.end_time), str(it.text)) for it in items], chunk_s
        )
        start = words[0].start if words else 0.0
        end = words[-1].end if words else round(chunk_s, 3)
        return ChunkResult(
            language=language, segments=[Segment(start=start, end=end, text=text, words=words)]
        )


def fix_word_spans(spans: list[tuple[float, float, str]], chunk_s: float) -> list[Word]:
    """Make aligner output usable: clamp to the chunk, keep order monotonic, widen zero-length spans."""
    words: list[Word] = []
    prev_end = 0.0
    for i, (start, end, text) in enumerate(spans):
        start = min(max(start, prev_end), chunk_s)
        end = min(max(end, start), chunk_s)
        if end - start < MIN_WORD_S:
            nxt = next((s for s, _e, _t in spans[i + 1 :] if s > start), chunk_s)
            end = min(start + MIN_WORD_S, max(nxt, start), chunk_s)
            if end - start < MIN_WORD_S:  # squeezed at the chunk's end: borrow from the left
                start = max(prev_end, end - MIN_WORD_S)
        words.append(Word(start=round(start, 3), end=round(end, 3), text=text))
        prev_end = end
    return words


def weights_present(model: str | None) -> bool:
    if not model:
        return False
    if os.path.isdir(model):
        return True
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    return isinstance(try_to_load_from_cache(model, "config.json"), str)


def _auto_check(config) -> tuple[bool, str]:
    if not weights_present(config.qwen3_model):
        return False, "no local Qwen3-ASR weights configured (IB_QWEN3_MODEL)"
    if not cuda_available():
        return False, "Qwen3-ASR weights found but no CUDA GPU"
    return True, "CUDA GPU and Qwen3-ASR weights present"


def _load(config) -> Qwen3Backend:
    if not config.qwen3_model:
        raise EngineError("the qwen3 engine needs IB_QWEN3_MODEL (a local path or hub id)")
    return Qwen3Backend(
        config.qwen3_model,
        config.qwen3_aligner,
        batch_size=config.qwen3_batch_size,
        max_new_tokens=config.qwen3_max_new_tokens,
    )


register(
    BackendSpec(
        "qwen3",
        _load,
        "GPU production engine: Qwen3-ASR with Qwen3-ForcedAligner word times (qwen-asr)",
        auto_check=_auto_check,
        auto_rank=10,
    )
)
