"""Greedy Qwen3-ASR decoding on transformers with a static KV cache and captured decode steps.

transformers' `generate` with a dynamic cache re-launches every kernel of every layer for each token from
Python (~1,600 launches per forward pass at full size): the GPU sits mostly idle. Here the prompt (audio
encoder once per request, then the text prefill) runs exactly as `generate` runs it; its keys and values
are copied into preallocated buffers, and each following token is one step over fixed shapes, so the step
can be captured once per (batch, cache length) bucket and replayed:

* `graphs`: `torch.cuda.CUDAGraph` capture of the step (the default on CUDA);
* `compile`: `torch.compile(mode="reduce-overhead")` of the same step (inductor kernels + CUDA graphs);
* `none`: the step run eagerly (CPU, and the tests that check this path gives today's tokens).

The decoder answers the call qwen-asr makes, `model.generate(**inputs, max_new_tokens=...)` returning
`.sequences`, so prompts, chunking and output parsing stay qwen-asr's. Decoding is greedy (what the vLLM
runtime does: temperature 0) with the same stopping rules as `generate`: qwen-asr's end-of-speech ids,
finished rows padded, `min_new_tokens` honoured. A call that fits no bucket, or asks for anything else,
goes to the original `generate`.

Buckets share one buffer per layer: a bucket of B rows x S positions views the first B*S token slots, so
the memory is `kv_tokens` slots whatever the number of buckets (0.6B: 112 KiB a slot, 7.5 GB for 65,536).
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from ..config import QWEN3_CAPTURES as CAPTURES

log = logging.getLogger(__name__)

LENGTHS = (128, 256, 512, 1024, 2048, 4096)  # cache lengths: prompt + max_new_tokens must fit one
_STEP_ARGS = ("input_ids", "attention_mask", "input_features", "feature_attention_mask")
# GenerationConfig fields that leave greedy decoding plain (no logits processors, one beam)
_NEUTRAL = {
    "pad_token_id",
    "bos_token_id",
    "eos_token_id",
    "max_length",
    "max_new_tokens",
    "transformers_version",
    "use_cache",
    "temperature",
    "top_k",
    "top_p",
    "_from_model_config",
}


def plain_greedy_problem(generation_config: Any) -> str | None:
    """Why the model's generation config is more than plain greedy decoding, or None."""
    if generation_config.do_sample or generation_config.num_beams != 1:
        return "the model's generation_config samples or beam-searches"
    extra = sorted(k for k in generation_config.to_diff_dict() if k not in _NEUTRAL and k != "do_sample")
    return f"the model's generation_config sets {', '.join(extra)}" if extra else None


def batch_buckets(max_batch: int) -> tuple[int, ...]:
    out, b = [], 1
    while True:
        out.append(b)
        if b >= max_batch:
            return tuple(out)
        b *= 2


@dataclass(frozen=True)
class Plan:
    """Which (rows, cache length) shapes get a captured step."""

    max_batch: int
    kv_tokens: int = 65536
    lengths: tuple[int, ...] = LENGTHS
    batches: tuple[int, ...] | None = None  # None: powers of two up to max_batch

    def shapes(self) -> list[tuple[int, int]]:
        batches = self.batches or batch_buckets(self.max_batch)
        return [(b, s) for b in batches for s in self.lengths if b * s <= self.kv_tokens]

    def bucket(self, rows: int, length: int) -> tuple[int, int] | None:
        """The smallest shape holding `rows` sequences of `length` positions, or None."""
        fits = [(b, s) for b, s in self.shapes() if b >= rows and s >= length]
        return min(fits, key=lambda bs: (bs[0] * bs[1], bs[0])) if fits else None


class _KVViews:
    """What the text model writes its keys and values into: per layer, one bucket's view of the buffers
    (transformers' StaticLayer.update, without its lazy allocation: the views are made up front)."""

    is_compileable = True

    def __init__(self, keys: list, values: list) -> None:
        self.keys, self.values = keys, values

    def update(self, key_states, value_states, layer_idx: int, cache_kwargs: dict | None = None):
        position = (cache_kwargs or {})["cache_position"]
        keys, values = self.keys[layer_idx], self.values[layer_idx]
        keys.index_copy_(2, position, key_states)
        values.index_copy_(2, position, value_states)
        return keys, values


class _Bucket:
    """One (rows, length) shape: its buffers, its step, and how the step runs (eager, graph, compiled)."""

    def __init__(self, owner: StaticDecoder, rows: int, length: int) -> None:
        torch, device = owner.torch, owner.device
        self.owner, self.rows, self.length = owner, rows, length
        self.tok = torch.zeros((rows, 1), dtype=torch.long, device=device)
        self.cache_pos = torch.zeros(1, dtype=torch.long, device=device)
        self.new_count = torch.zeros(1, dtype=torch.long, device=device)
        self.pos_base = torch.zeros(rows, dtype=torch.long, device=device)
        self.valid = torch.zeros((rows, length), dtype=torch.bool, device=device)
        self.done = torch.ones(rows, dtype=torch.bool, device=device)
        shape = (rows, owner.kv_heads, length, owner.head_dim)
        n = rows * owner.kv_heads * length * owner.head_dim
        self.kv = _KVViews(
            [k[:n].view(shape) for k in owner.k_store], [v[:n].view(shape) for v in owner.v_store]
        )
        self.run: Callable[[], Any] = self.step

    def step(self):
        """One token for every row, all on the device: attend, pick greedily, advance the buffers."""
        owner = self.owner
        self.valid.index_fill_(1, self.cache_pos, True)
        positions = (self.cache_pos + self.pos_base).view(1, -1, 1).expand(3, -1, -1)
        hidden = owner.text_model(
            input_ids=self.tok,
            attention_mask=self.valid[:, None, None, :],
            position_ids=positions,
            past_key_values=self.kv,
            cache_position=self.cache_pos,
            use_cache=True,
        ).last_hidden_state
        logits = owner.lm_head(hidden[:, -1, :]).float()
        nxt = owner.pick(logits, self.new_count, self.done)
        self.tok.copy_(nxt.view(-1, 1))
        self.cache_pos.add_(1)
        self.new_count.add_(1)
        return nxt

    def reset_dummy(self) -> None:
        """Harmless contents to warm up or capture with: every row finished, one visible position."""
        self.tok.fill_(self.owner.pad_id)
        self.cache_pos.zero_()
        self.new_count.zero_()
        self.pos_base.zero_()
        self.valid.zero_()
        self.done.fill_(True)

    def capture_graph(self, pool: Any) -> None:
        torch = self.owner.torch
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # kernels chosen and workspaces allocated before capture
            for _ in range(2):
                self.reset_dummy()
                self.step()
        torch.cuda.current_stream().wait_stream(side)
        self.reset_dummy()
        graph = torch.cuda.CUDAGraph()
        # thread_local: the service captures in a loader thread while other threads may touch CUDA
        with torch.cuda.graph(graph, pool=pool, capture_error_mode="thread_local"):
            out = self.step()

        def replay():
            graph.replay()
            return out

        self.run = replay

    def compile_step(self, compiled: Callable) -> None:
        torch = self.owner.torch
        buffers = (self.tok, self.cache_pos, self.new_count, self.pos_base, self.valid, self.done)
        for t in (*buffers, *self.kv.keys, *self.kv.values):  # mutated in the step: fixed addresses
            torch._dynamo.mark_static_address(t)

        def run():
            torch.compiler.cudagraph_mark_step_begin()
            return compiled(self).clone()

        for _ in range(3):  # compile, then record the CUDA graph
            self.reset_dummy()
            run()
        self.run = run


class StaticDecoder:
    """Answers `generate(**inputs, max_new_tokens=...)` for a `Qwen3ASRForConditionalGeneration`."""

    def __init__(self, model: Any, plan: Plan, capture: str = "none") -> None:
        import torch

        if capture not in CAPTURES:
            raise ValueError(f"capture must be one of {', '.join(CAPTURES)}, not {capture!r}")
        self.torch, self.model, self.plan, self.capture = torch, model, plan, capture
        thinker = model.thinker
        self.text_model, self.lm_head = thinker.model, thinker.lm_head
        text = thinker.config.text_config
        self.kv_heads, self.head_dim = text.num_key_value_heads, text.head_dim
        self.device, dtype = thinker.device, thinker.dtype
        self.original_generate = model.generate
        signature = inspect.signature(self.original_generate).parameters
        self.eos_ids = list(signature["eos_token_id"].default)  # what qwen-asr's generate stops on
        pad = thinker.generation_config.pad_token_id
        self.pad_id = int(pad if pad is not None else self.eos_ids[0])  # generate's own fallback
        vocab = self.lm_head.out_features
        eos = torch.tensor(self.eos_ids, device=self.device)
        self.eos_mask = torch.isin(torch.arange(vocab, device=self.device), eos)
        self.min_new = torch.zeros(1, dtype=torch.long, device=self.device)
        per_layer = plan.kv_tokens * self.kv_heads * self.head_dim
        layers = text.num_hidden_layers
        self.k_store = [torch.zeros(per_layer, dtype=dtype, device=self.device) for _ in range(layers)]
        self.v_store = [torch.zeros(per_layer, dtype=dtype, device=self.device) for _ in range(layers)]
        self.buckets = {shape: _Bucket(self, *shape) for shape in plan.shapes()}
        self.stats = {"static_calls": 0, "fallback_calls": 0, "warmup_s": 0.0}
        self._lock = threading.Lock()

    def pick(self, logits, new_count, done):
        """Greedy choice as `generate` makes it: end-of-speech barred before min_new_tokens, finished rows
        padded, rows that produce an end-of-speech id marked finished."""
        torch = self.torch
        logits = logits.masked_fill(self.eos_mask & (new_count < self.min_new), float("-inf"))
        nxt = torch.where(done, self.pad_id, logits.argmax(-1))
        done.logical_or_(self.eos_mask[nxt])
        return nxt

    def install(self) -> None:
        """qwen-asr's transformers path calls `model.generate`: from now on that is this decoder."""
        self.model.generate = self.generate

    def warm_up(self) -> float:
        """Capture (or compile) every bucket's step; seconds taken. Eager steps need nothing."""
        torch = self.torch
        t0 = time.perf_counter()
        with torch.no_grad():
            if self.capture == "graphs":
                pool = torch.cuda.graph_pool_handle()
                for bucket in self.buckets.values():
                    bucket.capture_graph(pool)
            elif self.capture == "compile":
                limit = 4 * len(self.buckets)  # one entry per bucket at worst (its own `self`)
                torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, limit)
                torch._dynamo.config.accumulated_cache_size_limit = max(
                    torch._dynamo.config.accumulated_cache_size_limit, limit
                )
                compiled = torch.compile(_Bucket.step, mode="reduce-overhead", fullgraph=True)
                for bucket in self.buckets.values():
                    bucket.compile_step(compiled)
        self.stats["warmup_s"] = time.perf_counter() - t0
        return self.stats["warmup_s"]

    def generate(self, input_ids=None, max_new_tokens: int = 4096, **kwargs):
        eos = kwargs.pop("eos_token_id", None)
        min_new = int(kwargs.pop("min_new_tokens", 0) or 0)
        rows, prompt = input_ids.shape
        bucket = self.plan.bucket(rows, prompt + max_new_tokens)
        if bucket is None or set(kwargs) - set(_STEP_ARGS):
            self.stats["fallback_calls"] += 1
            extra = {"eos_token_id": eos} if eos is not None else {}
            if min_new:
                extra["min_new_tokens"] = min_new
            return self.original_generate(
                input_ids=input_ids, max_new_tokens=max_new_tokens, **kwargs, **extra
            )
        with self._lock, self.torch.no_grad():
            self.stats["static_calls"] += 1
            self._set_eos(self.eos_ids if eos is None else [eos] if isinstance(eos, int) else list(eos))
            tokens = self._decode(self.buckets[bucket], input_ids, kwargs, max_new_tokens, min_new)
        return SimpleNamespace(sequences=self.torch.cat([input_ids, tokens], dim=1))

    def _set_eos(self, ids: list[int]) -> None:
        """The ids this call stops on, written into the mask the captured steps read."""
        torch = self.torch
        wanted = torch.isin(
            torch.arange(self.eos_mask.numel(), device=self.device), torch.tensor(ids, device=self.device)
        )
        self.eos_mask.copy_(wanted)

    def _decode(self, bucket: _Bucket, input_ids, inputs: dict, max_new: int, min_new: int):
        torch = self.torch
        rows, prompt = input_ids.shape
        self.min_new.fill_(min_new)
        first = self._prefill(bucket, input_ids, inputs)
        out = [first]
        check_every = 4 if self.device.type == "cuda" else 1  # each check waits for the device
        for step in range(1, max_new):
            if (step == 1 or step % check_every == 0) and bool(bucket.done[:rows].all()):
                break
            out.append(bucket.run()[:rows].clone())
        return _trim(torch.stack(out, dim=1), self.eos_mask, self.pad_id)

    def _prefill(self, bucket: _Bucket, input_ids, inputs: dict):
        """The prompt through the thinker as `generate`'s first step runs it (audio encoder included), its
        cache copied into the bucket's views, the buffers set for the steps; the first token back."""
        torch = self.torch
        rows, prompt = input_ids.shape
        mask = inputs["attention_mask"]
        thinker = self.model.thinker
        out = thinker(
            input_ids=input_ids,
            cache_position=torch.arange(prompt, device=input_ids.device),
            use_cache=True,
            return_dict=True,
            **{k: v for k, v in inputs.items() if k != "input_ids"},
        )
        for layer, (keys, values) in enumerate(zip(bucket.kv.keys, bucket.kv.values)):
            keys[:rows, :, :prompt].copy_(out.past_key_values.layers[layer].keys)
            values[:rows, :, :prompt].copy_(out.past_key_values.layers[layer].values)
        bucket.reset_dummy()
        bucket.valid[:, 0] = True  # padding rows see one position, so their softmax stays finite
        bucket.valid[:rows, :prompt] = mask.bool()
        bucket.pos_base[:rows] = thinker.rope_deltas.view(-1)  # the positions generate's steps would use
        bucket.done[:rows] = False
        first = self.pick(out.logits[:, -1, :].float(), bucket.new_count, bucket.done[:rows])
        bucket.tok[:rows, 0] = first
        bucket.cache_pos.fill_(prompt)
        bucket.new_count.fill_(1)
        return first


def _trim(tokens, eos_mask, pad_id: int):
    """Drop the steps run after every row had finished (the loop checks only every few steps)."""
    finished = eos_mask[tokens]
    if not bool(finished.any(dim=1).all()):
        return tokens
    last = int(finished.int().argmax(dim=1).max())
    return tokens[:, : last + 1]
