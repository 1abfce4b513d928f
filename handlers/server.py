"""`interview-bot serve`: one aiohttp server for the HTTP API, report pages and platform endpoints, plus the
durable worker. The CLI imports this lazily: it is the composition root, the one place edges meet the core."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.config import Settings
from bot.retention import purge
from bot.service import Service

from . import http_api

log = logging.getLogger(__name__)


def build_app(service: Service) -> web.Application:
    app = web.Application(client_max_size=1024**2)  # uploads are streamed, not buffered
    http_api.setup(app, service)
    return app


async def serve(
    settings: Settings,
    *,
    http: bool = True,
    slack: bool = False,
    feishu: bool = False,
    ready: asyncio.Event | None = None,
) -> None:
    service = Service(settings)
    app = build_app(service)
    chat_apps = platform_apps(service, {name for name, on in (("slack", slack), ("feishu", feishu)) if on})
    for chat_app in chat_apps:
        chat_app.routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    await service.start()
    for chat_app in chat_apps:
        await chat_app.start()
    service.digests.start(settings.digest_tick_s)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.warning(
        "serving on http://%s:%s (public URL %s)", settings.http_host, settings.http_port, settings.public_url
    )
    if ready:
        ready.set()
    retention = loop.create_task(_retention_loop(service))
    try:
        await stop.wait()
    finally:
        retention.cancel()
        service.digests.stop()
        for chat_app in chat_apps:
            await chat_app.stop()
        await service.stop()
        await runner.cleanup()


def platform_apps(service: Service, platforms: set[str]) -> list:
    """The chat apps asked for, each registered with the service (progress, digests). Raises ValueError
    naming what is missing when a platform's credentials are not configured."""
    apps = []
    if "slack" in platforms:
        from .slack import SlackApp

        apps.append(SlackApp(service))
    if "feishu" in platforms:
        from .feishu import FeishuApp

        apps.append(FeishuApp(service))
    return apps


async def _retention_loop(service: Service) -> None:
    settings = service.settings
    if settings.retention_audio_days is None and settings.retention_text_days is None:
        return
    while True:
        try:
            removed = await service.db(purge, service)
            if any(removed.values()):
                log.warning("retention: %s", removed)
        except Exception:
            log.exception("retention pass failed")
        await asyncio.sleep(3600)
