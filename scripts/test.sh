#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# torch 2.13.0 is pinned first so the [qwen3] extra does not pull a multi-GB CUDA build on CPU machines.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# The HTML report is tested in a real browser: Debian's chromium (never a downloaded one).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed; the browser test will be skipped (apt-get install chromium)" >&2
  fi
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[qwen3,test]"
# The house style is part of the suite: lint and formatting (configured in pyproject.toml).
.venv/bin/ruff check bot handlers asr_engine bench scripts tests
.venv/bin/ruff format --check bot handlers asr_engine bench scripts tests >/dev/null
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
