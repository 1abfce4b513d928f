"""Scale-out path: OpenAI-compatible transcription servers (vLLM, qwen-asr-serve), round robin with retries.

Chunks of one batch go to the servers concurrently, so N servers work on one long recording at once.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import random
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import EngineError
from ..registry import BackendSpec, register
from ..types import ChunkResult, Segment, Word
from .base import DecodeOptions

SAMPLE_RATE = 16000


def wav_bytes(samples: np.ndarray) -> bytes:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm)
    return buf.getvalue()


class RemoteBackend:
    name = "remote"

    def __init__(
        self,
        base_urls: Sequence[str],
        *,
        model: str = "Qwen/Qwen3-ASR-0.6B",
        api_key: str | None = None,
        timeout_s: float = 120.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        concurrency: int = 8,
    ) -> None:
        urls = [u.strip().rstrip("/") for u in base_urls if u.strip()]
        if not urls:
            raise EngineError("the remote engine needs at least one server URL (IB_REMOTE_ASR_URLS)")
        self.urls = urls
        self._next = itertools.cycle(range(len(urls)))
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.batch_size = concurrency * len(urls)
        self.concurrency = concurrency

    def detect_language(self, audio: np.ndarray) -> str | None:
        return None

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        # Runs in the engine's worker thread, never on an application event loop.
        return asyncio.run(self._batch(chunks, options))

    async def _batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        import aiohttp

        sem = asyncio.Semaphore(self.batch_size)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:

            async def one(chunk: np.ndarray) -> ChunkResult:
                async with sem:
                    return await self._with_retries(session, chunk, options)

            return list(await asyncio.gather(*(one(c) for c in chunks)))

    async def _with_retries(self, session, chunk: np.ndarray, options: DecodeOptions) -> ChunkResult:
        import aiohttp

        payload = wav_bytes(chunk)
        last_error = "no attempt made"
        for attempt in range(self.retries + 1):
            url = self.urls[next(self._next)]
            try:
                data = await self._post(session, url, payload, options)
                return parse_response(data, len(chunk) / SAMPLE_RATE)
            except _Permanent as exc:
                raise EngineError(f"transcription server {url} rejected the request: {exc}") from None
            except (TimeoutError, aiohttp.ClientError, _Transient) as exc:
                last_error = f"{url}: {type(exc).__name__} {exc}".strip()
            if attempt < self.retries:
                await asyncio.sleep(self.backoff_s * (2**attempt) * (0.5 + random.random()))
        raise EngineError(
            f"all transcription servers failed after {self.retries + 1} attempts ({last_error})"
        )

    async def _post(self, session, url: str, payload: bytes, options: DecodeOptions) -> dict[str, Any]:
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("file", payload, filename="chunk.wav", content_type="audio/wav")
        form.add_field("model", self.model)
        form.add_field("response_format", "verbose_json")
        form.add_field("timestamp_granularities[]", "segment")
        form.add_field("timestamp_granularities[]", "word")
        if options.language:
            form.add_field("language", options.language)
        if options.hotwords:
            form.add_field("prompt", ", ".join(options.hotwords))
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        async with session.post(f"{url}/audio/transcriptions", data=form, headers=headers) as resp:
            if resp.status == 429 or resp.status >= 500:
                raise _Transient(f"HTTP {resp.status}")
            if resp.status >= 400:
                raise _Permanent(f"HTTP {resp.status} {(await resp.text())[:200]}")
            return await resp.json(content_type=None)


class _Transient(Exception):
    pass


class _Permanent(Exception):
    pass


def parse_response(data: dict[str, Any], chunk_s: float) -> ChunkResult:
    """verbose_json (segments + words) when the server gives it, else one segment spanning the chunk."""
    language = _lang_code(str(data.get("language") or ""))
    words = [
        Word(start=round(float(w["start"]), 3), end=round(float(w["end"]), 3), text=str(w.get("word", "")))
        for w in data.get("words") or []
    ]
    segments: list[Segment] = []
    for s in data.get("segments") or []:
        start, end = float(s["start"]), float(s["end"])
        conf = float(np.exp(s["avg_logprob"])) if s.get("avg_logprob") is not None else None
        segments.append(
            Segment(
                start=round(start, 3),
                end=round(end, 3),
                text=str(s.get("text", "")).strip(),
                words=[w for w in words if start - 0.01 <= w.start < end],
                confidence=round(conf, 4) if conf is not None else None,
            )
        )
    text = str(data.get("text", "")).strip()
    if not segments and text:
        start = words[0].start if words else 0.0
        end = words[-1].end if words else round(chunk_s, 3)
        segments = [Segment(start=start, end=end, text=text, words=words)]
    return ChunkResult(language=language, segments=segments)


def _lang_code(value: str) -> str:
    names = {"chinese": "zh", "english": "en", "mandarin": "zh"}
    value = value.strip().lower()
    return names.get(value, value[:2] if value else "")


register(
    BackendSpec(
        "remote",
        lambda config: RemoteBackend(
            config.remote_urls, model=config.remote_model, api_key=config.remote_api_key
        ),
        "OpenAI-compatible transcription servers (vLLM, qwen-asr-serve), round robin",
    )
)
