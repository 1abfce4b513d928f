"""interview-bot application core: configuration, pipeline, analysis, rendering, store and CLI."""

__version__ = "0.1.0"
