"""Stopping the service ends progress delivery: a listener still busy with an event is cancelled and
later events are dropped, so nothing reaches the closed database and the log stays clean."""

from __future__ import annotations

import asyncio
import logging

from bot.config import load_settings
from bot.events import Progress
from bot.service import Service


async def test_progress_after_the_service_stopped_is_not_delivered(tmp_path, caplog):
    service = Service(
        load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db")})
    )
    await service.start()
    entered, release, seen = asyncio.Event(), asyncio.Event(), []

    async def listener(event: Progress) -> None:  # like a platform: awaits the network, then the store
        seen.append(event.stage)
        entered.set()
        await release.wait()
        await service.db.interviews.get(event.interview_id)

    service.bus.subscribe(listener)
    service.bus.publish(Progress("iv1", "done"))
    await asyncio.wait_for(entered.wait(), 30)
    with caplog.at_level(logging.ERROR):
        await service.stop()
        release.set()
        service.bus.publish(Progress("iv2", "done"))  # a worker thread's late event
        for _ in range(20):
            await asyncio.sleep(0)
    assert seen == ["done"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
