"""Audio -> timed words. Knows nothing about chat platforms, interviews or storage.

Names are resolved on first use (PEP 562), so `from asr_engine import EngineConfig` stays cheap: a
command-line `--help` must not load numpy, PyAV or a model runtime.
"""

from importlib import import_module

_EXPORTS = {
    "AudioInputError": ".errors",
    "EngineError": ".errors",
    "EngineConfig": ".config",
    "QWEN3_CAPTURES": ".config",
    "QWEN3_DECODES": ".config",
    "Engine": ".engine",
    "choose_engine": ".engine",
    "Segment": ".types",
    "Transcript": ".types",
    "Word": ".types",
    "BACKENDS": ".registry",
    "BackendSpec": ".registry",
    "engine_names": ".registry",
    "register": ".registry",
    "warm_at_start": ".registry",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'asr_engine' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
