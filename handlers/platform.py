"""ChatPlatform: the flow every chat platform shares, written once.

A recording arrives as an `Upload`; it goes into the durable inbox (a claim row, so the same file from two
events or a redelivery is taken once, and a restart resumes it), is acknowledged in its thread once,
downloaded within the size limit, checked, submitted, and the acknowledgement is tied to the interview.
Progress edits that acknowledgement (throttled); the finished report is posted once per interview under a
claim in the store, and a periodic sweep posts reports whose done event was missed. Commands are parsed and
executed by `bot.commands`; digests are posted for the scheduler; channel membership is cached.

A platform implements only how to talk to it: `post`, `edit`, `download`, `members`, `user_timezone`,
`render` (and, to resume after a restart, `describe`), plus its own event wiring (`routes`, `connect`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import web

from asr_engine import AudioInputError
from bot import coaching, commands
from bot.coaching_digest import NotYet, WeeklyDigest
from bot.digest import Digest, Subscription
from bot.events import Progress
from bot.liveness import supervise
from bot.outbox import Outbox
from bot.render import ReportContext, render_document
from bot.service import Service, Submission
from bot.storage import is_busy, is_disk_full
from bot.storage.coaching import notice_key
from bot.texts import say

log = logging.getLogger(__name__)
BUSY_WAIT_S = 900.0  # how long an event's first write waits out a database locked by another process


NOTE_GIVE_UP = timedelta(hours=24)  # a private or compliance note still failing this long after upload
NOTE_KINDS = ("coach", "compliance")  # the interviewer's private note, and the compliance channel's


class Refused(Exception):
    """The platform refused a message for good (no such user, a bot, no permission): trying again
    cannot help."""


class DownloadError(Exception):
    """A platform file could not be fetched; the message is shown in the thread."""


class DiskFull(Exception):
    """The server has no room for the file now; the message is shown in the thread."""


@dataclass
class Place:
    """Where a message goes: a channel, a thread in it (None: a message of its own), a direct message to
    a user (`dm`: channel is the user), or the platform's own handle for answering a command."""

    channel: str
    thread: str | None = None
    dm: bool = False
    handle: Any = None  # e.g. Slack's response_url responder


@dataclass
class Message:
    """What the shared flow says, before a platform renders it: one of a status line, a report, a
    command reply or a digest. `key` lets platforms with idempotent posting drop a retried post."""

    text: str = ""
    report: dict[str, Any] | None = None  # an analysis as stored
    context: ReportContext | None = None
    reply: commands.Reply | None = None
    digest: dict[str, Any] | None = None
    key: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # (label, value) buttons: "Send to ATS"

    @property
    def public(self) -> bool:
        return self.reply is None or self.reply.public


@dataclass
class Vote:
    """An interviewer's verdict from a report's controls, as the platform described the click."""

    interview_id: str
    competency: str
    verdict: str
    user: str | None
    channel: str | None


@dataclass
class VoteResult:
    """What a vote came to: stored (the report to show again, with its tally) or refused (a note for
    the clicker alone)."""

    refusal: str | None = None
    report: Message | None = None


def parse_vote_value(value: str | None, user: str | None, channel: str | None) -> Vote | None:
    """`interview|competency|verdict`, the value every verdict control carries."""
    parts = (value or "").split("|")
    if len(parts) != 3 or not all(parts):
        return None
    return Vote(parts[0], parts[1], parts[2], user, channel)


@dataclass
class AtsClick:
    """A "Send to ATS" click on a report (or on one of the applications the bot asked about)."""

    interview_id: str
    application: str | None
    user: str | None
    channel: str | None


def parse_ats_value(value: str | None, user: str | None, channel: str | None) -> AtsClick | None:
    """`interview` or `interview|application`, the value every Send to ATS control carries."""
    iid, _, application = (value or "").partition("|")
    return AtsClick(iid, application or None, user, channel) if iid else None


def application_line(text: str | None) -> str | None:
    """The application an upload's message names: a line `application: <id>` (申请: / 申请ID: too)."""
    m = _APPLICATION_LINE.search(text or "")
    return m.group(1) if m else None


_APPLICATION_LINE = re.compile(
    r"^\s*(?:application(?:\s*id)?|申请(?:\s*id)?)\s*[:：]\s*([\w.\-]+)\s*$", re.I | re.M
)


@dataclass
class Interviewer:
    """Who interviewed, as an upload's message named them: a platform user (who gets the private coaching
    note) or a free-text name (no one to reach privately: it goes only to the compliance channel)."""

    user: str | None = None
    name: str | None = None


def interviewer_line(
    text: str | None,
    mention: Callable[[str], tuple[str, str | None] | None],
    bots: Collection[str | None] = (),
) -> Interviewer | None:
    """The interviewer a message names: a line `interviewer: <someone>` (面试官：). `mention` finds a
    platform mention in the value and says (user id, display name or None); without one the value is a
    free-text name. A mention of the bot itself names no one."""
    m = _INTERVIEWER_LINE.search(text or "")
    if not m:
        return None
    value = m.group(1)
    if found := mention(value):
        return None if found[0] in bots else Interviewer(found[0], found[1])
    return Interviewer(name=value[:80])


# mentions may lead the line (`@bot 面试官：@someone`, as a Feishu reply must mention the bot to reach it)
_INTERVIEWER_LINE = re.compile(
    r"^[ \t]*(?:(?:<@[^>]+>|@\S+)[ \t]+)*(?:interviewer|面试官)[ \t]*[:：][ \t]*(\S.*?)[ \t]*$", re.I | re.M
)


@dataclass
class Upload:
    """A file a user shared, as the platform describes it."""

    file_id: str
    channel: str
    thread: str
    user: str | None
    name: str
    recording: bool  # the platform's verdict (asr_engine.audio.is_recording plus its own signals)
    size: int | None = None
    mimetype: str | None = None
    ref: dict[str, Any] = field(default_factory=dict)  # what `download` needs (URL, file key)
    application: str | None = None  # the ATS application the message names (`application: <id>`)
    interviewer: Interviewer | None = None  # who interviewed, where the message names them


def reply_document(reply: commands.Reply) -> tuple[str, Any, ReportContext | None]:
    """What a command reply shows, as (kind, data, context): a report, panorama, digest or its lines."""
    if reply.analysis is not None:
        ctx = ReportContext(
            title=reply.title, report_url=reply.report_url, interview_id=(reply.interview or {}).get("id")
        )
        return "report", reply.analysis, ctx
    if reply.panorama is not None:
        return "panorama", reply.panorama, None
    if reply.digest is not None:
        return "digest", reply.digest, None
    return "reply", reply, None


def render_reply(reply: commands.Reply, fmt: str) -> str:
    """A command reply as a chat format's text (fmt: slack | feishu)."""
    kind, data, ctx = reply_document(reply)
    return render_document(kind, data, fmt, ctx)


def progress_text(event: Progress, lang: str) -> str | None:
    """The status line for a progress event, or None when it is not worth an edit (platforms rate-limit
    edits: transcription progress is shown at most every quarter of the chunks)."""
    if event.stage == "transcribing":
        quarter = lambda n: n * 4 // event.total  # noqa: E731
        if (
            event.total
            and event.done not in (0, event.total)
            and quarter(event.done) == quarter(event.done - 1)
        ):
            return None
        return say("transcribing", lang, event.done, event.total)
    if event.stage in ("decoding", "analysing", "retrying"):
        return say(event.stage, lang)
    return None


class MembershipCache:
    """Who is in a channel, remembered for a short while: every command and every personal digest checks
    membership, and the platforms rate-limit member lists. `fetch` returns None when the platform refused."""

    def __init__(self, fetch: Callable[[str], Awaitable[set[str] | None]], ttl_s: float = 60.0) -> None:
        self.fetch, self.ttl_s = fetch, ttl_s
        self._members: dict[str, tuple[float, set[str]]] = {}

    async def is_member(self, channel: str, user: str | None) -> bool:
        if not user:
            return False
        cached = self._members.get(channel)
        if cached and time.monotonic() - cached[0] < self.ttl_s:
            return user in cached[1]
        members = await self.fetch(channel)
        if members is None:
            return False
        self._members[channel] = (time.monotonic(), members)
        return user in members


class ChatPlatform(ABC):
    name: ClassVar[str]  # the platform's name in the store (interviews.platform, posts, digests)

    def __init__(
        self, service: Service, *, admins: frozenset[str] = frozenset(), sweep_s: float = 30.0
    ) -> None:
        self.service, self.db = service, service.db
        self.admins, self.sweep_s = admins, sweep_s
        self.lang = "en" if service.settings.language == "en" else "zh"
        self.membership = MembershipCache(self.members)
        self._last_progress: dict[str, str] = {}
        self._taking: set[str] = set()  # inbox files this process is taking in now
        self._tasks: set[asyncio.Task] = set()
        # per interview: naming its interviewer and sending its private note never interleave (in this
        # process only: one `serve` per platform; weak: a lock lives while someone holds or waits for it)
        self._coach_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        service.bus.subscribe(self._on_progress)
        service.digests.register(self.name, self)
        service.coaching.register(self.name, self)
        service.consent.retractors[self.name] = self._retract
        self.outbox = Outbox(service, self)

    # ---- what a platform implements -----------------------------------------------------------------
    @abstractmethod
    async def post(self, to: Place, message: Message) -> str | None:
        """Send a new message; its id, or None when the platform refused (logged by the platform)."""

    @abstractmethod
    async def edit(self, to: Place, message_id: str, message: Message) -> bool | None:
        """Replace a message the bot posted (status lines). False when the platform refused (logged by
        the platform): a failure notice edited into the acknowledgement then stays pending."""

    async def retract(self, to: Place, message_id: str) -> bool:
        """Delete a message the bot posted (a candidate withdrew consent); False where the platform does
        not allow it. A platform that can delete overrides this."""
        return False

    async def _retract(self, channel: str, thread: str | None, message_id: str) -> bool:
        if channel.startswith("dm:"):  # a private note, claimed under the user it went to
            return await self.retract(Place(channel.removeprefix("dm:"), dm=True), message_id)
        return await self.retract(Place(channel, thread or None), message_id)

    @abstractmethod
    async def download(self, upload: Upload, dest: Path, limit: int) -> tuple[str, int]:
        """Stream the file to `dest`: (sha256, size). Raises DownloadError, also past `limit` bytes."""

    @abstractmethod
    async def members(self, channel: str) -> set[str] | None:
        """Everyone in a channel, or None when the platform would not say."""

    async def user_timezone(self, user: str) -> str | None:
        """A user's IANA zone from their profile, where the platform has one."""
        return None

    @abstractmethod
    def render(self, message: Message) -> Any:
        """The platform's payload for a message (its templates)."""

    async def describe(self, row: dict[str, Any]) -> Upload | None:
        """An inbox row accepted before a restart, described again (None: give up on it; LookupError:
        the platform did not answer, try again later)."""
        return None

    # ---- wiring (optional) ---------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        """Add the platform's HTTP endpoints to the shared server."""
        return None

    async def connect(self) -> None:
        """Open the platform's own connection (Socket Mode, long connection), if any."""
        return None

    async def disconnect(self) -> None:
        return None

    async def start(self) -> None:
        await self.resume_files()
        await self.sweep()
        self.spawn(self._sweep_loop())
        await self.connect()

    async def stop(self) -> None:
        await self.disconnect()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        """Run in the background, kept until done (stop() cancels what is left), failures logged."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: a background step failed", self.name, exc_info=task.exception())

    async def seen(self, event_id: str | None) -> bool:
        """True for an event delivered before (a retry or redelivery)."""
        return bool(event_id) and await patiently(lambda: self.db.posts.seen_event(self.name, event_id))

    # ---- uploads -------------------------------------------------------------------------------------
    async def accept(self, upload: Upload) -> None:
        """An upload event: into the inbox once (the other event or a retry finds it there), then taken in."""
        claim = self.db.posts.claim_file
        claimed = await patiently(
            lambda: claim(self.name, upload.file_id, upload.channel, upload.thread, upload.user)
        )
        if upload.application:  # whichever event takes the file in, the message's hint is kept
            await self.db.ats.remember_file_application(self.name, upload.file_id, upload.application)
        if named := upload.interviewer:
            await self.db.posts.remember_file_interviewer(self.name, upload.file_id, named.user, named.name)
        if claimed:
            await self.take_in(upload, None)

    async def resume_files(self, older_than_s: float = 0.0) -> None:
        """Inbox files accepted but not taken in to the end (a restart, or a step that failed: a locked
        database, a full disk, the platform not answering) are taken in again, unless in flight here."""
        for row in await self.db.posts.unfinished_files(self.name, older_than_s):
            if row["file_id"] not in self._taking:
                log.warning("resuming %s file %s accepted earlier", self.name, row["file_id"])
                self._taking.add(row["file_id"])
                self.spawn(self._resume(row))

    async def _resume(self, row: dict[str, Any]) -> None:
        try:
            upload = await self.describe(row)
        except LookupError as exc:  # the platform could not say now: the next sweep asks again
            log.warning("%s file %s stays in the inbox: %s", self.name, row["file_id"], exc)
            return
        finally:
            self._taking.discard(row["file_id"])
        if upload is None:
            await self._finish(row["file_id"])
            return
        await self.take_in(upload, row.get("ack_message"))

    async def take_in(self, upload: Upload, ack: str | None) -> None:
        """Acknowledge in the thread (once, also when resumed), download with the size limit, check it is
        audio, queue it, tie the acknowledgement to the interview; the inbox row is finished whatever
        happens. What is not a recording is ignored silently."""
        self._taking.add(upload.file_id)
        try:
            await self._take_in(upload, ack)
        finally:
            self._taking.discard(upload.file_id)

    async def _take_in(self, upload: Upload, ack: str | None) -> None:
        place, limit = Place(upload.channel, upload.thread), self.service.settings.max_upload_bytes
        if not upload.recording:
            return await self._finish(upload.file_id)
        if (upload.size or 0) > limit:
            await self.post(
                place, Message(say("too_big", self.lang, limit // 2**20), key=f"big-{upload.file_id}")
            )
            return await self._finish(upload.file_id)
        if not ack:
            ack = await self.post(
                place, Message(say("ack", self.lang, upload.name), key=f"ack-{upload.file_id}")
            )
            await self.db.posts.update_file(self.name, upload.file_id, ack_message=ack)
        interview_id = await self._submit(upload, place, ack, limit)
        if interview_id:
            await self.db.posts.link_ack(self.name, upload.channel, interview_id, ack)
            if application := await self.db.ats.file_application(self.name, upload.file_id):
                await self.db.ats.set_application(interview_id, application)
            if named := await self.db.posts.file_interviewer(self.name, upload.file_id):
                await self.db.interviews.set_interviewer(interview_id, named["user"], named["name"])
            interview = await self.db.interviews.get(interview_id)
            if ack and interview and interview["status"] == "held":  # the thread is told why it waits
                await self.edit(place, ack, Message(say("held", self.lang)))
        await self._finish(upload.file_id, interview_id)

    async def _submit(self, upload: Upload, place: Place, ack: str | None, limit: int) -> str | None:
        async def fill(tmp: Path) -> tuple[str, int]:
            try:
                return await self.download(upload, tmp, limit)
            except OSError as exc:
                if not is_disk_full(exc):
                    raise
                raise DiskFull(say("disk_full", self.lang)) from None

        def describe(tmp: Path, sha: str, size: int) -> Submission:
            return Submission(
                path=tmp,
                filename=upload.name,
                key=f"{self.name}:{upload.file_id}",
                sha256=sha,
                size_bytes=size,
                platform=self.name,
                channel=upload.channel,
                thread=upload.thread,
                uploader=upload.user,
                content_type=upload.mimetype,
            )

        try:
            accepted = await self.service.intake.accept(fill, describe)
        except (AudioInputError, DownloadError, DiskFull) as exc:
            if ack:
                await self.edit(place, ack, Message(say("failed", self.lang, exc)))
            return None
        return accepted[0] if accepted else None

    async def _finish(self, file_id: str, interview_id: str | None = None) -> None:
        """Take an upload out of the inbox: queued as `interview_id`, refused, or not a recording at all."""
        await self.db.posts.update_file(self.name, file_id, finished=1, interview_id=interview_id)

    async def name_interviewer(
        self, file_ids: list[str], user: str | None, named: Interviewer, answer: Place
    ) -> bool:
        """A message after the upload that names its interviewer (a reply in the recording's thread, where
        the file itself carries no text): taken from the uploader alone, while the private note has not
        gone out; the answer says so in the thread. False: not about an upload of `user`'s."""
        file_id = await self.db.posts.upload_of(self.name, file_ids, user)
        if file_id is None:
            return False
        iid = await self.db.posts.file_interview(self.name, file_id)
        who = named.name or named.user or "?"
        lock = self._coach_lock(iid) if iid else None  # no interview yet: no note on its way either
        if lock and lock.locked():
            log.info("%s: the interviewer of %s named while its note is on its way: waiting", self.name, iid)
        async with lock or contextlib.nullcontext():
            if iid and await self.db.posts.claimed(self.name, iid, "coach"):  # sent, refused or being sent
                said = say("interviewer_late", self.lang, who)
            else:
                await self.db.posts.remember_file_interviewer(self.name, file_id, named.user, named.name)
                said = say("interviewer_named" if named.user else "interviewer_named_text", self.lang, who)
        await self.post(answer, Message(said))
        interview = await self.db.interviews.get(iid) if iid else None
        if interview and interview.get("status") == "done":  # analysed already: its note goes out now
            await self.deliver_coaching(interview)
        return True

    # ---- progress and reports ------------------------------------------------------------------------
    async def _on_progress(self, event: Progress) -> None:
        interview = await self.db.interviews.get(event.interview_id)
        if not interview or interview.get("platform") != self.name:
            return
        if event.stage in ("done", "failed"):
            self._last_progress.pop(event.interview_id, None)
            await self.post_report(interview)
            if event.stage == "done":
                await self.deliver_coaching(interview)
            return
        text = progress_text(event, self.lang)
        if text is None or self._last_progress.get(event.interview_id) == text:
            return
        ack = await self.db.posts.message(self.name, event.interview_id, "ack")
        if ack:
            self._last_progress[event.interview_id] = text
            await self.edit(Place(interview["channel"], interview["thread"]), ack, Message(text))

    async def post_report(self, interview: dict[str, Any], *, sweep: bool = False) -> None:
        """The report in the interview's thread, exactly once as seen in the thread (bot.outbox)."""
        await self.outbox.deliver(interview, sweep=sweep)

    async def send_report(self, interview: dict[str, Any], status: dict[str, Any], key: str) -> str | None:
        """Post the report (a failure: edit the acknowledgement); the message id, None if it failed."""
        iid, place = interview["id"], Place(interview["channel"], interview["thread"])
        ack = await self.db.posts.message(self.name, iid, "ack")
        if status["status"] == "failed":
            return await self._edit_or_post(
                place, ack, Message(say("failed", self.lang, status["error"]), key=key)
            )
        ctx = ReportContext(
            title=interview.get("title") or iid,
            report_url=status["report_url"],
            interview_id=iid,
            controls=True,
            ats=self.service.settings.ats.target(),
        )
        posted = await self.post(place, Message(report=status["analysis"], context=ctx, key=key))
        if posted and ack:
            await self.edit(place, ack, Message(say("done", self.lang)))
        return posted

    def _coach_lock(self, key: str) -> asyncio.Lock:
        lock = self._coach_locks.get(key)
        if lock is None:
            lock = self._coach_locks[key] = asyncio.Lock()
        return lock

    async def deliver_coaching(self, interview: dict[str, Any]) -> None:
        """`_deliver_coaching` to the interviewer the interview names now: one named in its thread while the
        report was being posted gets the note, not the uploader (the caller's row may predate the naming)."""
        async with self._coach_lock(interview["id"]):
            await self._deliver_coaching(await self.db.interviews.get(interview["id"]) or interview)

    async def _deliver_coaching(self, interview: dict[str, Any]) -> None:
        """The interviewer's own metrics and flagged questions: privately to the interviewer (the platform
        user named with the upload, else the uploader: bot.coaching.recipient), and to the compliance
        channel, when one is configured, the flagged questions, or that no private message could reach the
        interviewer (a free-text name, or a DM the platform refused for good); never into the hiring thread.
        Each exactly once: claimed like a report, a failed post stays owed and the sweep retries it; the
        compliance note waits until the private one is settled (sent or refused)."""
        iid = interview["id"]
        analysis = await self.db.interviews.analysis(iid) or {}
        block = analysis.get("interviewer") or {}
        if not block:
            return
        lang, title = analysis.get("language", self.lang), interview.get("title") or iid
        person, unreached = coaching.recipient(interview), None
        if person and person == interview.get("interviewer_user") and not await self._may_coach(interview):
            person, unreached = None, "coach_not_member"  # a mistyped or stray mention gets nothing
        if person:
            head, lines = coaching.private_note(title, block, lang, self.service.interviewer_url(iid))
            note = Message(head, reply=commands.Reply(head, lines, language=lang), key=f"coach-{iid}")
            await self._once(Place(person, dm=True), f"dm:{person}", iid, "coach", note)
            sent = await self.db.posts.message(self.name, iid, "coach")
            if sent is None:
                return  # still owed (the sweep tries again): compliance hears once it is settled
            unreached = "coach_dm_failed" if sent == "" else None
        elif unreached is None:
            unreached = "coach_no_dm"
        if block.get("flags") or unreached:
            await self._tell_compliance(interview, person, block.get("flags") or [], unreached, lang)

    async def _may_coach(self, interview: dict[str, Any]) -> bool:
        """A platform user named as the interviewer gets the private note only as a member of the channel the
        recording was shared in (the note names the candidate and quotes the interview)."""
        return await self.membership.is_member(interview["channel"], interview["interviewer_user"])

    async def _tell_compliance(
        self, interview: dict[str, Any], person: str | None, flags: list, unreached: str | None, lang: str
    ) -> None:
        iid, title = interview["id"], interview.get("title") or interview["id"]
        who = interview.get("interviewer") or (person and await self.user_name(person)) or person
        where = self.service.settings.compliance_channel
        if not (where and where[0] == self.name):
            if unreached:
                log.warning(
                    "%s: interviewer %s of %s has no private note: %s", self.name, who, iid, unreached
                )
            return
        head, lines = coaching.compliance_note(title, who, flags, lang)
        if unreached:
            lines.append(say(unreached, lang, who or "?"))
        note = Message(head, reply=commands.Reply(head, lines, language=lang), key=f"compliance-{iid}")
        await self._once(Place(where[1]), where[1], iid, "compliance", note)

    async def _once(
        self, place: Place, key: str, interview_id: str, kind: str, message: Message, since: str | None = None
    ) -> None:
        """Post once per (place, interview, kind). A claim left without a message (a failed post, a dead
        poster) is taken over: first looked for where it would be, then posted again. A transient failure
        leaves it owed for the sweep, until NOTE_GIVE_UP after `since` (default: the upload); a refusal for
        good settles it (the caller reads which)."""
        posts, stale_s = self.db.posts, self.service.settings.report_claim_stale_s
        if not await posts.claim(self.name, key, "", interview_id, kind):
            if not await posts.take_over(self.name, key, "", interview_id, kind, stale_s):
                return  # sent, refused, or being sent
            try:
                found = await self.find_posted(place, message.key or "")
            except LookupError as exc:  # cannot tell whether it went out: do not post blindly
                return await self._not_this_time(key, interview_id, kind, since, str(exc))
            if found:
                return await posts.set_message(self.name, key, "", interview_id, kind, found)
        try:
            posted = await self.post_note(place, message)
        except Refused as exc:
            log.warning("%s: %s note for %s refused for good: %s", self.name, kind, interview_id, exc)
            return await posts.settle(self.name, key, "", interview_id, kind)
        if posted is None:
            return await self._not_this_time(key, interview_id, kind, since, "not posted")
        await posts.set_message(self.name, key, "", interview_id, kind, posted)

    async def _not_this_time(
        self, key: str, interview_id: str, kind: str, since: str | None, why: str
    ) -> None:
        """A note that failed (or could not be looked for) this time stays owed for the sweep, until
        NOTE_GIVE_UP: then it is settled like a refusal, and compliance hears it failed."""
        if await self._past_retrying(interview_id, since):
            log.warning(
                "%s: %s note for %s given up after %s: %s", self.name, kind, interview_id, NOTE_GIVE_UP, why
            )
            return await self.db.posts.settle(self.name, key, "", interview_id, kind)
        log.warning("%s: %s note for %s stays owed for the sweep: %s", self.name, kind, interview_id, why)
        await self.db.posts.release(self.name, key, "", interview_id, kind)

    async def _past_retrying(self, interview_id: str, since: str | None = None) -> bool:
        """A note still failing NOTE_GIVE_UP after its recording came in (or `since`) is given up (settled
        like a refusal, so the compliance note goes out saying the interviewer was not reached)."""
        if since is None:
            since = (await self.db.interviews.get(interview_id) or {}).get("created_at")
        try:
            began = datetime.fromisoformat(since or "")
        except ValueError:
            return False
        return datetime.now(UTC) - began.astimezone(UTC) > NOTE_GIVE_UP

    async def post_note(self, to: Place, message: Message) -> str | None:
        """`post` for a private or compliance note: None when it may go through later; raises Refused when
        the platform refused for good (a platform that can tell overrides this)."""
        return await self.post(to, message)

    async def follow_up(self, interview: dict[str, Any]) -> None:
        await self.deliver_coaching(interview)

    async def sweep_notes(self) -> None:
        """Private and compliance notes still owed (their post failed, or their poster died), and compliance
        notices about refused weekly digests."""
        stale_s = self.service.settings.report_claim_stale_s
        moment = datetime.now(UTC)
        since, stale = (
            (moment - gap).isoformat(timespec="seconds") for gap in (NOTE_GIVE_UP, timedelta(seconds=stale_s))
        )
        owed = await self.db.posts.owed_notes(self.name, NOTE_KINDS, stale_s)
        # a poster that died after the report went out and before it claimed the notes left none behind
        owed += await self.db.posts.unclaimed_notes(self.name, NOTE_KINDS, since, stale_s)
        for iid in dict.fromkeys(owed):
            if interview := await self.db.interviews.get(iid):
                await self.deliver_coaching(interview)
        where = self.service.settings.compliance_channel
        if not where or where[0] != self.name:
            return
        for row in await self.db.coaching.owed_notices(self.name, since, stale):
            lang = row["language"] or self.lang
            await self._coaching_notice(
                row["user"], row["week"], lang, row["interviews"] or 0, row["posted_at"]
            )

    async def find_report(self, channel: str, thread: str, key: str) -> str | None:
        return await self.find_posted(Place(channel, thread), key)

    async def find_posted(self, to: Place, key: str) -> str | None:
        """The bot's own message in the thread carrying `key` (its marker), if the platform can say;
        raises LookupError when the platform would not answer. Without a lookup: None."""
        return None

    async def _edit_or_post(self, place: Place, message_id: str | None, message: Message) -> str | None:
        if message_id:
            return None if await self.edit(place, message_id, message) is False else message_id
        return await self.post(place, message)

    async def sweep(self) -> None:
        """Reports of finished interviews that never reached the platform: after a restart, or a done
        event that was missed (the outbox's claims keep each to one post); private and compliance notes
        still owed. Inbox files stuck as long are taken in again."""
        await self.resume_files(self.service.settings.report_claim_stale_s)
        await self.outbox.sweep()
        await self.sweep_notes()
        await self.service.consent.retract_owed(self.name)  # an erasure's messages it could not delete then

    async def _sweep_loop(self) -> None:
        await supervise(self.service.liveness.beat(f"{self.name}-sweep"), self.sweep, self.sweep_s)

    # ---- commands ------------------------------------------------------------------------------------
    async def command(
        self, text: str, channel: str, user: str | None, answer: Place, key: str, private: Place | None = None
    ) -> None:
        """Parse, execute (bot.commands), render, answer where the platform said. `private`: where a personal
        answer (the asker's own figures, quotes from all their channels) goes when `answer` is seen by
        others (a group chat without ephemeral messages); a short pointer is left in the group."""
        cmd = commands.parse(text, self.service.settings.language)
        ctx = commands.Context(
            service=self.service,
            platform=self.name,
            channel=channel,
            user=user or "?",
            is_admin=bool(user) and user in self.admins,
            member_of=lambda c: self.membership.is_member(c, user),
            report_url=self.service.report_url,
            user_timezone=(lambda: self.user_timezone(user)) if user else None,
        )
        reply = await commands.execute(cmd, ctx)
        if private is not None and reply.personal:
            await self.post(private, Message(reply.title, reply=reply, key=key))
            pointer = commands.Reply(say("sent_privately", reply.language), language=reply.language)
            await self.post(answer, Message(pointer.title, reply=pointer, key=f"{key}-p"))
            return
        await self.post(answer, Message(reply.title, reply=reply, key=key))

    # ---- verdicts on a report's scores ------------------------------------------------------------------
    async def vote(self, vote: Vote | None) -> VoteResult:
        """Store a verdict from a member of the channel the report was posted in (one per person per
        competency, the latest wins); the report again with the tally to update in place."""
        from bot.storage import VerdictError

        if vote is None:
            return VoteResult(say("verdict_bad", self.lang))
        interview = await self.db.interviews.get(vote.interview_id)
        if interview is None:
            return VoteResult(say("verdict_gone", self.lang))
        if (
            interview.get("platform") != self.name
            or interview.get("channel") != vote.channel
            or not await self.membership.is_member(vote.channel, vote.user)
        ):
            return VoteResult(say("verdict_not_member", self.lang))
        try:
            tally = await self.db.verdicts.record(
                vote.interview_id, vote.competency, vote.verdict, vote.user, self.name
            )
        except VerdictError as exc:
            return VoteResult(say("verdict_gone" if exc.reason == "gone" else "verdict_bad", self.lang))
        actor = f"{self.name}:{vote.user}"
        await self.db.audit(actor, "verdict", vote.interview_id, {"verdict": vote.verdict})
        return VoteResult(report=await self.report_message(interview, tally))

    async def report_message(self, interview: dict[str, Any], tally: dict[str, Any]) -> Message | None:
        """The posted report as it is shown now: the analysis with its controls and tally."""
        iid = interview["id"]
        analysis = await self.db.interviews.analysis(iid)
        if analysis is None:
            return None
        ctx = ReportContext(
            title=interview.get("title") or iid,
            report_url=self.service.report_url(iid),
            interview_id=iid,
            controls=True,
            tally=tally,
            ats=self.service.settings.ats.target(),
        )
        return Message(report=analysis, context=ctx)

    # ---- a scorecard draft in the ATS ------------------------------------------------------------------
    async def user_name(self, user: str) -> str | None:
        """A user's display name, where the platform says (the ATS note names who sent it)."""
        return None

    async def send_to_ats(self, click: AtsClick | None) -> tuple[str, bool]:
        """Send the draft for a member of the report's channel; (what to tell the clicker alone, whether
        it went out). Several applications: the bot asks in the thread, one button per application."""
        from handlers.ats.sending import send_draft

        if click is None:
            return say("verdict_bad", self.lang), False
        interview = await self.db.interviews.get(click.interview_id)
        if interview is None:
            return say("verdict_gone", self.lang), False
        if (
            interview.get("platform") != self.name
            or interview.get("channel") != click.channel
            or not await self.membership.is_member(click.channel, click.user)
        ):
            return say("ats_not_member", self.lang), False
        name = await self.user_name(click.user) if click.user else None
        who = f"{name} ({click.user})" if name else click.user or "?"
        outcome = await send_draft(
            self.service, click.interview_id, user=who, via=self.name, application=click.application
        )
        if outcome.applications:
            choices = [(a.label, f"{click.interview_id}|{a.id}") for a in outcome.applications]
            ask = outcome.said(self.lang)
            await self.post(
                Place(interview["channel"], interview.get("thread")), Message(ask, choices=choices)
            )
            return ask, False
        return outcome.said(self.lang), outcome.result is not None

    # ---- digests (called by the scheduler) -----------------------------------------------------------
    async def post_digest(self, sub: Subscription, digest: Digest) -> str | None:
        """A message of its own (not in a thread), to the channel or, for a personal subscription, to the
        user; the key makes a retried post within a platform's dedup window a no-op."""
        place = Place(sub.target, dm=sub.target_kind == "dm")
        return await self.post(place, Message(digest=digest.to_dict(), key=f"digest-{sub.id}-{digest.date}"))

    async def may_receive(self, sub: Subscription) -> bool:
        """A personal digest goes only to someone still in the channel it summarises."""
        return await self.membership.is_member(sub.channel, sub.target)

    # ---- the weekly coaching digest (called by its scheduler) -----------------------------------------
    async def send_coaching(self, digest: WeeklyDigest, *, again: bool = False) -> str | None:
        """To the interviewer alone, a message of its own; never in a channel; only to a member of one of the
        week's channels. None: refused for good; NotYet: the platform failed this time (the scheduler tries
        again). `again` (a claim taken over): first looked for in the direct message by its marker, as a
        private note is; one found is the one sent."""
        reply = commands.Reply(digest.title, digest.lines(), language=digest.language)
        key, place = _coaching_key("coaching", digest.week, digest.user), Place(digest.user, dm=True)
        if again:
            try:
                if found := await self.find_posted(place, key):
                    log.info(
                        "%s: weekly digest %s to %s was sent already", self.name, digest.week, digest.user
                    )
                    return found
            except LookupError as exc:  # cannot tell whether it went out: do not send blindly
                raise NotYet(str(exc)) from None
        if not any([await self.membership.is_member(c, digest.user) for c in digest.channels]):
            log.warning("%s: %s is in none of %s: no weekly digest", self.name, digest.user, digest.channels)
            return None  # someone named by mistake, or who left: their week names candidates
        try:
            posted = await self.post_note(place, Message(digest.title, reply=reply, key=key))
        except Refused:
            return None
        if posted is None:
            raise NotYet(f"{self.name} did not take the private message")
        return posted

    async def coaching_refused(self, digest: WeeklyDigest) -> None:
        """The compliance channel (when configured on this platform) is told, once, that the interviewer
        could not be reached; their figures stay private. A notice that fails to post is owed: the sweep
        posts it (sweep_notes), until NOTE_GIVE_UP after the refusal."""
        await self._coaching_notice(digest.user, digest.week, digest.language, len(digest.interviews))

    async def _coaching_notice(
        self, user: str, week: str, lang: str, interviews: int, since: str | None = None
    ) -> None:
        where = self.service.settings.compliance_channel
        if not where or where[0] != self.name:
            return
        text = say("coaching_dm_failed", lang, user, week, interviews)
        key = _coaching_key("coaching-refused", week, user)
        note = Message(text, reply=commands.Reply(text, language=lang), key=key)
        since = since or datetime.now(UTC).isoformat(timespec="seconds")
        await self._once(Place(where[1]), where[1], notice_key(week, user), "coaching", note, since)


def _coaching_key(kind: str, week: str, user: str) -> str:
    """A post key per interviewer and week, short enough for Feishu's 50-character uuid whatever the id;
    the same on every attempt (Feishu drops a repeated uuid within its dedup hour; Slack's marker)."""
    return f"{kind}-{week}-{hashlib.sha256(user.encode()).hexdigest()[:12]}"


async def patiently(step: Callable[[], Awaitable[Any]], limit_s: float = BUSY_WAIT_S) -> Any:
    """A store write an event cannot do without (until the inbox has it, the event lives only in memory,
    and the platform was told it arrived): a database locked by another process is waited out."""
    delay, deadline = 0.5, time.monotonic() + limit_s
    while True:
        try:
            return await step()
        except Exception as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
            log.warning("the database is busy; trying again in %.1f s", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
