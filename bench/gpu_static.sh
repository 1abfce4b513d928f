#!/usr/bin/env bash
# The static-cache, graph-captured Qwen3-ASR decode on a lent GPU (docs/gpu.md), in one call of at most
# 8 minutes. Full-size random weights (bench/qwen3_checkpoint.py), bf16, qwen-asr's transformers runtime.
#
#   here:  python bench/live.py --save-samples .gpu/interview_zh.npy     # the dialogue without PyAV
#          (.whl/: the [qwen3] extra's wheels the GPU image lacks, if any; docs/gpu.md)
#   there: bash bench/gpu_static.sh                   # every part; figures under $OUT (or /tmp/ib-gpu)
#          bash bench/gpu_static.sh step live          # some parts, in this order
#   CPU rehearsal of every command: bash bench/gpu_static.sh --tiny --device cpu
#
# Parts: step (per-token cost at batch 1/16/64: dynamic vs static with CUDA graphs, transformers' own
# static cache; warm-up time, same-token rows, peak memory), compile (the static decode with
# torch.compile(mode="reduce-overhead") instead of CUDA graphs, on its own clock), window (one window
# decode per batch through the service's engine), live (bench/live.py at 1/16/64 sessions), offline
# (the workload's x-real-time at concurrency 1/8/32). Each part has its own time limit so the whole stays
# within 8 minutes; one that runs out prints "timed out" and the next part starts.
set -uo pipefail
DEVICE=cuda
PARTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) export QWEN3_SIZE=tiny ;;
    --device) DEVICE=$2; shift ;;
    *) PARTS+=("$1") ;;
  esac
  shift
done
[ ${#PARTS[@]} -eq 0 ] && PARTS=(step compile window live offline)
SAMPLES=${SAMPLES:-.gpu/interview_zh.npy}
[ -f "$SAMPLES" ] || python3 bench/live.py --save-samples "$SAMPLES" # needs PyAV: do it before the GPU
source bench/gpu_setup.sh
if [ "$DEVICE" = cpu ]; then # a rehearsal: the tiny model, small batches, the step run eagerly
  export CUDA_VISIBLE_DEVICES="" IB_QWEN3_CAPTURE=none
  BATCHES="1 4" SESSIONS=${SESSIONS:-1 2} LIVE_S=${LIVE_S:-8} CONC="1 4" RECS=2 TOTAL_S=60
  COMPILE_BATCHES="1" STATIC=none SLOW=3 # the CPU is slower: limits x3
else
  BATCHES="1 16 64" SESSIONS=${SESSIONS:-1 16 64} LIVE_S=${LIVE_S:-20} CONC="1 8 32" RECS=8 TOTAL_S=600
  COMPILE_BATCHES="1 64" STATIC=graphs SLOW=1
fi
# IB_QWEN3_DECODE=dynamic / IB_QWEN3_CAPTURE=compile set by the caller are kept (window, live, offline)
export IB_ASR_ENGINE=qwen3 IB_QWEN3_MODEL=$MODEL IB_QWEN3_RUNTIME=transformers
export IB_QWEN3_DECODE=${IB_QWEN3_DECODE:-static}
export IB_QWEN3_MAX_NEW_TOKENS=32 IB_QWEN3_MAX_BATCH=64 IB_DATA_DIR=/tmp/ib-data
ALIGNER=/tmp/ib-qwen3-$SIZE-aligner

part() { # name, seconds, command...
  local name=$1 limit=$(($2 * SLOW))
  shift 2
  echo "=== $name (at most ${limit} s): $*"
  local t0=$SECONDS
  timeout "$limit" "$@" 2>&1 | tee "$OUT/$name.txt"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 124 ] && echo "=== $name: timed out after $limit s" | tee -a "$OUT/$name.txt"
  echo "=== $name: exit $rc, $((SECONDS - t0)) s"
}

run_part() {
  case "$1" in
    step) part step 90 python3 bench/static_decode.py "$MODEL" --device "$DEVICE" --batch $BATCHES \
      --variants dynamic $STATIC hf-static ;;
    compile) part compile 120 python3 bench/static_decode.py "$MODEL" --device "$DEVICE" \
      --batch $COMPILE_BATCHES --variants compile --repeats 2 ;;
    window) part window 45 python3 bench/window_decode.py --audio "$SAMPLES" --batch $BATCHES --seconds 4 \
      --tokens 32 --repeats 3 ;;
    live) part live 100 python3 bench/live.py --engine configured --audio "$SAMPLES" --seconds "$LIVE_S" \
      --sessions $SESSIONS ;;
    offline)
      [ -f "$ALIGNER/config.json" ] || python3 bench/qwen3_checkpoint.py "$ALIGNER" --size "$SIZE" --aligner
      part offline 75 python3 bench/asr.py --workload --engine qwen3 --qwen3-model "$MODEL" \
        --qwen3-aligner "$ALIGNER" --fixed-tokens 100 --clips "$SAMPLES" --recordings $RECS \
        --total-s $TOTAL_S --concurrency $CONC --decode "$IB_QWEN3_DECODE" ${IB_QWEN3_CAPTURE:+--capture $IB_QWEN3_CAPTURE} \
        --cache /tmp/ib-bench ;;
    *) echo "unknown part $1 (step compile window live offline)" ;;
  esac
}

SMI=
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv,nounits -l 1 > "$OUT/gpu_samples.csv" &
  SMI=$!
fi
trap '[ -n "$SMI" ] && kill $SMI 2> /dev/null; true' EXIT
for p in "${PARTS[@]}"; do run_part "$p"; done
if [ -s "$OUT/gpu_samples.csv" ]; then
  peak=$(awk -F', ' 'NR > 1 && $2 + 0 > m {m = $2 + 0} END {print m}' "$OUT/gpu_samples.csv")
  echo "GPU memory used (nvidia-smi), max over the run: $peak MiB"
fi
echo "whole run: $SECONDS s"
