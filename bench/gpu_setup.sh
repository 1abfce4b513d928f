#!/usr/bin/env bash
# Sourced by the GPU benchmarks (bench/gpu_live.sh): on the lent GPU machine, install the wheels carried in
# .whl/, put in stand-ins for PyAV and CTranslate2 where they are missing, and build the full-size random
# Qwen3-ASR checkpoint; leaves MODEL, OUT and PYTHONPATH set.
OUT=${OUT:-/tmp/ib-gpu}
mkdir -p "$OUT"
SAMPLES=${SAMPLES:-.gpu/interview_zh.npy}
SECONDS_OF_AUDIO=${SECONDS_OF_AUDIO:-40}
SESSIONS=${SESSIONS:-1 16 64}
SIZE=${QWEN3_SIZE:-0.6b}  # tiny: a rehearsal of this script on a CPU
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD PYTHONUNBUFFERED=1
# faster-whisper (its silero VAD is all the live path uses of it) imports PyAV and CTranslate2 at import
# time; their wheels (36 + 43 MB) do not fit the transfer, so where they are missing empty stand-ins are
# put in that fail loudly if anything calls them.
if ! python3 -c "import av, ctranslate2" 2> /dev/null; then
  mkdir -p /tmp/ib-stubs/av /tmp/ib-stubs/ctranslate2
  cat > /tmp/ib-stubs/av/__init__.py << 'PY'
def __getattr__(name):
    raise ImportError("PyAV is not installed on this machine")
PY
  cat > /tmp/ib-stubs/ctranslate2/__init__.py << 'PY'
import types


class _Absent:
    def __init__(self, *args, **kwargs):
        raise ImportError("CTranslate2 is not installed on this machine")


models = types.SimpleNamespace(Whisper=_Absent, WhisperGenerationResult=_Absent)
StorageView = _Absent
PY
  export PYTHONPATH=$PYTHONPATH:/tmp/ib-stubs
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
export MODEL=/tmp/ib-qwen3-$SIZE
[ -f $MODEL/config.json ] || python3 bench/qwen3_checkpoint.py $MODEL --size "$SIZE" --untied
