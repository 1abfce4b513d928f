"""What every subcommand shares: the command record, one-line errors, progress bars, output."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class UserError(Exception):
    """Something the user can fix; printed as one line, exit code 2."""


class StorageError(RuntimeError):
    """The data folder or the database cannot take writes; one line, exit code 1."""


def storage_problems(settings: Settings) -> list[str]:
    """Whether the data folder (with where recordings arrive and are kept) and the database take writes,
    tried for real (a probe file, a write transaction) rather than by permission bits, which root and
    read-only mounts make lie."""
    data = settings.data_dir
    problems = [p] if (p := _folder_problem("data folder", data)) else []
    folders = [("database folder", settings.db_path.parent)]
    if not problems:  # else the data folder's own problem says it all
        folders[:0] = [("recordings folder", data / "audio"), ("incoming folder", data / "incoming")]
    problems += [p for label, folder in folders if (p := _folder_problem(label, folder))]
    if settings.db_path.is_file():
        problems += _database_problem(settings.db_path)
    return problems


def _folder_problem(label: str, folder: Path) -> str | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"the {label} {folder} is not writable: {exc.strerror or exc}"
    return None


def _database_problem(path: Path) -> list[str]:
    try:
        conn = sqlite3.connect(path, timeout=2)
        try:
            conn.execute("begin immediate")
            conn.execute("create table ib_write_probe (x)")  # a real write, rolled back
            conn.execute("rollback")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):  # in use by a server: still writable
            return [f"the database {path} is not writable: {exc}"]
    return []


def check_storage(settings: Settings) -> None:
    """Before any long work (transcription): the first storage problem as a StorageError."""
    problems = storage_problems(settings)
    if problems:
        raise StorageError(problems[0])


@dataclass(frozen=True)
class Command:
    """One subcommand: its arguments and what it does. Adding one is a record in a module's COMMANDS."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings], int]


def platform_channel(text: str) -> tuple[str, str]:
    """`--channel PLATFORM:CHANNEL` as (platform, channel)."""
    platform, _, name = text.partition(":")
    if not platform or not name:
        raise UserError("--channel must be PLATFORM:CHANNEL, for example slack:C0123 or feishu:oc_abc")
    return platform, name


def stamp(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{seconds % 60:04.1f}"


def progress_bar(label: str) -> tuple[Callable[[str, int, int], None], Callable[[], None]]:
    """A tqdm bar on stderr for chunked work; silent when stderr is not a terminal."""
    from tqdm import tqdm

    state: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage != "transcribing" or total <= 1:
            return
        bar = state.get("bar")
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="chunk", file=sys.stderr, disable=None, leave=False)
            state["bar"] = bar
        bar.n = done
        bar.refresh()

    def close() -> None:
        if "bar" in state:
            state["bar"].close()

    return update, close


def profile(spec: str | None):
    """A profile by name, or from a local file (the command line may read files; the API may not)."""
    from bot.analysis import ProfileError, load_profile

    try:
        return load_profile(spec)
    except ProfileError as exc:
        raise UserError(str(exc)) from None


def profile_spec(spec: str | None) -> str | None:
    """What to store with the interview: a name as given, a file as an absolute path."""
    if spec and Path(spec).is_file():
        return str(Path(spec).resolve())
    return spec


def write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text)


def language(arg: str | None, settings: Settings) -> str:
    return arg or (settings.language if settings.language in ("zh", "en") else "zh")
