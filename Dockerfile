# GPU deployment: the qwen3 engine (Qwen3-ASR-0.6B on vLLM + Qwen3-ForcedAligner-0.6B) on CUDA, bf16.
# Build:  docker build -t interview-bot:gpu .
# Run:    docker run --gpus all --ipc=host -v /srv/models:/models:ro -v ib-data:/data \
#           -e IB_QWEN3_MODEL=/models/Qwen3-ASR-0.6B -e IB_QWEN3_ALIGNER=/models/Qwen3-ForcedAligner-0.6B \
#           -e IB_API_TOKENS=... -e IB_PUBLIC_URL=https://ib.example.com -p 8000:8000 interview-bot:gpu
#         (or: ... interview-bot:gpu report /data/incoming/interview.m4a for a one-off report)
# The weights are never baked into the image: mount a folder, or give hub ids where the hub is reachable.
#
# What is installed, exactly: the [gpu] extra = torch 2.9.1 (PyPI's CUDA 12.8 build), vLLM 0.14.0 (the
# release qwen-asr 0.0.6 pins) and qwen-asr 0.0.6, on Python 3.12. The CUDA runtime image only has to
# match the wheels' CUDA 12.8 (driver >= 570); torch and vLLM bring their own CUDA libraries. gcc stays in
# the image because Triton (used by vLLM) compiles its small launcher stubs at run time.
FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    IB_ASR_ENGINE=auto \
    IB_QWEN3_RUNTIME=auto \
    IB_DATA_DIR=/data \
    IB_DB=/data/interview-bot.db \
    IB_HTTP_HOST=0.0.0.0 \
    HF_HOME=/data/hf-cache

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3.12 python3.12-venv python3.12-dev gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/* \
 && python3.12 -m venv /opt/venv

WORKDIR /app
# torch first, from PyPI (its default Linux wheel is the CUDA 12.8 build), so the resolver never swaps it.
RUN pip install --upgrade pip && pip install "torch==2.9.1"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY asr_engine ./asr_engine
COPY report_templates ./report_templates
RUN pip install ".[gpu]" \
 && useradd --create-home --uid 10001 bot \
 && mkdir -p /data && chown bot:bot /data

USER bot
VOLUME ["/data"]
EXPOSE 8000
# `doctor` checks the configuration, the engine and runtime it would choose (vLLM or transformers, and
# why), the GPU and the data folder; it exits non-zero when something is wrong. start-period covers the
# first model load (vLLM compiles CUDA graphs).
HEALTHCHECK --interval=60s --timeout=30s --start-period=180s --retries=3 CMD ["interview-bot", "doctor"]
ENTRYPOINT ["interview-bot"]
CMD ["serve", "--http"]
