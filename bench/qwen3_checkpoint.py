#!/usr/bin/env python3
"""Build randomly initialised Qwen3-ASR / Qwen3-ForcedAligner checkpoints that load through the real
`Qwen3ASRModel.from_pretrained` (and `Qwen3ASRModel.LLM`) path: tiny ones for CPU tests, full-size ones
with the published shapes of Qwen3-ASR-0.6B and Qwen3-ForcedAligner-0.6B for GPU benchmarks.

    python bench/qwen3_checkpoint.py OUT_DIR --size 0.6b            # ASR, ~0.9 B parameters, bf16
    python bench/qwen3_checkpoint.py OUT_DIR --size 0.6b --aligner  # aligner, 5000-class timestamp head

No hub access: the tokenizer is a byte-level BPE trained here on a few sentences, with Qwen's audio and
chat special tokens added, and the processor gets a chat template shaped like Qwen3-ASR's. At full size
the vocabulary is padded to the published size with CJK "words", so whatever ids a random model emits
decode to text the aligner and the analysis can work on. Words are nonsense; shapes, batching,
generation and timestamp plumbing are real. Token ids of the special tokens are ours, not Qwen's.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

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
QWEN_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
CORPUS = [
    "language Chinese",
    "language English",
    "我们用消息队列做削峰，幂等性通过唯一键保证。",
    "线程池的核心线程数根据压测结果来调。",
    "It was the best of times, it was the worst of times.",
    "We cache hot keys in Redis and shard the database.",
    "你好，请介绍一下你自己。",
]

# The published config.json of each model (thinker_config), as qwen-asr's configuration classes read it.
# Qwen3-ASR-0.6B: encoder 18 x 896 (14 heads, ffn 3584, out 1024); decoder 28 x 1024 (16 heads, 8 kv,
# head 128, ffn 3072), vocab 151936, tied embeddings.
# Qwen3-ForcedAligner-0.6B: encoder 24 x 1024 (16 heads, ffn 4096, out 1024); the same decoder with an
# untied 152064 vocab, and a 5000-class head (x 80 ms: timestamps up to 400 s) instead of the LM head.
_ENCODER_06B = dict(encoder_layers=18, encoder_attention_heads=14, encoder_ffn_dim=3584, d_model=896)
_ENCODER_ALIGNER = dict(encoder_layers=24, encoder_attention_heads=16, encoder_ffn_dim=4096, d_model=1024)
_DECODER_06B = dict(
    hidden_size=1024,
    intermediate_size=3072,
    num_hidden_layers=28,
    num_attention_heads=16,
    num_key_value_heads=8,
    head_dim=128,
    mrope_section=[24, 20, 20],
)
_TINY_ENCODER = dict(encoder_layers=1, encoder_attention_heads=2, encoder_ffn_dim=64, d_model=32)
_TINY_DECODER = dict(
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=1,
    num_attention_heads=2,
    num_key_value_heads=1,
    head_dim=32,
    mrope_section=[8, 4, 4],
)
SHAPES: dict[tuple[str, bool], dict[str, Any]] = {
    # A couple of small layers: loads and runs on a laptop CPU in a second. Untied: a random tied head
    # echoes the last prompt token (<asr_text>, skipped at decode), leaving nothing for the aligner.
    ("tiny", False): dict(
        audio=dict(_TINY_ENCODER, downsample_hidden_size=16), text=_TINY_DECODER, vocab=None
    ),
    ("tiny", True): dict(
        audio=dict(_TINY_ENCODER, downsample_hidden_size=16), text=_TINY_DECODER, vocab=None
    ),
    ("0.6b", False): dict(
        audio=dict(_ENCODER_06B, downsample_hidden_size=480), text=_DECODER_06B, vocab=151936
    ),
    ("0.6b", True): dict(
        audio=dict(_ENCODER_ALIGNER, downsample_hidden_size=480), text=_DECODER_06B, vocab=152064
    ),
}
PUBLISHED_TIED = {False: True, True: False}  # ASR ties its embeddings, the aligner does not
CLASSIFY_NUM = 5000
TIMESTAMP_SEGMENT_MS = 80.0


def _filler_tokens(count: int) -> list[str]:
    """`count` distinct CJK "words" (single ideographs first, then pairs) in byte-level BPE spelling."""
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode

    table = bytes_to_unicode()
    singles = [chr(c) for c in range(0x4E00, 0x9FA6)]
    out: list[str] = []
    i = 0
    while len(out) < count:
        word = singles[i] if i < len(singles) else singles[(i - len(singles)) // 400] + singles[i % 400]
        out.append("".join(table[b] for b in word.encode("utf-8")))
        i += 1
    return out


def build_tokenizer(out: Path, vocab_size: int = 400, pad_to: int | None = None):
    """Train the small BPE; with `pad_to`, add filler words until the vocabulary has that many ids."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    tok = Tokenizer(models.BPE())
    # Qwen2's pre-tokenizer: a regex split, then byte-level. transformers patches item [0] of it for
    # any tokenizer with more than 100k entries (its Mistral regex fix), so it must be a Sequence.
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS, trainer=trainer)
    if pad_to and pad_to > tok.get_vocab_size():
        # Rebuild the model with the trained vocab and merges plus filler entries (never produced by
        # encoding, only by a random model's decoding).
        state = json.loads(tok.to_str())["model"]
        vocab = dict(state["vocab"])
        fresh = (w for w in _filler_tokens(pad_to) if w not in vocab)
        while len(vocab) < pad_to:
            vocab[next(fresh)] = len(vocab)
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
        specials = tok.get_added_tokens_decoder()
        tok.model = models.BPE(vocab=vocab, merges=merges)
        tok.add_special_tokens([specials[i] for i in sorted(specials)])
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


def model_config(size: str, aligner: bool, ids: dict[str, int] | None = None, vocab: int | None = None):
    """The Qwen3ASRConfig of a checkpoint, without weights (tests check the full shapes on `meta`)."""
    from qwen_asr.core.transformers_backend import Qwen3ASRConfig

    spec = SHAPES[(size, aligner)]
    ids = ids or {t: i for i, t in enumerate(SPECIAL)}
    text = dict(spec["text"])
    mrope = text.pop("mrope_section")
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
        vocab_size=spec["vocab"] or vocab or len(SPECIAL),
        max_position_embeddings=65536,
        tie_word_embeddings=PUBLISHED_TIED[aligner] and size != "tiny",
        rope_theta=1_000_000.0,
        rms_norm_eps=1e-6,
        pad_token_id=ids["<|endoftext|>"],
        rope_scaling={
            "rope_type": "default",
            "mrope_section": mrope,
            "interleaved": True,
            "mrope_interleaved": True,
        },
    )
    thinker = dict(
        audio_config=audio_cfg,
        text_config=text_cfg,
        audio_token_id=ids["<|audio_pad|>"],
        audio_start_token_id=ids["<|audio_start|>"],
    )
    extra: dict[str, Any] = {}
    if aligner:
        thinker.update(model_type="qwen3_forced_aligner", classify_num=CLASSIFY_NUM)
        extra = {"timestamp_token_id": ids["<timestamp>"], "timestamp_segment_time": TIMESTAMP_SEGMENT_MS}
    return Qwen3ASRConfig(thinker_config=thinker, support_languages=["Chinese", "English"], **extra)


def build_checkpoint(
    out: str | Path,
    size: str = "tiny",
    *,
    aligner: bool = False,
    seed: int = 0,
    untied: bool = False,
    layers: int | None = None,
) -> Path:
    """Write a random checkpoint folder to `out` and return it. `untied` gives a full-size ASR model its
    own LM head: the same compute, 155 M more parameters, and a random model that does not just echo its
    prompt (the benchmarks want text to align and analyse). `layers`: that many decoder layers instead
    (a test of per-layer cache handling needs more than the tiny model's one)."""
    import torch
    from qwen_asr.core.transformers_backend import Qwen3ASRForConditionalGeneration, Qwen3ASRProcessor
    from transformers import WhisperFeatureExtractor

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    full = SHAPES[(size, aligner)]["vocab"]
    tok = build_tokenizer(out, pad_to=full)
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL}
    config = model_config(size, aligner, ids, vocab=len(tok))
    if layers:
        config.thinker_config.text_config.num_hidden_layers = layers
    if untied:
        config.thinker_config.text_config.tie_word_embeddings = False
        config.tie_word_embeddings = False
    torch.manual_seed(seed)
    dtype = torch.float32 if size == "tiny" else torch.bfloat16
    model = Qwen3ASRForConditionalGeneration._from_config(config, dtype=dtype)
    model.save_pretrained(out)
    if aligner:  # transformers writes the class's model_type; the published file names the aligner's
        path = out / "config.json"
        data = json.loads(path.read_text())
        data["thinker_config"]["model_type"] = "qwen3_forced_aligner"
        path.write_text(json.dumps(data, indent=2) + "\n")
    processor = Qwen3ASRProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=128, sampling_rate=16000),
        tokenizer=tok,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    params = sum(p.numel() for p in model.parameters())
    (out / "README.txt").write_text(
        json.dumps({"random_weights": True, "size": size, "aligner": aligner, "parameters": params}) + "\n"
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--size", default="0.6b", choices=["tiny", "0.6b"])
    ap.add_argument("--aligner", action="store_true")
    ap.add_argument(
        "--untied", action="store_true", help="own LM head for the ASR model (see build_checkpoint)"
    )
    args = ap.parse_args()
    path = build_checkpoint(args.out, args.size, aligner=args.aligner, untied=args.untied)
    print(path, (path / "README.txt").read_text().strip())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
