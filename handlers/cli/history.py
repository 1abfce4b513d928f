"""`candidate`, `search` and `digest`: reading the history from the command line (it sees every channel)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time, timedelta

from bot.config import Settings
from bot.formats import format_names

from .common import EXIT_INTERNAL, EXIT_OK, Command, UserError, language, platform_channel, stamp


def _service(settings: Settings):
    from bot.service import Service

    return Service(settings)


def cmd_candidate(args: argparse.Namespace, settings: Settings) -> int:
    from bot import panorama
    from bot.render import render_history
    from bot.storage import CandidateError

    service = _service(settings)
    if args.export:
        return _export(service, args)
    try:
        for flag, change in CANDIDATE_CHANGES.items():
            if getattr(args, flag):
                print(service.db.blocking(lambda store, change=change: change(store, args)))
                return EXIT_OK
    except CandidateError as exc:
        raise UserError(str(exc)) from None
    lang = language(args.language, settings)
    pano = service.db.blocking(
        lambda store: panorama.build(store, None, args.name, language=lang, report_url=service.report_url)
    )
    if pano is None:
        raise UserError(f"no candidate called {args.name} with an analysed interview")
    print(render_history("panorama", pano.to_dict(), "json" if args.json else args.format))
    return EXIT_OK


def _export(service, args: argparse.Namespace) -> int:
    """An access request: everything held about the person, JSON plus audio, in one zip."""
    import asyncio
    from pathlib import Path

    from bot.consent import ConsentError

    if not args.output or not args.output.endswith(".zip"):
        raise UserError("--export needs -o FILE.zip")
    try:
        path = asyncio.run(service.consent.export(args.name, Path(args.output)))
    except ConsentError as exc:
        raise UserError(str(exc)) from None
    service.db.blocking(lambda store: store.audit("cli", "export-candidate", None, {}))
    print(f"wrote {path}")
    return EXIT_OK


def _rename(store, args) -> str:
    store.candidates.rename(args.name, args.rename)
    store.audit("cli", "candidate-rename", None, {})
    return f"renamed {args.name} to {args.rename}"


def _merge(store, args) -> str:
    target, moved = store.candidates.merge(args.name, args.merge_into)
    store.audit("cli", "candidate-merge", None, {"moved": moved})
    return f"merged {args.name} into {target['name']} ({moved} interviews moved)"


def _decide(store, args) -> str:
    row = store.candidates.decide(args.name, args.decide, "cli")
    store.audit("cli", "decide", None, {"decision": row["decision"]})
    return f"{row['name']}: {row['decision']}"


CANDIDATE_CHANGES = {"rename": _rename, "merge_into": _merge, "decide": _decide}


def _candidate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument("--rename", metavar="NEW_NAME", help="give the candidate a new name")
    p.add_argument(
        "--merge-into", metavar="OTHER", help="move all of NAME's interviews to OTHER (one person)"
    )
    p.add_argument("--decide", choices=["advance", "reject", "offer"], help="record the hiring decision")
    p.add_argument(
        "--export", action="store_true", help="write all that is held about the person (-o FILE.zip)"
    )
    p.add_argument("-o", "--output", help="with --export: the zip to write")
    p.add_argument("--json", action="store_true")
    p.add_argument("--format", default="md", choices=format_names("digest"))
    p.add_argument("--language", choices=["zh", "en"])


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    hits = service.db.blocking(lambda store: store.search(None, " ".join(args.words), limit=args.limit))
    if args.json:
        rows = [
            {
                **h.__dict__,
                "link": service.report_url(h.interview_id) + (f"#t={h.start}" if h.start is not None else ""),
            }
            for h in hits
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for h in hits:
        where = f"[{stamp(h.start)}]" if h.start is not None else "[summary]"
        print(f"{h.interview_id} · {h.candidate or h.source} · {h.created_at[:10]} · {where} {h.snippet}")
    if not hits:
        print("nothing matched", file=sys.stderr)
    return EXIT_OK


def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("words", nargs="+")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Render a day's digest (the calendar day in --tz), or --post every subscription's digest for the day."""
    from bot import digest
    from bot.render import render_history

    try:
        tz = digest.zone(args.tz or settings.timezone)
        day = date.fromisoformat(args.date) if args.date else datetime.now(tz).date()
    except ValueError as exc:
        bad_date = f"--date must be YYYY-MM-DD, got {args.date!r}"
        raise UserError(str(exc) if isinstance(exc, digest.DigestError) else bad_date) from None
    scope = _scope(args.channel)
    service = _service(settings)
    if args.post:
        return _post_digests(service, day, scope, args.force)
    start = datetime.combine(day, time(0), tzinfo=tz)
    built = service.db.blocking(
        lambda store: digest.build(
            store,
            scope,
            start,
            start + timedelta(days=1),
            language=language(args.language, settings),
            tz=tz,
            tz_name=args.tz or settings.timezone,
            report_url=service.report_url,
            day=day,
        )
    )
    print(render_history("digest", built.to_dict(), "json" if args.json else args.format))
    return EXIT_OK


def _scope(channel: str | None) -> set[tuple[str, str]] | None:
    return {platform_channel(channel)} if channel else None


def _post_digests(service, day: date, scope, force: bool) -> int:
    import asyncio

    from bot import digest

    subs = [
        s
        for s in service.db.blocking(digest.subscriptions)
        if scope is None or (s.platform, s.channel) in scope
    ]
    if not subs:
        raise UserError(
            "no digest subscriptions"
            + (" for that channel" if scope else "")
            + ": subscribe in a channel with `/interview digest subscribe` or `@bot 日报 订阅`"
        )

    async def run() -> int:
        from handlers.server import platform_apps

        apps = platform_apps(service, {s.platform for s in subs})
        failures = 0
        for sub in subs:
            outcome = await service.digests.deliver(sub, day, datetime.now(UTC), force=force)
            status = outcome.status if outcome else "already posted (use --force to post again)"
            failures += bool(outcome and outcome.status == "failed")
            print(f"{sub.platform}:{sub.channel} -> {sub.target_kind} {sub.target}: {status}")
        for app in apps:
            await app.stop()
        return EXIT_INTERNAL if failures else EXIT_OK

    try:
        return asyncio.run(run())
    except ValueError as exc:  # a platform without credentials
        raise UserError(str(exc)) from None


def _digest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", help="YYYY-MM-DD (default: today in --tz)")
    p.add_argument("--tz", help="time zone of the day (default: IB_TIMEZONE)")
    p.add_argument("--channel", help="only this PLATFORM:CHANNEL (default: every channel)")
    p.add_argument("--post", action="store_true", help="post each subscription's digest now (once per day)")
    p.add_argument("--force", action="store_true", help="with --post: post again even if it went out")
    p.add_argument("--json", action="store_true", help="print the digest as JSON")
    p.add_argument("--format", default="md", choices=format_names("digest"))
    p.add_argument("--language", choices=["zh", "en"])


COMMANDS = [
    Command(
        "digest",
        "render a day's digest, or post every subscription's digest for the day",
        _digest_args,
        cmd_digest,
    ),
    Command(
        "candidate",
        "a candidate's panorama across rounds; rename, merge or record a decision",
        _candidate_args,
        cmd_candidate,
    ),
    Command("search", "full-text search in transcripts and summaries", _search_args, cmd_search),
]
