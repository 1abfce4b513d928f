"""Interviewer coaching: the interviewer's own metrics and flagged questions, put into words for a private
message (never the hiring thread), for the compliance channel, and as a 30-day trend against the team.

The figures come from the analysis' `interviewer` block (bot.analysis.interviewer); this module only reads
and words them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .analysis.summary import stamp

if TYPE_CHECKING:
    from .coaching_digest import WeeklyDigest

TREND_DAYS = 30
MIN_OTHERS = 3  # interviewers besides the caller before a team median is shown
# (key, zh, en, how to show the value): the figures of one interview, in the order they are shown
FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("talk_share", "面试官说话占比", "your share of the talking", "pct"),
    ("longest_monologue_s", "最长一次独白", "longest monologue", "secs"),
    ("questions", "提问数", "questions asked", "int"),
    ("open_questions", "开放式问题", "open questions", "int"),
    ("leading_questions", "诱导式问题", "leading questions", "int"),
    ("interruptions", "打断次数", "interruptions", "int"),
    ("first_question_s", "第一个问题出现在", "first question at", "stamp"),
    (
        "candidate_share_last_third",
        "最后三分之一候选人说话占比",
        "candidate's share of the last third",
        "pct",
    ),
)
_SHOW = {
    "pct": lambda v: f"{v * 100:.0f}%",
    "secs": lambda v: f"{v:.0f} s",
    "int": lambda v: f"{v:g}",
    "stamp": stamp,
}


def recipient(interview: dict[str, Any]) -> str | None:
    """The platform user who interviewed, who alone gets the private note: the one named with the upload;
    else the uploader, unless a free-text name says someone else interviewed (no platform user to reach).
    """
    if interview.get("interviewer_user"):
        return interview["interviewer_user"]
    return None if interview.get("interviewer") else interview.get("uploader")


def interviewer_key(interview: dict[str, Any]) -> str | None:
    """Whose interview it is, for trends: the platform user, else the free-text name (never a user id)."""
    who = recipient(interview)
    return who or (f"name:{interview['interviewer']}" if interview.get("interviewer") else None)


def _figure_lines(block: dict[str, Any], zh: bool) -> list[str]:
    lines = []
    for key, name_zh, name_en, how in FIGURES:
        value = block.get(key)
        if value is not None:
            lines.append(f"{name_zh if zh else name_en}: {_SHOW[how](value)}")
    return lines


def flag_lines(flags: list[dict[str, Any]], zh: bool) -> list[str]:
    out = []
    for f in flags:
        when = f"[{stamp(f['start'])}] " if f.get("start") is not None else ""
        out.append(f"⚠ {when}“{f['quote']}” — {f['reason']}")  # the reason names the rule
        out.append(("    可以改问：" if zh else "    Ask instead: ") + f["alternative"])
    return out


def page_view(title: str, block: dict[str, Any], language: str) -> dict[str, Any]:
    """What the interviewer's private page shows (report_templates/interviewer.html.j2)."""
    zh = language == "zh"
    figures = [
        (name_zh if zh else name_en, _SHOW[how](block[key]))
        for key, name_zh, name_en, how in FIGURES
        if block.get(key) is not None
    ]
    return {
        "lang": "zh" if zh else "en",
        "title": f"{title} · " + ("你的面试复盘" if zh else "your interview"),
        "note": "仅你可见；不进入候选人评分，也不会出现在招聘群的报告里。"
        if zh
        else "For you alone: never part of the candidate's scores, never on the hiring thread's report.",
        "figures": figures,
        "flags": block.get("flags") or [],
        "flags_title": "需要注意的问题" if zh else "Questions to avoid",
        "no_flags": "没有需要注意的问题。" if zh else "No question was flagged.",
        "ask_instead": "可以改问：" if zh else "Ask instead: ",
    }


def private_note(
    title: str, block: dict[str, Any], language: str, page_url: str | None
) -> tuple[str, list[str]]:
    """What the interviewer alone receives about one interview they ran: (title, lines)."""
    zh = language == "zh"
    head = f"{title} · " + ("你的面试复盘（仅你可见）" if zh else "your interview, for you alone")
    lines = _figure_lines(block, zh)
    flags = block.get("flags") or []
    if flags:
        lines.append("需要注意的问题：" if zh else "Questions to avoid:")
        lines += flag_lines(flags, zh)
    if page_url:
        lines.append(("详情：" if zh else "Details: ") + page_url)
    lines.append(
        "这些数字只用于你的自我改进，不进入候选人评分，也不会发到招聘群。"
        if zh
        else "These figures are for your own coaching: never part of the candidate's scores, never in the "
        "hiring thread."
    )
    return head, lines


def compliance_note(
    title: str, interviewer: str | None, flags: list[dict[str, Any]], language: str
) -> tuple[str, list[str]]:
    zh = language == "zh"
    who = interviewer or ("未知面试官" if zh else "an unknown interviewer")
    head = f"{title} · " + (f"{who} 的问题提醒" if zh else f"questions flagged for {who}")
    return head, flag_lines(flags, zh)


def compare(rows: list[dict[str, Any]], user: str) -> dict[str, Any]:
    """The user's averages over `rows` against the median of the other interviewers' averages, none below
    MIN_OTHERS (else it gives a colleague away). `rows`: {"person" (interviewer_key), "interviewer":
    block}."""
    by_person: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("interviewer"):
            by_person.setdefault(r["person"] or "?", []).append(r["interviewer"])

    def mean_of(blocks: list[dict[str, Any]], key: str) -> float | None:
        values = [b[key] for b in blocks if b.get(key) is not None]
        return statistics.fmean(values) if values else None

    keys = [k for k, *_ in FIGURES] + ["flags"]
    per_person = {
        p: {
            k: (statistics.fmean(len(b.get("flags") or []) for b in bs) if k == "flags" else mean_of(bs, k))
            for k in keys
        }
        for p, bs in by_person.items()
    }
    others = [m for p, m in per_person.items() if p != user]
    team = {
        k: statistics.median(v)
        if len(v := [m[k] for m in others if m[k] is not None]) >= MIN_OTHERS
        else None
        for k in keys
    }
    return {"interviews": len(by_person.get(user, [])), "you": per_person.get(user, {}), "team": team}


def trend(rows: list[dict[str, Any]], user: str, now: datetime | None = None) -> dict[str, Any]:
    """The caller's averages over the last 30 days against the team's median of per-interviewer averages.
    `rows`: {"person", "created_at", "interviewer": block} of the interviews the caller may see."""
    since = ((now or datetime.now(UTC)) - timedelta(days=TREND_DAYS)).isoformat(timespec="seconds")
    return compare([r for r in rows if r["created_at"] >= since], user)


def _average_shown(how: str) -> Callable[[float], str]:
    """An average of a figure: a share in percent, a time in seconds, a count with one decimal."""
    if how == "pct":
        return _SHOW["pct"]
    if how in ("secs", "stamp"):
        return _SHOW["secs"]
    return lambda v: f"{round(v, 1):g}"


def _change(delta: float, how: str, zh: bool) -> str:
    if how == "pct":
        return f"{delta * 100:+.0f}" + (" 个百分点" if zh else " pts")
    if how in ("secs", "stamp"):
        return f"{delta:+.0f} s"
    return f"{delta:+.1f}"


def trend_lines(t: dict[str, Any], language: str) -> list[str]:
    zh = language == "zh"
    if not t["interviews"]:
        return ["最近 30 天没有你做面试官的面试。" if zh else "No interview of yours in the last 30 days."]
    lines = [
        f"最近 30 天你的 {t['interviews']} 场面试，对比团队中位数："
        if zh
        else f"Your {t['interviews']} interviews in the last 30 days, against the team's median:"
    ]
    for key, name_zh, name_en, how in FIGURES:
        mine, team = t["you"].get(key), t["team"].get(key)
        if mine is None:
            continue
        show = _average_shown(how)
        team_text = show(team) if team is not None else "–"
        lines.append(f"{name_zh if zh else name_en}: {show(mine)} ({'团队' if zh else 'team'} {team_text})")
    mine, team = t["you"].get("flags"), t["team"].get("flags")
    lines.append(
        ("每场被提醒的问题" if zh else "flagged questions per interview")
        + f": {mine:.1f} ({'团队' if zh else 'team'} {f'{team:.1f}' if team is not None else '–'})"
    )
    return lines


# ---- the weekly digest (bot.coaching_digest builds it; these are its words) --------------------------------


def week_title(week: str, language: str) -> str:
    if language == "zh":
        return f"你的面试周报 · {week}（仅你可见）"
    return f"Your interviewing week · {week} (for you alone)"


def _week_figure(key: str, d: WeeklyDigest, zh: bool) -> tuple[str, str, str] | None:
    """(yours, the team's, last week's with the change) for one figure; None when you have no value."""
    mine, team = d.you.get(key), d.team.get(key)
    if mine is None:
        return None
    how = next((h for k, *_, h in FIGURES if k == key), "flags")
    show = _average_shown(how) if how != "flags" else (lambda v: f"{v:.1f}")
    before = (d.last_week or {}).get(key)
    last = "–" if before is None else f"{show(before)}{'，' if zh else ', '}{_change(mine - before, how, zh)}"
    team_text = show(team) if team is not None else "–"
    return show(mine), team_text, last


def week_lines(d: WeeklyDigest) -> list[str]:
    """The private weekly note: the week's interviews, averages against the team's median and the week
    before, and every flagged question with a link to that interview's private page."""
    zh = d.language == "zh"
    titles = ("、" if zh else ", ").join(i.title for i in d.interviews)
    n = len(d.interviews)
    lines = [f"本周 {n} 场面试：{titles}" if zh else f"{n} interview{'s' * (n != 1)} this week: {titles}"]
    lines.append(
        "你的平均值，对比团队中位数和你的上一周："
        if zh
        else "Your averages, against the team's median and your week before:"
    )
    names = {k: (name_zh if zh else name_en) for k, name_zh, name_en, _ in FIGURES}
    names["flags"] = "每场被提醒的问题" if zh else "flagged questions per interview"
    for key in names:
        shown = _week_figure(key, d, zh)
        if shown:
            mine, team, last = shown
            lines.append(
                f"{names[key]}: {mine} (团队 {team}；上周 {last})"
                if zh
                else f"{names[key]}: {mine} (team {team}; last week {last})"
            )
    if d.flags:
        lines.append("本周被提醒的问题：" if zh else "Questions flagged this week:")
        for f in d.flags:
            when = f" [{stamp(f.start)}]" if f.start is not None else ""
            lines.append(f"⚠ {f.title}{when} · {f.topic} “{f.quote}” {f.link}")
    if d.late and d.due:
        lines.append(f"这份周报晚发了：原定 {d.due}。" if zh else f"This digest is late: it was due {d.due}.")
    lines.append(
        "只发给你本人，不进入候选人评分，也不会发到招聘群。"
        if zh
        else "For you alone: never part of any candidate's scores, never in a hiring channel."
    )
    return lines
