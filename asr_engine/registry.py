"""The recognition backends, by name. Each backend module registers itself when imported; adding an
engine is one backend module plus its import line in `backends/__init__.py`.

`auto` asks the registered backends in order of `auto_rank` whether they can run here and takes the
first that says yes, so the reason the user sees comes from the backend that knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .backends.base import Backend
    from .engine import EngineConfig


@dataclass(frozen=True)
class BackendSpec:
    name: str
    factory: Callable[[EngineConfig], Backend]  # loads weights: called once per Engine
    summary: str
    # (can run here, why) for `auto`; None: never chosen automatically (remote needs URLs to be asked for)
    auto_check: Callable[[EngineConfig], tuple[bool, str]] | None = None
    auto_rank: int = 100  # lower is asked first
    # whether loading also compiles or captures something a first request must not wait for: the service
    # then loads the engine at start-up and /healthz says ready only once it has (see warm_at_start)
    warm_at_start: Callable[[EngineConfig], bool] | None = None


BACKENDS: dict[str, BackendSpec] = {}


def register(spec: BackendSpec) -> BackendSpec:
    BACKENDS[spec.name] = spec
    return spec


def engine_names() -> tuple[str, ...]:
    """What IB_ASR_ENGINE and --engine accept."""
    _load_builtin()
    return ("auto", *BACKENDS)


def spec_of(name: str) -> BackendSpec:
    from .errors import EngineError

    _load_builtin()
    if name not in BACKENDS:
        raise EngineError(f"unknown ASR engine {name!r}; choose one of {', '.join(engine_names())}")
    return BACKENDS[name]


def choose(config: EngineConfig) -> tuple[str, str]:
    """The engine `auto` resolves to, with the reason, for the user to see."""
    _load_builtin()
    if config.engine != "auto":
        spec_of(config.engine)
        return config.engine, "chosen by configuration"
    reasons = []
    for spec in sorted(BACKENDS.values(), key=lambda s: s.auto_rank):
        if spec.auto_check is None:
            continue
        ok, why = spec.auto_check(config)
        if ok:
            return spec.name, "auto: " + "; ".join([*reasons, why])
        reasons.append(why)
    raise RuntimeError("no ASR backend can run automatically")  # whisper always can


def warm_at_start(config: EngineConfig) -> bool:
    """Whether the engine `config` chooses should be loaded and warmed up before serving."""
    spec = spec_of(choose(config)[0])
    return bool(spec.warm_at_start and spec.warm_at_start(config))


def _load_builtin() -> None:
    from . import backends  # noqa: F401  (importing registers the built-in backends)
