"""Candidates' consent and rights: with IB_REQUIRE_CONSENT=1 a recording waits (held) until consent is
recorded; refusal or withdrawal erases everything about the person and says what could not be erased; an
access request exports it all; consent for a name nobody knows creates nothing by accident."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from fakes import fake_engine_factory
from helpers import FIXTURES

from asr_engine import AudioInputError
from bot.config import load_settings
from bot.consent import ConsentError, notice
from bot.retention import purge
from bot.service import Service, Submission
from bot.storage import Store


def make_service(tmp_path, **env):
    settings = load_settings({"IB_DATA_DIR": str(tmp_path / "data"), "IB_DB": str(tmp_path / "ib.db"), **env})
    svc = Service(settings, engine_factory=fake_engine_factory(settings.engine))
    svc.own_store = Store(settings.db_path)
    return svc


@pytest.fixture
def service(tmp_path):
    svc = make_service(tmp_path, IB_REQUIRE_CONSENT="1")
    yield svc
    svc.own_store.close()
    svc.db.close()


async def submit(service, tmp_path, filename, key):
    src = tmp_path / f"upload-{key}"
    shutil.copy(FIXTURES / "zh_short.flac", src)
    interview_id, _ = await service.submit(
        Submission(path=src, filename=filename, key=key, sha256=key * 8, size_bytes=1)
    )
    return interview_id


def count(service, sql, *args):
    return service.own_store.db.execute(sql, args).fetchone()[0]


async def test_a_recording_without_consent_is_held_and_processed_once_consent_arrives(service, tmp_path):
    interview_id = await submit(service, tmp_path, "王五_一面.flac", "a")
    assert (await service.status(interview_id))["status"] == "held"
    assert await service.worker.finish([interview_id]) == {interview_id: "held"}  # nothing transcribed
    assert count(service, "select count(*) from transcripts") == 0

    outcome = await service.consent.record("王五", "granted", how="cli", actor="cli", note="signed form")
    assert outcome.released == [interview_id] and outcome.consent["state"] == "granted"
    assert (await service.worker.finish([interview_id]))[interview_id] == "done"
    # consent given beforehand: the next recording goes straight through
    second = await submit(service, tmp_path, "王五_二面.flac", "b")
    assert (await service.status(second))["status"] == "queued"


async def test_refusal_erases_the_person_and_says_what_it_could_not(service, tmp_path):
    await service.consent.record("王五", "granted", how="cli", actor="cli", create=True)
    interview_id = await submit(service, tmp_path, "王五_一面.flac", "a")
    await service.worker.finish([interview_id])
    other = await submit(service, tmp_path, "赵六_一面.flac", "c")
    assert count(service, "select count(*) from answers where interview_id = ?", interview_id) > 0

    outcome = await service.consent.record("王五", "withdrawn", how="slack", actor="slack:U1")
    assert outcome.erased == [interview_id]
    assert count(service, "select count(*) from answer_index where key like ?", f"{interview_id}:%") == 0
    for table in ("interviews", "transcripts", "analyses", "segments", "answers", "search_index", "jobs"):
        assert (
            count(
                service,
                f"select count(*) from {table} where {'id' if table == 'interviews' else 'interview_id'} = ?",
                interview_id,
            )
            == 0
        )
    assert count(service, "select count(*) from interviews where id = ?", other) == 1  # nobody else's
    assert any("could not" in line or "outside the bot" in line for line in outcome.not_erased)
    # the refusal itself stays, so the next recording of this person is not even kept
    assert (
        service.own_store.consents.get(service.own_store.candidates.find("王五")["id"])["state"]
        == "withdrawn"
    )
    audit = list(
        service.own_store.db.query("select actor, action from audit_log where action = 'erase-candidate'")
    )
    assert audit == [{"actor": "slack:U1", "action": "erase-candidate"}]
    with pytest.raises(AudioInputError, match="withdrawn consent"):
        await submit(service, tmp_path, "王五_二面.flac", "d")
    assert count(service, "select count(*) from interviews") == 1  # only 赵六's


async def test_consent_for_an_unknown_name_creates_nothing_unless_asked(service):
    with pytest.raises(ConsentError) as err:
        await service.consent.record("Nobody Known", "granted", how="cli", actor="cli")
    assert "--new" in str(err.value)
    assert count(service, "select count(*) from candidates") == 0
    outcome = await service.consent.record("Jane Doe", "granted", how="api", actor="api", create=True)
    assert outcome.consent["candidate"] == "Jane Doe"
    with pytest.raises(ConsentError):
        await service.consent.record("Jane Doe", "maybe", how="cli", actor="cli")


async def test_an_access_request_exports_everything_held_about_the_person(service, tmp_path):
    await service.consent.record("王五", "granted", how="cli", actor="cli", create=True)
    interview_id = await submit(service, tmp_path, "王五_一面.flac", "a")
    await service.worker.finish([interview_id])
    path = await service.consent.export("王五", tmp_path / "out" / "wangwu.zip")
    with zipfile.ZipFile(path) as z:
        person = json.loads(z.read("person.json"))
        assert any(n.startswith("audio/") for n in z.namelist())
    assert person["candidate"]["name"] == "王五" and person["consent"]["state"] == "granted"
    assert person["interviews"][0]["analysis"]["segments"] and person["interviews"][0]["transcript"]
    with pytest.raises(ConsentError):
        await service.consent.export("Nobody", tmp_path / "x.zip")


async def test_an_access_request_withholds_other_peoples_data(service, tmp_path):
    """Colleagues' ids (who voted, who read the report, who uploaded) and the interviewer's own coaching
    figures are not the candidate's: they are replaced by a role or left out, and the export says so."""
    await service.consent.record("王五", "granted", how="slack", actor="U-RECRUITER-1", create=True)
    interview_id = await submit(service, tmp_path, "王五_一面.flac", "a")
    await service.worker.finish([interview_id])
    analysis = service.own_store.interviews.analysis(interview_id)
    competency = next(iter(analysis["competencies"]))
    service.own_store.verdicts.record(interview_id, competency, "agree", "U-REVIEWER-7", "slack")
    service.own_store.audit("U-MANAGER-3", "view", interview_id)
    path = await service.consent.export("王五", tmp_path / "wangwu.zip")
    with zipfile.ZipFile(path) as z:
        raw = z.read("person.json").decode()
    person = json.loads(raw)
    for staff in ("U-REVIEWER-7", "U-MANAGER-3", "U-RECRUITER-1"):
        assert staff not in raw
    held = person["interviews"][0]
    assert "interviewer" not in held["analysis"] and held["analysis"]["competencies"]
    assert held["verdicts"][0]["by"] == "reviewer 1" and held["verdicts"][0]["verdict"] == "agree"
    viewed = next(a for a in held["audit"] if a["action"] == "view")
    assert viewed["by"].startswith("staff ") and person["consent"]["recorded_by"].startswith("staff ")
    assert viewed["by"] != person["consent"]["recorded_by"] and person["withheld"]


async def test_a_held_recording_is_deleted_after_the_waiting_period(service, tmp_path):
    interview_id = await submit(service, tmp_path, "王五_一面.flac", "a")
    later = datetime.now(UTC) + timedelta(days=31)
    assert purge(service.own_store, audio_days=None, text_days=None, held_days=30, at=later)["held"] == 1
    assert count(service, "select count(*) from interviews where id = ?", interview_id) == 0


def test_the_notice_names_the_rights_and_this_deployments_retention():
    zh = notice("zh", 30, None)
    assert "撤回" in zh and "30 天" in zh and "不会仅由自动化处理作出" in zh
    en = notice("en", None, 90)
    assert "withdraw" in en and "90 days" in en and "never solely by automated means" in en


def test_command_line_consent_and_export(tmp_path, monkeypatch, capsys):
    from handlers.cli import main

    monkeypatch.setenv("IB_DB", str(tmp_path / "ib.db"))
    monkeypatch.setenv("IB_DATA_DIR", str(tmp_path / "data"))
    assert main(["consent", "Nobody", "grant"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no candidate called Nobody") and "\n" not in err
    assert main(["consent", "Jane Doe", "grant", "--new", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "granted"
    assert main(["candidate", "Nobody", "--export", "-o", str(tmp_path / "n.zip")]) == 2
    assert "no candidate called Nobody" in capsys.readouterr().err
    assert not (tmp_path / "n.zip").exists()


async def test_messages_an_erasure_cannot_delete_now_are_owed_to_the_platforms_sweep(service, tmp_path):
    await service.consent.record("王五", "granted", how="cli", actor="cli", create=True)
    interview_id = await submit(service, tmp_path, "王五_一面.flac", "a")
    with service.own_store.db.conn:  # the report a Slack app posted earlier (no Slack app in this process)
        service.own_store.db.execute(
            "insert into platform_posts (platform, channel, thread, interview_id, kind, message_id, created_at) "
            "values ('slack', 'C1', '1.1', ?, 'report', '1.2', 'x')",
            [interview_id],
        )
    outcome = await service.consent.record("王五", "withdrawn", how="cli", actor="cli")
    assert any("retries them" in line for line in outcome.not_erased)
    owed = list(service.own_store.db.query("select platform, channel, message_id from retractions"))
    assert owed == [{"platform": "slack", "channel": "C1", "message_id": "1.2"}]
    deleted = []

    async def slack_retract(channel, thread, message_id):
        deleted.append((channel, message_id))
        return True

    service.consent.retractors["slack"] = slack_retract  # a running Slack app registers this
    assert await service.consent.retract_owed("slack") == 1 and deleted == [("C1", "1.2")]
    assert count(service, "select count(*) from retractions") == 0


async def test_merging_two_records_of_one_person_keeps_the_refusal(service, tmp_path):
    await service.consent.record("Wang Wu", "granted", how="cli", actor="cli", create=True)
    await service.consent.record("王五", "refused", how="cli", actor="cli", create=True)
    service.own_store.candidates.merge("王五", "Wang Wu")
    merged = service.own_store.candidates.find("Wang Wu")
    assert service.own_store.consents.get(merged["id"])["state"] == "refused"
    assert count(service, "select count(*) from consents") == 1
