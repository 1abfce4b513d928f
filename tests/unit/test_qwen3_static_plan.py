"""Which captured shape a static decode uses, and when it hands a call back to transformers' generate;
no torch needed (the shapes are plain arithmetic)."""

from __future__ import annotations

from types import SimpleNamespace

from asr_engine.backends.qwen3_static import Plan, batch_buckets, plain_greedy_problem


def test_batches_round_up_to_a_power_of_two_and_lengths_to_the_next_bucket():
    plan = Plan(max_batch=48, kv_tokens=65536)
    assert batch_buckets(48) == (1, 2, 4, 8, 16, 32, 64)
    assert plan.bucket(1, 100) == (1, 128)
    assert plan.bucket(3, 129) == (4, 256)
    assert plan.bucket(48, 900) == (64, 1024)  # a 30 s chunk (~410 prompt tokens) + 512 new tokens
    assert plan.bucket(1, 4096) == (1, 4096)


def test_shapes_stay_within_the_shared_cache_and_the_rest_goes_to_generate():
    plan = Plan(max_batch=64, kv_tokens=65536)
    assert all(b * s <= 65536 for b, s in plan.shapes())
    assert plan.bucket(64, 1025) is None  # 64 x 2048 slots would not fit
    assert plan.bucket(65, 100) is None  # more rows than the largest batch
    assert plan.bucket(1, 4097) is None  # longer than the longest bucket


def test_only_plain_greedy_generation_configs_are_decoded_statically():
    def config(do_sample=False, num_beams=1, **diff):
        return SimpleNamespace(do_sample=do_sample, num_beams=num_beams, to_diff_dict=lambda: diff)

    assert plain_greedy_problem(config(pad_token_id=0, eos_token_id=[1], temperature=0.7)) is None
    assert "repetition_penalty" in plain_greedy_problem(config(repetition_penalty=1.1))
    assert "samples" in plain_greedy_problem(config(do_sample=True))
