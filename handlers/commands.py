"""One command grammar for every platform: Slack's `/interview …`, Feishu's @bot text, in English or Chinese.

    report [id|latest|最新]   list [n]   search <words>   candidate <name>   profile <name>   delete <id>   help

Execution is platform-neutral: it returns a Reply that each platform renders with its own template.
Every command is audited; every read is filtered to the channels the asking user is a member of.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bot import queries
from bot.analysis import ProfileError, load_profile
from bot.analysis.summary import stamp
from bot.service import Service

WORDS: dict[str, tuple[str, ...]] = {
    "report": ("report", "报告"),
    "list": ("list", "ls", "列表"),
    "search": ("search", "find", "搜索"),
    "candidate": ("candidate", "候选人"),
    "profile": ("profile", "岗位"),
    "delete": ("delete", "rm", "删除"),
    "help": ("help", "帮助", "?", "？"),
}
_LOOKUP = {w: name for name, words in WORDS.items() for w in words}


@dataclass
class Command:
    name: str
    args: list[str]
    rest: str
    language: str  # the language the user typed in


@dataclass
class Reply:
    title: str
    lines: list[str] = field(default_factory=list)
    analysis: dict[str, Any] | None = None  # a full report to render
    interview: dict[str, Any] | None = None
    report_url: str | None = None
    public: bool = False  # post in the channel/thread rather than only to the asker
    language: str = "zh"


def parse(text: str, language_setting: str = "auto") -> Command:
    """`language_setting` zh or en answers in that language; auto answers in the language typed."""
    text = re.sub(r"<@[^>]+>|@\S+|@_user_\d+", " ", text or "").strip()  # drop mentions of the bot
    if language_setting in ("zh", "en"):
        language = language_setting
    else:
        language = "en" if text and not re.search(r"[\u4e00-\u9fff]", text) else "zh"
    if not text:
        return Command("help", [], "", language)
    head, _, rest = text.partition(" ")
    name = _LOOKUP.get(head.lower())
    if name is None:
        for word, cmd in _LOOKUP.items():  # Chinese needs no space: "报告最新", "搜索幂等"
            if re.fullmatch(r"[\u4e00-\u9fff]+", word) and text.startswith(word):
                name, rest = cmd, text[len(word):]
                break
    if name is None:
        return Command("unknown", [head], text, language)
    rest = rest.strip()
    return Command(name, rest.split(), rest, language)


@dataclass
class Context:
    """Who asks, where, and how to find out what they may see (platform-specific membership lookups)."""

    service: Service
    platform: str
    channel: str
    user: str
    is_admin: bool
    member_of: Callable[[str], Awaitable[bool]]  # is the user a member of this channel?
    report_url: Callable[[str], str]

    async def visible(self) -> queries.Visible:
        if self.is_admin:
            return None
        channels = await self.service.db(lambda: [r["channel"] for r in self.service.store().db.query(
            "select distinct channel from interviews where platform = ? and channel is not null", [self.platform])])
        checks = await asyncio.gather(*(self.member_of(c) for c in channels))
        return {(self.platform, c) for c, ok in zip(channels, checks) if ok}

    async def may_see(self, interview: dict[str, Any]) -> bool:
        if self.is_admin:
            return True
        if interview.get("platform") != self.platform or not interview.get("channel"):
            return False
        return await self.member_of(interview["channel"])


T = {
    "help": ("用法", "Usage"),
    "no_access": ("没有找到这个面试，或者你不在上传它的频道里。", "No such interview, or you are not in the channel it was uploaded to."),
    "none": ("还没有面试记录。", "No interviews yet."),
    "no_hits": ("没有找到匹配的内容。", "Nothing matched."),
    "unknown": ("不认识的命令：{0}。发送 help / 帮助 查看用法。", "Unknown command: {0}. Send help for usage."),
    "need_arg": ("请给出{0}。", "Please give {0}."),
    "deleted": ("已删除 {0}：录音、转写、分析、报告和搜索记录。", "Deleted {0}: audio, transcript, analysis, reports and search entries."),
    "profile_set": ("本频道的岗位模型已设为 {0}。", "This channel's job profile is now {0}."),
    "not_ready": ("面试 {0} 还在处理中（{1}）。", "Interview {0} is still being processed ({1})."),
}
HELP_LINES = {
    "zh": ["报告 [id|最新] — 查看面试报告", "列表 [n] — 最近的面试", "搜索 <关键词> — 搜索逐字稿", "候选人 <姓名> — 候选人的各轮面试",
           "岗位 <backend|frontend|data|hrbp|product> — 设置本频道的岗位模型", "删除 <id> — 删除一场面试的全部数据", "帮助 — 显示本说明"],
    "en": ["report [id|latest] — show an interview report", "list [n] — recent interviews", "search <words> — search transcripts",
           "candidate <name> — all rounds of a candidate", "profile <backend|frontend|data|hrbp|product> — set this channel's job profile",
           "delete <id> — delete an interview and everything derived from it", "help — this help"],
}


def _t(key: str, lang: str, *args: Any) -> str:
    zh, en = T[key]
    return (zh if lang == "zh" else en).format(*args)


def _row_line(r: queries.InterviewRow, lang: str) -> str:
    score = f"{r.score:.1f}" if r.score is not None else "–"
    who = r.candidate or r.source
    round_ = f" · {r.round}" if r.round else ""
    return f"`{r.id}` {r.created_at[:10]} · {who}{round_} · {score} · {r.recommendation or r.status}"


async def execute(cmd: Command, ctx: Context) -> Reply:
    svc, lang = ctx.service, cmd.language
    await svc.db(svc.audit, f"{ctx.platform}:{ctx.user}", f"command:{cmd.name}", None,
                 {"channel": ctx.channel, "args": cmd.rest[:200]})
    if cmd.name == "help":
        return Reply(_t("help", lang), HELP_LINES[lang], language=lang)
    if cmd.name == "unknown":
        return Reply(_t("unknown", lang, cmd.args[0] if cmd.args else ""), language=lang)

    if cmd.name == "report":
        target = cmd.args[0] if cmd.args else "latest"
        if target.lower() in ("latest", "最新"):
            visible = await ctx.visible()
            rows = await svc.db(lambda: queries.recent(svc.store(), visible, 1, (ctx.platform, ctx.channel)))
            if not rows:
                return Reply(_t("none", lang), language=lang)
            target = rows[0].id
        interview = await svc.db(lambda: svc.store().interview(target))
        if interview is None or not await ctx.may_see(interview):
            return Reply(_t("no_access", lang), language=lang)
        analysis = await svc.db(lambda: queries.analysis(svc.store(), target))
        if analysis is None:
            return Reply(_t("not_ready", lang, target, interview["status"]), language=lang)
        await svc.db(svc.audit, f"{ctx.platform}:{ctx.user}", "view-report", target, {"channel": ctx.channel})
        return Reply(interview.get("title") or target, analysis=analysis, interview=interview,
                     report_url=ctx.report_url(target), language=analysis.get("language", lang))

    if cmd.name == "list":
        n = int(cmd.args[0]) if cmd.args and cmd.args[0].isdigit() else 10
        visible = await ctx.visible()
        rows = await svc.db(lambda: queries.recent(svc.store(), visible, min(n, 50)))
        return Reply(("最近的面试" if lang == "zh" else "Recent interviews"),
                     [_row_line(r, lang) for r in rows] or [_t("none", lang)], language=lang)

    if cmd.name == "search":
        if not cmd.rest:
            return Reply(_t("need_arg", lang, "关键词" if lang == "zh" else "search words"), language=lang)
        visible = await ctx.visible()
        hits = await svc.db(lambda: queries.search(svc.store(), visible, cmd.rest))
        lines = [f"{h.candidate or h.source} · {h.created_at[:10]} · [{stamp(h.start)}]({ctx.report_url(h.interview_id)}#t={h.start}) "
                 f"{h.snippet[:120]}" for h in hits]
        return Reply(("搜索：" if lang == "zh" else "Search: ") + cmd.rest, lines or [_t("no_hits", lang)], language=lang)

    if cmd.name == "candidate":
        if not cmd.rest:
            return Reply(_t("need_arg", lang, "候选人姓名" if lang == "zh" else "a candidate name"), language=lang)
        visible = await ctx.visible()
        rows = await svc.db(lambda: queries.by_candidate(svc.store(), visible, cmd.rest))
        return Reply(cmd.rest, [_row_line(r, lang) for r in rows] or [_t("none", lang)], language=lang)

    if cmd.name == "profile":
        if not cmd.args:
            return Reply(_t("need_arg", lang, "岗位名" if lang == "zh" else "a profile name"), language=lang)
        try:
            profile = load_profile(cmd.args[0])
        except ProfileError as exc:
            return Reply(str(exc), language=lang)
        await svc.db(lambda: queries.set_channel_profile(svc.store(), ctx.platform, ctx.channel, profile.name, ctx.user))
        return Reply(_t("profile_set", lang, profile.title or profile.name), public=True, language=lang)

    if cmd.name == "delete":
        if not cmd.args:
            return Reply(_t("need_arg", lang, "面试 id" if lang == "zh" else "an interview id"), language=lang)
        interview = await svc.db(lambda: svc.store().interview(cmd.args[0]))
        if interview is None or not await ctx.may_see(interview):
            return Reply(_t("no_access", lang), language=lang)
        await svc.db(svc.delete_sync, cmd.args[0], f"{ctx.platform}:{ctx.user}")
        return Reply(_t("deleted", lang, cmd.args[0]), language=lang)
    return Reply(_t("unknown", lang, cmd.name), language=lang)
