"""The folder watch: a file is taken once it stopped growing (two looks), and no error ends the watch."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from bot.liveness import Liveness
from handlers.folder import Batch, BatchResult


def make_batch(tmp_path) -> Batch:
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    service = SimpleNamespace(liveness=Liveness())
    return Batch(service, tmp_path / "in", tmp_path / "out", None)


def test_a_growing_file_is_taken_only_once_it_stops_growing(tmp_path):
    batch, last, handled = make_batch(tmp_path), {}, set()
    path = tmp_path / "in" / "a.flac"
    path.write_bytes(b"x" * 10)
    assert batch._ready(last, handled) == []  # first look
    with path.open("ab") as fh:
        fh.write(b"y" * 10)
    assert batch._ready(last, handled) == []  # it grew since
    assert batch._ready(last, handled) == [path]  # the same on two looks
    assert batch._ready(last, handled) == []  # and only once


def test_the_watch_goes_on_after_a_failed_pass(tmp_path):
    batch = make_batch(tmp_path)
    (tmp_path / "in" / "a.flac").write_bytes(b"x")
    (tmp_path / "in" / "b.flac").write_bytes(b"x")
    calls = []

    async def run_once(paths, result):
        calls.append(paths)
        if len(calls) == 1:
            raise OSError("disk full")

    batch.run_once = run_once
    passes = iter(range(100))
    result = asyncio.run(batch.watch(0.0, stop=lambda: len(calls) >= 2 or next(passes) > 50))
    assert isinstance(result, BatchResult) and len(calls) == 1  # the failed pass took both files
    beat = batch.service.liveness.get("folder-watch")
    assert beat.total_failures == 1 and beat.last_error == "OSError: disk full"
