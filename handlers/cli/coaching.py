"""`coaching-digest`: what a week's coaching digests say, for operators. Nothing is sent."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import Settings

from .common import EXIT_OK, Command, UserError, platform_channel


def cmd_coaching_digest(args: argparse.Namespace, settings: Settings) -> int:
    from bot import coaching_digest as weekly
    from bot.service import Service

    try:
        monday = weekly.parse_week(args.week)
    except ValueError as exc:
        raise UserError(f"--week: {exc}") from None
    scope = platform_channel(args.channel) if args.channel else None
    service = Service(settings)

    def build(store) -> list:
        channels, wanted = _channels(store, scope, settings.timezone)
        out = []
        for platform in sorted({c.platform for c in channels}):
            mine = [c for c in channels if c.platform == platform]
            out += weekly.build_week(
                store, platform, mine, monday, service.interviewer_url, recipients_from=wanted
            )
        return out

    digests = service.db.blocking(build)
    if args.json:
        print(json.dumps([d.to_dict() for d in digests], ensure_ascii=False, indent=2))
    for d in [] if args.json else digests:
        print(f"{d.platform}:{d.user} · {d.title}")
        print("\n".join(f"  {line}" for line in d.lines()) + "\n")
    if not digests:
        print(f"nobody had an analysed interview there in {weekly.week_name(monday)}", file=sys.stderr)
    return EXIT_OK


def _channels(store, scope: tuple[str, str] | None, default_tz: str) -> tuple[list, set[str] | None]:
    """The channels the preview covers and whose interviewers it is for (None: every opted-in one). One
    channel: its interviewers, their week across the platform's opted-in channels, as it would be sent; a
    channel that has not opted in is shown alone, with a note that nothing would go out."""
    from bot import coaching_digest as weekly
    from bot.storage import now

    opted = weekly.opted_in(store)
    if scope is None:
        if not opted:
            raise UserError(
                "no channel has opted in to the weekly coaching digest: in a channel, "
                "`/interview coaching on` or `@bot 辅导周报 开`"
            )
        return opted, None
    platform, channel = scope
    if any((c.platform, c.channel) == scope for c in opted):
        return [c for c in opted if c.platform == platform], {channel}
    if not store.coaching.known_channel(platform, channel):
        raise UserError(
            f"unknown channel {platform}:{channel}: no interview came from it and it has not opted in"
        )
    print(f"note: {platform}:{channel} has not opted in; these digests would not be sent", file=sys.stderr)
    return [weekly.CoachingChannel(platform, channel, 0, "09:00", default_tz, "cli", now())], {channel}


def _coaching_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--week", required=True, help="the ISO week, YYYY-Www (for example 2026-W49)")
    p.add_argument(
        "--channel", help="only the interviewers of this PLATFORM:CHANNEL (default: every opted-in one)"
    )
    p.add_argument("--json", action="store_true", help="print the digests as JSON")


COMMANDS = [
    Command(
        "coaching-digest",
        "what a week's private coaching digests say, per interviewer (nothing is sent)",
        _coaching_args,
        cmd_coaching_digest,
    ),
]
