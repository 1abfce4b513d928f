"""`consent`: record a candidate's consent (granted, refused, withdrawn) from the command line."""

from __future__ import annotations

import argparse
import json

from bot.config import Settings

from .common import EXIT_OK, Command, UserError


def cmd_consent(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.consent import ConsentError
    from bot.service import Service

    service = Service(settings)
    state = {"grant": "granted", "refuse": "refused", "withdraw": "withdrawn"}[args.action]
    try:
        outcome = asyncio.run(
            service.consent.record(args.name, state, how="cli", actor="cli", note=args.note, create=args.new)
        )
    except ConsentError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{outcome.consent['candidate']}: consent {outcome.consent['state']}")
    if outcome.released:
        print(f"released {len(outcome.released)} held recording(s) to the queue")
    if state != "granted":
        print(f"erased {len(outcome.erased)} interview(s), deleted {outcome.messages_deleted} message(s)")
        for line in outcome.not_erased:
            print(f"not erased: {line}")
    return EXIT_OK


def _consent_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the candidate's name, as in the history")
    p.add_argument("action", choices=["grant", "refuse", "withdraw"])
    p.add_argument("--note", help="how consent was given or refused (e.g. signed form, email)")
    p.add_argument("--new", action="store_true", help="record it before the candidate's first recording")
    p.add_argument("--json", action="store_true")


COMMANDS = [
    Command(
        "consent",
        "record a candidate's consent; refusal or withdrawal erases their data",
        _consent_args,
        cmd_consent,
    )
]
