"""The qwen3 engine for real: a tiny random Qwen3-ASR + ForcedAligner checkpoint built here, loaded through
the same `Qwen3ASRModel.from_pretrained` call production uses, run on CPU. Words are nonsense; the plumbing,
batching and timestamps are what is checked."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from audiotools import write_audio
from conftest import FIXTURES, run_together

from asr_engine.backends.base import DecodeOptions
from asr_engine.backends.qwen3 import MIN_WORD_S, fix_word_spans

pytestmark = pytest.mark.qwen3


@pytest.fixture(scope="session")
def tiny_qwen3(tmp_path_factory):
    pytest.importorskip("torch", reason="the qwen3 engine needs the [qwen3] extra (torch)")
    pytest.importorskip("qwen_asr", reason="the qwen3 engine needs the [qwen3] extra (qwen-asr)")
    from bench.qwen3_checkpoint import build_checkpoint

    root = tmp_path_factory.mktemp("qwen3-tiny")
    return build_checkpoint(root / "asr", "tiny"), build_checkpoint(root / "aligner", "tiny", aligner=True)


def tiny_config(tiny_qwen3, data_dir):
    from asr_engine import EngineConfig

    model, aligner = tiny_qwen3
    return EngineConfig(
        engine="qwen3",
        data_dir=data_dir,
        qwen3_model=str(model),
        qwen3_aligner=str(aligner),
        qwen3_batch_size=4,
        qwen3_max_new_tokens=6,
    )


@pytest.fixture(scope="session")
def qwen3_engine(tiny_qwen3, data_dir):
    from asr_engine import Engine

    return Engine(tiny_config(tiny_qwen3, data_dir))


def test_loads_through_from_pretrained_and_transcribes(qwen3_engine):
    transcript = qwen3_engine.transcribe(FIXTURES / "zh_short.flac", language="zh")
    assert transcript.engine == "qwen3"
    assert transcript.language == "zh"
    assert transcript.segments, "the random model should still emit tokens"
    for seg in transcript.segments:
        assert seg.text
        assert 0 <= seg.start <= seg.end <= transcript.duration_s
        assert seg.words, "aligner word spans missing"
        starts = [w.start for w in seg.words]
        assert starts == sorted(starts)
        assert all(seg.start <= w.start <= w.end <= seg.end for w in seg.words)


def test_chunks_of_a_long_file_go_to_the_model_in_batches(tmp_path, qwen3_engine, zh_samples, monkeypatch):
    audio = np.concatenate([np.concatenate([zh_samples, np.zeros(16000 * 2, np.float32)])] * 12)
    path = write_audio(tmp_path / "long.wav", audio)
    model = qwen3_engine.backend.model
    batch_sizes: list[int] = []
    real = model.transcribe

    def spy(audio, **kwargs):
        batch_sizes.append(len(audio))
        assert all(sr == 16000 and a.dtype == np.float32 for a, sr in audio)  # we decode, not qwen-asr
        return real(audio=audio, **kwargs)

    monkeypatch.setattr(model, "transcribe", spy)
    transcript = qwen3_engine.transcribe(path, language="en")
    chunks = transcript.timings["chunks"]
    assert chunks >= 3
    assert max(batch_sizes) == min(4, chunks)  # max_inference_batch_size honoured
    assert all(b <= 4 for b in batch_sizes)
    assert sum(batch_sizes) == chunks + transcript.timings["recovered_chunks"]
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)


def test_without_aligner_text_has_no_invented_word_times(tiny_qwen3):
    from asr_engine.backends.base import DecodeOptions
    from asr_engine.backends.qwen3 import Qwen3Backend

    backend = Qwen3Backend(str(tiny_qwen3[0]), None, device="cpu", batch_size=2, max_new_tokens=4)
    clip = (
        np.zeros(16000 * 2, np.float32)
        + np.random.default_rng(0).standard_normal(32000).astype(np.float32) * 0.1
    )
    (result,) = backend.transcribe_batch([clip], DecodeOptions(language="en"))
    for seg in result.segments:
        assert seg.words == [] and seg.end == pytest.approx(2.0)


def test_cli_uses_the_configured_model(tiny_qwen3, cli_env):
    env = dict(
        cli_env, IB_ASR_ENGINE="qwen3", IB_QWEN3_MODEL=str(tiny_qwen3[0]), IB_QWEN3_ALIGNER=str(tiny_qwen3[1])
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "-v",
            "transcribe",
            "--json",
            "--language",
            "zh",
            FIXTURES / "zh_short.flac",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["engine"] == "qwen3"
    assert "engine: qwen3 (chosen by configuration)" in proc.stderr


def test_missing_model_path_is_a_clear_error(tmp_path):
    pytest.importorskip("qwen_asr")
    from asr_engine import EngineError
    from asr_engine.backends.qwen3 import Qwen3Backend

    with pytest.raises(EngineError, match="cannot load Qwen3-ASR"):
        Qwen3Backend(str(tmp_path / "missing"), None, device="cpu")


# The aligner's known rough edge, no torch needed.
def test_zero_length_and_out_of_range_word_spans_are_repaired():
    words = fix_word_spans(
        [(0.5, 0.5, "我们"), (0.4, 0.9, "用"), (1.0, 1.0, "缓存"), (2.9, 3.5, "吧")], chunk_s=3.0
    )
    assert [w.text for w in words] == ["我们", "用", "缓存", "吧"]
    assert all(w.end - w.start >= MIN_WORD_S - 1e-9 for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert words[-1].end <= 3.0


def test_live_streams_on_the_gpu_engine_share_its_batches(tiny_qwen3, data_dir, zh_samples, monkeypatch):
    """The service's qwen3 engine with two live streams allowed: both streams' windows reach the model in
    one call, and each stream still gets its own settled captions in order."""
    import threading

    from asr_engine.streaming import StreamOptions, open_session
    from bot.asr import Engines

    config = tiny_config(tiny_qwen3, data_dir)
    backend = Engines(config, workers=1, live_sessions=2, batch_wait_s=0.5).get().backend
    model = backend.backend.model  # behind the batcher
    batch_sizes: list[int] = []
    real = model.transcribe

    def spy(audio, **kwargs):
        batch_sizes.append(len(audio))
        return real(audio=audio, **kwargs)

    monkeypatch.setattr(model, "transcribe", spy)
    start = threading.Barrier(2)
    finals: list[list] = [[], []]

    def stream(i: int) -> None:
        session = open_session(backend, StreamOptions(language="zh"))
        start.wait()
        events = session.feed(zh_samples) + session.finish()
        finals[i] = [e for e in events if e.type == "final"]

    run_together(stream, 2)
    backend.close()
    assert 2 in batch_sizes  # the two streams' windows in one model call
    for events in finals:
        assert events, "each stream settles its captions"
        assert all(a.end <= b.start for a, b in zip(events, events[1:]))


# ---- the static-cache decode (backends/qwen3_static.py): today's tokens, whatever the batch -------------


@pytest.fixture(scope="module")
def static_and_dynamic(tiny_qwen3, tmp_path_factory):
    """A tiny model with three decoder layers (each layer's cache is its own) loaded twice through the
    backend: the static decode (its step run eagerly, as on a CPU) and transformers' generate."""
    from asr_engine.backends.qwen3 import Qwen3Backend, Qwen3Settings
    from bench.qwen3_checkpoint import build_checkpoint

    model = build_checkpoint(tmp_path_factory.mktemp("qwen3-tiny-3-layers"), "tiny", layers=3)

    def load(decode: str) -> Qwen3Backend:
        settings = Qwen3Settings(decode=decode, static_kv_tokens=4096)
        return Qwen3Backend(str(model), None, batch_size=4, max_new_tokens=12, settings=settings)

    return load("static"), load("dynamic")


def clips(seconds: list[float]) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.standard_normal(int(s * 16000)).astype(np.float32) * 0.1 for s in seconds]


def prompt_batch(backend, audio: list[np.ndarray]):
    """What qwen-asr hands `generate`: prompts left-padded to the longest clip's."""
    model = backend.model
    texts = [model._build_text_prompt(context="", force_language="Chinese") for _ in audio]
    return model.processor(text=texts, audio=audio, return_tensors="pt", padding=True)


@pytest.mark.parametrize(
    "seconds",
    [[2.0], [1.0, 2.5, 0.6, 4.0], [1.0, 3.0, 0.6]],
    ids=["batch1", "padded-batch4", "batch3-in-a-bucket-of-4"],
)
def test_static_decode_gives_the_dynamic_decodes_tokens(static_and_dynamic, seconds):
    static, dynamic = static_and_dynamic
    assert static.decode.startswith("static (none") and dynamic.decode == "dynamic"
    inputs = prompt_batch(static, clips(seconds))
    assert inputs["attention_mask"].all() == (len(seconds) == 1)  # the batch of 4 is padded
    decoder, prompt = static.decoder, inputs["input_ids"].shape[1]
    # 12 tokens; then stopping on ids the first and last rows produce at different steps (finished rows
    # are padded, the batch stops when all have finished), and with those ids barred for 5 tokens
    new = decoder.original_generate(**inputs, max_new_tokens=12).sequences[:, prompt:]
    stops = sorted({int(new[0, 3]), int(new[-1, 6])})
    eos_cases = [{}, {"eos_token_id": stops}, {"eos_token_id": stops, "min_new_tokens": 5}]
    for extra in eos_cases:
        before = decoder.stats["static_calls"]
        want = decoder.original_generate(**inputs, max_new_tokens=12, **extra).sequences
        got = static.model.model.generate(**inputs, max_new_tokens=12, **extra).sequences
        assert decoder.stats["static_calls"] == before + 1  # decoded by the static path, not handed back
        assert got.tolist() == want.tolist(), extra
        if extra and "min_new_tokens" not in extra:  # the stopping ids did stop rows
            assert got.shape[1] < prompt + 12 or (got[:, prompt:] == decoder.pad_id).any()
    # and the user-visible result: the same text from both backends
    options = DecodeOptions(language="zh")
    audio = clips(seconds)
    assert [r.segments for r in static.transcribe_batch(audio, options)] == [
        r.segments for r in dynamic.transcribe_batch(audio, options)
    ]


async def test_a_static_decode_is_loaded_before_healthz_says_ok(tiny_qwen3, tmp_path):
    """With IB_QWEN3_DECODE=static the service loads (and warms up) the engine at start-up, before any
    job: /healthz answers 503 naming the warm-up until then, 200 after."""
    import asyncio

    import aiohttp
    from aiohttp.test_utils import TestServer

    from bot.config import load_settings
    from bot.service import Service
    from handlers.server import build_app

    model, aligner = tiny_qwen3
    env = {
        "IB_DATA_DIR": str(tmp_path / "data"),
        "IB_DB": str(tmp_path / "ib.db"),
        "IB_ASR_ENGINE": "qwen3",
        "IB_QWEN3_MODEL": str(model),
        "IB_QWEN3_ALIGNER": str(aligner),
        "IB_QWEN3_DECODE": "static",
        "IB_QWEN3_BATCH_SIZE": "4",
    }
    service = Service(load_settings(env))
    server = TestServer(build_app(service), host="127.0.0.1")
    await server.start_server()
    await service.start()
    seen = []
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                async with session.get(server.make_url("/healthz")) as r:
                    seen.append((r.status, (await r.json())["problems"]))
                if r.status == 200:
                    break
                await asyncio.sleep(0.2)
        assert seen[-1][0] == 200, seen[-1]
        assert all("warming up" in " ".join(problems) for status, problems in seen if status == 503)
        assert service.engines.loaded  # no job asked for it
        backend = service.engines.get().backend.backend  # behind the cross-job batcher
        assert backend.decode.startswith("static") and backend.decoder is not None
    finally:
        await service.stop()
        await server.close()


def test_a_decode_that_cannot_be_captured_falls_back_to_generate(tiny_qwen3, monkeypatch):
    """A capture that fails at load (out of memory, an op CUDA graphs refuse) leaves the engine
    recognising with transformers' generate, and says so, rather than failing to load."""
    from asr_engine.backends import qwen3_static
    from asr_engine.backends.qwen3 import Qwen3Backend, Qwen3Settings

    def refuse(self):
        raise RuntimeError("CUDA error: operation not permitted when stream is capturing\nstack")

    monkeypatch.setattr(qwen3_static.StaticDecoder, "warm_up", refuse)
    settings = Qwen3Settings(decode="static", static_kv_tokens=4096)
    backend = Qwen3Backend(str(tiny_qwen3[0]), None, batch_size=2, max_new_tokens=4, settings=settings)
    assert backend.decoder is None
    assert (
        backend.decode
        == "dynamic (static none failed: CUDA error: operation not permitted when stream is capturing)"
    )
    (result,) = backend.transcribe_batch(clips([1.5]), DecodeOptions(language="zh"))
    assert result.segments and result.segments[0].text
