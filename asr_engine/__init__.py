"""Audio -> timed words. Knows nothing about chat platforms, interviews or storage."""

from .engine import Engine, EngineConfig, choose_engine
from .errors import AudioInputError, EngineError
from .registry import BACKENDS, BackendSpec, engine_names, register
from .types import Segment, Transcript, Word

__all__ = [
    "BACKENDS",
    "BackendSpec",
    "AudioInputError",
    "Engine",
    "EngineConfig",
    "EngineError",
    "Segment",
    "Transcript",
    "Word",
    "choose_engine",
    "engine_names",
    "register",
]
