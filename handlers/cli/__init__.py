"""`interview-bot` command line. Exit codes: 0 ok, 2 bad input (one line on stderr), 1 internal failure.

Each subcommand is a `Command` record in one of the modules below; the parser is built from them.
Heavy modules (engines, SDKs, the analysis model) are imported inside the commands, so `--help` is fast.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Mapping, Sequence

from asr_engine import AudioInputError, EngineError
from bot.config import ConfigError, load_settings

from . import admin, ask, ats, coaching, consent, history, report, verdicts
from .common import EXIT_BAD_INPUT, EXIT_INTERNAL, Command, UserError

COMMANDS: list[Command] = [
    *report.COMMANDS,
    *admin.COMMANDS,
    *history.COMMANDS,
    *coaching.COMMANDS,
    *ask.COMMANDS,
    *consent.COMMANDS,
    *verdicts.COMMANDS,
    *ats.COMMANDS,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interview-bot",
        description="Interview recordings in, transcripts, scored evidence and follow-up questions out.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        p = sub.add_parser(command.name, help=command.help)
        command.arguments(p)
        p.set_defaults(func=command.run)
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """`env`: the settings' environment (default: os.environ), so a caller can run a command in-process."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args, load_settings(env))
    except (UserError, ConfigError, AudioInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (EngineError, OSError, RuntimeError, sqlite3.Error) as exc:  # an engine, the disk, the database
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
