"""The full-size random checkpoints have the published shapes of Qwen3-ASR-0.6B and
Qwen3-ForcedAligner-0.6B. Checked on torch's `meta` device: shapes without allocating ~1.7 B weights."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.qwen3


@pytest.fixture(scope="module")
def build():
    torch = pytest.importorskip("torch")
    pytest.importorskip("qwen_asr")
    from qwen_asr.core.transformers_backend import Qwen3ASRForConditionalGeneration

    from bench.qwen3_checkpoint import model_config

    def on_meta(aligner: bool):
        config = model_config("0.6b", aligner)
        with torch.device("meta"):
            return config, Qwen3ASRForConditionalGeneration(config)

    return on_meta


def shapes(model) -> dict[str, tuple[int, ...]]:
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def test_asr_06b_shape(build):
    config, model = build(aligner=False)
    params = shapes(model)
    thinker = model.thinker
    assert len(thinker.audio_tower.layers) == 18 and len(thinker.model.layers) == 28
    assert thinker.model.embed_tokens.weight.shape == (151936, 1024)
    assert thinker.lm_head.weight is thinker.model.embed_tokens.weight  # tied, as published
    assert params["thinker.audio_tower.layers.0.fc1.weight"] == (3584, 896)
    assert params["thinker.model.layers.0.self_attn.k_proj.weight"] == (8 * 128, 1024)
    assert params["thinker.model.layers.0.mlp.up_proj.weight"] == (3072, 1024)
    assert 770e6 < sum(p.numel() for p in model.parameters()) < 800e6


def test_forced_aligner_06b_shape(build):
    config, model = build(aligner=True)
    thinker = model.thinker
    assert config.thinker_config.model_type == "qwen3_forced_aligner"
    assert config.timestamp_segment_time == 80.0
    assert len(thinker.audio_tower.layers) == 24 and len(thinker.model.layers) == 28
    assert shapes(model)["thinker.audio_tower.layers.0.fc1.weight"] == (4096, 1024)
    assert thinker.model.embed_tokens.weight.shape == (152064, 1024)
    assert thinker.lm_head.weight.shape == (5000, 1024)  # timestamp classes of 80 ms: up to 400 s


def test_full_vocabulary_tokenizer_decodes_any_id(tmp_path):
    pytest.importorskip("transformers")
    from bench.qwen3_checkpoint import build_tokenizer

    tok = build_tokenizer(tmp_path, pad_to=151936)
    assert len(tok) == 151936
    text = tok.decode([151935, 20000, 90000], skip_special_tokens=True)
    assert len(text) >= 3 and all("\u4e00" <= ch <= "\u9fa5" for ch in text)
    assert tok.decode(tok("我们用 Redis 做缓存")["input_ids"]) == "我们用 Redis 做缓存"
    # qwen-asr loads with fix_mistral_regex=True, which rewrites item [0] of any >100k tokenizer's
    # pre-tokenizer next to a config.json: ours must survive that as Qwen's own does.
    from transformers import AutoTokenizer

    (tmp_path / "config.json").write_text('{"model_type": "qwen3_asr", "transformers_version": "4.57.6"}')
    again = AutoTokenizer.from_pretrained(tmp_path, fix_mistral_regex=True)
    assert again.decode(again("我们用 Redis 做缓存")["input_ids"]) == "我们用 Redis 做缓存"
