#!/usr/bin/env python3
"""Live captions replayed at a fixed pace: every shipped dialogue fed in 0.1 s frames as fast as the CPU
decodes them, so each run cuts its windows at the same places (`bench/live.py` streams at real time, where
a decode's speed moves the cuts and one run differs from the next). Prints, per dialogue and on average, the
finals' CER against the reference script minus the offline transcript's CER (the issue's target: <= 0.05).

    python bench/live_replay.py                          # the library's StreamOptions
    python bench/live_replay.py --endpoint-beam 1        # greedy at the endpoint too
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
DIALOGUES = ("interview_zh", "interview_zh_round2", "interview_zh_round3")


def replay(backend, samples, options, frame_s: float) -> str:
    from asr_engine.streaming import open_session

    session, step, events = open_session(backend, options), int(frame_s * 16000), []
    for i in range(0, len(samples), step):
        events += session.feed(samples[i : i + step])
    events += session.finish()
    return "".join(e.text for e in events if e.type == "final")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dialogues", nargs="+", default=list(DIALOGUES))
    ap.add_argument("--frame", type=float, default=0.1, help="seconds of audio per feed")
    ap.add_argument("--endpoint-beam", type=int, default=None, help="StreamOptions.endpoint_beam_size")
    ap.add_argument("--data-dir", type=Path, default=ROOT / ".ib-data")
    args = ap.parse_args()
    from audiotools import cer

    from asr_engine import Engine, EngineConfig
    from asr_engine.audio import decode
    from asr_engine.streaming import StreamOptions

    engine = Engine(EngineConfig(engine="whisper", data_dir=args.data_dir))
    beam = {} if args.endpoint_beam is None else {"endpoint_beam_size": args.endpoint_beam}
    options = StreamOptions(language="zh", **beam)
    deltas = []
    for name in args.dialogues:
        audio = decode(ROOT / "samples" / f"{name}.m4a")
        script = json.loads((ROOT / "tests" / "fixtures" / f"{name}.script.json").read_text(encoding="utf-8"))
        reference = "".join(s["text"] for s in script)
        offline = engine.transcribe_audio(audio, language="zh").text
        finals = replay(engine.backend, audio.samples, options, args.frame)
        delta = cer(reference, finals) - cer(reference, offline)
        deltas.append(delta)
        row = {"dialogue": name, "cer_finals": round(cer(reference, finals), 3)}
        row |= {"cer_offline": round(cer(reference, offline), 3), "finals_minus_offline": round(delta, 3)}
        print(json.dumps(row), flush=True)
    print(json.dumps({"mean_finals_minus_offline": round(statistics.mean(deltas), 3)}))


if __name__ == "__main__":
    main()
