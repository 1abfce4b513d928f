"""What an engine is asked to be: which backend, where its weights are, and the input limits. Kept apart
from the engine itself so reading configuration never imports numpy, PyAV or a model runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# How the qwen3 engine decodes on transformers (backends/qwen3_static.py): a static KV cache with captured
# steps, or transformers' own generate. None in EngineConfig: static on CUDA, dynamic on CPU.
QWEN3_DECODES = ("static", "dynamic")
# How a static decode's step runs: CUDA graphs, torch.compile(mode="reduce-overhead"), or eagerly.
# None: graphs on CUDA, none on CPU.
QWEN3_CAPTURES = ("graphs", "compile", "none")


@dataclass
class EngineConfig:
    engine: str = "auto"
    data_dir: Path = Path(".ib-data")
    whisper_model: str | None = None  # a local CTranslate2 folder; default: the bundled multilingual base
    # Whisper decoding: each default is the winner of bench/accuracy.py --sweep on the dev set's tune split.
    whisper_beam_size: int = 1
    whisper_temperatures: tuple[float, ...] = (0.0, 0.4)
    # Opt-in (e.g. MANDARIN_PROMPT): it helped the tune split and the long samples but not the held-out
    # split, where it made Whisper invent text (docs/benchmarks.md, CPU defaults). Mandarin windows only.
    whisper_prompt: str | None = None
    whisper_condition_on_previous_text: bool = False
    whisper_repetition_penalty: float = 1.0
    qwen3_model: str | None = None  # local path or hub id
    qwen3_aligner: str | None = None
    qwen3_batch_size: int = 32
    qwen3_max_new_tokens: int = 512
    qwen3_runtime: str | None = None  # auto | vllm | transformers (None: auto)
    qwen3_gpu_memory: float | None = None  # vLLM's share of the card
    qwen3_max_batch: int | None = None  # chunks per model call
    qwen3_aligner_batch_size: int | None = None
    qwen3_decode: str | None = None  # one of QWEN3_DECODES (None: static on CUDA, dynamic on CPU)
    qwen3_capture: str | None = None  # one of QWEN3_CAPTURES (None: graphs on CUDA, none on CPU)
    qwen3_static_kv_tokens: int | None = None  # a static decode's cache slots (None: 65,536)
    remote_urls: list[str] = field(default_factory=list)
    remote_model: str = "Qwen/Qwen3-ASR-0.6B"
    remote_api_key: str | None = None
    max_chunk_s: float = 30.0
    vad_threshold: float = 0.5
    vad_min_silence_ms: int = 500
    vad_pad_ms: int = 200
    # Mandarin text as readers expect it (digits, full-width punctuation): see textnorm.py
    normalize_text: bool = True
    postprocess: Callable[[str, str], str] | None = None  # (text, language) -> text, after normalisation
    max_duration_s: float = 4 * 3600.0
    max_bytes: int = 2 * 1024**3
    cpu_threads: int = 0  # per decode; 0: see backends.whisper.threads_per_decode
    # decodes the CPU backend runs at once (live sessions, jobs): each a model replica sharing the
    # weights, so concurrent callers decode side by side instead of queueing behind one
    parallel_decodes: int = 1
