"""The recipe "adding a platform is one package plus one registry line", done: a toy platform that keeps its
messages in memory implements post / edit / download / members / render, is registered with one line, and
gets the whole shared flow: the upload is acknowledged once, the report is posted once in its thread, and
commands are answered with what the asker may see."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fakes import fake_engine_factory
from helpers import FIXTURES, until

from asr_engine.audio import is_recording
from bot.config import load_settings
from bot.service import Service
from bot.texts import say
from handlers.platform import ChatPlatform, DownloadError, Message, Place, Upload
from handlers.platforms import PLATFORMS, PlatformSpec
from handlers.server import platform_apps


class ToyPlatform(ChatPlatform):
    """A chat platform in memory: channels, threads, files and members are dicts."""

    name = "toy"

    def __init__(self, service: Service) -> None:
        super().__init__(service, admins=frozenset({"admin"}), sweep_s=3600)
        self.files: dict[str, bytes] = {}
        self.rooms: dict[str, set[str]] = {}
        self.messages: dict[str, dict[str, Any]] = {}  # id -> where, text, kind, edits

    # ---- what a platform implements ----
    def render(self, message: Message) -> str:
        if message.report is not None:
            return f"REPORT {message.context.title} {message.context.report_url}"
        if message.reply is not None and message.reply.analysis is not None:  # a report asked for
            return f"REPORT {message.reply.title} {message.reply.report_url}"
        if message.reply is not None:
            return "\n".join([message.reply.title, *message.reply.lines])
        return message.text

    async def post(self, to: Place, message: Message) -> str | None:
        mid = f"m{len(self.messages) + 1}"
        kind = "report" if message.report is not None else "reply" if message.reply is not None else "status"
        self.messages[mid] = {"to": to, "text": self.render(message), "kind": kind, "edits": 0}
        return mid

    async def edit(self, to: Place, message_id: str, message: Message) -> None:
        self.messages[message_id]["text"] = self.render(message)
        self.messages[message_id]["edits"] += 1

    async def download(self, upload: Upload, dest: Path, limit: int) -> tuple[str, int]:
        data = self.files[upload.file_id]
        if len(data) > limit:
            raise DownloadError("too big")
        dest.write_bytes(data)
        return hashlib.sha256(data).hexdigest(), len(data)

    async def members(self, channel: str) -> set[str] | None:
        return self.rooms.get(channel)

    # ---- its own event wiring: what the toy's "SDK" would call ----
    async def on_file(self, file_id: str, name: str, room: str, user: str) -> None:
        upload = Upload(file_id, room, thread=file_id, user=user, name=name, recording=is_recording(name))
        await self.accept(upload)

    async def on_text(self, text: str, room: str, user: str) -> str:
        n = len(self.messages)
        await self.command(text, room, user, Place(room, thread=None), key=f"cmd-{n}")
        return self.messages[f"m{n + 1}"]["text"]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["kind"] == kind]


@pytest.fixture
async def toy(tmp_path, monkeypatch):
    monkeypatch.setitem(PLATFORMS, "toy", PlatformSpec("toy", ToyPlatform, "in memory"))  # the registry line
    settings = load_settings(
        {"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db"), "IB_POLL_S": "0.05"}
    )
    service = Service(settings, engine_factory=fake_engine_factory(settings.engine))
    [platform] = platform_apps(service, ["toy"])
    await service.start()
    await platform.start()
    yield platform
    await platform.stop()
    await service.stop()
    service.db.close()


async def test_a_toy_platform_gets_the_whole_flow(toy):
    toy.rooms["room"] = {"alice"}
    toy.files["f1"] = (FIXTURES / "zh_short.flac").read_bytes()
    toy.files["doc"] = b"%PDF-1.4"
    await toy.on_file("f1", "张三_一面.flac", "room", "alice")
    await toy.on_file("f1", "张三_一面.flac", "room", "alice")  # the same file again: taken once
    await toy.on_file("doc", "cv.pdf", "room", "alice")  # not a recording: ignored silently
    report = (await until(lambda: toy.of_kind("report")))[0]
    assert report["to"] == Place("room", "f1") and "/r/" in report["text"]
    [ack] = toy.of_kind("status")
    assert ack["to"] == Place("room", "f1") and ack["text"] == say("done", "zh") and ack["edits"] >= 1
    await toy.sweep()  # a missed-report sweep finds nothing left to post
    assert len(toy.of_kind("report")) == 1

    listed = await toy.on_text("list", "room", "alice")
    interview_id = listed.split("`")[1]
    assert "张三" in listed
    assert "分库分表" in await toy.on_text("search 分库分表", "room", "alice")
    assert say("no_access", "en") in await toy.on_text(f"report {interview_id}", "elsewhere", "mallory")
    assert "REPORT" in await toy.on_text(f"report {interview_id}", "elsewhere", "admin")


def test_the_registry_names_every_platform():
    assert {"slack", "feishu"} <= set(PLATFORMS)
    with pytest.raises(ValueError, match="unknown platform"):
        platform_apps(None, ["teams"])  # type: ignore[arg-type]
