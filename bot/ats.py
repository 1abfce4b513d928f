"""A scorecard draft in the applicant tracking system, sent by a person: the note's text, and the claim /
post / confirm flow that sends it exactly once per interview, target and analysis.

ATS note APIs take no idempotency key, so exactly-once is ours to keep:

1. the row (interview, target, analysis digest) is claimed in SQLite before anything is posted;
2. the note carries a marker, `[interview-bot:<interview id>:<digest>]`;
3. a claim that was released (the ATS failed or timed out) or went stale (the sender died) is taken over
   by the next try, which first asks the ATS for a note with the marker and adopts it;
4. the ATS's note id is stored with the claim.

Sending again with the same analysis and verdicts answers `already_sent` and posts nothing; after a
re-analysis or new verdicts (a new digest) the note says which earlier note it supersedes. The ATS
itself is a `Connector` (handlers/ats/: one module per ATS); this module never imports one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from .analysis.summary import competency_name, stamp
from .storage import Database
from .verdicts import verdict_word

CLAIM_STALE_S = 120.0  # a claim this old without a note id is taken over (its sender died)
MAX_EVIDENCE = 3  # quotes per competency in the note


@dataclass(frozen=True)
class Application:
    """One application (or opportunity) in the ATS: what a note is attached to."""

    id: str
    label: str  # the candidate and the job, as a person picks between them


class Connector(Protocol):
    """What an ATS module does: find applications, find a note by its marker, post a note."""

    name: str

    async def find_applications(self, candidate: str, around: datetime | None) -> list[Application]:
        """Applications of a candidate by name (narrowed to an interview near `around` where the ATS
        knows its interviews). Raises AtsFailure."""

    async def find_note(self, application_id: str, marker: str) -> str | None:
        """The id of a note on the application whose text holds `marker`. Raises AtsFailure."""

    async def post_note(self, application_id: str, text: str) -> str:
        """Post a private draft note; its id. Raises AtsFailure (then it may or may not be there)."""

    async def close(self) -> None: ...


class AtsFailure(Exception):
    """The ATS refused, failed or did not answer: one sentence for the person who clicked. The send stays
    retryable."""


class AtsRefusal(Exception):
    """A send that cannot be done as asked: `reason` is not_found | not_ready | no_application."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ClaimHeld(Exception):
    """Another send of this note is in flight now."""


class Ambiguous(Exception):
    """More than one application fits: a person picks one."""

    def __init__(self, candidate: str, applications: list[Application]) -> None:
        super().__init__(
            f"{len(applications)} applications match {candidate}: "
            + "; ".join(f"{a.label} (id {a.id})" for a in applications)
            + "; name one with the application id"
        )
        self.candidate, self.applications = candidate, applications


@dataclass
class SendRequest:
    interview_id: str
    user: str  # the person who clicked: named in the note
    via: str  # slack | feishu | web | api | cli
    report_url: str | None = None
    application: str | None = None  # named explicitly; else the upload's, the last note's, or by name


@dataclass
class SendResult:
    target: str
    external_id: str
    status: str  # sent | already_sent | superseded
    application_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def analysis_digest(analysis: dict[str, Any], tally: dict[str, Any]) -> str:
    """What the note says, fingerprinted: a re-analysis or a new verdict changes it."""
    canonical = json.dumps({"analysis": analysis, "verdicts": tally}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def marker(interview_id: str, digest: str) -> str:
    return f"[interview-bot:{interview_id}:{digest}]"


_LABELS = {
    "title": ("面试评估草稿（interview-bot）", "Scorecard draft (interview-bot)"),
    "draft": (
        "供面试官审阅的草稿：报告辅助人的决定，不做决定。",
        "A draft for a person to review: the report supports a human decision, it never decides.",
    ),
    "sent_by": ("发送人", "Sent by"),
    "candidate": ("候选人", "Candidate"),
    "supersedes": (
        "取代之前的笔记 {0}（分析或评价已更新）",
        "Supersedes the earlier note {0} (the analysis or verdicts changed)",
    ),
    "recommendation": ("建议", "Recommendation"),
    "overall": ("总分", "Overall"),
    "competencies": ("能力项", "Competencies"),
    "no_evidence": ("无证据（不是低分）", "no evidence (not a low score)"),
    "caveat": ("注意", "caveat"),
    "to_verify": ("待核实", "To verify"),
    "followups": ("追问建议", "Follow-up questions"),
    "verdicts": ("面试官评价", "Interviewers' verdicts"),
    "report": ("完整报告", "Full report"),
}
_REC = {"advance": ("推进", "advance"), "hold": ("待定", "hold"), "decline": ("不推进", "decline")}


def _say(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return zh if lang == "zh" else en


def _competency_lines(analysis: dict[str, Any], lang: str) -> list[str]:
    lines = []
    for key, comp in (analysis.get("competencies") or {}).items():
        score = comp.get("score")
        shown = f"{score:.1f}/5" if score is not None else _say("no_evidence", lang)
        lines.append(f"- {competency_name(key, lang)}: {shown}")
        for ev in (comp.get("evidence") or [])[:MAX_EVIDENCE]:
            lines.append(f"  “{ev.get('text', '')}” ({stamp(float(ev.get('start') or 0))})")
        lines += [f"  {_say('caveat', lang)}: {c}" for c in comp.get("caveats") or []]
    return lines


def _tally_line(tally: dict[str, dict[str, int]], lang: str) -> list[str]:
    if not tally:
        return []
    parts = [
        f"{competency_name(comp, lang)} "
        + ", ".join(f"{n} {verdict_word(v, lang)}" for v, n in sorted(counts.items()))
        for comp, counts in sorted(tally.items())
    ]
    return ["", f"{_say('verdicts', lang)}: " + "; ".join(parts)]


def compose(
    analysis: dict[str, Any],
    *,
    title: str,
    candidate: str | None,
    user: str,
    via: str,
    report_url: str | None,
    tag: str,
    tally: dict[str, dict[str, int]] | None = None,
    supersedes: str | None = None,
) -> str:
    """The note: the recommendation as the analysis states it, each competency's score with quoted and
    timestamped evidence and its caveats, what to verify, follow-ups, verdicts, the report link, who sent
    it, and the marker that finds it again. Plain text: every ATS shows it as written."""
    lang = "zh" if analysis.get("language") == "zh" else "en"
    overall, summary = analysis.get("overall") or {}, analysis.get("summary") or {}
    rec = _REC.get(overall.get("recommendation") or "", ("", ""))[0 if lang == "zh" else 1]
    score = overall.get("score")
    lines = [f"{_say('title', lang)}: {title}", _say("draft", lang)]
    if candidate:
        lines.append(f"{_say('candidate', lang)}: {candidate}")
    lines.append(f"{_say('sent_by', lang)}: {user} ({via})")
    if supersedes:
        lines.append(_say("supersedes", lang).format(supersedes))
    lines += ["", f"{_say('recommendation', lang)}: {summary.get('recommendation') or rec}"]
    lines.append(f"{_say('overall', lang)}: {score if score is not None else '–'}/5 · {rec}")
    lines += ["", f"{_say('competencies', lang)}:", *_competency_lines(analysis, lang)]
    if summary.get("to_verify"):
        lines += ["", f"{_say('to_verify', lang)}:", *(f"- {t}" for t in summary["to_verify"])]
    if analysis.get("followups"):
        lines += ["", f"{_say('followups', lang)}:"]
        for i, f in enumerate(analysis["followups"], 1):
            at = stamp(float((f.get("anchor") or {}).get("start") or 0))
            lines.append(f"{i}. {f.get('question', '')} — {f.get('reason', '')} ({at})")
    lines += _tally_line(tally or {}, lang)
    if report_url:
        lines += ["", f"{_say('report', lang)}: {report_url}"]
    return "\n".join([*lines, "", tag])


@dataclass
class _Loaded:
    interview: dict[str, Any]
    analysis: dict[str, Any]
    tally: dict[str, dict[str, int]]
    candidate: str | None


async def _load(db: Database, interview_id: str) -> _Loaded:
    def read(store) -> tuple[Any, Any, Any, Any]:
        row = store.interviews.get(interview_id)
        name = None
        if row and row.get("candidate_id"):
            found = store.db.execute("select name from candidates where id = ?", [row["candidate_id"]])
            name = (found.fetchone() or [None])[0]
        return row, store.interviews.analysis(interview_id), store.verdicts.tally(interview_id), name

    row, analysis, tally, name = await db.run(read)
    if row is None:
        raise AtsRefusal("not_found", "no interview with that id")
    if analysis is None:
        raise AtsRefusal("not_ready", "this interview has no analysis yet")
    return _Loaded(row, analysis, tally, name)


async def _application(connector: Connector, req: SendRequest, loaded: _Loaded, last: dict | None) -> str:
    """Named explicitly, named in the upload's message, the one the last note went to, or found by the
    candidate's name (and the interview's time, where the ATS knows it)."""
    named = req.application or loaded.interview.get("ats_application") or (last or {}).get("application_id")
    if named:
        return named
    if not loaded.candidate:
        raise AtsRefusal(
            "no_application",
            "the candidate of this interview is not known: name the application (--application, "
            "`application: <id>` in the upload's message, or the API's application field)",
        )
    around = _when(loaded.interview.get("created_at"))
    found = await connector.find_applications(loaded.candidate, around)
    if not found:
        raise AtsRefusal(
            "no_application",
            f"{connector.name} has no application for {loaded.candidate}: name the application id",
        )
    if len(found) > 1:
        raise Ambiguous(loaded.candidate, found)
    return found[0].id


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


async def _settle(db: Database, connector: Connector, iid: str, digest: str, stale_s: float) -> None:
    """Earlier sends (other analyses) that failed without knowing whether the ATS kept the note: their
    marker is looked for, so a note that did go out is known (and the new one says it supersedes it)."""
    for row in await db.ats.unconfirmed(iid, connector.name, stale_s):
        if row["digest"] == digest:
            continue  # this send's own claim: taken over below
        found = await connector.find_note(row["application_id"], marker(iid, row["digest"]))
        if found:
            await db.ats.sent(iid, connector.name, row["digest"], found)
        else:
            await db.ats.forget(iid, connector.name, row["digest"])


async def send(
    db: Database, connector: Connector, req: SendRequest, *, owner: str, stale_s: float = CLAIM_STALE_S
) -> SendResult:
    """Send the draft for one interview to one ATS, exactly once per analysis (module docstring).
    Raises AtsRefusal, Ambiguous, ClaimHeld or AtsFailure (the claim released: try again)."""
    loaded = await _load(db, req.interview_id)
    target, iid = connector.name, req.interview_id
    digest = analysis_digest(loaded.analysis, loaded.tally)
    await _settle(db, connector, iid, digest, stale_s)
    last = await db.ats.latest_sent(iid, target)
    if last and last["digest"] == digest:
        return SendResult(target, last["external_id"], "already_sent", last["application_id"])
    application = await _application(connector, req, loaded, last)
    supersedes = last["external_id"] if last else None
    state = await db.ats.claim(
        iid, target, digest, application_id=application, user=req.user, owner=owner,
        supersedes=supersedes, stale_s=stale_s,
    )  # fmt: skip
    if state in ("sent", "held"):
        row = await db.ats.get(iid, target, digest)
        if state == "held":
            raise ClaimHeld(f"a note for this interview is being sent to {target} now; try again shortly")
        return SendResult(target, row["external_id"], "already_sent", row["application_id"])
    status, tag = ("superseded" if supersedes else "sent"), marker(iid, digest)
    try:
        found = await connector.find_note(application, tag) if state == "taken_over" else None
        if found is None:
            text = compose(
                loaded.analysis, title=loaded.interview.get("title") or iid, candidate=loaded.candidate,
                user=req.user, via=req.via, report_url=req.report_url, tag=tag, tally=loaded.tally,
                supersedes=supersedes,
            )  # fmt: skip
            found = await connector.post_note(application, text)
    except BaseException:
        await db.ats.release(iid, target, digest)
        raise
    await db.ats.sent(iid, target, digest, found)
    await db.audit(f"{req.via}:{req.user}", "ats-send", iid, {"target": target, "status": status})
    return SendResult(target, found, status, application)
