"""`report` and `doctor` on storage that takes no writes: one line, exit 1, before any transcription."""

from __future__ import annotations

import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import FIXTURES

from bot.storage import Store


@pytest.fixture
def asr_env(cli_env):
    """The remote engine pointed at a stand-in that counts what it is asked: any request is a
    transcription that should not have started (and fails, so nothing is stored either)."""
    asked: list[str] = []

    class Counting(BaseHTTPRequestHandler):
        def do_POST(self):
            asked.append(self.path)
            self.send_error(500)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **cli_env,
        "IB_ASR_ENGINE": "remote",
        "IB_REMOTE_ASR_URLS": f"http://127.0.0.1:{server.server_port}/v1",
    }
    try:
        yield env, asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def read_only_folder(tmp_path):
    """Make folders refuse writes: 0555, and immutable when we run as root (who ignores bits)."""
    made = []

    def make(path):
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o555)
        made.append(path)
        chattr = ["chattr", "+i", str(path)]
        if os.access(path, os.W_OK) and subprocess.run(chattr, capture_output=True).returncode != 0:
            pytest.skip("cannot make a folder read-only here")
        return path

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o755)


def one_error_line(proc) -> str:
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and proc.stdout == "", proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.strip()]
    return line


@pytest.fixture
def read_only_db(tmp_path):
    """A database file that refuses writes: 0444, and immutable when we run as root (who ignores bits)."""
    path = tmp_path / "ib.db"
    Store(path).close()
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root without a way to make a file read-only (chattr)")
    yield path
    if immutable:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_report_on_a_read_only_database_fails_in_one_line_before_transcribing(cli, asr_env, read_only_db):
    env, asked = asr_env
    line = one_error_line(cli({**env, "IB_DB": str(read_only_db)}, "report", str(FIXTURES / "zh_short.flac")))
    assert line.startswith("error: the database ") and "not writable" in line
    assert asked == []  # refused up front: no transcription was started


@pytest.mark.parametrize("folder", ["", "audio", "incoming"])
def test_report_on_a_read_only_data_folder_fails_in_one_line_before_transcribing(
    cli, asr_env, read_only_folder, tmp_path, folder
):
    """The data folder itself, or where recordings are kept (audio/) or arrive (incoming/)."""
    env, asked = asr_env
    data = tmp_path / "data"
    if folder:
        data.mkdir()
    blocked = read_only_folder(data / folder if folder else data)
    line = one_error_line(cli({**env, "IB_DATA_DIR": str(data)}, "report", str(FIXTURES / "zh_short.flac")))
    assert line.startswith("error: the ") and f"{blocked} is not writable: " in line, line
    assert asked == []


def test_report_and_doctor_on_a_data_folder_that_is_a_file(cli, cli_env, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    env = {**cli_env, "IB_DATA_DIR": str(blocker / "data")}
    proc = cli(env, "report", str(FIXTURES / "zh_short.flac"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.strip()]
    assert line.startswith("error: ") and str(blocker) in line
    doctor = cli(env, "doctor")
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    problems = [x for x in doctor.stderr.splitlines() if x.startswith("problem:")]
    assert problems == [f"problem: the data folder {blocker / 'data'} is not writable: Not a directory"]


def test_doctor_on_a_read_only_database_says_so_in_one_line(cli, cli_env, read_only_db):
    proc = cli({**cli_env, "IB_DB": str(read_only_db)}, "doctor")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    problems = [x for x in proc.stderr.splitlines() if x.startswith("problem:")]
    assert len(problems) == 1 and "is not writable: attempt to write a readonly database" in problems[0]
    assert "schema version" in proc.stdout  # still readable, and says what it found


def test_doctor_on_an_unwritable_data_folder(cli, cli_env, tmp_path):
    data = tmp_path / "ro-data"
    data.mkdir()
    data.chmod(0o555)
    try:
        chattr = ["chattr", "+i", str(data)]
        # root ignores the bits: an immutable folder instead
        if os.access(data, os.W_OK) and subprocess.run(chattr, capture_output=True).returncode != 0:
            pytest.skip("cannot make a folder read-only here")
        proc = cli({**cli_env, "IB_DATA_DIR": str(data)}, "doctor")
    finally:
        subprocess.run(["chattr", "-i", str(data)], capture_output=True)
        data.chmod(0o755)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    problems = [x for x in proc.stderr.splitlines() if x.startswith("problem:")]
    assert problems == [
        f"problem: the data folder {data} is not writable: Permission denied"
    ] or problems == [f"problem: the data folder {data} is not writable: Operation not permitted"]
    assert f"data folder: {data} (NOT writable)" in proc.stdout
