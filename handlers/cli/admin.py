"""`serve`, `batch`, `purge`, `delete` and `doctor`: running and looking after the service."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from bot.config import Settings

from .common import EXIT_INTERNAL, EXIT_OK, Command, UserError, storage_problems
from .common import profile as load_profile_arg

WHISPER_MANDARIN_WARNING = (
    "warning: Mandarin on the CPU engine (whisper base) gets about 1 character in 7 wrong on clean speech "
    "(CER 0.135 on bench/devset's held-out split, 0.10 after term correction), more on noisy or phone audio, "
    "and loses some English terms; for reports you quote use IB_ASR_ENGINE=qwen3 on a GPU or a Qwen3-ASR "
    "server (IB_ASR_ENGINE=remote IB_REMOTE_ASR_URLS=http://host:8000/v1), see docs/engines.md"
)


def _platform_names() -> list[str]:
    from handlers.platforms import PLATFORMS

    return list(PLATFORMS)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from handlers.platforms import PLATFORMS
    from handlers.server import serve

    settings.http_host = args.host or settings.http_host
    settings.http_port = args.port or settings.http_port
    wanted = {name for name in PLATFORMS if getattr(args, name)}
    try:
        asyncio.run(serve(settings, http=True, platforms=wanted))
    except ValueError as exc:  # a platform without its credentials: the message names them
        raise UserError(f"serve: {exc}") from None
    return EXIT_OK


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--http", action="store_true", help="serve the HTTP API (always on)")
    for name in _platform_names():
        p.add_argument(f"--{name}", action="store_true", help=f"receive {name} events and post reports there")
    p.add_argument("--host")
    p.add_argument("--port", type=int)


def cmd_batch(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.folder import run_batch

    in_dir, out_dir = Path(args.in_dir), Path(args.out_dir)
    if not in_dir.is_dir():
        raise UserError(f"{in_dir} is not a folder")
    load_profile_arg(args.profile)  # fail fast on a bad profile
    result = run_batch(settings, in_dir, out_dir, args.profile, args.watch, args.interval)
    print(result.line(), file=sys.stderr)
    for name, reason in sorted(result.failed.items()):
        print(f"failed: {name}: {reason}", file=sys.stderr)
    return result.exit_code()


def _batch_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("in_dir")
    p.add_argument("out_dir")
    p.add_argument(
        "--watch", action="store_true", help="keep running; pick up new files once they stop growing"
    )
    p.add_argument("--interval", type=float, default=2.0, help="seconds between looks in --watch mode")
    p.add_argument("--profile")


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from bot.retention import purge
    from bot.storage import Store

    audio = args.audio_days if args.audio_days is not None else settings.retention_audio_days
    text = args.text_days if args.text_days is not None else settings.retention_text_days
    held = settings.consent_wait_days
    removed = purge(Store(settings.db_path), audio_days=audio, text_days=text, held_days=held)
    print(
        f"removed audio of {removed['audio']} interviews, {removed['interviews']} whole interviews, "
        f"{removed['held']} recordings held for consent past {held} days"
    )
    return EXIT_OK


def _purge_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--audio-days", type=float, help="delete recordings older than this many days")
    p.add_argument("--text-days", type=float, help="delete whole interviews older than this many days")


def cmd_delete(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage import Store

    store = Store(settings.db_path)
    if not store.interviews.delete(args.id):
        raise UserError(f"no interview with id {args.id}")
    store.audit("cli", "delete", args.id, {})
    print(f"deleted {args.id}: audio, transcript, analysis, reports and search entries")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Cheap readiness check (the container's healthcheck): configuration, engine choice, storage."""
    from asr_engine import choose_engine

    problems: list[str] = []
    name, reason = choose_engine(settings.engine)
    print(f"engine: {name} ({reason})")
    if name == "whisper":
        print(WHISPER_MANDARIN_WARNING, file=sys.stderr)
    if name == "qwen3":
        from asr_engine.backends.qwen3 import qwen3_decode, qwen3_runtime

        print("qwen3 runtime: {} ({})".format(*qwen3_runtime(settings.engine)))
        print(f"qwen3 decode: {qwen3_decode(settings.engine)}")
    problems += _gpu_problems(name, settings)
    storage = storage_problems(settings)  # tried for real: a probe file, a write transaction
    for label, folder in (("data", settings.data_dir), ("database", settings.db_path.parent)):
        bad = any(p.startswith(f"the {label} folder ") for p in storage)
        print(f"{label} folder: {folder} ({'NOT writable' if bad else 'writable'})")
    problems += storage
    problems += _database_problems(settings.db_path)
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_INTERNAL if problems else EXIT_OK


def _gpu_problems(name: str, settings: Settings) -> list[str]:
    import importlib.util

    problems = []
    if importlib.util.find_spec("torch") is not None and name == "qwen3":
        import torch

        if not torch.cuda.is_available():
            problems.append("the qwen3 engine is configured but no CUDA device is visible")
    if name == "qwen3" and not settings.engine.qwen3_model:
        problems.append("IB_QWEN3_MODEL is not set")
    if name == "remote" and not settings.engine.remote_urls:
        problems.append("IB_REMOTE_ASR_URLS is not set")
    return problems


def _database_problems(path: Path) -> list[str]:
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.close()
    except sqlite3.Error as exc:
        return [f"the database {path} cannot be read: {exc}"]
    print(f"database: {path} (schema version {version}, journal {mode})")
    return []


COMMANDS = [
    Command("serve", "run the HTTP API, report pages, the worker and chat platforms", _serve_args, cmd_serve),
    Command(
        "batch", "process every recording in a folder (optionally keep watching it)", _batch_args, cmd_batch
    ),
    Command("purge", "apply the retention policy now", _purge_args, cmd_purge),
    Command(
        "delete",
        "delete one interview and everything derived from it",
        lambda p: p.add_argument("id"),
        cmd_delete,
    ),
    Command(
        "doctor",
        "check configuration, engine choice and storage (container healthcheck)",
        lambda p: None,
        cmd_doctor,
    ),
]
