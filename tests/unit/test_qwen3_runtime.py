"""Which qwen3 runtime a machine gets and why, and the aligner's chunking, without torch, vLLM or a GPU:
the backend's model and aligner are stand-ins that record what they were asked."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from asr_engine import EngineError
from asr_engine.backends import qwen3
from asr_engine.backends.base import DecodeOptions
from asr_engine.backends.qwen3 import (
    MAX_ALIGNER_INPUT_S,
    MIN_WORD_S,
    Qwen3Backend,
    Qwen3Settings,
    qwen3_runtime,
    split_at_quiet,
)

SR = 16000
CONFIG = SimpleNamespace()  # an EngineConfig without the (future) qwen3_runtime field


@pytest.fixture
def machine(monkeypatch):
    def set_machine(vllm: str | None, gpu: bool) -> None:
        monkeypatch.setattr(qwen3, "vllm_version", lambda: vllm)
        monkeypatch.setattr(qwen3, "cuda_available", lambda: gpu)

    return set_machine


def test_auto_takes_vllm_only_with_vllm_and_a_gpu(machine):
    machine(None, True)
    runtime, why = qwen3_runtime(CONFIG, {})
    assert runtime == "transformers" and "not installed" in why
    machine("0.14.0", False)
    runtime, why = qwen3_runtime(CONFIG, {})
    assert runtime == "transformers" and "no CUDA GPU" in why
    machine("0.14.0", True)
    assert qwen3_runtime(CONFIG, {}) == ("vllm", "vLLM 0.14.0 and a CUDA GPU")


def test_an_untested_vllm_release_is_named(machine):
    machine("0.16.0", True)
    runtime, why = qwen3_runtime(CONFIG, {})
    assert runtime == "vllm" and "tested with vLLM 0.14.0" in why


def test_configured_runtime_wins_and_says_when_it_cannot_load(machine):
    machine("0.14.0", True)
    assert qwen3_runtime(CONFIG, {"IB_QWEN3_RUNTIME": "transformers"})[0] == "transformers"
    machine(None, False)
    runtime, why = qwen3_runtime(CONFIG, {"IB_QWEN3_RUNTIME": "vllm"})
    assert runtime == "vllm" and "not installed" in why
    # a field on the config (once EngineConfig carries it) beats the environment
    on_config = SimpleNamespace(qwen3_runtime="transformers")
    assert qwen3_runtime(on_config, {"IB_QWEN3_RUNTIME": "vllm"})[0] == "transformers"


def test_bad_settings_are_one_clear_error():
    with pytest.raises(EngineError, match="IB_QWEN3_RUNTIME must be auto, vllm or transformers"):
        Qwen3Settings.from_config(CONFIG, {"IB_QWEN3_RUNTIME": "tensorrt"})
    with pytest.raises(EngineError, match="IB_QWEN3_GPU_MEMORY must be a float"):
        Qwen3Settings.from_config(CONFIG, {"IB_QWEN3_GPU_MEMORY": "most"})
    s = Qwen3Settings.from_config(CONFIG, {"IB_QWEN3_MAX_BATCH": "8", "IB_QWEN3_ALIGNER_BATCH": "4"})
    assert (s.max_batch, s.aligner_batch_size, s.runtime) == (8, 4, "auto")


def speech_with_pauses(seconds: float, pause_every_s: float = 7.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    audio = rng.standard_normal(int(seconds * SR)).astype(np.float32) * 0.3
    for t in np.arange(pause_every_s, seconds, pause_every_s):
        audio[int(t * SR) : int((t + 0.4) * SR)] *= 0.001
    return audio


def test_long_audio_is_cut_on_pauses_within_the_aligner_limit():
    audio = speech_with_pauses(400.0)
    pieces = split_at_quiet(audio, MAX_ALIGNER_INPUT_S)
    assert len(pieces) == 3
    assert all(len(p) <= MAX_ALIGNER_INPUT_S * SR for _o, p in pieces)
    assert np.array_equal(np.concatenate([p for _o, p in pieces]), audio)
    for offset, _p in pieces[1:]:
        assert float(np.abs(audio[int(offset * SR) - 800 : int(offset * SR) + 800]).max()) < 0.01
    assert split_at_quiet(audio[: 30 * SR], MAX_ALIGNER_INPUT_S)[0][0] == 0.0


class FakeModel:
    """Qwen3ASRModel stand-in: a text per input, with one input silent."""

    def __init__(self) -> None:
        self.calls: list[list[float]] = []

    def transcribe(self, audio, context, language, return_time_stamps):
        assert return_time_stamps is False  # the backend aligns on its own
        self.calls.append([len(a) / sr for a, sr in audio])
        texts = ["" if float(np.abs(a).max()) == 0 else "我们用缓存" for a, _sr in audio]
        return [SimpleNamespace(text=t, language="Chinese" if t else "") for t in texts]


class FakeAligner:
    """Qwen3ForcedAligner stand-in: zero-length and out-of-range spans, as the real one can return."""

    def __init__(self) -> None:
        self.batches: list[list[float]] = []

    def align(self, audio, text, language):
        self.batches.append([len(a) / sr for a, sr in audio])
        assert all(lang == "Chinese" for lang in language)
        items = [(0.5, 0.5, "我"), (0.4, 0.9, "们"), (1.0, 1.0, "用"), (1.2, 999.0, "缓存")]
        return [
            SimpleNamespace(items=[SimpleNamespace(start_time=s, end_time=e, text=w) for s, e, w in items])
            for _ in audio
        ]


def fake_backend(aligner_batch: int = 2) -> Qwen3Backend:
    backend = Qwen3Backend.__new__(Qwen3Backend)  # no weights: the two models are stand-ins
    backend.settings = Qwen3Settings(aligner_batch_size=aligner_batch)
    backend.model, backend.aligner, backend.has_aligner = FakeModel(), FakeAligner(), True
    backend.stats = qwen3.BackendStats()
    return backend


def test_aligner_gets_pieces_within_its_limit_in_small_batches_and_times_land_on_the_chunk():
    backend = fake_backend(aligner_batch=2)
    chunks = [speech_with_pauses(400.0), speech_with_pauses(20.0), np.zeros(5 * SR, np.float32)]
    long_result, short_result, silent = backend.transcribe_batch(chunks, DecodeOptions(language="zh"))
    assert len(backend.model.calls) == 1  # one recognition call for the whole batch
    assert len(backend.model.calls[0]) == 5 and max(backend.model.calls[0]) <= MAX_ALIGNER_INPUT_S
    assert [len(b) for b in backend.aligner.batches] == [2, 2]  # 4 texts, batches of 2, silence skipped
    assert [b == sorted(b) for b in backend.aligner.batches] == [True, True]
    assert silent.segments == [] and short_result.language == "zh"
    assert len(long_result.segments) == 3
    starts = [seg.start for seg in long_result.segments]
    assert starts[0] < 1.0 < 100.0 < starts[1] < starts[2] < 400.0
    for seg in long_result.segments + short_result.segments:
        assert all(w.end - w.start >= MIN_WORD_S - 1e-9 for w in seg.words)
        assert [w.start for w in seg.words] == sorted(w.start for w in seg.words)
        assert seg.start <= seg.words[0].start and seg.words[-1].end <= seg.end
    assert short_result.segments[0].end <= 20.0
    stats = backend.stats.snapshot()
    assert stats["calls"] == 1 and stats["inputs"] == 5 and stats["audio_s"] == pytest.approx(425.0)


def test_a_static_decode_is_loaded_before_serving_only_where_it_runs(machine):
    """The service loads the engine at start-up (and /healthz waits) when loading captures a static
    decode: the transformers runtime with IB_QWEN3_DECODE=static, or unset on a CUDA machine."""
    from asr_engine import EngineConfig, warm_at_start

    def config(**fields) -> EngineConfig:
        return EngineConfig(engine="qwen3", qwen3_model="/models/qwen3", **fields)

    machine(None, False)
    assert not warm_at_start(config())  # CPU: dynamic unless asked
    assert warm_at_start(config(qwen3_decode="static"))
    machine(None, True)
    assert warm_at_start(config())
    assert not warm_at_start(config(qwen3_decode="dynamic"))
    machine("0.14.0", True)
    assert not warm_at_start(config())  # vLLM captures its own graphs when it loads, lazily as before
    assert not warm_at_start(EngineConfig(engine="whisper"))
    assert qwen3.qwen3_decode(config()).startswith("vLLM's own")
    machine(None, True)
    assert qwen3.qwen3_decode(config()).startswith("static (graphs), warmed up at start-up")
    assert qwen3.qwen3_decode(config(qwen3_capture="compile")).startswith("static (compile)")
    machine(None, False)
    assert qwen3.qwen3_decode(config()).startswith("dynamic")
    with pytest.raises(EngineError, match="qwen3_decode must be static or dynamic"):
        Qwen3Settings.from_config(config(qwen3_decode="fast"), {})
