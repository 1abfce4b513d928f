"""The Slack format: Block Kit payloads built as data with slack_sdk's models, serialised once by whoever
sends them (the Slack client, or `json.dumps` for `--format slack`).

It lives in the core because the format does: `report --format slack`, folder mode and the HTTP API render
it as well as the Slack app. slack_sdk is a base dependency and `slack_sdk.models` is plain data classes (no
client, no slack-bolt); this module is imported only when the format is first rendered (bot/formats.py names
it by its dotted path).

Every builder takes the same view the text formats' templates get (bot/render.py) and returns
{"text": notification fallback, "blocks": [...]}. User text is escaped for mrkdwn on the way in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from .analysis.summary import stamp
from .render import clip, slack_escape

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000  # a section's or a context element's text
SLACK_MAX_HEADER = 150
SLACK_MAX_TOTAL = 12000  # Slack rejects long block messages somewhere above ~13k characters
SLACK_MAX_BUTTON = 75
LIST_CLIP = 2900  # a section of many lines (digest, panorama) stops short of the limit, with "…"
REPLY_CHUNK = 2800  # a command reply's lines, packed into sections of at most this much
REPLY_SECTIONS = 45

_esc = slack_escape


# ---- blocks ----------------------------------------------------------------------------------------------


def plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text)


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=plain(clip(text, SLACK_MAX_HEADER)))


def section(text: str, block_id: str | None = None, accessory: Any = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, SLACK_MAX_SECTION)), block_id=block_id, accessory=accessory
    )


def context(text: str, block_id: str | None = None) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SLACK_MAX_SECTION))], block_id=block_id)


def titled(title: str, lines: Iterable[str]) -> SectionBlock:
    """A bold title over lines, clipped as one section."""
    return section(clip(f"*{title}*\n" + "\n".join(lines), LIST_CLIP))


def button(text: str, action_id: str, *, url: str | None = None, value: str | None = None) -> ButtonElement:
    return ButtonElement(text=plain(clip(text, SLACK_MAX_BUTTON)), action_id=action_id, url=url, value=value)


def option(text: str, value: str) -> Option:
    return Option(text=plain(text), value=value)


def payload(text: str, blocks: Sequence[Block | dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "blocks": [b if isinstance(b, dict) else b.to_dict() for b in blocks]}


def fit(blocks: list[Block], footer: bool) -> list[dict[str, Any]]:
    """Inside Slack's block count and total size, dropping from the end of the body; `footer`: the last
    block (the full report's link) is always kept."""
    out = [b.to_dict() for b in blocks]
    tail = out[-1:] if footer else []
    body = out[: len(out) - len(tail)]
    while body and (
        len(body) + len(tail) > SLACK_MAX_BLOCKS
        or len(json.dumps(body + tail, ensure_ascii=False)) > SLACK_MAX_TOTAL
    ):
        body.pop()
    return body + tail


# ---- a report --------------------------------------------------------------------------------------------


def _competency(v: dict[str, Any], c: dict[str, Any]) -> list[Block]:
    """A competency's section (its score, two quotes, caveats; a verdict menu in a thread), its verdict
    tally and the quotes' timestamps."""
    L, ctx = v["L"], v["ctx"]
    quotes = c["evidence"][:2]
    score = f"_{L['no_evidence']}_" if c["score"] is None else f"{c['score']}/5"
    text = f"*{c['name']}*  {score}" + ("\n" if quotes else "")
    text += "\n".join(_esc(clip(e["text"], 120)) for e in quotes)
    text += f"\n⚠ {_esc('; '.join(c['caveats']))}" if c["caveats"] else ""
    menu = None
    if ctx.controls and ctx.interview_id and c["score"] is not None:
        menu = OverflowMenuElement(
            action_id="verdict",
            options=[option(L[k], f"{ctx.interview_id}|{c['key']}|{k}") for k in v["verdict_keys"]],
        )
    out: list[Block] = [section(text, f"competency:{c['key']}", menu)]
    if c["tally"]:
        out.append(context(f"_{L['verdicts']}: {c['tally']}_", f"tally:{c['key']}"))
    if quotes:
        out.append(context(" · ".join(stamp(e["start"]) for e in quotes)))
    return out


def _controls(v: dict[str, Any]) -> list[Any]:
    """In a thread: the "missed" select (a competency the report scored nothing for) and Send to ATS."""
    L, ctx = v["L"], v["ctx"]
    if not (ctx.controls and ctx.interview_id):
        return []
    missed = StaticSelectElement(
        action_id="verdict_missed",
        placeholder=plain(L["add_missed"]),
        options=[option(c["name"], f"{ctx.interview_id}|{c['key']}|missed") for c in v["comps"]],
    )
    ats = [button(f"{L['send_ats']} · {ctx.ats}", "ats_send", value=ctx.interview_id)] if ctx.ats else []
    return [missed, *ats]


def _summary(v: dict[str, Any]) -> list[Block]:
    a, L = v["a"], v["L"]
    score = a["overall"]["score"] if a["overall"]["score"] is not None else "–"
    lists = {
        key: "\n".join(clip(_esc(s), 300) for s in a["summary"][key]) for key in ("strengths", "to_verify")
    }
    return [
        header(v["ctx"].title),
        section(
            f"{v['rec_icon']} *{L['overall']}: {score}/5* · {_esc(a['summary']['recommendation'])}"
            f"\n_{L['human_decision']}_"
        ),
        *(section(f"*{L[key]}*\n{lines or L['none']}") for key, lines in lists.items()),
        DividerBlock(),
    ]


def _footer(v: dict[str, Any]) -> list[Block]:
    """Notes and transcript corrections, then the links and controls (or, with no page, the length)."""
    a, L, ctx = v["a"], v["L"], v["ctx"]
    out: list[Block] = []
    if v["notes"]:
        out.append(context("ⓘ " + clip(" · ".join(_esc(n) for n in v["notes"]), LIST_CLIP)))
    if a["corrections"]:
        out.append(context(f"{L['corrections']}: " + " · ".join(_esc(x) for x in v["correction_lines"][:10])))
    if ctx.report_url:
        links = [
            button(L["full_report"], "open_report", url=ctx.report_url),
            button(L["qa"], "open_qa", url=f"{ctx.report_url}#qa"),
        ]
        return [*out, ActionsBlock(elements=links + _controls(v))]
    controls = _controls(v)
    out += [ActionsBlock(elements=controls)] if controls else []
    return [*out, context(f"{stamp(a['duration_s'])} · {a['language']}")]


def report(v: dict[str, Any]) -> dict[str, Any]:
    """The report: verdict, summary, each competency, follow-ups; the full report's link kept last."""
    a, L, ctx = v["a"], v["L"], v["ctx"]
    blocks = [*_summary(v), section(f"*{L['competencies']}*")]
    for c in v["comps"]:
        blocks += _competency(v, c)
    blocks += [DividerBlock(), section(f"*{L['followups']}*")]
    for i, f in enumerate(a["followups"], 1):
        blocks.append(
            section(f"{i}. {_esc(f['question'])}\n_{_esc(f['reason'])} · {stamp(f['anchor']['start'])}_")
        )
    blocks += _footer(v)
    text = f"{_esc(ctx.title)} · {a['overall']['recommendation']}"
    return payload(text, fit(blocks, footer=bool(ctx.report_url)))


# ---- a digest and a panorama -----------------------------------------------------------------------------


def _digest_item(v: dict[str, Any], it: dict[str, Any]) -> SectionBlock:
    L, score = v["L"], v["score"]
    rec = it["recommendation"]
    line = f"*{_esc(it['candidate'])}*" + (f" · {_esc(it['round_label'])}" if it["round_label"] else "")
    line += f" · {_esc(it['profile'])} · *{score(it['score'])}* {v['icons'][rec]} {v['rec'][rec]}"
    line += f"\n👍 {_esc(clip(it['strength'], 200))}" if it["strength"] else ""
    line += f"\n❓ {_esc(clip(it['to_verify'], 200))}" if it["to_verify"] else ""
    return section(f"{line}\n<{it['report_url']}|{L['report']}>")


def _digest_lists(v: dict[str, Any]) -> list[Block]:
    """Candidates waiting for a decision, and follow-up questions nobody has asked yet."""
    d, L, score = v["d"], v["L"], v["score"]
    out: list[Block] = []
    if d["waiting"]:
        lines = [
            f"• *{_esc(w['candidate'])}* · {L['rounds'].format(w['rounds'])} · {_esc(w['last_round'])} "
            f"{score(w['score'])} {v['icons'][w['recommendation']]} · "
            f"{L['days'].format(w['waiting_days'])} · <{w['report_url']}|{L['report']}>"
            for w in d["waiting"]
        ]
        out += [DividerBlock(), titled(L["waiting"], lines)]
    if d["open_questions"]:
        lines = [
            f"• *{_esc(q['candidate'])}* ({_esc(q['round_label'])}): {_esc(clip(q['question'], 220))} "
            f"<{q['link']}|↗>"
            for q in d["open_questions"]
        ]
        out.append(titled(L["questions"], lines))
    return out


def digest(v: dict[str, Any]) -> dict[str, Any]:
    d, L = v["d"], v["L"]
    head, items = f"{L['title']} · {d['date']}", d["items"]
    window = f"{L['window']}: {d['window_start']} – {d['window_end']} ({d['timezone']})"
    blocks: list[Block] = [header(head), context(_esc(window))]
    if d["late"]:
        blocks.append(section(":hourglass: " + _esc(L["late"].format(d["scheduled"], d["timezone"]))))
    blocks.append(section(f"*{L['interviews']}*"))
    blocks += [_digest_item(v, it) for it in items[:20]] or [section(L["empty"])]
    if len(items) > 20:
        blocks.append(context(L["more"].format(len(items) - 20)))
    if d["processing"] or d["failed"]:
        busy = L["processing"].format(d["processing"]) + " " if d["processing"] else ""
        failed = _esc(L["failed"].format(", ".join(d["failed"]))) if d["failed"] else ""
        blocks.append(context(clip(busy + failed, LIST_CLIP)))
    if d["agreement"]:
        blocks.append(context("🗳 " + _esc(d["agreement"])))
    blocks += _digest_lists(v)
    return payload(f"{head} ({len(items)})", fit(blocks, footer=False))


def _panorama_lines(v: dict[str, Any]) -> dict[str, list[str]]:
    d, L, score = v["d"], v["L"], v["score"]
    link = lambda url, text: f"<{url}|“{_esc(clip(text, 120))}”>"  # noqa: E731
    rounds = [
        f"• *{_esc(r['label'])}* {r['date']}" + (f" · {_esc(r['interviewer'])}" if r["interviewer"] else "")
        + f" · {_esc(r['profile'])} · *{score(r['score'])}* {v['icons'][r['recommendation']]} "
        f"{v['rec'][r['recommendation']]} · <{r['report_url']}|{L['report']}>"
        for r in d["rounds"]
    ]  # fmt: skip
    return {
        "rounds": rounds,
        "trend": [
            f"`{_esc(t['name'])}` {' → '.join(score(s) for s in t['scores'])} {v['arrows'][t['direction']]}"
            for t in d["trends"]
        ],
        "contradictions": [
            f"⚠️ {_esc(c['earlier_round'])}：{link(c['earlier_link'], c['earlier'])} ↔ "
            f"{_esc(c['later_round'])}：{link(c['later_link'], c['later'])}"
            for c in d["contradictions"]
        ],
        "unverified": [
            f"• {_esc(clip(p['text'], 200))}"
            + (f" ({_esc(p['round_label'])})" if p["round_label"] else "")
            + f" <{p['link']}|↗>"
            for p in d["unverified"]
        ],  # fmt: skip
        "pending": [
            f"• {_esc(clip(p['text'], 200))} ({_esc(p['round_label'])}) <{p['link']}|↗>"
            for p in d["pending_followups"]
        ],
        "focus": [f"{i}. {_esc(clip(f, 300))}" for i, f in enumerate(d["focus"], 1)],
    }


def panorama(v: dict[str, Any]) -> dict[str, Any]:
    d, L = v["d"], v["L"]
    lines = _panorama_lines(v)
    decided = f" · {v['decisions'][d['decision']]}" if d["decision"] else ""
    blocks: list[Block] = [
        header(f"{L['title']}: {d['candidate']}{decided}"),
        titled(L["rounds"], lines["rounds"]),
        titled(L["trend"], lines["trend"]),
        *(titled(L[key], lines[key] or [L["none"]]) for key in ("contradictions", "unverified", "pending")),
        DividerBlock(),
        titled(L["focus"], lines["focus"] or [L["none"]]),
    ]
    return payload(f"{L['title']}: {_esc(d['candidate'])}", fit(blocks, footer=False))


# ---- a command's answer, and a choice ----------------------------------------------------------------------


def chunks(lines: Iterable[str], limit: int = REPLY_CHUNK) -> list[str]:
    """Lines packed into as few texts of at most `limit` characters as fit (a longer line stands alone,
    clipped by its section)."""
    out: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    return [*out, current] if current else out


def reply(v: dict[str, Any]) -> dict[str, Any]:
    r = v["reply"]
    title = _esc(r.title)
    body = [section(c) for c in chunks(_esc(line) for line in r.lines)[:REPLY_SECTIONS]]
    return payload(title, [section(f"*{title}*"), *body])


def choices(text: str, options: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A question with one button per (label, value): the platform handles a click as `ats_send_<i>`."""
    buttons = [button(label, f"ats_send_{i}", value=value) for i, (label, value) in enumerate(options[:25])]
    question = SectionBlock(text=plain(text))
    return payload(text, [question, ActionsBlock(elements=buttons)])


BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "report": report,
    "digest": digest,
    "panorama": panorama,
    "reply": reply,
}


def build(kind: str, view: dict[str, Any]) -> dict[str, Any]:
    """The format's entry in bot/formats.py: a payload for one kind of document from its view."""
    return BUILDERS[kind](view)
