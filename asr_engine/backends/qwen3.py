"""GPU production engine: Qwen3-ASR through `qwen-asr`, word times from Qwen3-ForcedAligner.

Two runtimes recognise the same way. vLLM (`Qwen3ASRModel.LLM`, continuous batching, bf16, CUDA only)
is the production one; transformers (`Qwen3ASRModel.from_pretrained`) runs everywhere, including the
CPU tests on a tiny random checkpoint. `qwen3_runtime(config)` says which one a machine gets and why.
On transformers with CUDA, decoding uses a static KV cache with each token's step captured as a CUDA graph
(qwen3_static.py; `qwen3_decode` / `qwen3_capture`, docs/gpu.md), captured when the backend loads.

The forced aligner is a transformers model in both runtimes and we call it ourselves rather than through
`transcribe(return_time_stamps=True)`: its batch is a single forward pass whose memory grows with
batch x length, so it gets its own (smaller) batch size beside vLLM's 128 sequences, and its cost is
timed on its own. Inputs longer than the aligner's limit are cut on the quietest moment before
recognition, so every text we align belongs to audio the aligner can take.

torch and qwen_asr are imported here only (importing qwen_asr costs seconds and hundreds of MB), so a
whisper-only run never loads them. Audio is always decoded by our PyAV path and handed over as
(array, 16000): qwen-asr's own loader would need an ffmpeg binary for m4a/webm.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import QWEN3_CAPTURES, QWEN3_DECODES
from ..errors import EngineError
from ..registry import BackendSpec, register
from ..types import ChunkResult, Segment, Word
from .base import DecodeOptions

SAMPLE_RATE = 16000
# qwen-asr's own limits (qwen_asr.inference.utils): longer inputs it would split blindly, mid-word.
MAX_ASR_INPUT_S = 1200.0
MAX_ALIGNER_INPUT_S = 180.0
MIN_WORD_S = 0.02  # the aligner can return zero-length spans; give them a visible width
VLLM_PIN = "0.14.0"  # what qwen-asr 0.0.6's [vllm] extra pins; the [gpu] extra installs exactly this

log = logging.getLogger(__name__)
_LANG_NAMES = {"zh": "Chinese", "en": "English", "yue": "Cantonese", "ja": "Japanese", "ko": "Korean"}
_LANG_CODES = {v: k for k, v in _LANG_NAMES.items()}


@dataclass(frozen=True)
class Qwen3Settings:
    """The qwen3 runtime's knobs: from EngineConfig (bot/config.py reads IB_QWEN3_* into it), else from
    the environment, for the benchmarks that build an EngineConfig by hand."""

    runtime: str = "auto"  # auto | vllm | transformers            IB_QWEN3_RUNTIME
    gpu_memory_utilization: float = 0.45  # vLLM's share of the card  IB_QWEN3_GPU_MEMORY
    # Chunks per model call (vLLM: sequences in flight). None: 128 on vLLM, qwen3_batch_size otherwise.
    max_batch: int | None = None  #                                   IB_QWEN3_MAX_BATCH
    max_new_tokens: int | None = None  # None: EngineConfig.qwen3_max_new_tokens  IB_QWEN3_MAX_NEW_TOKENS
    aligner_batch_size: int = 16  # chunks per aligner forward pass      IB_QWEN3_ALIGNER_BATCH
    max_model_len: int = 4096  # a 180 s piece is ~2,340 audio tokens + prompt + 512 new ones
    # transformers runtime only (backends/qwen3_static.py), from EngineConfig only (never the environment):
    # IB_QWEN3_DECODE, IB_QWEN3_CAPTURE and IB_QWEN3_STATIC_KV_TOKENS as bot/config.py reads them
    decode: str | None = None  # static | dynamic; None: static on CUDA, dynamic on CPU
    capture: str | None = None  # graphs | compile | none; None: graphs on CUDA, none on CPU
    static_kv_tokens: int = 65536  # cache slots shared by every static bucket (rows x positions)

    @classmethod
    def from_config(cls, config: Any, env: Mapping[str, str] | None = None) -> Qwen3Settings:
        env = os.environ if env is None else env
        sources = {
            "runtime": ("qwen3_runtime", "IB_QWEN3_RUNTIME", str),
            "gpu_memory_utilization": ("qwen3_gpu_memory", "IB_QWEN3_GPU_MEMORY", float),
            "max_batch": ("qwen3_max_batch", "IB_QWEN3_MAX_BATCH", int),
            "max_new_tokens": ("qwen3_max_new_tokens", "IB_QWEN3_MAX_NEW_TOKENS", int),
            "aligner_batch_size": ("qwen3_aligner_batch_size", "IB_QWEN3_ALIGNER_BATCH", int),
        }
        values: dict[str, Any] = {}
        for field_name, (attr, var, kind) in sources.items():
            raw = getattr(config, attr, None) if attr else None
            raw = env.get(var) if raw is None else raw
            if raw not in (None, ""):
                try:
                    values[field_name] = kind(raw)
                except ValueError:
                    raise EngineError(f"{var} must be a {kind.__name__}, not {raw!r}") from None
        for name, allowed in (("decode", QWEN3_DECODES), ("capture", QWEN3_CAPTURES)):
            raw = getattr(config, f"qwen3_{name}", None)
            if raw is not None and raw not in allowed:
                raise EngineError(f"qwen3_{name} must be {' or '.join(allowed)}, not {raw!r}")
            values[name] = raw
        if getattr(config, "qwen3_static_kv_tokens", None):
            values["static_kv_tokens"] = int(config.qwen3_static_kv_tokens)
        settings = cls(**values)
        if settings.runtime not in ("auto", "vllm", "transformers"):
            raise EngineError(
                f"IB_QWEN3_RUNTIME must be auto, vllm or transformers, not {settings.runtime!r}"
            )
        return settings


def cuda_available() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def vllm_version() -> str | None:
    """The installed vLLM's version, read from its metadata: importing vllm itself takes seconds."""
    try:
        return importlib.metadata.version("vllm")
    except importlib.metadata.PackageNotFoundError:
        return None


def qwen3_runtime(config: Any, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """("vllm" | "transformers", why) for this machine and configuration; cheap enough for `doctor`."""
    wanted = Qwen3Settings.from_config(config, env).runtime
    version = vllm_version()
    pin_note = "" if version in (None, VLLM_PIN) else f" (qwen-asr 0.0.6 is tested with vLLM {VLLM_PIN})"
    if wanted == "transformers":
        return "transformers", "IB_QWEN3_RUNTIME=transformers"
    if wanted == "vllm":
        if version is None:
            return "vllm", "IB_QWEN3_RUNTIME=vllm but vLLM is not installed: loading will fail"
        return "vllm", f"IB_QWEN3_RUNTIME=vllm, vLLM {version}{pin_note}"
    if version is None:
        return "transformers", "vLLM is not installed (pip install 'interview-bot[gpu]' adds it)"
    if not cuda_available():
        return "transformers", f"vLLM {version} is installed but no CUDA GPU is visible"
    return "vllm", f"vLLM {version} and a CUDA GPU{pin_note}"


def qwen3_decode(config: Any) -> str:
    """How the configured runtime will decode, for `doctor` (the backend decides for its own device)."""
    if qwen3_runtime(config)[0] == "vllm":
        return "vLLM's own (continuous batching, CUDA graphs)"
    settings, cuda = Qwen3Settings.from_config(config), cuda_available()
    if (settings.decode or ("static" if cuda else "dynamic")) == "dynamic":
        return "dynamic (transformers' generate)"
    capture = settings.capture or ("graphs" if cuda else "none")
    return f"static ({capture}), warmed up at start-up: /healthz answers 503 until then"


def _import_qwen_asr():
    try:
        import torch
        from qwen_asr import Qwen3ASRModel, Qwen3ForcedAligner
    except ImportError as exc:
        raise EngineError(
            "the qwen3 engine needs the optional extra: pip install 'interview-bot[qwen3]'"
        ) from exc
    return torch, Qwen3ASRModel, Qwen3ForcedAligner


def _free_device_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


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
        runtime: str = "transformers",
        settings: Qwen3Settings | None = None,
    ) -> None:
        torch, asr_model, aligner_cls = _import_qwen_asr()
        self.settings = settings or Qwen3Settings()
        max_new_tokens = self.settings.max_new_tokens or max_new_tokens
        self.runtime = runtime
        self.device = device or ("cuda:0" if runtime == "vllm" or torch.cuda.is_available() else "cpu")
        # bf16 on a GPU (what the models were published in); fp32 on CPU, where bf16 matmuls are slow.
        self.torch_dtype = (
            getattr(torch, dtype)
            if dtype
            else torch.bfloat16
            if self.device.startswith("cuda")
            else torch.float32
        )
        self.batch_size = self.settings.max_batch or (128 if runtime == "vllm" else batch_size)
        try:
            if runtime == "vllm":
                self.model = self._load_vllm(asr_model, model, max_new_tokens)
            else:
                self.model = asr_model.from_pretrained(
                    model,
                    max_inference_batch_size=self.batch_size,
                    max_new_tokens=max_new_tokens,
                    dtype=self.torch_dtype,
                    device_map=self.device,
                )
            self.aligner = (
                aligner_cls.from_pretrained(aligner, dtype=self.torch_dtype, device_map=self.device)
                if aligner
                else None
            )
        except (OSError, ValueError) as exc:
            raise EngineError(f"cannot load Qwen3-ASR from {model!r}: {_first_line(exc)}") from exc
        self.has_aligner = self.aligner is not None
        self.stats = BackendStats()
        self.decoder: Any = None  # a StaticDecoder when decoding with a static cache
        self.decode = self._setup_decode() if runtime == "transformers" else "vllm"
        log.info("qwen3 decode: %s", self.decode)

    def _setup_decode(self) -> str:
        """Install the static decode when asked for (the default on CUDA), warmed up before any request:
        its steps are captured or compiled here. Says what the decode is, for logs and benchmarks."""
        cuda = self.device.startswith("cuda")
        if (self.settings.decode or ("static" if cuda else "dynamic")) == "dynamic":
            return "dynamic"
        from .qwen3_static import Plan, StaticDecoder, plain_greedy_problem

        problem = plain_greedy_problem(self.model.model.thinker.generation_config)
        if problem:  # the static decode is plain greedy, as the vLLM runtime is
            log.warning("qwen3: static decode off, %s; decoding with transformers' generate", problem)
            return f"dynamic ({problem})"
        capture = self.settings.capture or ("graphs" if cuda else "none")
        if capture != "none" and not cuda:
            raise EngineError(f"IB_QWEN3_CAPTURE={capture} needs a CUDA device; use none on {self.device}")
        plan = Plan(max_batch=self.batch_size, kv_tokens=self.settings.static_kv_tokens)
        try:
            decoder = StaticDecoder(self.model.model, plan, capture)
            seconds = decoder.warm_up()
        except RuntimeError as exc:  # out of memory, an op that cannot be captured: still recognise
            log.exception("qwen3: static decode (%s) failed to warm up; decoding with generate", capture)
            _free_device_memory()
            return f"dynamic (static {capture} failed: {_first_line(exc)[:200]})"
        decoder.install()
        self.decoder = decoder
        return f"static ({capture}, {len(plan.shapes())} shapes, warm-up {seconds:.1f} s)"

    def _load_vllm(self, asr_model: Any, model: str, max_new_tokens: int) -> Any:
        try:
            return asr_model.LLM(
                model=model,
                max_inference_batch_size=-1,  # vLLM schedules the whole call itself (continuous batching)
                max_new_tokens=max_new_tokens,
                dtype="bfloat16",
                gpu_memory_utilization=self.settings.gpu_memory_utilization,
                max_num_seqs=self.batch_size,
                max_model_len=self.settings.max_model_len,
            )
        except ImportError as exc:
            raise EngineError(f"the vLLM runtime needs pip install 'interview-bot[gpu]': {exc}") from exc

    def detect_language(self, audio: np.ndarray) -> str | None:
        return None  # Qwen3-ASR identifies the language per chunk as part of recognition

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        pieces = [split_at_quiet(np.asarray(c, dtype=np.float32), MAX_ALIGNER_INPUT_S) for c in chunks]
        flat = [p for parts in pieces for p in parts]
        t0 = time.perf_counter()
        results = self.model.transcribe(
            audio=[(audio, SAMPLE_RATE) for _offset, audio in flat],
            context=", ".join(options.hotwords),
            language=_LANG_NAMES.get(options.language or ""),
            return_time_stamps=False,
        )
        t1 = time.perf_counter()
        texts = [(r.text or "").strip() for r in results]
        languages = [_language_names(r.language) for r in results]
        spans = self._align([a for _o, a in flat], texts, languages) if self.aligner else [None] * len(flat)
        self.stats.add(
            len(flat), sum(len(a) for _o, a in flat) / SAMPLE_RATE, t1 - t0, time.perf_counter() - t1
        )
        out, i = [], 0
        for chunk, parts in zip(chunks, pieces):
            n = len(parts)
            out.append(
                _chunk_result(
                    [(off, len(a) / SAMPLE_RATE) for off, a in parts],
                    texts[i : i + n],
                    languages[i : i + n],
                    spans[i : i + n],
                    len(chunk) / SAMPLE_RATE,
                )
            )
            i += n
        return out

    def _align(
        self, audios: list[np.ndarray], texts: list[str], languages: list[list[str]]
    ) -> list[list[tuple[float, float, str]] | None]:
        """Word spans per input (None where there is no text), aligned in batches of similar length
        so padding stays small; at most `aligner_batch_size` inputs per forward pass."""
        todo = sorted((i for i, t in enumerate(texts) if t), key=lambda i: len(audios[i]))
        spans: list[list[tuple[float, float, str]] | None] = [None] * len(texts)
        step = max(1, self.settings.aligner_batch_size)
        for k in range(0, len(todo), step):
            batch = todo[k : k + step]
            aligned = self.aligner.align(
                audio=[(audios[i], SAMPLE_RATE) for i in batch],
                text=[texts[i] for i in batch],
                language=[(languages[i] or ["Chinese"])[0] for i in batch],
            )
            for i, result in zip(batch, aligned):
                spans[i] = [(float(it.start_time), float(it.end_time), str(it.text)) for it in result.items]
        return spans


class BackendStats:
    """Where the backend's time goes, summed over calls (read by the benchmarks and metrics)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = self.inputs = 0
        self.audio_s = self.asr_s = self.align_s = 0.0

    def add(self, inputs: int, audio_s: float, asr_s: float, align_s: float) -> None:
        with self._lock:
            self.calls += 1
            self.inputs += inputs
            self.audio_s += audio_s
            self.asr_s += asr_s
            self.align_s += align_s

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return dict(
                calls=self.calls,
                inputs=self.inputs,
                audio_s=self.audio_s,
                asr_s=self.asr_s,
                align_s=self.align_s,
            )


def _language_names(merged: str | None) -> list[str]:
    return [x.strip() for x in (merged or "").split(",") if x.strip()]


def _chunk_result(
    parts: list[tuple[float, float]],
    texts: list[str],
    languages: list[list[str]],
    spans: list[list[tuple[float, float, str]] | None],
    chunk_s: float,
) -> ChunkResult:
    """One chunk's pieces (offset, length) back onto the chunk's own timeline."""
    names = [name for langs in languages for name in langs]
    language = _LANG_CODES.get(names[0], names[0].lower()[:2]) if names else ""
    segments = []
    for (offset, length), text, piece_spans in zip(parts, texts, spans):
        if not text:
            continue
        words = fix_word_spans(piece_spans or [], length)
        start = words[0].start if words else 0.0
        end = words[-1].end if words else round(length, 3)
        segments.append(Segment(start=start, end=end, text=text, words=words).shifted(offset))
    for seg in segments:  # float offsets must not push the last word past the chunk
        seg.end = min(seg.end, round(chunk_s, 3))
    return ChunkResult(language=language, segments=segments)


def split_at_quiet(audio: np.ndarray, limit_s: float, frame_s: float = 0.1) -> list[tuple[float, np.ndarray]]:
    """(offset s, piece) pieces of at most `limit_s`, each cut at the quietest frame of the last quarter
    of its window, so a cut falls between words where there is a pause to find."""
    limit = int(limit_s * SAMPLE_RATE)
    frame = max(1, int(frame_s * SAMPLE_RATE))
    pieces, start = [], 0
    while len(audio) - start > limit:
        lo, hi = start + limit * 3 // 4, start + limit - frame
        energies = [float(np.mean(audio[i : i + frame] ** 2)) for i in range(lo, hi + 1, frame)]
        cut = lo + frame * int(np.argmin(energies)) + frame // 2
        pieces.append((start / SAMPLE_RATE, audio[start:cut]))
        start = cut
    pieces.append((start / SAMPLE_RATE, audio[start:]))
    return pieces


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


def _warm_at_start(config) -> bool:
    """A static decode captures its steps at load (seconds to minutes): load before serving."""
    if qwen3_runtime(config)[0] != "transformers":
        return False
    decode = Qwen3Settings.from_config(config).decode
    return decode == "static" or (decode is None and cuda_available())


def _load(config) -> Qwen3Backend:
    if not config.qwen3_model:
        raise EngineError("the qwen3 engine needs IB_QWEN3_MODEL (a local path or hub id)")
    runtime, _why = qwen3_runtime(config)
    return Qwen3Backend(
        config.qwen3_model,
        config.qwen3_aligner,
        batch_size=config.qwen3_batch_size,
        max_new_tokens=config.qwen3_max_new_tokens,
        runtime=runtime,
        settings=Qwen3Settings.from_config(config),
    )


register(
    BackendSpec(
        "qwen3",
        _load,
        "GPU production engine: Qwen3-ASR (vLLM or transformers) with Qwen3-ForcedAligner word times",
        auto_check=_auto_check,
        auto_rank=10,
        warm_at_start=_warm_at_start,
    )
)
