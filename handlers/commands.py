"""One command grammar for every platform: Slack's `/interview …`, Feishu's @bot text, in English or Chinese.

    report [id|latest|最新]   list [n]   search <words>   candidate <name> | rename/merge/assign …
    decide <name> advance|reject|offer   digest [subscribe|unsubscribe|list] …   profile <name>
    delete <id>   help

Execution is platform-neutral: it returns a Reply that each platform renders with its own template.
Every command is audited; every read is filtered to the channels the asking user is a member of.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import candidates, digest, panorama, queries
from bot.analysis import ProfileError, load_profile
from bot.analysis.summary import stamp
from bot.render import ReportContext, environment, localize, render_history, render_stored
from bot.service import Service

WORDS: dict[str, tuple[str, ...]] = {
    "report": ("report", "报告"),
    "list": ("list", "ls", "列表"),
    "search": ("search", "find", "搜索"),
    "candidate": ("candidate", "候选人"),
    "decide": ("decide", "decision", "决定"),
    "digest": ("digest", "日报"),
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
    panorama: dict[str, Any] | None = None  # a candidate panorama to render
    digest: dict[str, Any] | None = None  # a digest preview to render


def render_reply(reply: Reply, fmt: str) -> str:
    """The platform payload (fmt: slack | feishu) for any reply: report, panorama, digest or lines."""
    if reply.analysis is not None:
        return render_stored(
            reply.analysis,
            fmt,
            ReportContext(
                title=reply.title, report_url=reply.report_url, interview_id=(reply.interview or {}).get("id")
            ),
        )
    if reply.panorama is not None:
        return render_history("panorama", reply.panorama, fmt)
    if reply.digest is not None:
        return render_history("digest", reply.digest, fmt)
    return environment().get_template(f"{fmt}_reply.json.j2").render(reply=reply)


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
                name, rest = cmd, text[len(word) :]
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
    user_timezone: Callable[[], Awaitable[str | None]] | None = (
        None  # the user's own zone, where the platform knows it
    )

    _visible: set[tuple[str, str]] | None = field(default=None, init=False, repr=False)

    async def visible(self) -> queries.Visible:
        """Worked out once per command (a merge checks two names against the same answer)."""
        if self.is_admin:
            return None
        if self._visible is None:
            channels = await self.service.db(
                lambda: queries.platform_channels(self.service.store(), self.platform)
            )
            checks = await asyncio.gather(*(self.member_of(c) for c in channels))
            self._visible = {(self.platform, c) for c, ok in zip(channels, checks) if ok}
        return self._visible

    async def may_see(self, interview: dict[str, Any]) -> bool:
        if self.is_admin:
            return True
        if interview.get("platform") != self.platform or not interview.get("channel"):
            return False
        return await self.member_of(interview["channel"])


T = {
    "help": ("用法", "Usage"),
    "no_access": (
        "没有找到这个面试，或者你不在上传它的频道里。",
        "No such interview, or you are not in the channel it was uploaded to.",
    ),
    "none": ("还没有面试记录。", "No interviews yet."),
    "no_hits": ("没有找到匹配的内容。", "Nothing matched."),
    "unknown": (
        "不认识的命令：{0}。发送 help / 帮助 查看用法。",
        "Unknown command: {0}. Send help for usage.",
    ),
    "need_arg": ("请给出{0}。", "Please give {0}."),
    "deleted": (
        "已删除 {0}：录音、转写、分析、报告和搜索记录。",
        "Deleted {0}: audio, transcript, analysis, reports and search entries.",
    ),
    "profile_set": ("本频道的岗位模型已设为 {0}。", "This channel's job profile is now {0}."),
    "not_ready": ("面试 {0} 还在处理中（{1}）。", "Interview {0} is still being processed ({1})."),
    "no_candidate": (
        "没有找到候选人 {0}，或者你看不到他/她的任何面试。",
        "No candidate {0}, or none of their interviews is visible to you.",
    ),
    "renamed": ("候选人 {0} 已改名为 {1}。", "Candidate {0} is now called {1}."),
    "merged": (
        "已把 {0} 合并到 {1}（移动了 {2} 场面试）；以后名为 {0} 的录音也归到 {1}。",
        "Merged {0} into {1} ({2} interviews moved); recordings named {0} now link to {1}.",
    ),
    "assigned": ("面试 {0} 现在属于候选人 {1}。", "Interview {0} now belongs to {1}."),
    "decided": ("已记录对 {0} 的决定：{1}。", "Recorded the decision on {0}: {1}."),
    "two_names": ("请用 -> 分开两个名字，例如：{0}", "Separate the two names with ->, for example: {0}"),
    "subscribed": (
        "已订阅日报：每天 {0}（{1}）发到{2}，语言：{3}{4}。",
        "Subscribed: a digest every day at {0} ({1}) to {2}, in {3}{4}.",
    ),
    "unsubscribed": ("已退订{0}的日报。", "Unsubscribed {0} from the digest."),
    "not_subscribed": ("{0}没有订阅日报。", "{0} has no digest subscription."),
    "subscriptions": ("本频道的日报订阅", "Digest subscriptions of this channel"),
}
DIGEST_HELP = {
    "zh": "日报 订阅 [我] [HH:MM] [时区] [跳过空] — 每天定时发送日报（默认 18:00）；日报 退订 [我]；日报 列表；日报 — 预览最近 24 小时",
    "en": "digest subscribe [me] [HH:MM] [timezone] [skip-empty] — a daily digest (default 18:00); digest "
    "unsubscribe [me]; "
    "digest list; digest — preview the last 24 hours",
}
HELP_LINES = {
    "zh": [
        "报告 [id|最新] — 查看面试报告",
        "列表 [n] — 最近的面试",
        "搜索 <关键词> — 搜索逐字稿",
        "候选人 <姓名> — 候选人全景图（各轮、走势、矛盾、下一轮重点）",
        "候选人 改名 <旧名> -> <新名> | 合并 <名字> -> <名字> | 归属 <面试 id> -> <名字> — 修正候选人关联",
        "决定 <姓名> 通过|淘汰|录用 — 记录招聘决定",
        DIGEST_HELP["zh"],
        "岗位 <backend|frontend|data|hrbp|product> — 设置本频道的岗位模型",
        "删除 <id> — 删除一场面试的全部数据",
        "帮助 — 显示本说明",
    ],
    "en": [
        "report [id|latest] — show an interview report",
        "list [n] — recent interviews",
        "search <words> — search transcripts",
        "candidate <name> — the candidate panorama (rounds, trends, contradictions, next-round focus)",
        "candidate rename <old> -> <new> | merge <name> -> <name> | assign <interview id> -> <name> — fix "
        "links",
        "decide <name> advance|reject|offer — record a hiring decision",
        DIGEST_HELP["en"],
        "profile <backend|frontend|data|hrbp|product> — set this channel's job profile",
        "delete <id> — delete an interview and everything derived from it",
        "help — this help",
    ],
}


def _t(key: str, lang: str, *args: Any) -> str:
    return localize(T[key], lang, *args)


def _row_line(r: queries.InterviewRow, lang: str) -> str:
    score = f"{r.score:.1f}" if r.score is not None else "–"
    who = r.candidate or r.source
    round_ = f" · {r.round}" if r.round else ""
    return f"`{r.id}` {r.created_at[:10]} · {who}{round_} · {score} · {r.recommendation or r.status}"


async def execute(cmd: Command, ctx: Context) -> Reply:
    svc, lang = ctx.service, cmd.language
    await svc.db(
        svc.audit,
        f"{ctx.platform}:{ctx.user}",
        f"command:{cmd.name}",
        None,
        {"channel": ctx.channel, "args": cmd.rest[:200]},
    )
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
        return Reply(
            interview.get("title") or target,
            analysis=analysis,
            interview=interview,
            report_url=ctx.report_url(target),
            language=analysis.get("language", lang),
        )

    if cmd.name == "list":
        n = int(cmd.args[0]) if cmd.args and cmd.args[0].isdigit() else 10
        visible = await ctx.visible()
        rows = await svc.db(lambda: queries.recent(svc.store(), visible, min(n, 50)))
        return Reply(
            ("最近的面试" if lang == "zh" else "Recent interviews"),
            [_row_line(r, lang) for r in rows] or [_t("none", lang)],
            language=lang,
        )

    if cmd.name == "search":
        if not cmd.rest:
            return Reply(_t("need_arg", lang, "关键词" if lang == "zh" else "search words"), language=lang)
        visible = await ctx.visible()
        hits = await svc.db(lambda: queries.search(svc.store(), visible, cmd.rest))
        lines = [_hit_line(h, ctx, lang) for h in hits]
        return Reply(
            ("搜索：" if lang == "zh" else "Search: ") + cmd.rest,
            lines or [_t("no_hits", lang)],
            language=lang,
        )

    if cmd.name == "candidate":
        return await _candidate(cmd, ctx)
    if cmd.name == "decide":
        return await _decide(cmd, ctx)
    if cmd.name == "digest":
        return await _digest(cmd, ctx)

    if cmd.name == "profile":
        if not cmd.args:
            return Reply(_t("need_arg", lang, "岗位名" if lang == "zh" else "a profile name"), language=lang)
        try:
            profile = load_profile(cmd.args[0])
        except ProfileError as exc:
            return Reply(str(exc), language=lang)
        await svc.db(
            lambda: queries.set_channel_profile(
                svc.store(), ctx.platform, ctx.channel, profile.name, ctx.user
            )
        )
        return Reply(_t("profile_set", lang, profile.title or profile.name), public=True, language=lang)

    if cmd.name == "delete":
        if not cmd.args:
            return Reply(
                _t("need_arg", lang, "面试 id" if lang == "zh" else "an interview id"), language=lang
            )
        interview = await svc.db(lambda: svc.store().interview(cmd.args[0]))
        if interview is None or not await ctx.may_see(interview):
            return Reply(_t("no_access", lang), language=lang)
        await svc.db(svc.delete_sync, cmd.args[0], f"{ctx.platform}:{ctx.user}")
        return Reply(_t("deleted", lang, cmd.args[0]), language=lang)
    return Reply(_t("unknown", lang, cmd.name), language=lang)


def _hit_line(h: queries.Hit, ctx: Context, lang: str) -> str:
    url = ctx.report_url(h.interview_id)
    where = (
        f"[{stamp(h.start)}]({url}#t={h.start})"
        if h.start is not None
        else f"[{'摘要' if lang == 'zh' else 'summary'}]({url})"
    )
    return f"{h.candidate or h.source} · {h.created_at[:10]} · {where} {h.snippet[:160]}"


_ARROW = re.compile(r"\s*(?:->|→|=>|＝>|到|\binto\b|\bto\b)\s*")
CANDIDATE_VERBS = {
    "rename": "rename",
    "改名": "rename",
    "merge": "merge",
    "合并": "merge",
    "assign": "assign",
    "归属": "assign",
    "move": "assign",
}


def _sub_verb(rest: str, verbs: dict[str, str]) -> tuple[str | None, str]:
    """('rename', 'a -> b') from 'rename a -> b' or '改名a -> b'."""
    head, _, tail = rest.partition(" ")
    if head.lower() in verbs:
        return verbs[head.lower()], tail.strip()
    for word, verb in verbs.items():
        if re.fullmatch(r"[\u4e00-\u9fff]+", word) and rest.startswith(word):
            return verb, rest[len(word) :].strip()
    return None, rest


async def _can_see_candidate(ctx: Context, name: str) -> bool:
    svc = ctx.service
    visible = await ctx.visible()
    return bool(await svc.db(lambda: queries.by_candidate(svc.store(), visible, name)))


async def _candidate(cmd: Command, ctx: Context) -> Reply:
    svc, lang, actor = ctx.service, cmd.language, f"{ctx.platform}:{ctx.user}"
    if not cmd.rest:
        return Reply(
            _t("need_arg", lang, "候选人姓名" if lang == "zh" else "a candidate name"), language=lang
        )
    verb, rest = _sub_verb(cmd.rest, CANDIDATE_VERBS)
    if verb is None:
        visible = await ctx.visible()
        pano = await svc.db(
            lambda: panorama.build(svc.store(), visible, cmd.rest, language=lang, report_url=ctx.report_url)
        )
        if pano is None:
            return Reply(_t("no_candidate", lang, cmd.rest), language=lang)
        await svc.db(
            svc.audit, actor, "view-panorama", None, {"candidate": pano.candidate, "channel": ctx.channel}
        )
        return Reply(pano.candidate, panorama=pano.to_dict(), language=lang)
    parts = [p.strip() for p in _ARROW.split(rest, maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        example = {
            "rename": "候选人 改名 张伟 -> 张伟明",
            "merge": "candidate merge Zhang Wei -> 张伟",
            "assign": "candidate assign 3f2a9c1b7d0e -> 张伟",
        }[verb]
        return Reply(_t("two_names", lang, example), language=lang)
    first, second = parts
    try:
        if verb == "assign":
            interview = await svc.db(lambda: svc.store().interview(first))
            if interview is None or not await ctx.may_see(interview):
                return Reply(_t("no_access", lang), language=lang)
            await svc.db(lambda: candidates.assign(svc.store(), first, second))
            await svc.db(svc.audit, actor, "candidate-assign", first, {"candidate": second})
            return Reply(_t("assigned", lang, first, second), public=True, language=lang)
        names = (first,) if verb == "rename" else (first, second)
        for name in names:
            if not await _can_see_candidate(ctx, name):
                return Reply(_t("no_candidate", lang, name), language=lang)
        if verb == "rename":
            await svc.db(lambda: candidates.rename(svc.store(), first, second))
            await svc.db(svc.audit, actor, "candidate-rename", None, {"from": first, "to": second})
            return Reply(_t("renamed", lang, first, second), public=True, language=lang)
        target, moved = await svc.db(lambda: candidates.merge(svc.store(), first, second))
        await svc.db(
            svc.audit, actor, "candidate-merge", None, {"from": first, "into": second, "moved": moved}
        )
        return Reply(_t("merged", lang, first, target["name"], moved), public=True, language=lang)
    except candidates.CandidateError as exc:
        return Reply(str(exc), language=lang)


async def _decide(cmd: Command, ctx: Context) -> Reply:
    svc, lang = ctx.service, cmd.language
    if len(cmd.args) < 2:
        return Reply(
            _t(
                "need_arg",
                lang,
                "姓名和决定（通过/淘汰/录用）" if lang == "zh" else "a name and advance, reject or offer",
            ),
            language=lang,
        )
    name, verdict = " ".join(cmd.args[:-1]), cmd.args[-1]
    if not await _can_see_candidate(ctx, name):
        return Reply(_t("no_candidate", lang, name), language=lang)
    try:
        row = await svc.db(
            lambda: candidates.decide(svc.store(), name, verdict, f"{ctx.platform}:{ctx.user}")
        )
    except candidates.CandidateError as exc:
        return Reply(str(exc), language=lang)
    await svc.db(
        svc.audit,
        f"{ctx.platform}:{ctx.user}",
        "decide",
        None,
        {"candidate": name, "decision": row["decision"]},
    )
    return Reply(_t("decided", lang, row["name"], row["decision"]), public=True, language=lang)


DIGEST_VERBS = {
    "subscribe": "subscribe",
    "订阅": "subscribe",
    "unsubscribe": "unsubscribe",
    "退订": "unsubscribe",
    "取消订阅": "unsubscribe",
    "list": "list",
    "列表": "list",
    "preview": "preview",
    "预览": "preview",
}
_ME = {"me", "dm", "我", "私信"}
_SKIP = {"skip-empty", "skip", "跳过空", "跳过"}
_LANG = {"zh": "zh", "中文": "zh", "en": "en", "english": "en", "英文": "en"}


async def _digest(cmd: Command, ctx: Context) -> Reply:
    svc, lang = ctx.service, cmd.language
    verb, rest = _sub_verb(cmd.rest, DIGEST_VERBS)
    if verb in (None, "preview"):
        now = datetime.now(UTC)
        tz_name = await _default_zone(ctx, lang)
        preview = await svc.db(
            lambda: digest.build(
                svc.store(),
                {(ctx.platform, ctx.channel)},
                now - timedelta(days=1),
                now,
                language=lang,
                tz=digest.zone(tz_name),
                tz_name=tz_name,
                report_url=ctx.report_url,
            )
        )
        return Reply(digest.DIGEST_TITLE[lang], digest=preview.to_dict(), language=lang)
    if verb == "list":
        subs = await svc.db(lambda: digest.subscriptions(svc.store(), ctx.platform, ctx.channel))
        lines = [
            f"{s.at_time} {s.timezone} → {_target_name(s.target_kind, s.target, lang)} · {s.language}"
            f"{' · skip-empty' if s.skip_empty else ''}"
            for s in subs
        ]
        return Reply(_t("subscriptions", lang), lines or ["–"], language=lang)
    words = rest.split()
    dm = any(w.lower() in _ME for w in words)
    target, kind = (ctx.user, "dm") if dm else (ctx.channel, "channel")
    if verb == "unsubscribe":
        gone = await svc.db(lambda: digest.unsubscribe(svc.store(), ctx.platform, ctx.channel, target))
        who = _target_name(kind, target, lang)
        return Reply(
            _t("unsubscribed" if gone else "not_subscribed", lang, who), public=gone and not dm, language=lang
        )
    at_time, tz_name, skip, language = "18:00", None, False, lang
    try:
        for w in words:
            low = w.lower()
            if low in _ME:
                continue
            if low in _SKIP:
                skip = True
            elif low in _LANG:
                language = _LANG[low]
            elif re.fullmatch(r"\d{1,2}([:：]\d{2})?\s*(点|时|am|pm)?(\d{1,2}分?)?", low):
                at_time = digest.parse_time(w)
            else:
                digest.zone(w)
                tz_name = w
        tz_name = tz_name or await _default_zone(ctx, lang)
        sub = await svc.db(
            lambda: digest.subscribe(
                svc.store(),
                platform=ctx.platform,
                channel=ctx.channel,
                target=target,
                target_kind=kind,
                at_time=at_time,
                timezone_name=tz_name,
                language=language,
                skip_empty=skip,
                user=ctx.user,
            )
        )
    except digest.DigestError as exc:
        return Reply(exc.say(lang), language=lang)
    await svc.db(
        svc.audit,
        f"{ctx.platform}:{ctx.user}",
        "digest-subscribe",
        None,
        {"channel": ctx.channel, "target": kind, "at": sub.at_time, "tz": sub.timezone},
    )
    skip_note = (
        ("，没有面试的日子不发" if lang == "zh" else ", nothing on days without interviews") if skip else ""
    )
    language_name = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "Chinese", "en": "English"}}[lang][
        language
    ]
    return Reply(
        _t(
            "subscribed",
            lang,
            sub.at_time,
            sub.timezone,
            _target_name(kind, target, lang),
            language_name,
            skip_note,
        ),
        public=not dm,
        language=lang,
    )


def _target_name(kind: str, target: str, lang: str) -> str:
    return localize(
        ("你的私信", "your direct messages") if kind == "dm" else ("本频道", "this channel"), lang
    )


async def _default_zone(ctx: Context, lang: str) -> str:
    """The user's own zone where the platform knows it (Slack profiles), else Beijing time for a Chinese
    command, else the deployment's IB_TIMEZONE."""
    if ctx.user_timezone is not None:
        try:
            name = await ctx.user_timezone()
        except Exception:
            name = None
        if name:
            return name
    return "Asia/Shanghai" if lang == "zh" else ctx.service.settings.timezone
