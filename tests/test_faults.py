"""Faults: the database restarting mid-run, and Slack answering with rate limits, server
errors and time-outs. Afterwards every flag and its evidence exist exactly once and every
due notice was sent exactly once. (Killed workers, a SIGKILL between flag and notice, and
SIGTERM are in tests/test_scaleout.py.)"""

from __future__ import annotations

import time

import pytest

from bot.demo import sample_workspace
from bot.slack_double import SlackDouble, wait_for
from tests import postgres
from tests.scenarios import set_up
from tests.test_scaleout import Fleet, flags_evidence_notices, message, watch_general

HURTFUL = "<@{}> nobody wants you on this team, just quit already"
PEOPLE = [f"U0FLT{n:04d}" for n in range(12)]


@pytest.fixture
def crowd():
    """A workspace with a dozen more colleagues, each the target of one message."""
    workspace = sample_workspace()
    for user in PEOPLE:
        workspace.add_user(user, f"Colleague {user[-4:]}")
    running = SlackDouble(workspace).start()
    yield running
    running.stop()


def notices_per_person(double: SlackDouble) -> dict[str, int]:
    return {user: len(double.dms_to(user)) for user in PEOPLE}


@pytest.mark.slow
def test_the_database_restarting_mid_run_loses_and_repeats_nothing(tmp_path, crowd):
    try:
        own = postgres.own_server()
        database_url, server = own.__enter__()
    except postgres.Unavailable as reason:
        pytest.fail(f"PostgreSQL is needed for this test: {reason}")
    fleet = Fleet(tmp_path, crowd, database_url)
    try:
        fleet.migrate()
        player = fleet.serve()
        watch_general(player)
        send = [player.event(message(n, HURTFUL.format(user)))[0]
                for n, user in enumerate(PEOPLE[:4])]
        assert wait_for(lambda: sum(notices_per_person(crowd).values()) == 4, timeout=30)
        server.stop()  # the database goes away: events are still acked...
        send += [player.event(message(n, HURTFUL.format(user)))[0]
                 for n, user in enumerate(PEOPLE[4:8], start=4)]
        time.sleep(2.0)
        server.start()  # ...and handled when it is back
        send += [player.event(message(n, HURTFUL.format(user)))[0]
                 for n, user in enumerate(PEOPLE[8:], start=8)]
        assert send == [200] * len(PEOPLE)
        done = wait_for(lambda: all(notices_per_person(crowd).values()), timeout=60)
        assert done, fleet.logs()
        time.sleep(1.0)
        assert set(notices_per_person(crowd).values()) == {1}
        flags, evidence, notices = flags_evidence_notices(fleet)
        assert (len(flags), len(set(flags)), evidence) == (12, 12, 12)
        assert notices == ["sent"] * 12
        assert "database unavailable" in fleet.logs()  # the outage was felt, and waited out
    finally:
        fleet.close()
        own.__exit__(None, None, None)


def test_slack_rate_limits_server_errors_and_time_outs_delay_but_never_double_a_notice(local):
    set_up(local)
    local.double.fail("chat.postMessage", times=2, status=429, retry_after=1)
    local.double.fail("conversations.open", times=1, status=503)
    local.double.fail("users.info", times=1, status=500)
    local.player.message("U0MARK001", "C0GENERAL",
                         HURTFUL.format("U0SANNE01"))
    assert wait_for(lambda: local.double.dms_to("U0SANNE01"), timeout=20)
    time.sleep(0.5)
    assert len(local.double.dms_to("U0SANNE01")) == 1
    retried = [a for a in local.double.calls_to("chat.postMessage")]
    assert len(retried) == 3  # two 429s waited out (Retry-After), then sent once


def test_a_slack_time_out_leaves_the_notice_for_the_sweep_and_it_is_sent_once(local):
    from bot.server import recover
    from bot.storage.models import Notice
    from tests.scenarios import rows

    set_up(local)
    local.haven.base_client.timeout = 1  # the double answers after 3 s: a time-out
    local.double.slow("conversations.open", 3, times=3)
    local.player.message("U0MARK001", "C0GENERAL", HURTFUL.format("U0SANNE01"))
    assert wait_for(lambda: rows(local, Notice) and rows(local, Notice)[0].status == "pending"
                    and rows(local, Notice)[0].attempts >= 1, timeout=30)
    assert local.double.dms_to("U0SANNE01") == []
    local.haven.base_client.timeout = 10
    recover(local.haven, local.bolt)
    assert len(local.double.dms_to("U0SANNE01")) == 1
    assert rows(local, Notice)[0].status == "sent"
