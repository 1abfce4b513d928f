"""The ASR engine the service uses: chosen by configuration, loaded once on first use (a recording whose
transcript is already stored never loads a model), and shared by concurrent jobs and live streams through
the cross-job batcher when the backend batches (qwen3 on a GPU: live windows of several streams become one
batch)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from asr_engine import Engine, EngineConfig, choose_engine

log = logging.getLogger(__name__)


class Engines:
    def __init__(
        self,
        config: EngineConfig,
        *,
        workers: int = 1,
        live_sessions: int = 0,
        batch_wait_s: float = 0.05,
        factory: Callable[[], Engine] | None = None,
    ) -> None:
        self.config = config
        self.workers, self.live_sessions, self.batch_wait_s = workers, live_sessions, batch_wait_s
        self._factory = factory or (lambda: Engine(config))
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The engine that will run (without loading it): stored transcripts are keyed by it."""
        return self._engine.name if self._engine else choose_engine(self.config)[0]

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                engine = self._factory()
                if self.workers + self.live_sessions > 1 and engine.backend.batch_size > 1:
                    from asr_engine.batcher import BatchingBackend

                    engine.backend = BatchingBackend(engine.backend, max_wait_s=self.batch_wait_s)
                log.info("ASR engine %s loaded (%s)", engine.name, engine.reason)
                self._engine = engine
            return self._engine
