#!/usr/bin/env bash
# Live captions on a lent GPU, in one call: Qwen3-ASR at full size (random weights with the published
# shapes, bench/qwen3_checkpoint.py; no hub there), the transformers runtime in bf16 (vLLM's wheels are
# too big for the device transfer), the service's engine with every session's windows batched.
#
#   here:  python bench/live.py --save-samples .gpu/interview_zh.npy   # the dialogue without PyAV
#          (.whl/: the [qwen3] extra's wheels the GPU image lacks; docs/benchmarks.md "Live captions on a GPU")
#   there: bash bench/gpu_live.sh            # figures under $OUT (or /tmp/ib-gpu)
#
# Random weights never stop early, so each decode generates IB_QWEN3_MAX_NEW_TOKENS tokens (32 here: about
# 8 s of Mandarin, more than most live windows hold); bench/window_decode.py prints the cost per call by
# batch, window length and tokens.
set -euo pipefail
SAMPLES=${SAMPLES:-.gpu/interview_zh.npy}
SECONDS_OF_AUDIO=${SECONDS_OF_AUDIO:-40}
SESSIONS=${SESSIONS:-1 16 64}
source bench/gpu_setup.sh
export IB_ASR_ENGINE=qwen3 IB_QWEN3_MODEL=$MODEL IB_QWEN3_MAX_NEW_TOKENS=32 IB_QWEN3_MAX_BATCH=64
export IB_DATA_DIR=/tmp/ib-data
nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv,nounits -l 1 > "$OUT/gpu_samples.csv" &
SMI=$!
trap 'kill $SMI 2> /dev/null || true' EXIT
python3 bench/window_decode.py --audio "$SAMPLES" --batch 1 16 64 --seconds 1 4 --tokens 8 32 \
  | tee "$OUT/window_decode.jsonl"
python3 bench/live.py --engine configured --audio "$SAMPLES" --seconds "$SECONDS_OF_AUDIO" \
  --sessions $SESSIONS | tee "$OUT/live.jsonl"
python3 bench/live.py --engine configured --audio "$SAMPLES" --seconds "$SECONDS_OF_AUDIO" \
  --sessions 1 --first-step 0.1 | tee "$OUT/live_first_step_0.1.jsonl"
# the whole script's peak: window_decode's batches of 64 and the 64 live sessions
peak=$(awk -F', ' 'NR > 1 && $2 + 0 > m {m = $2 + 0} END {print m}' "$OUT/gpu_samples.csv")
echo "GPU memory used, max over the run: $peak MiB"
