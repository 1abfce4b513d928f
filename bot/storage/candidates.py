"""Candidates behind the names: created on first sight, renamed, merged (the old name stays as an alias
so the next upload with it links right), interviews reassigned, hiring decisions recorded."""

from __future__ import annotations

import uuid

import sqlite_utils

from .schema import now, upsert

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


class Candidates:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def find(self, name: str) -> dict | None:
        """A candidate by name or by an alias left by a merge."""
        row = next(self.db.query("select * from candidates where name = ?", [name]), None)
        if row is None:
            row = next(
                self.db.query(
                    "select c.* from candidate_aliases a join candidates c on c.id = a.candidate_id "
                    "where a.name = ?",
                    [name],
                ),
                None,
            )
        return dict(row) if row else None

    def ensure(self, name: str | None) -> str | None:
        """The id of the candidate called `name`, created on first sight."""
        if not name:
            return None
        row = self.find(name)
        if row:
            return row["id"]
        cid = uuid.uuid4().hex[:10]
        with self.db.conn:
            upsert(
                self.db.conn,
                "candidates",
                {"id": cid, "name": name, "email": None, "created_at": now()},
                ("id",),
            )
        return cid

    def _require(self, name: str) -> dict:
        row = self.find(name)
        if row is None:
            raise CandidateError(f"no candidate called {name}")
        return row

    def rename(self, old: str, new: str) -> dict:
        """A wrong name (from a file name) fixed; the old name is not kept as an alias: it may be
        someone else's."""
        row = self._require(old)
        new = new.strip()
        if not new:
            raise CandidateError("the new name is empty")
        if self.find(new):
            raise CandidateError(f"{new} already exists: merge the two candidates instead")
        with self.db.conn:
            self.db.conn.execute("update candidates set name = ? where id = ?", [new, row["id"]])
        return {**row, "name": new}

    def merge(self, source: str, target: str) -> tuple[dict, int]:
        """Two records of one person: the source's interviews move to the target, its name becomes an alias
        (so the next upload called the same links correctly). Returns the target and how many moved."""
        src, dst = self._require(source), self._require(target)
        if src["id"] == dst["id"]:
            raise CandidateError(f"{source} and {target} are already the same candidate")
        with self.db.conn:
            moved = self.db.conn.execute(
                "update interviews set candidate_id = ? where candidate_id = ?", [dst["id"], src["id"]]
            ).rowcount
            self.db.conn.execute(
                "update candidate_aliases set candidate_id = ? where candidate_id = ?", [dst["id"], src["id"]]
            )
            self.db.conn.execute(
                "insert or replace into candidate_aliases (name, candidate_id, created_at) values (?, ?, ?)",
                [src["name"], dst["id"], now()],
            )
            self._merge_consent(src["id"], dst["id"])
            self.db.conn.execute("delete from candidates where id = ?", [src["id"]])
        return dst, moved

    def _merge_consent(self, source_id: str, target_id: str) -> None:
        """One person, one consent: the stricter record wins (a refusal or withdrawal over a grant), so a
        merge never lifts a refusal; the other record goes."""
        rows = {
            r[0]: r[1]
            for r in self.db.conn.execute(
                "select candidate_id, state from consents where candidate_id in (?, ?)",
                [source_id, target_id],
            )
        }
        if source_id not in rows:
            return
        if target_id not in rows or (rows[target_id] == "granted" and rows[source_id] != "granted"):
            self.db.conn.execute("delete from consents where candidate_id = ?", [target_id])
            self.db.conn.execute(
                "update consents set candidate_id = ? where candidate_id = ?", [target_id, source_id]
            )
        else:
            self.db.conn.execute("delete from consents where candidate_id = ?", [source_id])

    def assign(self, interview_id: str, name: str) -> str:
        """One interview linked to the wrong person: give it to `name` (created if new)."""
        cid = self.ensure(name.strip())
        with self.db.conn:
            self.db.conn.execute("update interviews set candidate_id = ? where id = ?", [cid, interview_id])
        return cid

    def decide(self, name: str, decision: str, user: str) -> dict:
        row = self._require(name)
        verdict = DECISIONS.get(decision.lower())
        if verdict is None:
            raise CandidateError(
                f"unknown decision {decision!r}: use advance, reject or offer (通过 / 淘汰 / 录用)"
            )
        with self.db.conn:
            self.db.conn.execute(
                "update candidates set decision = ?, decided_at = ?, decided_by = ? where id = ?",
                [verdict, now(), user, row["id"]],
            )
        return {**row, "decision": verdict}
