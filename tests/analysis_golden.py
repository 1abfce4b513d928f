"""Today's analysis outputs, frozen: the stored fixture transcripts and the heldout3 corpus split through
analyze(), reduced to what a report shows (segments echo the input and are left out).

    IB_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_analysis_golden.py   # rewrite on purpose
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from asr_engine import Segment, Transcript

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS_SPLIT = ROOT / "corpus" / "analysis" / "heldout3.jsonl"
GOLDEN = ROOT / "tests" / "golden" / "analysis.json"
# volatile or echoed fields: the version string names the rules, segments repeat the transcript
DROPPED = ("segments", "analysis_version", "duration_s")


def _reduced(d: dict[str, Any], dropped: tuple[str, ...] = DROPPED) -> dict[str, Any]:
    """Without echoed fields, empty lists and competencies with nothing to show."""
    out = {k: v for k, v in d.items() if k not in dropped and v not in ([], {}, None)}
    out["competencies"] = {
        k: c for k, c in d["competencies"].items() if c["score"] is not None or c["evidence"] or c["caveats"]
    }
    return out


def _script(path: Path) -> tuple[Transcript, list[str | None]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    segments = [Segment(start=r["start"], end=r["end"], text=r["text"]) for r in rows]
    transcript = Transcript(
        language="zh", duration_s=segments[-1].end, segments=segments, engine="script", source=path.name
    )
    return transcript, [r["speaker"] for r in rows]


def fixture_inputs() -> dict[str, tuple[Transcript, list[str | None] | None]]:
    from bot.analysis import transcript_from_text

    out: dict[str, tuple[Transcript, list[str | None] | None]] = {}
    for path in sorted(FIXTURES.glob("*.script.json")):
        out[path.name] = _script(path)
    for path in sorted(FIXTURES.glob("*.txt")):
        out[path.name] = transcript_from_text(path.read_text(encoding="utf-8"), source=path.name)
    return out


def corpus_inputs() -> dict[str, tuple[Transcript, list[str | None] | None]]:
    from bot.analysis import transcript_from_text

    out: dict[str, tuple[Transcript, list[str | None] | None]] = {}
    for line in CORPUS_SPLIT.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        s = json.loads(line)
        text = "\n".join(f"{t['speaker']}: {' '.join(t['text'].split())}" for t in s["turns"])
        out[s["id"]] = transcript_from_text(text)
    return out


def current() -> dict[str, Any]:
    from bot.analysis import analyze

    out: dict[str, Any] = {}
    # the corpus snippets are one or two answers each: their speech statistics say nothing
    groups = (("fixtures", fixture_inputs(), DROPPED), ("heldout3", corpus_inputs(), (*DROPPED, "speech")))
    for group, inputs, dropped in groups:
        out[group] = {
            name: _reduced(analyze(t, known_roles=roles).to_dict(), dropped)
            for name, (t, roles) in inputs.items()
        }
    return out


def write(data: dict[str, Any]) -> None:
    # one line per analysis: a diff shows which analyses changed
    lines = ["{"]
    for gi, (group, items) in enumerate(data.items()):
        lines.append(f"{json.dumps(group)}: {{")
        for i, (name, d) in enumerate(items.items()):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"  {json.dumps(name)}: {json.dumps(d, ensure_ascii=False, sort_keys=True)}{comma}")
        lines.append("}" + ("," if gi < len(data) - 1 else ""))
    lines.append("}")
    GOLDEN.write_text("\n".join(lines) + "\n", encoding="utf-8")
