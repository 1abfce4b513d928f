"""One command grammar for every platform: Slack's `/interview …`, Feishu's @bot text, in English or Chinese.

    report [id|latest|最新]   qa [id|latest]   ask <question>   consent <name> grant|refuse|withdraw
    notice   list [n]   search <words>   candidate <name> | rename/merge/assign …
    decide <name> advance|reject|offer   digest [subscribe|unsubscribe|list] …   profile <name>
    coach   coaching on [weekday] [HH:MM] [zone] | off | status
    delete <id>   verdicts   help

Execution is platform-neutral: `execute(parse(text), ctx)` returns a Reply that each platform renders with
its own template. Every command is audited; every read is filtered to the channels the asking user is a
member of (the platform says who is a member through `Context.member_of`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import digest, panorama, texts
from .analysis import ProfileError
from .analysis.qa import notes_by_question
from .analysis.summary import competency_name, stamp
from .profile_input import named
from .storage import CandidateError, Hit, InterviewRow, Visible
from .texts import help_lines, localize, say

if TYPE_CHECKING:
    from .service import Service

WORDS: dict[str, tuple[str, ...]] = {
    "report": ("report", "报告"),
    "qa": ("qa", "notes", "笔记", "问答"),
    "ask": ("ask", "提问"),
    "consent": ("consent", "同意"),
    "notice": ("notice", "告知"),
    "coach": ("coach", "复盘"),
    "coaching": ("coaching", "辅导周报", "辅导"),
    "list": ("list", "ls", "列表"),
    "search": ("search", "find", "搜索"),
    "candidate": ("candidate", "候选人"),
    "decide": ("decide", "decision", "决定"),
    "digest": ("digest", "日报"),
    "profile": ("profile", "岗位"),
    "delete": ("delete", "rm", "删除"),
    "verdicts": ("verdicts", "verdict", "评价"),
    "help": ("help", "帮助", "?", "？"),
}
_LOOKUP = {w: name for name, words in WORDS.items() for w in words}
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")


def _han_prefix(text: str, words: dict[str, str]) -> tuple[str, str] | None:
    """(meaning, the rest) for the longest Chinese word `text` starts with: Chinese needs no space
    ("报告最新", "辅导周报开"), and the longest word wins ("辅导周报" over "辅导")."""
    han = sorted((w for w in words if _HAN_WORD.fullmatch(w)), key=len, reverse=True)
    word = next((w for w in han if text.startswith(w)), None)
    return (words[word], text[len(word) :]) if word else None


@dataclass
class Command:
    name: str
    args: list[str]
    rest: str
    language: str  # the language the answer is in


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
    personal: bool = False  # for the asker alone (their own figures, quotes from all their channels)


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
    if name is None and (found := _han_prefix(text, _LOOKUP)):
        name, rest = found
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
    user_timezone: Callable[[], Awaitable[str | None]] | None = None  # where the platform knows it

    _visible: set[tuple[str, str]] | None = field(default=None, init=False, repr=False)

    @property
    def actor(self) -> str:
        return f"{self.platform}:{self.user}"

    async def visible(self) -> Visible:
        """Worked out once per command (a merge checks two names against the same answer)."""
        if self.is_admin:
            return None
        if self._visible is None:
            channels = await self.service.db.interviews.platform_channels(self.platform)
            checks = await asyncio.gather(*(self.member_of(c) for c in channels))
            self._visible = {(self.platform, c) for c, ok in zip(channels, checks) if ok}
        return self._visible

    async def may_see(self, interview: dict[str, Any] | None) -> bool:
        if interview is None:
            return False
        if self.is_admin:
            return True
        if interview.get("platform") != self.platform or not interview.get("channel"):
            return False
        return await self.member_of(interview["channel"])

    async def audit(self, action: str, interview_id: str | None = None, **detail: Any) -> None:
        await self.service.db.audit(self.actor, action, interview_id, {"channel": self.channel, **detail})


Handler = Callable[[Command, Context], Awaitable[Reply]]


async def execute(cmd: Command, ctx: Context) -> Reply:
    await ctx.audit(f"command:{cmd.name}", args=cmd.rest[:200])
    handler = HANDLERS.get(cmd.name)
    if handler is None:
        name = cmd.args[0] if cmd.name == "unknown" and cmd.args else cmd.name
        return Reply(say("unknown", cmd.language, name), language=cmd.language)
    return await handler(cmd, ctx)


def _need(lang: str, what: str) -> Reply:
    return Reply(say("need_arg", lang, say(what, lang)), language=lang)


async def _help(cmd: Command, ctx: Context) -> Reply:
    return Reply(say("help", cmd.language), help_lines(cmd.language), language=cmd.language)


async def _visible_analysis(cmd: Command, ctx: Context) -> tuple[str, dict, dict] | Reply:
    """The interview a report-like command names (an id, or the channel's latest) with its analysis, or
    the Reply that says why not (none, no access, not ready)."""
    db, lang = ctx.service.db, cmd.language
    target = cmd.args[0] if cmd.args else "latest"
    if target.lower() in ("latest", "最新"):
        rows = await db.interviews.recent(await ctx.visible(), 1, (ctx.platform, ctx.channel))
        if not rows:
            return Reply(say("none", lang), language=lang)
        target = rows[0].id
    interview = await db.interviews.get(target)
    if not await ctx.may_see(interview):
        return Reply(say("no_access", lang), language=lang)
    analysis = await db.interviews.analysis(target)
    if analysis is None:
        return Reply(say("not_ready", lang, target, interview["status"]), language=lang)
    return target, interview, analysis


async def _report(cmd: Command, ctx: Context) -> Reply:
    found = await _visible_analysis(cmd, ctx)
    if isinstance(found, Reply):
        return found
    target, interview, analysis = found
    await ctx.audit("view-report", target)
    return Reply(
        interview.get("title") or target,
        analysis=analysis,
        interview=interview,
        report_url=ctx.report_url(target),
        language=analysis.get("language", cmd.language),
    )


QA_CHARS = 9000  # what one chat message shows of the notes; the report page has them all


async def _qa(cmd: Command, ctx: Context) -> Reply:
    found = await _visible_analysis(cmd, ctx)
    if isinstance(found, Reply):
        return found
    target, interview, analysis = found
    await ctx.audit("view-qa", target)
    lang = analysis.get("language", cmd.language)
    url = f"{ctx.report_url(target)}#qa"
    lines = [say("qa_link", lang, url)]
    qa = analysis.get("qa") or notes_by_question(analysis)
    for i, note in enumerate(qa, 1):
        block = qa_lines(i, note, lang)
        if sum(map(len, lines + block)) > QA_CHARS:
            lines.append(say("qa_more", lang, len(qa) - i + 1))
            break
        lines += block
    title = f"{interview.get('title') or target} · {say('qa_title', lang)}"
    return Reply(title, lines, report_url=url, language=lang)


def qa_lines(index: int, note: dict[str, Any], lang: str) -> list[str]:
    """One question's notes as plain lines (both platforms show command answers line by line)."""
    q = note["question"]
    when = f"[{stamp(q['start'])}] " if q.get("start") is not None else ""
    lines = [f"{index}. {when}{q['text'] or '–'}"]
    lines += [f"    “{s['text']}” [{stamp(s['start'])}]" for s in note["answer"]]
    if note["competencies"]:
        lines.append("    " + " · ".join(competency_name(k, lang) for k in note["competencies"]))
    lines += [f"    ⚠ {c}" for c in note["caveats"]] + [f"    → {f}" for f in note["followups"]]
    return lines


async def _ask(cmd: Command, ctx: Context) -> Reply:
    """Candidates' answers across the interviews the asker may see, grouped by candidate."""
    from . import ask

    lang = cmd.language
    try:
        result = await ask.answer(ctx.service, await ctx.visible(), cmd.rest)
    except ask.AskError:
        return _need(lang, "arg_question")
    await ctx.audit("ask", None, answers=len(result["answers"]))
    lines = [result["summary"]] if result["summary"] else []
    shown = None
    for a in result["answers"]:
        if a["candidate"] != shown:
            shown = a["candidate"]
            lines.append(f"{shown or '?'}:")
        lines.append(f"    “{a['quote']}” [{stamp(a['start'])}] {a['url']}")
    return Reply(result["question"], lines or [say("no_answers", lang)], language=lang, personal=True)


CONSENT_WORDS = {
    "grant": "granted",
    "同意": "granted",
    "refuse": "refused",
    "拒绝": "refused",
    "withdraw": "withdrawn",
    "撤回": "withdrawn",
}


async def _consent(cmd: Command, ctx: Context) -> Reply:
    """`consent NAME grant|refuse|withdraw [note]`: by someone who can see one of the candidate's
    interviews (or an admin). Refusal or withdrawal erases the person's data."""
    from .consent import ConsentError

    lang = cmd.language
    if len(cmd.args) < 2 or cmd.args[1].lower() not in CONSENT_WORDS:
        return _need(lang, "arg_consent")
    name, state, note = cmd.args[0], CONSENT_WORDS[cmd.args[1].lower()], " ".join(cmd.args[2:]) or None
    visible = await ctx.visible()
    seen = await ctx.service.db.run(lambda s: _sees_candidate(s, name, visible))
    if seen is None:
        return Reply(say("no_candidate", lang, name), language=lang)
    if not seen:  # some of the person's interviews are in channels the caller is not in
        return Reply(say("consent_not_all", lang, name), language=lang)
    try:
        outcome = await ctx.service.consent.record(name, state, how=ctx.platform, actor=ctx.actor, note=note)
    except ConsentError as exc:
        return Reply(str(exc), language=lang)
    lines = [say(f"consent_{state}", lang, name)]
    if outcome.released:
        lines.append(say("consent_released", lang, len(outcome.released)))
    if state != "granted":
        lines.append(say("consent_erased", lang, len(outcome.erased), outcome.messages_deleted))
        lines += outcome.not_erased
    return Reply(say("consent_title", lang), lines, language=lang)


def _sees_candidate(store, name: str, visible) -> bool | None:
    """Whether the asker may act for this candidate (consent acts on all of the person's interviews): an
    admin, or a member of every channel they came from. None: the asker sees none of them (or no such
    candidate), so nothing is said about the person."""
    found = store.candidates.find(name)
    if found is None:
        return None
    if visible is None:
        return True
    rows = store.db.execute(
        "select platform, channel from interviews where candidate_id = ?", [found["id"]]
    ).fetchall()
    seen = [(p, c) in visible for p, c in rows]
    return None if not any(seen) else all(seen)


async def _notice(cmd: Command, ctx: Context) -> Reply:
    from .consent import notice

    s = ctx.service.settings
    text = notice(cmd.language, s.retention_audio_days, s.retention_text_days)
    title, *lines = text.splitlines()
    return Reply(title, lines, public=True, language=cmd.language)


async def _coach(cmd: Command, ctx: Context) -> Reply:
    """The caller's own interviewing over the last 30 days against the team's median (interviews the
    caller may see); only to the caller."""
    from . import coaching

    visible = await ctx.visible()
    rows = await ctx.service.db.run(lambda s: _coaching_rows(s, ctx.platform, visible))
    t = coaching.trend(rows, ctx.user)
    await ctx.audit("coach", None)
    lines = coaching.trend_lines(t, cmd.language)
    return Reply(say("coach_title", cmd.language), lines, language=cmd.language, personal=True)


def _coaching_rows(store, platform: str, visible) -> list[dict[str, Any]]:
    import json

    from . import coaching
    from .storage import access_clause

    where, args = access_clause(visible)
    sql = (
        "select i.uploader, i.interviewer, i.interviewer_user, i.created_at, a.body from interviews i "
        f"join analyses a on a.interview_id = i.id where i.platform = ? and {where}"
    )
    rows = store.db.query(sql, [platform, *args])
    return [
        {
            "person": coaching.interviewer_key(r),  # the interviewer, not whoever uploaded
            "created_at": r["created_at"],
            "interviewer": json.loads(r["body"]).get("interviewer") or {},
        }
        for r in rows
    ]


def _row_line(r: InterviewRow) -> str:
    score = f"{r.score:.1f}" if r.score is not None else "–"
    who = r.candidate or r.source
    round_ = f" · {r.round}" if r.round else ""
    return f"`{r.id}` {r.created_at[:10]} · {who}{round_} · {score} · {r.recommendation or r.status}"


async def _list(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    n = int(cmd.args[0]) if cmd.args and cmd.args[0].isdigit() else 10
    rows = await ctx.service.db.interviews.recent(await ctx.visible(), min(n, 50))
    return Reply(say("recent", lang), [_row_line(r) for r in rows] or [say("none", lang)], language=lang)


def _hit_line(h: Hit, ctx: Context, lang: str) -> str:
    url = ctx.report_url(h.interview_id)
    where = (
        f"[{stamp(h.start)}]({url}#t={h.start})"
        if h.start is not None
        else f"[{say('summary', lang)}]({url})"
    )
    return f"{h.candidate or h.source} · {h.created_at[:10]} · {where} {h.snippet[:160]}"


async def _search(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    if not cmd.rest:
        return _need(lang, "arg_words")
    hits = await ctx.service.db.search(await ctx.visible(), cmd.rest)
    lines = [_hit_line(h, ctx, lang) for h in hits]
    return Reply(say("search_title", lang, cmd.rest), lines or [say("no_hits", lang)], language=lang)


async def _profile(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    if not cmd.args:
        return _need(lang, "arg_profile")
    try:
        profile = named(cmd.args[0])  # from chat: a name, never a path on the server
    except ProfileError as exc:
        return Reply(str(exc), language=lang)
    await ctx.service.db.interviews.set_channel_profile(ctx.platform, ctx.channel, profile.name, ctx.user)
    return Reply(say("profile_set", lang, profile.title or profile.name), public=True, language=lang)


async def _delete(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    if not cmd.args:
        return _need(lang, "arg_interview")
    if not await ctx.may_see(await ctx.service.db.interviews.get(cmd.args[0])):
        return Reply(say("no_access", lang), language=lang)
    await ctx.service.delete(cmd.args[0], ctx.actor)
    return Reply(say("deleted", lang, cmd.args[0]), language=lang)


async def _verdicts(cmd: Command, ctx: Context) -> Reply:
    """The channel's verdict stats: how often its interviewers agree with each competency's score."""
    from .verdicts import stats_lines

    lang = cmd.language
    if not ctx.is_admin and not await ctx.member_of(ctx.channel):
        return Reply(say("no_access", lang), language=lang)
    stats = await ctx.service.db.verdicts.stats(None, (ctx.platform, ctx.channel))
    return Reply(
        say("verdict_stats", lang), stats_lines(stats, lang) or [say("no_verdicts", lang)], language=lang
    )


# ---- candidate <name> | rename / merge / assign -------------------------------------------------------
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
_EXAMPLES = {
    "rename": "候选人 改名 张伟 -> 张伟明",
    "merge": "candidate merge Zhang Wei -> 张伟",
    "assign": "candidate assign 3f2a9c1b7d0e -> 张伟",
}


def _sub_verb(rest: str, verbs: dict[str, str]) -> tuple[str | None, str]:
    """('rename', 'a -> b') from 'rename a -> b' or '改名a -> b'."""
    head, _, tail = rest.partition(" ")
    if head.lower() in verbs:
        return verbs[head.lower()], tail.strip()
    if found := _han_prefix(rest, verbs):
        return found[0], found[1].strip()
    return None, rest


async def _can_see_candidate(ctx: Context, name: str) -> bool:
    return bool(await ctx.service.db.interviews.by_candidate(await ctx.visible(), name))


async def _candidate(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    if not cmd.rest:
        return _need(lang, "arg_candidate")
    verb, rest = _sub_verb(cmd.rest, CANDIDATE_VERBS)
    if verb is None:
        return await _panorama(cmd, ctx)
    parts = [p.strip() for p in _ARROW.split(rest, maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        return Reply(say("two_names", lang, _EXAMPLES[verb]), language=lang)
    try:
        return await _FIXES[verb](ctx, lang, *parts)
    except CandidateError as exc:
        return Reply(str(exc), language=lang)


async def _panorama(cmd: Command, ctx: Context) -> Reply:
    lang, visible = cmd.language, await ctx.visible()
    pano = await ctx.service.db.run(
        lambda s: panorama.build(s, visible, cmd.rest, language=lang, report_url=ctx.report_url)
    )
    if pano is None:
        return Reply(say("no_candidate", lang, cmd.rest), language=lang)
    await ctx.audit("view-panorama", candidate=pano.candidate)
    return Reply(pano.candidate, panorama=pano.to_dict(), language=lang)


async def _assign(ctx: Context, lang: str, interview_id: str, name: str) -> Reply:
    if not await ctx.may_see(await ctx.service.db.interviews.get(interview_id)):
        return Reply(say("no_access", lang), language=lang)
    await ctx.service.db.candidates.assign(interview_id, name)
    await ctx.audit("candidate-assign", interview_id, candidate=name)
    return Reply(say("assigned", lang, interview_id, name), public=True, language=lang)


async def _rename(ctx: Context, lang: str, old: str, new: str) -> Reply:
    if not await _can_see_candidate(ctx, old):
        return Reply(say("no_candidate", lang, old), language=lang)
    await ctx.service.db.candidates.rename(old, new)
    await ctx.audit("candidate-rename", **{"from": old, "to": new})
    return Reply(say("renamed", lang, old, new), public=True, language=lang)


async def _merge(ctx: Context, lang: str, source: str, target: str) -> Reply:
    for name in (source, target):
        if not await _can_see_candidate(ctx, name):
            return Reply(say("no_candidate", lang, name), language=lang)
    row, moved = await ctx.service.db.candidates.merge(source, target)
    await ctx.audit("candidate-merge", **{"from": source, "into": target, "moved": moved})
    return Reply(say("merged", lang, source, row["name"], moved), public=True, language=lang)


_FIXES = {"assign": _assign, "rename": _rename, "merge": _merge}


async def _decide(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    if len(cmd.args) < 2:
        return _need(lang, "arg_decision")
    name, verdict = " ".join(cmd.args[:-1]), cmd.args[-1]
    if not await _can_see_candidate(ctx, name):
        return Reply(say("no_candidate", lang, name), language=lang)
    try:
        row = await ctx.service.db.candidates.decide(name, verdict, ctx.actor)
    except CandidateError as exc:
        return Reply(str(exc), language=lang)
    await ctx.audit("decide", candidate=name, decision=row["decision"])
    return Reply(say("decided", lang, row["name"], row["decision"]), public=True, language=lang)


# ---- digest [subscribe | unsubscribe | list | preview] ------------------------------------------------
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
_TIME = re.compile(r"\d{1,2}([:：]\d{2})?\s*(点|时|am|pm)?(\d{1,2}分?)?")


@dataclass
class _DigestRequest:
    """What `digest subscribe …` asked for, word by word."""

    at_time: str = "18:00"
    timezone: str | None = None
    skip_empty: bool = False
    language: str = "zh"

    @classmethod
    def of(cls, words: list[str], language: str) -> _DigestRequest:
        """Raises digest.DigestError for a time or zone it cannot read."""
        req = cls(language=language)
        for w in words:
            low = w.lower()
            if low in _ME:
                continue
            if low in _SKIP:
                req.skip_empty = True
            elif low in _LANG:
                req.language = _LANG[low]
            elif _TIME.fullmatch(low):
                req.at_time = digest.parse_time(w)
            else:
                digest.zone(w)
                req.timezone = w
        return req


async def _digest(cmd: Command, ctx: Context) -> Reply:
    verb, rest = _sub_verb(cmd.rest, DIGEST_VERBS)
    if verb in (None, "preview"):
        return await _digest_preview(cmd, ctx)
    if verb == "list":
        return await _digest_list(cmd, ctx)
    words = rest.split()
    dm = any(w.lower() in _ME for w in words)
    target, kind = (ctx.user, "dm") if dm else (ctx.channel, "channel")
    if verb == "unsubscribe":
        gone = await ctx.service.db.digests.unsubscribe(ctx.platform, ctx.channel, target)
        key = "unsubscribed" if gone else "not_subscribed"
        return Reply(
            say(key, cmd.language, _target_name(kind, cmd.language)),
            public=gone and not dm,
            language=cmd.language,
        )
    return await _digest_subscribe(cmd, ctx, words, target, kind)


async def _digest_preview(cmd: Command, ctx: Context) -> Reply:
    lang, now = cmd.language, datetime.now(UTC)
    tz_name = await _default_zone(ctx, lang)
    preview = await ctx.service.db.run(
        lambda s: digest.build(
            s,
            {(ctx.platform, ctx.channel)},
            now - timedelta(days=1),
            now,
            language=lang,
            tz=digest.zone(tz_name),
            tz_name=tz_name,
            report_url=ctx.report_url,
        )
    )
    return Reply(localize(texts.DIGEST_TITLE, lang), digest=preview.to_dict(), language=lang)


async def _digest_list(cmd: Command, ctx: Context) -> Reply:
    lang = cmd.language
    subs = await ctx.service.db.run(lambda s: digest.subscriptions(s, ctx.platform, ctx.channel))
    lines = [
        f"{s.at_time} {s.timezone} → {_target_name(s.target_kind, lang)} · {s.language}"
        f"{' · skip-empty' if s.skip_empty else ''}"
        for s in subs
    ]
    return Reply(say("subscriptions", lang), lines or ["–"], language=lang)


async def _digest_subscribe(cmd: Command, ctx: Context, words: list[str], target: str, kind: str) -> Reply:
    lang = cmd.language
    try:
        req = _DigestRequest.of(words, lang)
        tz_name = req.timezone or await _default_zone(ctx, lang)
        sub = await ctx.service.db.run(
            lambda s: digest.subscribe(
                s,
                platform=ctx.platform,
                channel=ctx.channel,
                target=target,
                target_kind=kind,
                at_time=req.at_time,
                timezone_name=tz_name,
                language=req.language,
                skip_empty=req.skip_empty,
                user=ctx.user,
            )
        )
    except digest.DigestError as exc:
        return Reply(exc.say(lang), language=lang)
    await ctx.audit("digest-subscribe", target=kind, at=sub.at_time, tz=sub.timezone)
    skip_note = say("skip_note", lang) if req.skip_empty else ""
    where, language_name = _target_name(kind, lang), say(f"lang_{req.language}", lang)
    text = say("subscribed", lang, sub.at_time, sub.timezone, where, language_name, skip_note)
    return Reply(text, public=kind != "dm", language=lang)


def _target_name(kind: str, lang: str) -> str:
    return say("to_dm" if kind == "dm" else "to_channel", lang)


async def _default_zone(ctx: Context, lang: str) -> str:
    """The user's own zone where the platform knows it (Slack profiles), else Beijing time for a Chinese
    command, else the deployment's IB_TIMEZONE."""
    if ctx.user_timezone is not None:
        try:
            name = await ctx.user_timezone()
        except Exception:  # a profile lookup that fails must not fail the subscription
            name = None
        if name:
            return name
    return "Asia/Shanghai" if lang == "zh" else ctx.service.settings.timezone


# ---- coaching on | off | status: the weekly coaching digest of this channel ----------------------------
COACHING_VERBS = {
    "on": "on",
    "开": "on",
    "开启": "on",
    "打开": "on",
    "off": "off",
    "关": "off",
    "关闭": "off",
    "status": "status",
    "状态": "status",
}


async def _coaching(cmd: Command, ctx: Context) -> Reply:
    """Opt the channel in or out of the weekly coaching digest (its members or an admin), or say whether
    it is in. Each interviewer gets their week privately; nothing is posted in the channel."""
    from . import coaching_digest as weekly

    lang = cmd.language
    verb, rest = _sub_verb(cmd.rest, COACHING_VERBS)
    if verb in ("on", "off") and not ctx.is_admin and not await ctx.member_of(ctx.channel):
        return Reply(say("coaching_not_member", lang), language=lang)
    if verb == "off":
        gone = await ctx.service.db.coaching.opt_out(ctx.platform, ctx.channel)
        await ctx.audit("coaching-off")
        return Reply(say("coaching_off" if gone else "coaching_was_off", lang), public=gone, language=lang)
    if verb == "on":
        try:
            weekday, at, tz = weekly.schedule(rest.split())
            tz_name = tz or await _default_zone(ctx, lang)
            setting = await ctx.service.db.run(
                lambda s: weekly.opt_in(
                    s,
                    platform=ctx.platform,
                    channel=ctx.channel,
                    weekday=weekday,
                    at_time=at,
                    timezone_name=tz_name,
                    user=ctx.user,
                )
            )
        except digest.DigestError as exc:
            return Reply(exc.say(lang), language=lang)
        await ctx.audit("coaching-on", weekday=weekday, at=setting.at_time, tz=setting.timezone)
        return Reply(say("coaching_on", lang, setting.describe(lang)), public=True, language=lang)
    setting = await ctx.service.db.run(lambda s: weekly.channel_of(s, ctx.platform, ctx.channel))
    if setting is None:
        return Reply(say("coaching_was_off", lang), language=lang)
    return Reply(say("coaching_status", lang, setting.describe(lang)), language=lang)


HANDLERS: dict[str, Handler] = {
    "help": _help,
    "report": _report,
    "qa": _qa,
    "ask": _ask,
    "consent": _consent,
    "notice": _notice,
    "coach": _coach,
    "coaching": _coaching,
    "list": _list,
    "search": _search,
    "candidate": _candidate,
    "decide": _decide,
    "digest": _digest,
    "profile": _profile,
    "delete": _delete,
    "verdicts": _verdicts,
}
