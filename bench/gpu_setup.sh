#!/usr/bin/env bash
# Sourced by the GPU benchmarks (bench/gpu_live.sh; docs/benchmarks.md "Live captions on a GPU"): on the lent GPU machine,
# install the wheels carried in .whl/, put in stand-ins for PyAV and CTranslate2 where they are missing, and
# build the full-size random Qwen3-ASR checkpoint. Leaves OUT, MODEL and PYTHONPATH set.
OUT=${OUT:-/tmp/ib-gpu}
mkdir -p "$OUT"
SIZE=${QWEN3_SIZE:-0.6b} # tiny: a rehearsal of these scripts on a CPU
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD PYTHONUNBUFFERED=1
# faster-whisper (its silero VAD is all the live path uses of it) imports PyAV and CTranslate2 at import
# time; their wheels (36 + 43 MB) do not fit the transfer. Each one missing gets an empty stand-in that
# fails loudly if anything calls it; one that is installed is left alone.
stand_in() { # package, module text
  python3 -c "import $1" 2> /dev/null && return
  mkdir -p "/tmp/ib-stubs/$1"
  printf '%s\n' "$2" > "/tmp/ib-stubs/$1/__init__.py"
  case ":$PYTHONPATH:" in *:/tmp/ib-stubs:*) ;; *) export PYTHONPATH=$PYTHONPATH:/tmp/ib-stubs ;; esac
}
stand_in av 'def __getattr__(name):
    raise ImportError("PyAV is not installed on this machine")'
stand_in ctranslate2 'import types


class _Absent:
    def __init__(self, *args, **kwargs):
        raise ImportError("CTranslate2 is not installed on this machine")


models = types.SimpleNamespace(Whisper=_Absent, WhisperGenerationResult=_Absent)
StorageView = _Absent'
if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
else
  echo "no nvidia-smi: a CPU rehearsal" | tee "$OUT/gpu.txt"
fi
python3 -c "import torch, transformers as t; print('torch', torch.__version__, 'transformers', t.__version__)"
export MODEL=/tmp/ib-qwen3-$SIZE
[ -f "$MODEL/config.json" ] || python3 bench/qwen3_checkpoint.py "$MODEL" --size "$SIZE" --untied
