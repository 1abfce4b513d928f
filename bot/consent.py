"""Candidates' consent and rights (PIPL: a recording is personal information processed on consent; people
may access their data, withdraw, and refuse decisions made solely by automated means).

* A consent record per candidate: granted, refused or withdrawn, with how, by whom and when. It may be
  recorded before the first recording (`create`), never by accident: an unknown name is an error.
* With IB_REQUIRE_CONSENT=1 the intake holds a recording without granted consent; granting releases it
  to the queue. The retention sweep deletes what stays held past IB_CONSENT_WAIT_DAYS.
* Refusal or withdrawal erases the person's interviews (audio, transcripts, analyses, verdicts, search
  entries, answer embeddings), deletes the bot's posted messages where the platform allows (each platform
  registers a retractor), and says what could not be erased. The audit log keeps who asked.
* An access request: every stored thing about the person, as JSON plus the audio, in one zip.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .events import Progress
from .storage.consent import STATES, owe_retraction
from .storage.schema import tables_with_column

if TYPE_CHECKING:
    from .service import Service

log = logging.getLogger(__name__)
# (channel, thread, message id) -> whether the platform deleted it
Retractor = Callable[[str, str | None, str], Awaitable[bool]]


class ConsentError(ValueError):
    """Bad consent input (unknown candidate, unknown state): one line for the user."""


@dataclass
class Outcome:
    consent: dict[str, Any]
    released: list[str] = field(default_factory=list)  # held interviews now queued
    erased: list[str] = field(default_factory=list)  # interviews erased
    messages_deleted: int = 0
    not_erased: list[str] = field(default_factory=list)  # what the bot could not erase, in words

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.consent,
            "released": self.released,
            "erased": self.erased,
            "messages_deleted": self.messages_deleted,
            "not_erased": self.not_erased,
        }


def _candidate_interviews(store, candidate_id: str) -> list[str]:
    return [
        r[0] for r in store.db.execute("select id from interviews where candidate_id = ?", [candidate_id])
    ]


class ConsentDesk:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.retractors: dict[str, Retractor] = {}  # platform -> delete one of the bot's messages

    async def record(
        self, name: str, state: str, *, how: str, actor: str, note: str | None = None, create: bool = False
    ) -> Outcome:
        name, state = (name or "").strip(), (state or "").strip().lower()
        if state not in STATES:
            raise ConsentError(f"consent must be one of {', '.join(STATES)}, not {state!r}")
        if not name:
            raise ConsentError("consent needs the candidate's name")

        def write(store) -> tuple[dict[str, Any], list[str], list[str], list[dict[str, Any]], int]:
            found = store.candidates.find(name)
            if found is None and not create:
                raise ConsentError(
                    f"no candidate called {name}; to record consent before the first recording, ask again "
                    'with --new (API: "create": true)'
                )
            cid = found["id"] if found else store.candidates.ensure(name)
            with store.db.conn:
                record = store.consents.record(cid, state, how=how, by=actor, note=note)
            store.audit(actor, f"consent-{state}", None, {"candidate_id": cid, "how": how})
            if state == "granted":
                return record, store.jobs.release_held(cid), [], [], 0
            ids = _candidate_interviews(store, cid)
            posts = (
                [
                    dict(r)
                    for r in store.db.query(
                        f"select * from platform_posts where interview_id in ({','.join('?' * len(ids))})",
                        ids,
                    )
                ]
                if ids
                else []
            )
            return record, [], ids, posts, _ats_notes(store, ids)

        record, released, ids, posts, ats_notes = await self.service.db.run(write)
        outcome = Outcome(record, released=released)
        for interview_id in released:
            self.service.bus.publish(Progress(interview_id, "queued"))
        if state != "granted":
            await self._erase(outcome, ids, posts, ats_notes, actor, state)
        return outcome

    async def _erase(
        self,
        outcome: Outcome,
        ids: list[str],
        posts: list[dict[str, Any]],
        ats_notes: int,
        actor: str,
        why: str,
    ) -> None:
        for interview_id in ids:
            if await self.service.delete(interview_id, actor):
                outcome.erased.append(interview_id)
        kept: dict[str, int] = {}
        for post in posts:
            if not post.get("message_id"):
                continue
            if await self.retract(post["platform"], post["channel"], post.get("thread"), post["message_id"]):
                outcome.messages_deleted += 1
                continue
            kept[post["platform"]] = kept.get(post["platform"], 0) + 1
            await self.service.db.run(lambda s, p=post: _owe_retraction(s, p))
        outcome.not_erased += [
            f"{n} message(s) on {platform} not deleted yet: the service retries them on its next sweep"
            for platform, n in kept.items()
        ]
        if ats_notes:
            outcome.not_erased.append(
                f"{ats_notes} note(s) already sent to an ATS: ask the ATS to delete them"
            )
        outcome.not_erased.append("copies people made themselves (downloads, forwards) are outside the bot")
        detail = {"reason": why, "interviews": len(outcome.erased), "messages": outcome.messages_deleted}
        await self.service.db.audit(actor, "erase-candidate", None, detail)

    async def retract(self, platform: str, channel: str, thread: str | None, message_id: str) -> bool:
        """Delete one of the bot's messages through its platform (registered by the running chat app)."""
        retract = self.retractors.get(platform)
        if retract is None:
            return False
        try:
            return bool(await retract(channel, thread, message_id))
        except Exception as exc:  # a platform refusing is retried later, never fatal
            log.warning("could not delete a %s message: %s", platform, exc)
            return False

    async def retract_owed(self, platform: str) -> int:
        """The platform's messages an earlier erasure could not delete: tried again; how many went."""
        owed = await self.service.db.run(
            lambda s: [
                dict(r) for r in s.db.query("select * from retractions where platform = ?", [platform])
            ]
        )
        done = 0
        for row in owed:
            if await self.retract(platform, row["channel"], row["thread"], row["message_id"]):
                done += 1
                await self.service.db.run(lambda s, r=row: _paid(s, r))
        return done

    async def export(self, name: str, dest: Path) -> Path:
        """Everything held about the person (JSON) plus their recordings, in one zip at `dest`."""
        data, audio = await self.service.db.run(lambda store: _collect(store, name))
        return await asyncio.to_thread(_write_zip, dest, data, audio)


def _owe_retraction(store, post: dict[str, Any]) -> None:
    with store.db.conn:
        owe_retraction(
            store.db.conn, post["platform"], post["channel"], post.get("thread"), post["message_id"]
        )


def _paid(store, row: dict[str, Any]) -> None:
    with store.db.conn:
        store.db.conn.execute(
            "delete from retractions where platform = ? and channel = ? and message_id = ?",
            [row["platform"], row["channel"], row["message_id"]],
        )


def _ats_notes(store, ids: list[str]) -> int:
    """Notes the ATS connectors recorded as sent for these interviews (tables named ats*)."""
    count = 0
    for table in tables_with_column(store.db, "interview_id"):
        if table.startswith("ats") and ids:
            marks = ",".join("?" * len(ids))
            count += store.db.execute(
                f"select count(*) from [{table}] where interview_id in ({marks})", ids
            ).fetchone()[0]
    return count


# What an access request withholds: other people's data (GDPR art. 15(4), PIPL art. 45 give the person
# their own information, not colleagues'). Interview fields naming staff, the interviewer's own coaching
# figures, who voted a verdict and who did what in the audit log are left out or replaced by a role.
_STAFF_FIELDS = (
    "uploader",
    "interviewer",
    "interviewer_user",
    "channel",
    "thread",
    "platform",
    "callback_url",
)
WITHHELD = (
    "the names and platform ids of the people who uploaded, interviewed, voted verdicts or read the report "
    "(replaced by a role and a number)",
    "the interviewer's own coaching figures and flagged questions (the interviewer's data)",
    "the chat channel and thread ids",
)


class _Pseudonyms:
    """The same person gets the same label throughout one export: "reviewer 1", "staff 2"."""

    def __init__(self) -> None:
        self.labels: dict[tuple[str, str], str] = {}

    def __call__(self, role: str, who: Any) -> str | None:
        if who in (None, ""):
            return None
        key = (role, str(who))
        if key not in self.labels:
            n = sum(1 for r, _ in self.labels if r == role) + 1
            self.labels[key] = f"{role} {n}"
        return self.labels[key]


def _own_view(store, interview_id: str, alias: _Pseudonyms) -> dict[str, Any]:
    """One interview as the candidate may have it: their recording, transcript and analysis; staff
    pseudonymised, the interviewer block out."""
    interview = {
        k: v for k, v in (store.interviews.get(interview_id) or {}).items() if k not in _STAFF_FIELDS
    }
    analysis = store.interviews.analysis(interview_id)
    if analysis is not None:
        analysis = {k: v for k, v in analysis.items() if k != "interviewer"}
    verdicts = [
        {
            **{k: v for k, v in dict(r).items() if k not in ("user", "platform")},
            "by": alias("reviewer", r["user"]),
        }
        for r in store.db.query("select * from verdicts where interview_id = ?", [interview_id])
    ]
    audit = [
        {"at": r["at"], "action": r["action"], "by": alias("staff", r["actor"])}
        for r in store.db.query(
            "select at, actor, action from audit_log where interview_id = ?", [interview_id]
        )
    ]
    rec = store.interviews.recording(interview_id) or {}
    return {
        "interview": interview,
        "recording": {k: v for k, v in rec.items() if k != "path"},
        "transcript": store.interviews.transcript(interview_id),
        "analysis": analysis,
        "verdicts": verdicts,
        "audit": audit,
    }


def _collect(store, name: str) -> tuple[dict[str, Any], list[tuple[str, Path]]]:
    found = store.candidates.find(name)
    if found is None:
        raise ConsentError(f"no candidate called {name}")
    interviews, audio, alias = [], [], _Pseudonyms()
    for interview_id in _candidate_interviews(store, found["id"]):
        interviews.append(_own_view(store, interview_id, alias))
        rec = store.interviews.recording(interview_id) or {}
        if rec.get("path") and Path(rec["path"]).is_file():
            audio.append((f"audio/{interview_id}{Path(rec['path']).suffix}", Path(rec["path"])))
    consent = store.consents.get(found["id"])
    if consent and consent.get("recorded_by"):
        consent = {**consent, "recorded_by": alias("staff", consent["recorded_by"])}
    data = {"candidate": found, "consent": consent, "interviews": interviews, "withheld": list(WITHHELD)}
    return data, audio


def _write_zip(dest: Path, data: dict[str, Any], audio: list[tuple[str, Path]]) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("person.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for arcname, path in audio:
            z.write(path, arcname)
    tmp.chmod(0o600)  # personal data
    tmp.replace(dest)
    return dest


NOTICE = {
    "zh": (
        "面试录音与分析告知\n"
        "为帮助面试官回顾面试，本次面试将被录音，由系统转写，并整理成按问题的笔记和能力评估草稿。\n"
        "· 用途：仅用于本岗位的招聘评估，只有招聘团队可以看到。\n"
        "· 保存：录音保存 {audio}，文字记录保存 {text}。\n"
        "· 决定由人作出：分析只供面试官参考，录用与否由招聘团队决定，不会仅由自动化处理作出。\n"
        "· 您的权利：您可以拒绝或随时撤回同意，这不影响您的面试资格；撤回后我们会删除您的录音、转写和分析。"
        "您也可以要求查阅、复制我们保存的关于您的全部信息。请联系为您安排面试的招聘负责人。"
    ),
    "en": (
        "Notice: interview recording and analysis\n"
        "To help interviewers review this interview, it will be recorded, transcribed by software, and "
        "turned into notes by question and a draft competency assessment.\n"
        "- Purpose: hiring for this role only; only the hiring team can see it.\n"
        "- Retention: recordings are kept {audio}, the text {text}.\n"
        "- People decide: the analysis supports the interviewers; the hiring decision is made by people, "
        "never solely by automated means.\n"
        "- Your rights: you may refuse, or withdraw your consent at any time, without affecting your "
        "candidacy; we then erase your recordings, transcripts and analyses. You may also ask for a copy of "
        "everything we hold about you. Contact the recruiter who scheduled your interview."
    ),
}


def notice(language: str, audio_days: float | None, text_days: float | None) -> str:
    """The notice the bot gives candidates (zh / en), with this deployment's retention periods."""
    lang = "zh" if language == "zh" else "en"

    def period(days: float | None) -> str:
        if days is None:
            return (
                "直到您要求删除或岗位招聘结束"
                if lang == "zh"
                else "until you ask us to delete it or hiring ends"
            )
        return f"{days:g} 天" if lang == "zh" else f"{days:g} days"

    return NOTICE[lang].format(audio=period(audio_days), text=period(text_days))
