"""What chat platforms share about answering in a recording's thread: the status texts, when a progress
update is worth an edit, and the sweep that posts finished reports a platform never received."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from bot import queries
from bot.events import Progress
from bot.service import Service

log = logging.getLogger(__name__)

TEXT = {
    "ack": ("收到录音《{0}》，正在转写…", "Got the recording {0}, transcribing…"),
    "decoding": ("正在解码音频…", "Decoding audio…"),
    "transcribing": ("正在转写：{0}/{1} 段", "Transcribing: {0}/{1} chunks"),
    "analysing": ("正在分析…", "Analysing…"),
    "done": ("✅ 报告已生成（见本话题）", "✅ Report ready (in this thread)"),
    "failed": ("⚠️ 无法处理这段录音：{0}", "⚠️ Could not process this recording: {0}"),
    "retrying": ("转写暂时失败，稍后自动重试。", "Transcription failed for now; retrying automatically."),
    "too_big": ("这个文件超过了 {0} MB 的上限，请压缩或截短后再上传。",
                "This file is over the {0} MB limit; please compress or trim it and upload again."),
}


def say(key: str, lang: str, *args: Any) -> str:
    zh, en = TEXT[key]
    return (zh if lang == "zh" else en).format(*args)


def progress_text(event: Progress, lang: str) -> str | None:
    """The status line for a progress event, or None when it is not worth an edit (edits are rate
    limited: transcription progress is shown at most every quarter of the chunks)."""
    if event.stage == "transcribing":
        if event.total and event.done not in (0, event.total) and \
                event.done * 4 // event.total == (event.done - 1) * 4 // event.total:
            return None
        return say("transcribing", lang, event.done, event.total)
    if event.stage in ("decoding", "analysing", "retrying"):
        return say(event.stage, lang)
    return None


class ReportSweeper:
    """Posts reports of finished interviews that never reached the platform: on start-up after a
    restart, and periodically for a done event that was missed. Claims in the store keep it once."""

    def __init__(self, service: Service, platform: str,
                 post: Callable[[dict[str, Any], bool], Awaitable[None]]) -> None:
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
