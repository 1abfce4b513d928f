"""Who was interviewed: from what the uploader gave, or from the file name
(张三_一面.m4a, "Jane Doe - round 2.mp3")."""

from __future__ import annotations

import re
import uuid
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


# ---- the candidate records behind the names ----------------------------------------------------------

DECISIONS = {
    "advance": "advance",
    "通过": "advance",
    "进入下一轮": "advance",
    "reject": "reject",
    "淘汰": "reject",
    "不通过": "reject",
    "offer": "offer",
    "录用": "offer",
    "hire": "offer",
}


class CandidateError(ValueError):
    """A rename, merge or decision that cannot be done as asked (one sentence for the user)."""


def find(store, name: str) -> dict | None:
    """A candidate by name or by an alias left by a merge."""
    row = next(store.db.query("select * from candidates where name = ?", [name]), None)
    if row is None:
        row = next(
            store.db.query(
                "select c.* from candidate_aliases a join candidates c on c.id = a.candidate_id "
                "where a.name = ?",
                [name],
            ),
            None,
        )
    return dict(row) if row else None


def ensure(store, name: str | None) -> str | None:
    """The id of the candidate called `name`, created on first sight."""
    from .store import now, upsert

    if not name:
        return None
    row = find(store, name)
    if row:
        return row["id"]
    cid = uuid.uuid4().hex[:10]
    with store.db.conn:
        upsert(
            store.db.conn,
            "candidates",
            {"id": cid, "name": name, "email": None, "created_at": now()},
            ("id",),
        )
    return cid


def _require(store, name: str) -> dict:
    row = find(store, name)
    if row is None:
        raise CandidateError(f"no candidate called {name}")
    return row


def rename(store, old: str, new: str) -> dict:
    """A wrong name (from a file name) fixed; the old name is not kept as an alias: it may be
    someone else's."""
    row = _require(store, old)
    new = new.strip()
    if not new:
        raise CandidateError("the new name is empty")
    if find(store, new):
        raise CandidateError(f"{new} already exists: merge the two candidates instead")
    with store.db.conn:
        store.db.conn.execute("update candidates set name = ? where id = ?", [new, row["id"]])
    return {**row, "name": new}


def merge(store, source: str, target: str) -> tuple[dict, int]:
    """Two records of one person: the source's interviews move to the target, its name becomes an alias
    (so the next upload called the same links correctly). Returns the target and how many moved."""
    from .store import now

    src, dst = _require(store, source), _require(store, target)
    if src["id"] == dst["id"]:
        raise CandidateError(f"{source} and {target} are already the same candidate")
    with store.db.conn:
        moved = store.db.conn.execute(
            "update interviews set candidate_id = ? where candidate_id = ?", [dst["id"], src["id"]]
        ).rowcount
        store.db.conn.execute(
            "update candidate_aliases set candidate_id = ? where candidate_id = ?", [dst["id"], src["id"]]
        )
        store.db.conn.execute(
            "insert or replace into candidate_aliases (name, candidate_id, created_at) values (?, ?, ?)",
            [src["name"], dst["id"], now()],
        )
        store.db.conn.execute("delete from candidates where id = ?", [src["id"]])
    return dst, moved


def assign(store, interview_id: str, name: str) -> str:
    """One interview linked to the wrong person: give it to `name` (created if new)."""
    cid = ensure(store, name.strip())
    with store.db.conn:
        store.db.conn.execute("update interviews set candidate_id = ? where id = ?", [cid, interview_id])
    return cid


def decide(store, name: str, decision: str, user: str) -> dict:
    from .store import now

    row = _require(store, name)
    verdict = DECISIONS.get(decision.lower())
    if verdict is None:
        raise CandidateError(
            f"unknown decision {decision!r}: use advance, reject or offer (通过 / 淘汰 / 录用)"
        )
    with store.db.conn:
        store.db.conn.execute(
            "update candidates set decision = ?, decided_at = ?, decided_by = ? where id = ?",
            [verdict, now(), user, row["id"]],
        )
    return {**row, "decision": verdict}
