"""Notes by question: the interview as the interviewer's questions, each with the candidate's answer
condensed to its key sentences (quoted as said, never reworded, each with its time), the competencies it
evidenced, its caveats and its follow-ups.

Built from the analysis JSON alone, so an analysis stored before this existed gets its notes on read.
A sentence is key when it carries evidence, a caveat or a vague claim, or a figure; the rest of a long
answer is left to the transcript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .local import pleasantry
from .spans import sentences

KEY_SENTENCES = 3  # at most this many sentences of one answer
_FIGURE = re.compile(r"\d|[一二两三四五六七八九十百千万亿]+(个|倍|次|人|毫秒|秒|分钟|小时|天|周|月|年|%)")


@dataclass
class Exchange:
    question: list[dict[str, Any]] = field(default_factory=list)
    answer: list[dict[str, Any]] = field(default_factory=list)


def exchanges(segments: list[dict[str, Any]]) -> list[Exchange]:
    """An interviewer turn opens an exchange; the candidate's turns until the next one answer it. A short
    acknowledgement by the interviewer ("嗯", "okay") does not interrupt an answer."""
    out: list[Exchange] = [Exchange()]
    for seg in segments:
        if seg["speaker"] == "candidate":
            if not pleasantry(seg["text"]):  # "谢谢" / "thank you" is no answer
                out[-1].answer.append(seg)
        elif not (out[-1].answer and pleasantry(seg["text"])):
            if out[-1].answer:
                out.append(Exchange())
            out[-1].question.append(seg)
    return [x for x in out if x.answer]


def _sentence_times(seg: dict[str, Any]) -> list[tuple[float, str]]:
    """Each sentence of a segment with its start, interpolated by characters over the segment."""
    text, start, end = seg["text"], float(seg["start"]), float(seg["end"])
    share = (end - start) / max(len(text), 1)
    return [(round(start + s.start * share, 2), s.text.strip()) for s in sentences(text) if s.text.strip()]


def _core(text: str) -> str:
    return text.strip().rstrip("…").strip()[:12]


def _key_sentences(answer: list[dict[str, Any]], marks: list[str]) -> list[dict[str, Any]]:
    """The answer's sentences that carry a mark (evidence, caveat, vague claim) or a figure, in order."""
    found = [pair for seg in answer for pair in _sentence_times(seg)]
    if len(found) <= 2:
        return [{"start": t, "text": s} for t, s in found]

    def weight(text: str) -> float:
        marked = sum(2 for m in marks if m and (m in text or text in m))
        return marked + (1 if _FIGURE.search(text) else 0) + min(len(text), 80) / 1000

    ranked = sorted(range(len(found)), key=lambda i: -weight(found[i][1]))[:KEY_SENTENCES]
    return [{"start": found[i][0], "text": found[i][1]} for i in sorted(ranked)]


def notes_by_question(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The `qa` field of the analysis JSON."""
    notes = []
    evidence = [(k, e) for k, c in data.get("competencies", {}).items() for e in c.get("evidence", [])]
    for x in exchanges(data.get("segments", [])):
        lo, hi = float(x.answer[0]["start"]) - 0.01, float(x.answer[-1]["end"]) + 0.01

        def inside(start: Any, lo: float = lo, hi: float = hi) -> bool:
            return start is not None and lo <= float(start) <= hi

        comps = list(dict.fromkeys(k for k, e in evidence if inside(e.get("start"))))
        quals = [q for q in data.get("qualifiers", []) if inside(q.get("start"))]
        vague = [v for v in data.get("vague_claims", []) if inside(v.get("start"))]
        marks = [_core(e["text"]) for k, e in evidence if inside(e.get("start"))]
        marks += [q["text"].strip() for q in quals] + [v["text"].strip() for v in vague]
        question = (
            {"start": x.question[0]["start"], "text": " ".join(s["text"].strip() for s in x.question)}
            if x.question
            else {"start": None, "text": ""}
        )
        notes.append(
            {
                "question": question,
                "answer": _key_sentences(x.answer, marks),
                "competencies": comps,
                "caveats": list(dict.fromkeys(q["caveat"] for q in quals)),
                "followups": [
                    f["question"] for f in data.get("followups", []) if inside(f["anchor"].get("start"))
                ],
            }
        )
    return notes


def answer_passages(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each answer whole, for search across interviews: its question, its text and its timed sentences."""
    out = []
    for i, x in enumerate(exchanges(data.get("segments", []))):
        out.append(
            {
                "idx": i,
                "start": float(x.answer[0]["start"]),
                "question": " ".join(s["text"].strip() for s in x.question),
                "text": " ".join(s["text"].strip() for s in x.answer),
                "sentences": [{"start": t, "text": s} for seg in x.answer for t, s in _sentence_times(seg)],
            }
        )
    return out
