"""`ats send` (a scorecard draft to the ATS, exactly once per analysis) and `import feishu-hire` (Feishu
Hire's own interview minutes, analysed and stored without our ASR). The command line sees every channel."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys

from bot.config import Settings
from bot.formats import format_names

from .common import EXIT_INTERNAL, EXIT_OK, Command, UserError


def _connector(settings: Settings, name: str | None):
    from handlers.ats import AtsNotConfigured, connector

    try:
        return connector(settings.ats, name)
    except AtsNotConfigured as exc:
        raise UserError(str(exc)) from None


def cmd_ats(args: argparse.Namespace, settings: Settings) -> int:
    from bot import ats
    from bot.service import Service

    conn = _connector(settings, args.to)
    service = Service(settings)
    request = ats.SendRequest(
        args.id,
        user=args.user or getpass.getuser(),
        via="cli",
        report_url=service.report_url(args.id),
        application=args.application,
    )

    async def run() -> ats.SendResult:
        try:
            return await ats.send(service.db, conn, request, owner=f"cli-{os.getpid()}")
        finally:
            await conn.close()

    try:
        result = asyncio.run(run())
    except (ats.AtsRefusal, ats.Ambiguous) as exc:
        raise UserError(str(exc)) from None
    except (ats.AtsFailure, ats.ClaimHeld) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        service.db.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        where = f"{result.target} application {result.application_id}"
        print(f"{result.status}: note {result.external_id} on {where}")
    return EXIT_OK


def _ats_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["send"])
    p.add_argument("id", help="the interview id")
    p.add_argument("--to", metavar="NAME", help="feishu-hire, greenhouse or lever (default: IB_ATS)")
    p.add_argument("--application", metavar="ID", help="the ATS's application (Lever: opportunity) id")
    p.add_argument("--user", metavar="NAME", help="who sends it, as the note names them (default: you)")
    p.add_argument("--json", action="store_true", help='print {"target", "external_id", "status", ...}')


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from bot.analysis import ProfileError
    from bot.minutes import import_minutes
    from bot.render import ReportContext, render_stored
    from bot.service import Service

    conn = _connector(settings, "feishu-hire")

    async def fetch():
        try:
            return await conn.minutes(args.interview_id)
        finally:
            await conn.close()

    from bot.ats import AtsFailure

    try:
        lines = asyncio.run(fetch())
    except AtsFailure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if not lines:
        raise UserError(f"Feishu Hire has no minutes for interview {args.interview_id}")
    service = Service(settings)
    try:
        iid, created = import_minutes(
            service.db, lines, key=f"feishu-hire:{args.interview_id}",
            source=f"feishu-hire:{args.interview_id}", title=args.title or f"Feishu Hire {args.interview_id}",
            candidate=args.candidate, profile=args.profile, analyst=settings.analyst,
        )  # fmt: skip
        analysis = service.db.blocking(lambda s: s.interviews.analysis(iid))
        url = service.report_url(iid)
    except ProfileError as exc:
        raise UserError(str(exc)) from None
    finally:
        service.db.close()
    said = "imported" if created else "already imported"
    print(f"{said} as {iid}: {url}", file=sys.stderr)
    print(
        render_stored(
            analysis, args.format, ReportContext(title=args.title or iid, report_url=url, interview_id=iid)
        )
    )
    return EXIT_OK


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", choices=["feishu-hire"])
    p.add_argument("interview_id", metavar="INTERVIEW_ID", help="the Feishu Hire interview id")
    p.add_argument("--candidate", metavar="NAME", help="who was interviewed (links it to their history)")
    p.add_argument("--title", help="the report's title")
    p.add_argument("--profile", help="a built-in job profile name")
    p.add_argument("--format", default="md", choices=format_names())


COMMANDS = [
    Command(
        "ats",
        "send a scorecard draft to the applicant tracking system (exactly once per analysis)",
        _ats_args,
        cmd_ats,
    ),
    Command(
        "import",
        "import interview minutes from elsewhere (Feishu Hire), analyse and store them like an upload",
        _import_args,
        cmd_import,
    ),
]
