"""Anonymous figures (`haven report`, `/haven stats`) as a reader of the report sees them."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.cli import main
from bot.figures import (
    HIDDEN,
    SMALL,
    Figures,
    render_csv,
    render_html,
    render_markdown,
    stats_text,
    year_figures,
)
from bot.storage.db import session_scope
from bot.storage.models import AuditLog, Case, Flag

SECRETS = ("CSECRETCHAN", "USECRETAUTHOR", "UREPORTERX", "HVN-SECRT", "TSECRETTEAM")
_ids = itertools.count()


def add_flags(engine, month: int, count: int, *, categories: str = "insult", group: str = "",
              team: str = "T1", year: int = 2026, status: str = "open") -> None:
    with session_scope(engine) as session:
        for day in range(count):
            session.add(Flag(team_id=team, event_id=f"Ev{next(_ids)}", channel_id=SECRETS[0],
                             message_ts="1700000000.000100", author_key=SECRETS[1], score=0.93,
                             categories=categories, channel_group=group, status=status,
                             created_at=datetime(year, month, 1 + day % 28, 9, tzinfo=UTC)))


def add_reports(engine, month: int, count: int, *, joint: bool = False, outcome: str = "advice",
                status: str = "closed", response_hours: float | None = None,
                team: str = "T1", year: int = 2026) -> None:
    """``count`` reports; with ``joint`` every two of them were delivered as one case."""
    with session_scope(engine) as session:
        for n in range(count):
            at = datetime(year, month, 1 + n % 28, 10, tzinfo=UTC)
            responded = None if response_hours is None else at + timedelta(hours=response_hours)
            session.add(Case(team_id=team, number=f"{SECRETS[3]}{next(_ids)}",
                             reporter_key=SECRETS[2], status=status, outcome=outcome,
                             categories="threat", channel_group="Sales",
                             joint_key=f"J{month}-{n // 2}" if joint else None, created_at=at,
                             delivered_at=at, first_response_at=responded))


AFTER = datetime(2027, 2, 1, tzinfo=UTC)  # the years of these tests are over


def year(engine, team_id: str | None = "T1", when: int = 2026, now: datetime = AFTER) -> Figures:
    with session_scope(engine) as session:
        return year_figures(session, year=when, team_id=team_id, now=now)


def csv_rows(figures: Figures) -> dict[tuple[str, str, str], str]:
    rows = csv.DictReader(io.StringIO(render_csv(figures)))
    return {(r["table"], r["dimension"], r["value"]): r["count"] for r in rows}


def md_row(markdown: str, label: str) -> list[str]:
    line = next(line for line in markdown.splitlines() if line.startswith(f"| {label} |"))
    return [cell.strip() for cell in line.strip("|").split("|")][1:]


def feasible(ranges: list[range], rest: int, i: int) -> set[int]:
    """The values cell ``i`` can take when the hidden cells add up to ``rest``."""
    sums = {0}
    for j, options in enumerate(ranges):
        if j != i:
            sums = {s + v for s in sums for v in options if s + v <= rest}
    return {v for v in ranges[i] if rest - v in sums}


def assert_nothing_recoverable(figures: Figures) -> None:
    """What a reader with a calculator could do: total minus the visible cells, spread
    over the hidden ones (1-4 where "fewer than 5", 5 or more where "not shown")."""
    for name in ("month", "outcome", "channel_group"):
        table = figures.tables[name]
        for measure in table.measures:
            total, cells = figures.totals[measure], table.column(measure)
            if total.value is None:
                continue
            rest = total.value - sum(c.value for c in cells if c.value is not None)
            hidden = [c for c in cells if c.value is None]
            ranges = [range(1, 5) if c.hidden == SMALL else range(5, rest + 1) for c in hidden]
            for i, cell in enumerate(hidden):
                if cell.hidden == SMALL:
                    assert len(feasible(ranges, rest, i)) > 1, (name, measure)


def test_a_month_with_three_flags_reads_fewer_than_five_never_three(engine):
    add_flags(engine, 2, 3)
    add_flags(engine, 3, 12)
    add_flags(engine, 5, 9)
    figures = year(engine)
    markdown = render_markdown(figures, "en")
    assert md_row(markdown, "February")[0] == "fewer than 5"
    assert csv_rows(figures)[("flags", "month", "2026-02")] == "<5"
    assert figures.tables["month"].column("flags")[1].value is None


def test_twelve_flags_in_march_read_twelve(engine):
    add_flags(engine, 3, 12)
    figures = year(engine)
    assert md_row(render_markdown(figures, "en"), "March")[0] == "12"
    assert csv_rows(figures)[("flags", "month", "2026-03")] == "12"
    assert csv_rows(figures)[("flags", "total", "all")] == "12"


def test_a_visible_total_cannot_reveal_a_hidden_month(engine):
    add_flags(engine, 2, 3)
    add_flags(engine, 3, 12)
    figures = year(engine)
    rows = csv_rows(figures)
    assert rows[("flags", "total", "all")] == "15"
    assert rows[("flags", "month", "2026-03")] == "x"  # else 15 - 12 = 3
    assert "not shown" in md_row(render_markdown(figures, "en"), "March")[0]
    assert_nothing_recoverable(figures)


def test_when_only_the_total_could_reveal_a_small_count_the_total_is_hidden(engine):
    add_flags(engine, 2, 1)
    add_flags(engine, 3, 5)  # hiding 5 is not enough: 6 - (5 or more) leaves exactly 1
    figures = year(engine)
    assert figures.totals["flags"].hidden == HIDDEN
    assert "6" not in csv_rows(figures).values()  # not as a total, nor as all the insults
    assert "5" not in csv_rows(figures).values()
    assert "| Flags | not shown |" in render_markdown(figures, "en")


def test_sparse_realistic_year_keeps_every_hidden_count_hidden(engine):
    for month, count in zip(range(1, 13), (12, 3, 0, 7, 9, 1, 15, 6, 0, 8, 11, 2), strict=True):
        add_flags(engine, month, count, group=("Sales", "Support", "")[month % 3],
                  categories=("insult", "sexual", "")[month % 3])
    add_reports(engine, 1, 6, outcome="advice", response_hours=6)
    add_reports(engine, 4, 2, outcome="referred", response_hours=30)
    add_reports(engine, 9, 1, outcome="other")
    figures = year(engine)
    assert_nothing_recoverable(figures)
    assert not {"1", "2", "3", "4"} & set(csv_rows(figures).values())


def test_the_csv_is_long_format_in_english_and_has_no_count_from_one_to_four(engine):
    add_flags(engine, 1, 2, categories="threat,insult", group="Sales")
    add_flags(engine, 4, 7, categories="", group="")
    add_reports(engine, 4, 3, outcome="referred")
    text = render_csv(year(engine))
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == ["table", "dimension", "value", "count"]
    counts = [row[3] for row in reader]
    assert counts and not {"1", "2", "3", "4"} & set(counts)
    assert "flags,category,uncategorised,7" in text
    assert "flags,channel_group,other channels,x" in text  # else 9 - 7 = 2 in Sales


def test_dutch_output_is_dutch(engine):
    add_flags(engine, 3, 12)
    add_flags(engine, 4, 2)
    add_reports(engine, 3, 6)
    figures = year(engine)
    markdown = render_markdown(figures, "nl")
    assert md_row(markdown, "maart")[0] == "niet getoond"  # else 14 - 12 = 2 in april
    assert md_row(markdown, "april")[0] == "minder dan 5"
    for word in ("Signaleringen", "Meldingen", "Dossiers", "minder dan 5", "vertrouwenspersoon",
                 "Per maand", "Advies gegeven"):
        assert word in markdown
    for english in ("fewer than", "Flags", "Reports", "March", "confidant"):
        assert english not in markdown
    page = render_html(figures, "nl")
    assert '<html lang="nl">' in page and "Signaleringen en meldingen per maand" in page


def test_the_html_page_is_self_contained_with_charts(engine):
    add_flags(engine, 3, 12, group="Sales")
    add_flags(engine, 6, 2)
    add_reports(engine, 3, 5)
    page = render_html(year(engine), "en")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2
    assert "Flags and reports by month" in page and "Flags and reports by category" in page
    assert "fewer than 5: hatched up to 4" in page  # the legend for the hidden months
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.I)
    assert links and all(link.startswith("#") for link in links)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "Counts under 5 (other than 0) are not shown" in page


def test_no_identifier_or_text_reaches_any_output(engine):
    add_flags(engine, 3, 12, team=SECRETS[4], group="Sales")
    add_reports(engine, 3, 6, team=SECRETS[4], response_hours=7)
    figures = year(engine, team_id=SECRETS[4])
    with session_scope(engine) as session:
        stats = stats_text(session, team_id=SECRETS[4], language="en",
                           now=datetime(2026, 6, 1, tzinfo=UTC))
    outputs = [render_markdown(figures, "en"), render_markdown(figures, "nl"),
               render_csv(figures), render_html(figures, "en"), stats]
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output


def test_joint_reports_count_as_one_case(engine):
    add_reports(engine, 5, 10, joint=True, response_hours=8)
    figures = year(engine)
    assert (figures.totals["reports"].value, figures.totals["cases"].value) == (10, 5)
    assert figures.response.median_hours == 8 and figures.response.cases.value == 5


def test_response_time_needs_five_cases_that_had_one(engine):
    add_reports(engine, 5, 8)
    add_reports(engine, 6, 4, response_hours=3)
    figures = year(engine)
    assert figures.response.median_hours is None
    assert "fewer than 5 cases had a response" in render_markdown(figures, "en")


def test_withdrawn_reports_count_as_withdrawn_and_expired_flags_still_count(engine):
    add_reports(engine, 2, 6, outcome=None, status="withdrawn")
    add_flags(engine, 2, 6, status="expired")
    figures = year(engine)
    outcome = dict(figures.tables["outcome"].rows)
    assert outcome["withdrawn"]["reports"].value == 6
    assert figures.totals["flags"].value == 6


def test_one_workspace_or_all(engine):
    add_flags(engine, 3, 6, team="T1")
    add_flags(engine, 3, 7, team="T2")
    add_flags(engine, 3, 9, team="T1", year=2025)
    assert year(engine, team_id="T1").totals["flags"].value == 6
    assert year(engine, team_id=None).totals["flags"].value == 13
    assert "all workspaces" in render_markdown(year(engine, team_id=None), "en")


def test_stats_covers_the_last_twelve_months_this_one_included_in_slack_mrkdwn(engine):
    add_flags(engine, 1, 9, year=2026)
    add_flags(engine, 2, 6, year=2026)  # this month, so far: counted, and marked as running
    add_flags(engine, 2, 7, year=2025)  # 13 months before: left out
    add_flags(engine, 8, 2, year=2025)
    with session_scope(engine) as session:
        text = stats_text(session, team_id="T1", language="nl",
                          now=datetime(2026, 2, 10, tzinfo=UTC))
    assert text.startswith("*Haven: anonieme cijfers, maart 2025 – februari 2026 (loopt nog)*")
    assert "Signaleringen: 17 · Meldingen: 0 · Dossiers: 0" in text
    assert "• Pesten en beledigen: 17 · 0 · 0" in text
    assert "*Per uitkomst* (meldingen · dossiers)" in text
    assert "*Tijd tot de eerste reactie:* Niet getoond" in text


def test_stats_right_after_a_flag_does_not_say_zero(engine):
    now = datetime(2026, 12, 7, 14, tzinfo=UTC)
    add_flags(engine, 12, 1, year=2026)  # the demo: one flag, this morning
    with session_scope(engine) as session:
        text = stats_text(session, team_id="T1", language="en", now=now)
    assert "2026 (so far)" in text  # January to December: this calendar year, running
    assert "Flags: fewer than 5" in text and "Flags: 0" not in text


def test_an_unfinished_year_is_marked_and_lists_no_month_to_come(engine):
    add_flags(engine, 3, 12)
    figures = year(engine, now=datetime(2026, 6, 10, 12, tzinfo=UTC))
    for language, running, through in (("en", "June (so far)", "10 June 2026"),
                                       ("nl", "juni (loopt nog)", "10 juni 2026")):
        markdown = render_markdown(figures, language)
        assert md_row(markdown, running)
        assert through in markdown and ("July" not in markdown and "juli" not in markdown)
    page = render_html(figures, "nl")
    assert "(loopt nog)</text>" in page  # under the running month's bars too
    finished = render_markdown(year(engine), "en")
    assert "so far" not in finished and "| December |" in finished


def test_dates_are_written_as_people_write_them():
    from datetime import date

    from bot.figures import long_date
    from bot.i18n import Texts

    assert long_date(date(2026, 12, 4), Texts("nl")) == "4 december 2026"
    assert long_date(date(2026, 12, 4), Texts("en")) == "4 December 2026"


def test_hidden_counts_are_drawn_unlike_zero(engine):
    add_flags(engine, 3, 12)
    add_flags(engine, 4, 2)  # "fewer than 5" in April, so March is left out too
    page = render_html(year(engine), "en")
    assert "&lt;5</text>" in page or ">&lt;5<" in page  # the bar says "<5", not 0
    assert ">?<" in page  # the count left out to protect April's
    assert "fewer than 5: hatched up to 4" in page and "not shown, to protect" in page
    assert "font-size: 13px" in page or "font: 13px" in page or "13px" in page  # titles


def test_cli_writes_the_report_and_records_it_in_the_audit_log(engine, database_url, tmp_path,
                                                               monkeypatch):
    add_flags(engine, 3, 12)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = tmp_path / "figures.html"
    assert main(["report", "--year", "2026", "--format", "html", "--language", "nl",
                 "--out", str(out)]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")
    with session_scope(engine) as session:
        entries = session.exec(select(AuditLog)).all()
    assert [(e.team_id, e.actor, e.action, e.subject) for e in entries] == [
        ("", "cli", "figures_report", "2026")]


def test_cli_prints_markdown_by_default_for_one_workspace(engine, database_url, tmp_path,
                                                          monkeypatch, capsys):
    add_flags(engine, 3, 12)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["report", "--year", "2026", "--team", "T1"]) == 0
    assert "| March | 12 |" in capsys.readouterr().out
    with session_scope(engine) as session:
        assert session.exec(select(AuditLog.team_id)).all() == ["T1"]


@pytest.mark.parametrize("argv", [["report", "--year", "2026", "--format", "pdf"],
                                  ["report", "--year", "last"], ["report"]])
def test_cli_refuses_a_bad_format_or_year_with_exit_code_2(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "report" in capsys.readouterr().err
