"""Build randomly initialised Qwen3-ASR / Qwen3-ForcedAligner checkpoints that load through the real
`Qwen3ASRModel.from_pretrained` path: tiny ones for CPU tests, full 0.6B-sized ones for GPU benchmarks.

No hub access: the tokenizer is a byte-level BPE trained here on a few sentences, with Qwen's audio and
chat special tokens added, and the processor gets a chat template shaped like Qwen3-ASR's. The words a
random model emits are nonsense; shapes, batching, generation and timestamp plumbing are real.
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIAL = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|audio_start|>",
    "<|audio_end|>",
    "<|audio_pad|>",
    "<asr_text>",
    "<timestamp>",
]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'audio' %}<|audio_start|><|audio_pad|><|audio_end|>"
    "{% elif c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "language Chinese",
    "language English",
    "我们用消息队列做削峰，幂等性通过唯一键保证。",
    "线程池的核心线程数根据压测结果来调。",
    "It was the best of times, it was the worst of times.",
    "We cache hot keys in Redis and shard the database.",
    "你好，请介绍一下你自己。",
]

SIZES = {
    # A couple of small layers: loads and runs on a laptop CPU in a second.
    "tiny": dict(
        audio=dict(
            encoder_layers=1,
            encoder_attention_heads=2,
            encoder_ffn_dim=64,
            d_model=32,
            downsample_hidden_size=16,
        ),
        text=dict(
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=32,
            mrope_section=[8, 4, 4],
        ),
        vocab=None,
        # Untied: a random tied head echoes the last prompt token (<asr_text>, a special token skipped
        # at decode), which would leave nothing for the aligner to work on.
        tied=False,
    ),
    # Qwen3-ASR-0.6B as published: encoder 18 x 896 (14 heads, ffn 3584, out 1024);
    # decoder 28 x 1024 (16 heads, 8 kv heads, head 128, ffn 3072), tied embeddings.
    "0.6b": dict(
        audio=dict(
            encoder_layers=18,
            encoder_attention_heads=14,
            encoder_ffn_dim=3584,
            d_model=896,
            downsample_hidden_size=480,
        ),
        text=dict(
            hidden_size=1024,
            intermediate_size=3072,
            num_hidden_layers=28,
            num_attention_heads=16,
            num_key_value_heads=8,
            head_dim=128,
            mrope_section=[24, 20, 20],
        ),
        vocab=151936,
        tied=True,
    ),
}


def build_tokenizer(out: Path, vocab_size: int = 400):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    fast = Qwen2TokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
        additional_special_tokens=SPECIAL[1:],
        extra_special_tokens={
            "audio_token": "<|audio_pad|>",
            "audio_bos_token": "<|audio_start|>",
            "audio_eos_token": "<|audio_end|>",
        },
    )
    fast.save_pretrained(out)
    return fast


def build_checkpoint(out: str | Path, size: str = "tiny", *, aligner: bool = False, seed: int = 0) -> Path:
    """Write a random checkpoint folder to `out` and return it."""
    import torch
    from qwen_asr.core.transformers_backend import (
        Qwen3ASRConfig,
        Qwen3ASRForConditionalGeneration,
        Qwen3ASRProcessor,
    )
    from transformers import WhisperFeatureExtractor

    spec = SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer(out)
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL}
    text = dict(spec["text"])
    mrope = text.pop("mrope_section")
    vocab = spec["vocab"] or len(tok)
    audio_cfg = dict(
        spec["audio"],
        num_mel_bins=128,
        n_window=50,
        n_window_infer=800,
        conv_chunksize=500,
        output_dim=text["hidden_size"],
        max_source_positions=1500,
    )
    text_cfg = dict(
        text,
        vocab_size=vocab,
        max_position_embeddings=65536,
        tie_word_embeddings=spec["tied"],
        rope_theta=1_000_000.0,
        pad_token_id=ids["<|endoftext|>"],
        rope_scaling={
            "rope_type": "default",
            "mrope_section": mrope,
            "interleaved": True,
            "mrope_interleaved": True,
        },
    )
    extra = {"timestamp_token_id": ids["<timestamp>"], "timestamp_segment_time": 80.0} if aligner else {}
    config = Qwen3ASRConfig(
        thinker_config=dict(
            audio_config=audio_cfg,
            text_config=text_cfg,
            audio_token_id=ids["<|audio_pad|>"],
            audio_start_token_id=ids["<|audio_start|>"],
        ),
        support_languages=["Chinese", "English"],
        **extra,
    )
    torch.manual_seed(seed)
    model = Qwen3ASRForConditionalGeneration(config).to(torch.bfloat16 if size != "tiny" else torch.float32)
    model.save_pretrained(out)
    processor = Qwen3ASRProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=128, sampling_rate=16000),
        tokenizer=tok,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    (out / "README.txt").write_text(
        json.dumps({"random_weights": True, "size": size, "aligner": aligner}) + "\n"
    )
    return out
