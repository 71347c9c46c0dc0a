"""A database that another process holds write-locked (a long purge, a migration, a backup
tool): Slack's requests are still answered within its three seconds, the ones Haven could
not take say so, and once the lock is gone every message is judged and notified once."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine

from bot import blocks
from bot.config import sqlite_path
from bot.demo import ADMIN, AUTHOR, COLLEAGUE, CONFIDANT, GENERAL, TARGET
from bot.server import sweep_forever
from bot.slack_double import wait_for
from bot.storage.db import psycopg_url
from bot.storage.models import Evidence
from tests.scenarios import rows, set_up
from tests.test_cases import last_dm, report
from tests.test_purge import on_disk

HURTFUL = "<@{}> nobody wants you on this team, just quit already"
ACK_SECONDS = 3  # Slack's wait for an answer


@contextlib.contextmanager
def write_locked(local):
    """Every table of Haven's database locked against writes, from another connection;
    reads go on (SQLite's write-ahead log, PostgreSQL's EXCLUSIVE mode)."""
    url = local.settings.database_url
    if url.startswith("sqlite"):
        import sqlite3

        holder = sqlite3.connect(sqlite_path(url), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(psycopg_url(url))
    with engine.connect() as holder:
        tables = holder.exec_driver_sql(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
            "WHERE schemaname = current_schema()").scalar()
        holder.exec_driver_sql(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            holder.rollback()
    engine.dispose()


def timed(call) -> tuple[float, object]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


def healthz(local) -> int:
    with urllib.request.urlopen(local.url + "/healthz", timeout=10) as answer:
        return answer.status


def notice_to(local, user: str) -> dict:
    found = wait_for(lambda: [m for m in local.double.dms_to(user)
                              if blocks.REPORT_BUTTON in json.dumps(m)], timeout=30)
    assert found, f"no notice to {user}"
    return found[-1]


def test_a_write_locked_database_hangs_neither_interactions_nor_events(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, HURTFUL.format(TARGET))
    notice = notice_to(local, TARGET)
    assert local.haven.jobs.join(30)
    views, responses = len(local.double.views), len(local.double.responses)

    with write_locked(local), ThreadPoolExecutor(12) as pool:
        commands = [pool.submit(timed, lambda: local.player.command(ADMIN, "status"))
                    for _ in range(10)]  # more than the server's threads
        click = pool.submit(timed, lambda: local.player.click(TARGET, notice,
                                                              blocks.REPORT_BUTTON))
        event = timed(lambda: local.player.message(AUTHOR, GENERAL,
                                                   HURTFUL.format(COLLEAGUE)))
        health = timed(lambda: healthz(local))
        commands = [done.result() for done in commands]
        click = click.result()

    assert event[0] < ACK_SECONDS and event[1][0] == 200  # acked: judged once unlocked
    assert health[0] < ACK_SECONDS and health[1] == 200
    for seconds, (status, body) in commands:
        assert seconds < ACK_SECONDS and status == 200
        assert "try again" in json.loads(body)["text"]  # not taken, and told so
    assert click[0] < ACK_SECONDS and click[1][0] == 503  # Slack shows the click failed

    assert notice_to(local, COLLEAGUE)
    assert local.haven.jobs.join(30)
    assert len(local.double.dms_to(COLLEAGUE)) == 1  # the event, judged once
    assert len(local.double.responses) == responses  # no late answer to a refused command
    assert len(local.double.views) == views  # the refused click opened nothing
    status, body = local.player.command(ADMIN, "status")
    assert status == 200 and "try again" not in body
    assert local.player.click(TARGET, notice, blocks.REPORT_BUTTON)[0] == 200
    assert wait_for(lambda: len(local.double.views) == views + 1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_withdrawal_is_compacted_off_the_disk_by_the_maintenance_thread(local):
    path = sqlite_path(local.settings.database_url)
    stop = threading.Event()
    maintenance = threading.Thread(target=sweep_forever, args=(local.haven, local.bolt, stop))
    maintenance.start()
    try:
        report(local)
        cipher = rows(local, Evidence)[0].cipher
        assert cipher in on_disk(path)  # the test can see it (in the write-ahead log)
        confirmation = last_dm(local, TARGET, "was sent to")
        status, _ = local.player.click(TARGET, confirmation, blocks.WITHDRAW_BUTTON)
        assert status == 200
        assert last_dm(local, CONFIDANT, "was withdrawn")
        assert wait_for(lambda: cipher not in on_disk(path), timeout=30)
    finally:
        stop.set()
        maintenance.join()
