"""What Haven must not keep is erased: expired unreported flags (a skeleton stays for the
figures), cancelled drafts, and a whole workspace when the app is uninstalled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.demo import ADMIN, AUTHOR, GENERAL, TARGET
from bot.slack_double import wait_for
from bot.storage import queries as q
from bot.storage.models import Case, Evidence, Flag, Notice, WatchedChannel
from tests.scenarios import latest_view, report_values, rows, set_up


def test_unreported_flags_expire_and_reported_ones_stay(local):
    set_up(local)
    for target in (TARGET, ADMIN):
        local.player.message(AUTHOR, GENERAL, f"<@{target}> nobody wants you on this team")
    assert wait_for(lambda: len(local.double.dms_to(TARGET)) and len(local.double.dms_to(ADMIN)))
    notice = local.double.dms_to(TARGET)[0]
    local.player.click(TARGET, notice, "haven_report_open")
    local.player.submit(TARGET, latest_view(local), report_values())
    assert wait_for(lambda: rows(local, Case))
    later = datetime.now(UTC) + timedelta(days=31)
    with Session(local.haven.engine) as session:
        assert q.purge_expired(session, now=later) == 1
        session.commit()
    reported, skeleton = sorted(rows(local, Flag), key=lambda f: f.status != "reported")
    assert reported.status == "reported" and reported.evidence_id is not None
    assert skeleton.status == "expired" and skeleton.evidence_id is None
    assert skeleton.author_key == "" and skeleton.categories  # the figures keep their tally
    assert len(rows(local, Evidence)) == 1 and len(rows(local, Notice)) == 1


def test_uninstalling_erases_the_workspace(local):
    set_up(local)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> nobody wants you on this team")
    assert wait_for(lambda: local.double.dms_to(TARGET))
    local.player.event({"type": "app_uninstalled"})
    assert wait_for(lambda: not rows(local, Flag) and not rows(local, WatchedChannel))
    assert rows(local, Evidence) == [] and rows(local, Notice) == []
