"""`interview-bot serve`: one aiohttp server for the HTTP API, report pages and platform endpoints, plus the
durable worker, the digest schedulers (daily, weekly coaching) and retention. The CLI imports this lazily:
it is the composition root, the one place edges meet the core."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterable

from aiohttp import web

from bot.config import Settings
from bot.liveness import supervise
from bot.retention import purge
from bot.service import Service

from . import http_api
from .platform import ChatPlatform
from .platforms import PLATFORMS

log = logging.getLogger(__name__)
RETENTION_EVERY_S = 3600.0


def build_app(service: Service, *, api: bool = True) -> web.Application:
    app = web.Application(client_max_size=1024**2)  # uploads are streamed, not buffered
    if api:
        http_api.setup(app, service)
    return app


def platform_apps(service: Service, names: Iterable[str]) -> list[ChatPlatform]:
    """The chat platforms asked for, each registered with the service (progress, digests). Raises
    ValueError naming what is missing: an unknown platform, or one whose settings are not configured."""
    unknown = sorted(set(names) - set(PLATFORMS))
    if unknown:
        raise ValueError(f"unknown platform {', '.join(unknown)}; choose from {', '.join(PLATFORMS)}")
    return [PLATFORMS[name].factory(service) for name in PLATFORMS if name in set(names)]


async def serve(
    settings: Settings,
    *,
    http: bool = True,
    platforms: Iterable[str] = (),
    ready: asyncio.Event | None = None,
) -> None:
    """Run until SIGINT or SIGTERM. `http`: the REST API and report pages; platform endpoints are served
    whenever their platform is on."""
    service = Service(settings)
    chats = platform_apps(service, platforms)
    app = build_app(service, api=http)
    for chat in chats:
        chat.routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.http_host, settings.http_port).start()
    stop, retention = asyncio.Event(), None
    try:
        await service.start()
        for chat in chats:
            await chat.start()
        service.digests.start(settings.digest_tick_s)
        service.coaching.start(settings.digest_tick_s)
        retention = asyncio.get_running_loop().create_task(retention_loop(service))
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        log.warning(
            "serving on http://%s:%s (public URL %s)",
            settings.http_host,
            settings.http_port,
            settings.public_url,
        )
        if ready:
            ready.set()
        await stop.wait()
    finally:
        await _stop(service, chats, retention)
        await runner.cleanup()


async def _stop(service: Service, chats: list[ChatPlatform], retention: asyncio.Task | None) -> None:
    if retention is not None:
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
    service.digests.stop()
    service.coaching.stop()
    for chat in chats:
        await chat.stop()
    await service.stop()


async def retention_loop(service: Service, every_s: float = RETENTION_EVERY_S) -> None:
    """Recordings and then whole interviews past their configured age go, once an hour; so do recordings
    held for consent past IB_CONSENT_WAIT_DAYS."""
    audio_days, text_days = service.settings.retention_audio_days, service.settings.retention_text_days
    held_days = service.settings.consent_wait_days  # held rows exist only because of consent, flag on or off

    async def step() -> None:
        removed = await service.db.run(
            lambda s: purge(s, audio_days=audio_days, text_days=text_days, held_days=held_days)
        )
        if any(removed.values()):
            log.warning("retention: %s", removed)

    # a locked database now is no reason to stop purging later
    await supervise(service.liveness.beat("retention"), step, every_s, first_delay_s=0)
