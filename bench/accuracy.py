#!/usr/bin/env python3
"""Recognition accuracy on the shipped clips: CER for Mandarin, WER for English, per engine.

python bench/accuracy.py [--engine whisper|qwen3|remote]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from audiotools import cer, wer  # noqa: E402

from asr_engine import Engine, EngineConfig  # noqa: E402

FIX = ROOT / "tests" / "fixtures"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engine", default="whisper")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(EngineConfig(engine=args.engine, data_dir=Path(tmp)))
        script = json.loads((FIX / "interview_zh.script.json").read_text())
        cases = [
            ("zh_short.flac", "CER", cer, (FIX / "zh_short.txt").read_text()),
            ("en_two_cities.ogg", "WER", wer, (FIX / "en_two_cities.txt").read_text()),
            ("samples/interview_zh.m4a", "CER", cer, "".join(u["text"] for u in script)),
        ]
        print(f"{'clip':<28} {'metric':>6} {'value':>6}  {'xRT':>5}")
        for name, metric, fn, ref in cases:
            path = ROOT / name if "/" in name else FIX / name
            t = engine.transcribe(path)
            print(f"{name:<28} {metric:>6} {fn(ref, t.text):>6.3f}  {t.timings['x_real_time']:>5.1f}")


if __name__ == "__main__":
    main()
