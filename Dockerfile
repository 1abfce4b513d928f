# GPU deployment: the qwen3 engine (Qwen3-ASR-0.6B + Qwen3-ForcedAligner-0.6B) on CUDA.
# Build:  docker build -t interview-bot:gpu .
# Run:    docker run --gpus all -v /srv/models:/models:ro -v ib-data:/data \
#           -e IB_QWEN3_MODEL=/models/Qwen3-ASR-0.6B -e IB_QWEN3_ALIGNER=/models/Qwen3-ForcedAligner-0.6B \
#           -e IB_API_TOKENS=... -e IB_PUBLIC_URL=https://ib.example.com -p 8000:8000 interview-bot:gpu
#         (or: ... interview-bot:gpu report /data/incoming/interview.m4a for a one-off report)
# The weights are never baked into the image: mount a folder, or give hub ids where the hub is reachable.
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    IB_ASR_ENGINE=auto \
    IB_DATA_DIR=/data \
    IB_DB=/data/interview-bot.db \
    IB_HTTP_HOST=0.0.0.0 \
    HF_HOME=/data/hf-cache

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY asr_engine ./asr_engine
COPY report_templates ./report_templates
# The base image's CUDA torch already satisfies the [qwen3] extra's torch requirement.
RUN pip install ".[qwen3]" \
 && useradd --create-home --uid 10001 bot \
 && mkdir -p /data && chown bot:bot /data

USER bot
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=5).status != 200)"]
ENTRYPOINT ["interview-bot"]
CMD ["serve", "--http"]
