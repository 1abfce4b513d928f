"""`verdicts export` and `verdicts stats`: interviewers' verdicts on report scores, as labelled data and as
agreement rates (the command line sees every channel)."""

from __future__ import annotations

import argparse
import json
from datetime import date

from bot.config import Settings

from .common import EXIT_OK, Command, UserError


def _since(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise UserError(f"--since wants a date like 2026-11-01, not {text!r}") from None


def cmd_verdicts(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import Store
    from bot.verdicts import stats_lines, to_snippets, weekly_lines

    store = Store(settings.db_path)
    try:
        since = _since(args.since)
        if args.action == "export":
            rows = store.verdicts.export(since)
            if args.corpus:
                rows = to_snippets(rows)
            if args.jsonl or args.corpus:
                for row in rows:
                    print(json.dumps(row, ensure_ascii=False))
            else:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            return EXIT_OK
        stats = store.verdicts.stats(since)
        if args.json:
            print(json.dumps([s.to_dict() for s in stats], ensure_ascii=False, indent=2))
        elif not stats:
            print("no verdicts yet")
        else:
            lang = args.language or "en"
            print("\n".join(stats_lines(stats, lang)))
            print("\n" + ("每周（ISO 周）" if lang == "zh" else "Per week (ISO weeks)"))
            print("\n".join(weekly_lines(stats, lang)))
        return EXIT_OK
    finally:
        store.close()


def _verdicts_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["export", "stats"])
    p.add_argument("--since", metavar="DATE", help="only verdicts given on or after this date (YYYY-MM-DD)")
    p.add_argument("--jsonl", action="store_true", help="export: one JSON object per line")
    p.add_argument(
        "--corpus",
        action="store_true",
        help="export: as labelled snippets in the corpus/analysis format (JSON Lines), ready to train on",
    )
    p.add_argument("--json", action="store_true", help="stats: as JSON")
    p.add_argument("--language", choices=["zh", "en"], help="stats: the language of the lines")


COMMANDS = [
    Command(
        "verdicts",
        "interviewers' verdicts on report scores: export them (labelled data) or show agreement stats",
        _verdicts_args,
        cmd_verdicts,
    ),
]
