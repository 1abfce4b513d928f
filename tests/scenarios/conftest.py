"""What the scenario tests share: the command line run in-process.

`cli(env, *args)` is `interview-bot ARGS` with the settings read from `env`, run through `handlers.cli.main`
in this process: the same parser, commands, exit codes and output as the console script, without paying
for a new interpreter (numpy, PyAV, jieba, an engine) per call. The few tests that are about the process
itself (start-up time, the installed entry point) still start one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Ran:
    """What a command left behind, shaped like `subprocess.CompletedProcess`."""

    returncode: int
    stdout: str
    stderr: str


CLI = Callable[..., Ran]


def _main(argv: list[str], env: Mapping[str, str]) -> int:
    from handlers.cli import main

    try:
        return main(argv, env=env)
    except SystemExit as exc:  # argparse refusing the arguments, as the console script would
        return exc.code if isinstance(exc.code, int) else 2


@pytest.fixture
def cli(capsys) -> CLI:
    """Run one command in-process; stdout and stderr are what that command printed, nothing before."""

    def run(env: Mapping[str, str], *args: object) -> Ran:
        capsys.readouterr()
        code = _main([str(a) for a in args], env)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


@pytest.fixture
def acli(capsys) -> Callable[..., object]:
    """`cli` for async tests: the command runs on a worker thread (it runs its own event loop), so the
    fakes serving it on the test's loop keep answering."""
    lock = asyncio.Lock()

    async def run(env: Mapping[str, str], *args: object) -> Ran:
        async with lock:  # one command at a time: they share the captured stdout
            capsys.readouterr()
            code = await asyncio.to_thread(_main, [str(a) for a in args], env)
            out, err = capsys.readouterr()
            return Ran(code, out, err)

    return run
