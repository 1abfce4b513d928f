"""Dynamic batching of chunks from many concurrent transcriptions into one backend call.

Each Engine running in its own worker thread hands its chunks to a BatchingBackend as if it were the
backend. A dispatcher thread waits at most `max_wait_s` for more requests with the same decoding options,
up to `max_batch` chunks, and makes one call; 24 recordings dropped at once become GPU-sized batches
instead of 24 small ones. Bounded wait keeps a lone request's latency low.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from .backends.base import Backend, DecodeOptions
from .types import ChunkResult


@dataclass
class _Request:
    chunks: Sequence[np.ndarray]
    options: DecodeOptions
    future: Future = field(default_factory=Future)

    @property
    def key(self) -> tuple:
        return (self.options.language, tuple(self.options.hotwords))


class BatchingBackend:
    def __init__(self, backend: Backend, *, max_batch: int | None = None, max_wait_s: float = 0.05) -> None:
        self.backend = backend
        self.name = backend.name
        self.max_batch = max_batch or max(1, backend.batch_size)
        self.batch_size = self.max_batch
        self.max_wait_s = max_wait_s
        self.calls: list[int] = []  # chunks per backend call, for metrics and tests
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._thread = threading.Thread(target=self._dispatch, name="asr-batcher", daemon=True)
        self._thread.start()

    def detect_language(self, audio: np.ndarray) -> str | None:
        return self.backend.detect_language(audio)

    def transcribe_batch(self, chunks: Sequence[np.ndarray], options: DecodeOptions) -> list[ChunkResult]:
        request = _Request(list(chunks), options)
        self._queue.put(request)
        return request.future.result()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _dispatch(self) -> None:
        pending: list[_Request] = []
        while True:
            first = pending.pop(0) if pending else self._queue.get()
            if first is None:
                return
            group, others = [first], []
            size = len(first.chunks)
            deadline = time.monotonic() + self.max_wait_s
            while size < self.max_batch:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    nxt = self._queue.get(timeout=timeout)
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                if nxt.key == first.key and size + len(nxt.chunks) <= self.max_batch:
                    group.append(nxt)
                    size += len(nxt.chunks)
                else:
                    others.append(nxt)  # different options or too big: next round
            pending = others + pending
            self._run(group)

    def _run(self, group: list[_Request]) -> None:
        chunks = [c for r in group for c in r.chunks]
        try:
            results = self.backend.transcribe_batch(chunks, group[0].options)
        except BaseException as exc:  # every waiter learns of the failure
            for r in group:
                r.future.set_exception(exc)
            return
        self.calls.append(len(chunks))
        i = 0
        for r in group:
            r.future.set_result(results[i : i + len(r.chunks)])
            i += len(r.chunks)
