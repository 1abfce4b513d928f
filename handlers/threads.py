"""What chat platforms share about answering in a recording's thread: the status texts, when a progress
update is worth an edit, and the sweep that posts finished reports a platform never received."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from asr_engine import AudioInputError
from bot import queries
from bot.events import Progress
from bot.render import localize
from bot.service import Service, Submission

log = logging.getLogger(__name__)

TEXT = {
    "ack": ("收到录音《{0}》，正在转写…", "Got the recording {0}, transcribing…"),
    "decoding": ("正在解码音频…", "Decoding audio…"),
    "transcribing": ("正在转写：{0}/{1} 段", "Transcribing: {0}/{1} chunks"),
    "analysing": ("正在分析…", "Analysing…"),
    "done": ("✅ 报告已生成（见本话题）", "✅ Report ready (in this thread)"),
    "failed": ("⚠️ 无法处理这段录音：{0}", "⚠️ Could not process this recording: {0}"),
    "retrying": ("转写暂时失败，稍后自动重试。", "Transcription failed for now; retrying automatically."),
    "too_big": (
        "这个文件超过了 {0} MB 的上限，请压缩或截短后再上传。",
        "This file is over the {0} MB limit; please compress or trim it and upload again.",
    ),
}


def say(key: str, lang: str, *args: Any) -> str:
    return localize(TEXT[key], lang, *args)


def progress_text(event: Progress, lang: str) -> str | None:
    """The status line for a progress event, or None when it is not worth an edit (edits are rate
    limited: transcription progress is shown at most every quarter of the chunks)."""
    if event.stage == "transcribing":
        if (
            event.total
            and event.done not in (0, event.total)
            and event.done * 4 // event.total == (event.done - 1) * 4 // event.total
        ):
            return None
        return say("transcribing", lang, event.done, event.total)
    if event.stage in ("decoding", "analysing", "retrying"):
        return say(event.stage, lang)
    return None


async def take_in(
    service: Service,
    platform: str,
    row: dict[str, Any],
    name: str,
    lang: str,
    *,
    post_ack: Callable[[str], Awaitable[str | None]],
    download: Callable[[Path], Awaitable[tuple[str, int]]],
    submission: Callable[[Path, str, int], Submission],
    show_failure: Callable[[str | None, str], Awaitable[Any]],
    errors: tuple[type[Exception], ...],
) -> None:
    """The steps every chat platform takes with an upload from its durable inbox, in order: acknowledge in
    the thread (once, also when resumed after a restart), download with the size limit, check it is audio,
    queue it, tie the acknowledgement to the interview; the inbox row is finished whatever happens."""
    svc, file_id = service, row["file_id"]
    ack = row.get("ack_message")
    if not ack:
        ack = await post_ack(say("ack", lang, name))
        await svc.db(lambda: queries.update_file(svc.store(), platform, file_id, ack_message=ack))
    tmp = svc.new_incoming()
    interview_id = None
    try:
        sha, size = await download(tmp)
        await asyncio.get_running_loop().run_in_executor(None, svc.validate_audio, tmp, name)
        interview_id, _created = await svc.submit(submission(tmp, sha, size))
    except (AudioInputError, *errors) as exc:
        await show_failure(ack, say("failed", lang, exc))
    finally:
        tmp.unlink(missing_ok=True)
    if interview_id:
        await svc.db(lambda: queries.link_ack(svc.store(), platform, row["channel"], interview_id, ack))
    await finish_upload(svc, platform, file_id, interview_id)


async def finish_upload(
    service: Service, platform: str, file_id: str, interview_id: str | None = None
) -> None:
    """Take an upload out of the inbox: queued as `interview_id`, refused, or not a recording at all."""
    await service.db(
        lambda: queries.update_file(service.store(), platform, file_id, finished=1, interview_id=interview_id)
    )


async def claim_report(
    service: Service, platform: str, interview: dict[str, Any], *, sweep: bool = False
) -> tuple[dict[str, Any], str | None] | None:
    """The right to post an interview's report in its thread, claimed in the store (a sweep takes over a
    claim left without a message), with the interview's status and the acknowledgement to update; None
    when another event or process already has it."""
    svc, iid = service, interview["id"]
    claimed = await svc.db(
        lambda: queries.claim_post(
            svc.store(), platform, interview["channel"], interview["thread"], iid, "report"
        )
    )
    if not claimed and not sweep:
        return None
    ack = await svc.db(lambda: queries.post_message(svc.store(), platform, iid, "ack"))
    status = await svc.db(svc.status_sync, iid)
    return (status, ack[2] if ack else None) if status else None


async def record_report(
    service: Service, platform: str, interview: dict[str, Any], message_id: str | None
) -> None:
    """The report went out (or could not, "-"): the sweep leaves it alone from now on."""
    svc = service
    await svc.db(
        lambda: queries.set_post_message(
            svc.store(),
            platform,
            interview["channel"],
            interview["thread"],
            interview["id"],
            "report",
            message_id or "-",
        )
    )
    await svc.db(svc.audit, platform, "post-report", interview["id"], {"channel": interview["channel"]})


class ReportSweeper:
    """Posts reports of finished interviews that never reached the platform: on start-up after a
    restart, and periodically for a done event that was missed. Claims in the store keep it once."""

    def __init__(
        self, service: Service, platform: str, post: Callable[[dict[str, Any], bool], Awaitable[None]]
    ) -> None:
        self.service, self.platform, self.post = service, platform, post
        self._task: asyncio.Task | None = None

    async def run_once(self) -> None:
        svc = self.service
        for row in await svc.db(lambda: queries.unposted_reports(svc.store(), self.platform)):
            interview = await svc.db(lambda r=row: svc.store().interview(r["id"]))
            if interview:
                await self.post(interview, bool(row["stale"]))

    def start(self, every_s: float) -> None:
        async def loop() -> None:
            while True:
                await asyncio.sleep(every_s)
                try:
                    await self.run_once()
                except Exception:
                    log.exception("%s report sweep failed", self.platform)

        self._task = asyncio.get_running_loop().create_task(loop())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


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
