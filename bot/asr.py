"""The ASR engine the service uses: chosen by configuration, loaded once on first use (a recording whose
transcript is already stored never loads a model), and shared by concurrent jobs and live streams through
the cross-job batcher when the backend batches (qwen3 on a GPU: live windows of several streams become one
batch)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from asr_engine import Engine, EngineConfig, choose_engine, warm_at_start

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
        self._configured = factory is None  # a given factory is not described by `config`
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self.preloading = False  # loading at start-up: /healthz is not ready until it has finished
        self.preload_error: str | None = None

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

    @property
    def loaded(self) -> bool:
        return self._engine is not None

    def warm_at_start(self) -> bool:
        """Whether this engine must be loaded (and its decode captured) before the service is ready."""
        if not self._configured:
            return False
        try:
            return warm_at_start(self.config)
        except Exception:  # an engine that cannot be chosen fails on first use, with its own message
            return False

    def preload(self) -> None:
        """Load now rather than on the first job (called from a thread at start-up)."""
        self.preloading = True
        try:
            self.get()
        except Exception as exc:  # the jobs that need it will fail with the same error
            self.preload_error = (str(exc).splitlines() or [type(exc).__name__])[0]
            log.exception("ASR engine failed to load at start-up")

    def readiness_problem(self) -> str | None:
        """Why the service is not ready to recognise yet, or None."""
        if not self.preloading or self._engine is not None:
            return None
        if self.preload_error:
            return f"the ASR engine failed to load: {self.preload_error}"
        return "the ASR engine is loading and warming up (capturing its decode)"
