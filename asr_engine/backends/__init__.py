"""Built-in recognition backends; importing one registers it (asr_engine.registry). One line each."""

from . import qwen3, remote, whisper  # noqa: F401
