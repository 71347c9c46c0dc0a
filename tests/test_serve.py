"""`haven serve` as an operator runs it: only environment variables, a real port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.demo import ADMIN, GENERAL, sample_workspace
from bot.slack_double import BOT_TOKEN, SIGNING_SECRET, SlackDouble, SlackPlayer, wait_for

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def double():
    running = SlackDouble(sample_workspace()).start()
    yield running
    running.stop()


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_haven_serve_answers_signed_commands(tmp_path, double):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=double.api_url, PORT=str(port), PYTHONPATH=str(ROOT),
               DATABASE_URL=f"sqlite:///{tmp_path / 'haven.db'}",
               PATH=str(tmp_path))  # no program at all: as on a machine without Tesseract
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: healthy(url), timeout=30), "haven serve did not come up"
        player = SlackPlayer(url + "/slack/events", double)
        status, body = player.command(ADMIN, f"watch <#{GENERAL}|general>")
        assert status == 200 and "now watches" in json.loads(body)["text"]
        assert (tmp_path / "haven.key").is_file()
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "now watches" not in output and BOT_TOKEN not in output
    assert "created the key file" in output
    # a normal start says what matters: no driver chatter, no warning about Haven's design
    assert "alembic" not in output and "token` will be unused" not in output
    assert "will be ignored" not in output
    warning, = [line for line in output.splitlines() if "Tesseract" in line]
    assert "WARNING" in warning and "still judged by their alt text" in warning
    assert f"listening on http://127.0.0.1:{port}/" in output  # this machine only, by default


def serve_once(tmp_path, **settings: str) -> subprocess.CompletedProcess:
    """`haven serve` with these settings, expected to stop by itself."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    env.update({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "PORT": str(free_port()), "PYTHONPATH": str(ROOT),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'haven.db'}", **settings})
    return subprocess.run([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def one_line_and_exit_2(out: subprocess.CompletedProcess) -> str:
    assert out.returncode == 2, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and BOT_TOKEN not in out.stderr
    return out.stderr.strip().splitlines()[-1]


def test_serve_with_a_token_slack_refuses_says_so_and_exits_2(tmp_path, double):
    line = one_line_and_exit_2(serve_once(tmp_path, SLACK_API_URL=double.api_url,
                                          SLACK_BOT_TOKEN="xoxb-revoked-token"))
    assert line.startswith("haven: Slack refused SLACK_BOT_TOKEN (invalid_auth)")


def test_serve_with_slack_unreachable_says_so_and_exits_2(tmp_path):
    line = one_line_and_exit_2(serve_once(tmp_path,
                                          SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/"))
    assert line.startswith("haven: cannot reach Slack at http://127.0.0.1:")


def test_serve_on_a_port_in_use_says_so_and_exits_2(tmp_path, double):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_and_exit_2(serve_once(tmp_path, SLACK_API_URL=double.api_url,
                                              PORT=str(port)))
    assert line == f"haven: cannot listen on 127.0.0.1:{port} (Address already in use): " \
                   "set HAVEN_HOST or PORT"


def test_migrate_creates_the_schema(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HAVEN_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{tmp_path / 'haven.db'}")
    out = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    import sqlite3

    tables = {r[0] for r in sqlite3.connect(tmp_path / "haven.db").execute(
        "select name from sqlite_master where type='table'")}
    assert {"flag", "evidence", "case", "notice", "auditlog", "alembic_version"} <= tables


def test_demo_shows_each_person_what_they_see():
    out = subprocess.run([sys.executable, "-m", "bot", "demo"], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    for needle in ("Sanne, in a DM from Haven", "[ Report to a confidant ]",
                   "Ingrid, the confidant", "Case HVN-", "Messages Haven posted in channels: 0",
                   "Aisha types: /haven watch #general", "Ingrid, in the Home tab"):
        assert needle in out.stdout
    assert "<#C" not in out.stdout and "<@U" not in out.stdout  # no raw Slack markup
    stats = out.stdout[out.stdout.index("/haven stats"):]
    assert "Flags: fewer than 5" in stats and "Reports: 0" not in stats  # the demo counts
    json.dumps(out.stdout)


def test_instances_starting_together_migrate_one_at_a_time(database_url, tmp_path):
    code = ("import sys; from bot.storage.db import make_engine, migrate; "
            "migrate(make_engine(sys.argv[1])); print('migrated')")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    starting = [subprocess.Popen([sys.executable, "-c", code, database_url], cwd=tmp_path,
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True) for _ in range(3)]
    for process in starting:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0 and out.strip() == "migrated", err[-500:]


# -- without Tesseract: one warning at start, and images are still judged ------------------
@pytest.fixture
def no_tesseract(monkeypatch):
    """Tesseract missing, as on a machine where it was never installed."""
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")


def test_without_tesseract_serve_warns_once_and_says_how_to_install_it(no_tesseract, caplog):
    from bot.server import check_ocr

    with caplog.at_level("WARNING"):
        check_ocr()
    warning, = caplog.records
    assert warning.getMessage().startswith("Tesseract is not installed, so the text in images "
                                           "is not read; images are still judged by")
    assert "apt install tesseract-ocr tesseract-ocr-eng tesseract-ocr-nld" in warning.message


def test_without_tesseract_images_are_judged_by_known_hashes_and_alt_text(no_tesseract, model):
    import io

    from bot.images import dictionary_for, fingerprint, judge
    from tests.imagegen import photo

    def png(name: str) -> bytes:
        buffer = io.BytesIO()
        photo(name, (640, 480)).save(buffer, "PNG")
        return buffer.getvalue()

    dictionary = dictionary_for(model)
    known = fingerprint(png("chelsea"), dictionary)
    verdict = judge(png("chelsea"), model=model, dictionary=dictionary,
                    known=[(7, known.hashes, known.words)])
    assert verdict["matched_known_image"] == 7 and verdict["flagged"]
    verdict = judge(png("coffee"), model=model, dictionary=dictionary, known=[],
                    extra_texts=["nobody wants you on this team, just quit already"])
    assert verdict["flagged"] and verdict["ocr_text"] == ""
