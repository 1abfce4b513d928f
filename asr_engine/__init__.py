"""Audio -> timed words. Knows nothing about chat platforms, interviews or storage."""

from .engine import ENGINES, Engine, EngineConfig, choose_engine
from .errors import AudioInputError, EngineError
from .types import Segment, Transcript, Word

__all__ = [
    "ENGINES",
    "AudioInputError",
    "Engine",
    "EngineConfig",
    "EngineError",
    "Segment",
    "Transcript",
    "Word",
    "choose_engine",
]
