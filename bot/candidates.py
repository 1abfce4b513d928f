"""Who was interviewed: from what the uploader gave, or from the file name
(张三_一面.m4a, "Jane Doe - round 2.mp3")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ROUND_ZH = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "终": "final", "hr": "hr", "HR": "hr"}
_ROUND = re.compile(
    r"(?P<zh>[一二三四五终]|HR|hr)\s*面|第\s*(?P<zhn>[一二三四五\d])\s*轮|(?<![a-z])round\s*(?P<en>\d+)|"
    r"(?<![a-z])(?P<final>final)(?![a-z])"
    r"|(?<![a-z])r(?P<r>\d)(?!\d)",
    re.I,
)
_NOISE = re.compile(r"(录音|面试|interview|recording|audio|voice|memo|\d{4}-?\d{2}-?\d{2}|\d{6,})", re.I)


@dataclass(frozen=True)
class CandidateRef:
    name: str | None
    round: str | None


def from_filename(filename: str) -> CandidateRef:
    stem = Path(filename).stem
    if re.match(r"(audio_message|voice_message|image|file)[_-]", stem, re.I):  # platform-generated names
        return CandidateRef(name=None, round=None)
    round_ = None
    m = _ROUND.search(stem)
    if m:
        if m.group("zh"):
            round_ = _ROUND_ZH.get(m.group("zh"), m.group("zh"))
        elif m.group("zhn"):
            round_ = _ROUND_ZH.get(m.group("zhn"), m.group("zhn"))
        else:
            round_ = m.group("en") or ("final" if m.group("final") else m.group("r"))
        stem = stem[: m.start()] + " " + stem[m.end() :]
    stem = _NOISE.sub(" ", stem)
    parts = [p.strip() for p in re.split(r"[_\-–—·|,，()（）\[\]]+", stem) if p.strip()]
    name = parts[0] if parts else None
    if name and (len(name) < 2 or re.fullmatch(r"[\d\W]+", name) or name.lower().startswith("audio_message")):
        name = None
    return CandidateRef(name=re.sub(r"\s+", " ", name).strip() if name else None, round=round_)
