"""`ask`: candidates' answers across every interview (the command line sees every channel)."""

from __future__ import annotations

import argparse
import json
import sys

from bot.config import Settings

from .common import EXIT_OK, Command, UserError, stamp


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot import ask
    from bot.service import Service

    service = Service(settings)
    if args.reindex:
        done = ask.reindex(service.db)
        print(
            f"answers embedded by {ask.ENCODER} for {done} interviews (their answers had another encoder's "
            "vectors, none, or were not stored yet)"
        )
        if not args.question:
            return EXIT_OK
    try:
        result = asyncio.run(
            ask.answer(
                service,
                None,
                " ".join(args.question),
                candidate=args.candidate,
                limit=max(1, min(50, args.limit)),
            )
        )
    except ask.AskError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return EXIT_OK
    if result["summary"]:
        print(result["summary"], end="\n\n")
    shown = None
    for a in result["answers"]:
        if a["candidate"] != shown:
            shown = a["candidate"]
            print(f"{shown or '?'}:")
        print(f"  [{stamp(a['start'])}] “{a['quote']}” ({a['interview_id']}, {a['url']})")
    if not result["answers"]:
        print("no answer matched", file=sys.stderr)
    return EXIT_OK


def _ask_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="*", help='e.g. "谁做过支付幂等？"')
    p.add_argument("--candidate", help="only this candidate's answers")
    p.add_argument("--limit", type=int, default=10, help="at most this many quotes (default 10)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument(
        "--reindex",
        action="store_true",
        help="embed with the current encoder the answers of interviews it has not embedded",
    )


COMMANDS = [Command("ask", "candidates' answers to a question, across every interview", _ask_args, cmd_ask)]
