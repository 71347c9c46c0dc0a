"""Anonymous figures: for the RI&E, the confidant's annual report and ``/haven stats``.

Flags, reports and cases counted by month, category, outcome and channel group, and the
time to a confidant's first response. A small count could point at a person, so every count
from 1 to 4 is hidden ("fewer than 5"), and so is any other count (or total) from which a
hidden one could be worked out exactly. Nothing finer than a month by one dimension exists
here: no days, people, channels, case numbers or text.
"""

from __future__ import annotations

import csv
import html
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import inf
from string import Template

from sqlmodel import Session, col, select

from bot.i18n import Texts
from bot.storage.models import Case, Flag

MIN_COUNT = 5  # counts of 1 to 4 could point at a person
MEASURES = ("flags", "reports", "cases")
CATEGORIES = ("insult", "threat", "sexual", "identity_hate", "profanity", "uncategorised")
OUTCOMES = ("advice", "referred", "withdrawn", "other", "none")  # none: not closed (yet)
DIMENSIONS = {"month": MEASURES, "category": MEASURES, "outcome": ("reports", "cases"),
              "channel_group": MEASURES}
SMALL, HIDDEN = "small", "hidden"  # why a count is not shown: 1 to 4, or it would reveal one
OTHER_GROUP = ""  # channels without a group label
FORMATS = ("md", "csv", "html")


# -- what may be published -----------------------------------------------------------------
@dataclass(frozen=True)
class Count:
    """A count as it may be published: ``value`` is None when hidden, ``hidden`` says why
    (``small``: 1 to 4; ``hidden``: 5 or more, left out so a small count stays hidden)."""

    value: int | None
    hidden: str = ""


@dataclass(frozen=True)
class Table:
    """One dimension (month, category, outcome, channel group): a row of counts per value."""

    dimension: str
    measures: tuple[str, ...]
    rows: tuple[tuple[str, dict[str, Count]], ...]

    def column(self, measure: str) -> list[Count]:
        """The counts of one measure, in row order."""
        return [counts[measure] for _, counts in self.rows]


@dataclass(frozen=True)
class Response:
    """Hours from delivery to the confidant's first response, over the cases that had one;
    ``None`` when fewer than 5 had one."""

    cases: Count
    median_hours: int | None
    p90_hours: int | None


@dataclass(frozen=True)
class Figures:
    """The figures of a period, safe to publish as they are: raw counts never leave
    :func:`figures_between`."""

    start: datetime
    end: datetime  # exclusive
    all_workspaces: bool
    totals: dict[str, Count]
    tables: dict[str, Table]
    response: Response
    until: datetime | None = None  # the period is not over: the figures run up to here

    @property
    def incomplete_month(self) -> str | None:
        """The month (``YYYY-MM``) still running at ``until``, if the period is not over."""
        return f"{self.until:%Y-%m}" if self.until else None

    @property
    def is_year(self) -> bool:
        """Whether the period is one calendar year."""
        first = datetime(self.start.year, 1, 1, tzinfo=UTC)
        return (self.start, self.end) == (first, first.replace(year=first.year + 1))


# -- reading the database --------------------------------------------------------------------
@dataclass(frozen=True)
class _Item:
    """A flag, report or case reduced to what the figures count."""

    at: datetime
    categories: frozenset[str]
    groups: frozenset[str]
    outcome: str = "none"
    response_hours: float | None = None

    @property
    def month(self) -> str:
        return f"{self.at:%Y-%m}"


_CASE_COLUMNS = (Case.id, Case.team_id, Case.joint_key, Case.created_at, Case.status,
                 Case.outcome, Case.categories, Case.channel_group, Case.delivered_at,
                 Case.first_response_at)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; Haven stores UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _categories(text: str) -> frozenset[str]:
    found = {c.strip() for c in text.split(",")} & set(CATEGORIES[:-1])
    return frozenset(found or {"uncategorised"})


def _scoped(query, column, team_id: str | None):
    return query if team_id is None else query.where(column == team_id)


def _flag_items(session: Session, start: datetime, end: datetime,
                team_id: str | None) -> list[_Item]:
    query = select(Flag.created_at, Flag.categories, Flag.channel_group).where(
        Flag.created_at >= start, Flag.created_at < end)
    return [_Item(_utc(at), _categories(categories), frozenset({group}))
            for at, categories, group in session.exec(_scoped(query, Flag.team_id, team_id))]


def _case_rows(session: Session, start: datetime, end: datetime, team_id: str | None) -> list:
    """The reports made in the period, and the reports delivered together with them."""
    query = select(*_CASE_COLUMNS).where(Case.created_at >= start, Case.created_at < end)
    rows = list(session.exec(_scoped(query, Case.team_id, team_id)))
    keys, seen = {row.joint_key for row in rows if row.joint_key}, {row.id for row in rows}
    if keys:
        joint = _scoped(select(*_CASE_COLUMNS).where(col(Case.joint_key).in_(keys)),
                        Case.team_id, team_id)
        rows += [row for row in session.exec(joint) if row.id not in seen]
    return rows


def _outcome(row) -> str:
    if row.status == "withdrawn":
        return "withdrawn"
    if row.outcome is None:
        return "none"
    return row.outcome if row.outcome in OUTCOMES else "other"


def _response_hours(row) -> float | None:
    if row.first_response_at is None:
        return None
    since = _utc(row.delivered_at or row.created_at)
    return max(0.0, (_utc(row.first_response_at) - since).total_seconds() / 3600)


def _report_item(row) -> _Item:
    return _Item(_utc(row.created_at), _categories(row.categories),
                 frozenset({row.channel_group}), _outcome(row), _response_hours(row))


def _case_outcome(outcomes: Iterable[str]) -> str:
    """A joint case goes on while one of its reporters has not withdrawn."""
    going = [outcome for outcome in outcomes if outcome != "withdrawn"]
    if not going:
        return "withdrawn"
    return next((outcome for outcome in going if outcome != "none"), "none")


def _case_item(reports: Sequence[_Item]) -> _Item:
    """One case from the reports delivered together, in the month of its first report."""
    hours = [r.response_hours for r in reports if r.response_hours is not None]
    return _Item(min(r.at for r in reports),
                 frozenset().union(*(r.categories for r in reports)),
                 frozenset().union(*(r.groups for r in reports)),
                 _case_outcome(r.outcome for r in reports), min(hours, default=None))


def _collect(session: Session, start: datetime, end: datetime,
             team_id: str | None) -> dict[str, list[_Item]]:
    """Every flag, report and case of the period, by measure."""
    cases: dict[tuple[str, str], list[_Item]] = defaultdict(list)
    for row in _case_rows(session, start, end, team_id):
        cases[(row.team_id, row.joint_key or f"#{row.id}")].append(_report_item(row))
    reports = [report for group in cases.values() for report in group]
    return {"flags": _flag_items(session, start, end, team_id),
            "reports": [r for r in reports if start <= r.at < end],
            "cases": [c for c in map(_case_item, cases.values()) if start <= c.at < end]}


# -- counting and hiding -----------------------------------------------------------------------
def _months(start: datetime, end: datetime) -> list[str]:
    last = end - timedelta(microseconds=1)
    count = (last.year - start.year) * 12 + last.month - start.month + 1
    return [f"{start.year + (start.month - 1 + i) // 12}-{(start.month - 1 + i) % 12 + 1:02d}"
            for i in range(count)]


def _values(item: _Item, dimension: str) -> Iterable[str]:
    return {"month": (item.month,), "category": item.categories, "outcome": (item.outcome,),
            "channel_group": item.groups}[dimension]


def _row_values(dimension: str, items: dict[str, list[_Item]], start: datetime,
                end: datetime) -> list[str]:
    if dimension != "channel_group":
        return {"month": _months(start, end), "category": list(CATEGORIES),
                "outcome": list(OUTCOMES)}[dimension]
    seen = {group for found in items.values() for item in found for group in item.groups}
    labelled = sorted(seen - {OTHER_GROUP}, key=str.casefold)
    return labelled + [OTHER_GROUP] * (OTHER_GROUP in seen)


def _column(items: list[_Item], dimension: str, rows: list[str]) -> list[int]:
    counter = Counter(value for item in items for value in _values(item, dimension))
    return [counter[row] for row in rows]


_BOUNDS = {SMALL: (1, MIN_COUNT - 1), HIDDEN: (MIN_COUNT, inf)}  # what a reader knows


def _primary(count: int) -> str:
    return SMALL if 0 < count < MIN_COUNT else ""


def _exact(values: list[int], states: list[str]) -> bool:
    """Whether a reader who knows the column's sum (the total), the visible counts and that
    each hidden one is 1-4 or 5+ could narrow a "fewer than 5" down to one number."""
    rest = sum(value for value, state in zip(values, states, strict=True) if state)
    low = sum(_BOUNDS[state][0] for state in states if state)
    high = sum(_BOUNDS[state][1] for state in states if state)
    lower = max(1, rest - (high - (MIN_COUNT - 1)))
    upper = min(MIN_COUNT - 1, rest - (low - 1))
    return SMALL in states and lower >= upper


def _protect(values: list[int]) -> tuple[list[str], bool]:
    """Hide the counts of 1 to 4, then the smallest other counts until none of them can be
    worked out from the total; when even that is not enough, the total must go too.

    The bounds in :func:`_exact` are the same for every small count of a column, so checking
    one range checks them all. Categories overlap (a flag can be an insult and a threat), so
    their counts add up to more than the total: assuming a reader knows that sum errs on the
    side of hiding more."""
    states = [_primary(value) for value in values]
    while _exact(values, states):
        shown = [i for i, value in enumerate(values) if value and not states[i]]
        if not shown:
            return states, True
        states[min(shown, key=values.__getitem__)] = HIDDEN
    return states, False


def _published(value: int, state: str) -> Count:
    return Count(None, state) if state else Count(value)


def _hide(columns: list[list[int]], total: int) -> tuple[list[list[str]], str]:
    """Which counts of one measure to hide, in each of its tables, and its total."""
    total_state = _primary(total)
    if total_state:  # fewer than 5 in all: even which rows are empty would say too much
        return [[SMALL] * len(values) for values in columns], SMALL
    protected = [_protect(values) for values in columns]
    if not any(hide_total for _, hide_total in protected):
        return [states for states, _ in protected], total_state
    # With the total hidden, a table whose counts are all shown would add up to it again:
    # so nothing of this measure is shown but its zeros (a handful of flags all year).
    return [[_primary(v) or (HIDDEN if v else "") for v in values] for values in columns], HIDDEN


def _tables(items: dict[str, list[_Item]], start: datetime,
            end: datetime) -> tuple[dict[str, Table], dict[str, Count]]:
    """The tables and totals, with every count that must be hidden hidden."""
    rows = {dimension: _row_values(dimension, items, start, end) for dimension in DIMENSIONS}
    shown: dict[str, dict[str, list[Count]]] = defaultdict(dict)
    totals = {}
    for measure in MEASURES:
        dimensions = [d for d, measures in DIMENSIONS.items() if measure in measures]
        columns = [_column(items[measure], d, rows[d]) for d in dimensions]
        states, total_state = _hide(columns, len(items[measure]))
        totals[measure] = _published(len(items[measure]), total_state)
        for dimension, values, hidden in zip(dimensions, columns, states, strict=True):
            shown[dimension][measure] = list(map(_published, values, hidden))
    return {d: Table(d, measures, tuple((row, {m: shown[d][m][i] for m in measures})
                                        for i, row in enumerate(rows[d])))
            for d, measures in DIMENSIONS.items()}, totals


def _response(cases: list[_Item]) -> Response:
    hours = [case.response_hours for case in cases if case.response_hours is not None]
    if len(hours) < MIN_COUNT:
        return Response(_published(len(hours), _primary(len(hours))), None, None)
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[-1]
    return Response(Count(len(hours)), round(statistics.median(hours)), round(p90))


def figures_between(session: Session, *, start: datetime, end: datetime,
                    team_id: str | None, now: datetime | None = None) -> Figures:
    """The figures of flags, reports and cases made from ``start`` up to ``end`` (UTC), in
    one workspace or (``team_id=None``) in every workspace in the database. A period that
    is not over at ``now`` is marked so (``until``), and lists no month still to come."""
    start, end = _utc(start), _utc(end)
    now = _utc(now or datetime.now(UTC))
    until = now if start <= now < end else None
    items = _collect(session, start, end, team_id)
    last_month = datetime(now.year, now.month, 1, tzinfo=UTC) + timedelta(days=32)
    rows_end = min(end, last_month.replace(day=1)) if until else end
    tables, totals = _tables(items, start, rows_end)
    return Figures(start, end, team_id is None, totals, tables, _response(items["cases"]),
                   until)


def year_figures(session: Session, *, year: int, team_id: str | None,
                 now: datetime | None = None) -> Figures:
    """The figures of one calendar year (UTC); ``team_id=None`` means every workspace. The
    current year is marked as not over yet."""
    return figures_between(session, start=datetime(year, 1, 1, tzinfo=UTC),
                           end=datetime(year + 1, 1, 1, tzinfo=UTC), team_id=team_id, now=now)


# -- words ---------------------------------------------------------------------------------------
def _shown(count: Count, _: Texts) -> str:
    if count.hidden == SMALL:
        return _("figures.small", min=MIN_COUNT)
    return _("figures.hidden") if count.hidden else str(count.value)


def _month_name(value: str, _: Texts, *, with_year: bool, short: bool = False) -> str:
    year, month = value.split("-")
    name = _(f"figures.{'month_short' if short else 'month'}.{month}")
    return f"{name} {year}" if with_year else name


def long_date(day: date, _: Texts) -> str:
    """A date as people write it: "4 December 2026", "4 december 2026"."""
    return f"{day.day} {_(f'figures.month.{day.month:02d}')} {day.year}"


def _label(dimension: str, value: str, figures: Figures, _: Texts) -> str:
    """A row's name as a person reads it (channel groups are the admins' own labels)."""
    if dimension == "month":
        name = _month_name(value, _, with_year=not figures.is_year)
        if value == figures.incomplete_month:
            name += " " + _("figures.incomplete_month")
        return name
    if dimension == "channel_group":
        return value or _("figures.other_channels")
    return _(f"figures.{dimension}.{value}")


def _period(figures: Figures, _: Texts) -> str:
    if figures.is_year:
        year = str(figures.start.year)
        return f"{year} {_('figures.incomplete_month')}" if figures.until else year
    last = f"{figures.end - timedelta(microseconds=1):%Y-%m}"
    last_name = _month_name(last, _, with_year=True)
    if last == figures.incomplete_month:
        last_name += " " + _("figures.incomplete_month")
    return _("figures.period", first=_month_name(f"{figures.start:%Y-%m}", _, with_year=True),
             last=last_name)


def _intro(figures: Figures, _: Texts) -> str:
    scope = _("figures.scope_all" if figures.all_workspaces else "figures.scope_one")
    text = _("figures.intro", period=_period(figures, _), scope=scope, min=MIN_COUNT)
    if figures.until:
        text += " " + _("figures.incomplete", date=long_date(figures.until.date(), _))
    return text


def _response_text(response: Response, _: Texts) -> str:
    if response.median_hours is None:
        return _("figures.response.hidden", min=MIN_COUNT)
    # the number of cases with a response is not shown: with the case total it would
    # reveal how many had none, which may be fewer than five
    return _("figures.response.shown", median=response.median_hours, p90=response.p90_hours)


def _notes(figures: Figures, _: Texts) -> list[str]:
    """The footnotes: what the hidden counts mean, and why categories add up to more."""
    return [_("figures.note_small", min=MIN_COUNT), _("figures.note_hidden"),
            _("figures.note_categories"), _("figures.made", date=long_date(date.today(), _))]


# -- Markdown --------------------------------------------------------------------------------------
def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in " ".join(text.split()))


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _md_dimension(table: Table, figures: Figures, _: Texts) -> str:
    header = [_(f"figures.dimension.{table.dimension}")]
    header += [_(f"figures.measure.{m}") for m in table.measures]
    rows = [[_md_escape(_label(table.dimension, value, figures, _))]
            + [_shown(counts[m], _) for m in table.measures] for value, counts in table.rows]
    if table.dimension in ("month", "outcome"):  # these add up to the totals
        rows.append([f"**{_('figures.total')}**"]
                    + [_shown(figures.totals[m], _) for m in table.measures])
    return f"## {_(f'figures.heading.{table.dimension}')}\n\n" + _md_table(header, rows)


def render_markdown(figures: Figures, language: str) -> str:
    """The figures as a Markdown document in ``language`` (``en`` or ``nl``)."""
    _ = Texts(language)
    totals = _md_table([_("figures.heading.totals"), _("figures.number")],
                       [[_(f"figures.measure.{m}"), _shown(figures.totals[m], _)]
                        for m in MEASURES])
    parts = [f"# {_('figures.title', period=_period(figures, _))}", _intro(figures, _),
             f"## {_('figures.heading.totals')}\n\n{totals}",
             *(_md_dimension(table, figures, _) for table in figures.tables.values()),
             f"## {_('figures.heading.response')}\n\n{_response_text(figures.response, _)}",
             "\n".join(f"_{note}_  " for note in _notes(figures, _))]
    return "\n\n".join(parts).rstrip() + "\n"


# -- CSV -------------------------------------------------------------------------------------------
def _csv_count(count: Count) -> str:
    if count.hidden == SMALL:
        return f"<{MIN_COUNT}"
    return "x" if count.hidden else str(count.value)


def _csv_text(text: str) -> str:
    """An admin's label, defused for spreadsheets that run cells starting with = + - @."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _csv_rows(figures: Figures) -> Iterable[tuple[str, str, str, str]]:
    for measure in MEASURES:
        yield measure, "total", "all", _csv_count(figures.totals[measure])
    for table in figures.tables.values():
        for measure in table.measures:
            for value, counts in table.rows:
                shown = _csv_text(value) if value else "other channels"
                yield measure, table.dimension, shown, _csv_count(counts[measure])
    response = figures.response
    yield "first_response", "cases", "with_response", _csv_count(response.cases)
    for name, hours in (("median", response.median_hours), ("p90", response.p90_hours)):
        yield "first_response", "hours", name, "x" if hours is None else str(hours)


def render_csv(figures: Figures) -> str:
    """The figures in long format: ``table,dimension,value,count`` (a measure, what it is
    counted by, the value of that, the count). Hidden counts read ``<5`` (1 to 4) or ``x``
    (left out so that a small count cannot be worked out)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("table", "dimension", "value", "count"))
    writer.writerows(_csv_rows(figures))
    return buffer.getvalue()


# -- charts --------------------------------------------------------------------------------------
COLOURS = {"flags": "#0072B2", "reports": "#E69F00"}  # Okabe-Ito: safe for colour blindness
#: A hidden count is drawn as an empty, hatched bar, never as 0: as tall as the most it can be
#: (4) when it is "fewer than 5", as tall as the least it can be (5) when it is left out.
HATCHES = {SMALL: ("////", MIN_COUNT - 1, f"<{MIN_COUNT}"), HIDDEN: ("xx", MIN_COUNT, "?")}
FONT = 11  # points: charts are read printed, in an annual report


def _bars(ax, positions: list[float], counts: list[Count], measure: str, width: float,
          horizontal: bool) -> None:
    """One series: shown counts as solid bars with their number; hidden counts as hatched
    outlines labelled "<5" or "?", so that no reader takes them for 0."""
    draw = ax.barh if horizontal else ax.bar
    values = [count.value or 0 for count in counts]
    solid = draw(positions, values, width, color=COLOURS[measure], label=measure)
    ax.bar_label(solid, labels=[str(v) if v else "" for v in values], fontsize=FONT - 1,
                 padding=2)
    for state, (hatch, height, label) in HATCHES.items():
        at = [p for p, count in zip(positions, counts, strict=True) if count.hidden == state]
        if at:
            hidden = draw(at, [height] * len(at), width, facecolor="white", hatch=hatch,
                          edgecolor=COLOURS[measure], linewidth=1.2)
            ax.bar_label(hidden, labels=[label] * len(at), fontsize=FONT - 1, padding=2,
                         color="#333333")


def _legend(figure, series: dict[str, list[Count]], _: Texts) -> None:
    """Below the chart, across its width: beside it, it would squeeze the bars."""
    from matplotlib.patches import Patch

    handles = [Patch(color=COLOURS[m], label=_(f"figures.measure.{m}")) for m in series]
    states = {count.hidden for counts in series.values() for count in counts}
    handles += [Patch(facecolor="white", edgecolor="#555555", hatch=HATCHES[state][0],
                      label=_(f"figures.chart.{state}", min=MIN_COUNT, max=MIN_COUNT - 1))
                for state in (SMALL, HIDDEN) if state in states]
    figure.legend(handles=handles, fontsize=FONT - 1, frameon=False,
                  loc="outside lower center", ncols=2)


def _chart(name: str, labels: list[str], series: dict[str, list[Count]], _: Texts, *,
           horizontal: bool = False) -> str:
    """A grouped bar chart as inline SVG (text kept as text, so it prints sharply)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "haven",
                                "font.size": FONT, "hatch.linewidth": 0.8}):
        figure = Figure(figsize=(8, 5.2 if horizontal else 4.4), layout="constrained")
        FigureCanvasAgg(figure)  # no pyplot: no global state, no GUI backend
        ax = figure.subplots()
        width = 0.8 / len(series)
        for n, (measure, counts) in enumerate(series.items()):
            offset = (n - (len(series) - 1) / 2) * width
            _bars(ax, [i + offset for i in range(len(labels))], counts, measure, width,
                  horizontal)
        _axes(ax, _(f"figures.chart.{name}"), labels, _("figures.chart.count"), horizontal)
        _legend(figure, series, _)
        return _svg(figure, name)


def _axes(ax, title: str, labels: list[str], unit: str, horizontal: bool) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(title, loc="left", fontsize=FONT + 2)
    axis, values = (ax.yaxis, ax.xaxis) if horizontal else (ax.xaxis, ax.yaxis)
    axis.set_ticks(range(len(labels)), labels)
    values.set_major_locator(MaxNLocator(integer=True))
    (ax.set_xlabel if horizontal else ax.set_ylabel)(unit)
    (ax.set_xlim if horizontal else ax.set_ylim)(0)
    if horizontal:
        ax.invert_yaxis()  # the first category on top
    ax.spines[["top", "right"]].set_visible(False)


def _svg(figure, prefix: str) -> str:
    """The SVG element alone (no XML prolog, no metadata); ids prefixed so that two charts
    in one page never clash."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=dict.fromkeys(("Date", "Creator", "Format",
                                                                 "Type")))
    text = buffer.getvalue()
    text = text[text.index("<svg"):].replace(' id="', f' id="{prefix}-')
    return text.replace("url(#", f"url(#{prefix}-").replace('href="#', f'href="#{prefix}-')


# -- HTML ------------------------------------------------------------------------------------------
_PAGE = Template("""<!DOCTYPE html>
<html lang="$language">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 1.8rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #ccc; padding: .2rem .8rem; text-align: left; }
th + th, td + td { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #888; }
figure { margin: 1rem 0; break-inside: avoid; }
svg { max-width: 100%; height: auto; }
.notes { font-size: .85rem; color: #555; }
@page { size: A4; margin: 18mm; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
               table { break-inside: avoid; } }
</style>
</head>
<body>
$body
</body>
</html>
""")


def _html_table(header: Sequence[str], rows: Iterable[Sequence[str]],
                total: Sequence[str] | None = None) -> str:
    def line(cells: Sequence[str], tag: str = "td", attrs: str = "") -> str:
        inner = "".join(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in cells)
        return f"<tr{attrs}>{inner}</tr>"

    body = [line(row) for row in rows] + ([line(total, attrs=' class="total"')] if total else [])
    return (f"<table>\n<thead>{line(header, 'th')}</thead>\n<tbody>\n" + "\n".join(body)
            + "\n</tbody>\n</table>")


def _html_dimension(table: Table, figures: Figures, _: Texts) -> str:
    header = [_(f"figures.dimension.{table.dimension}")]
    header += [_(f"figures.measure.{m}") for m in table.measures]
    rows = [[_label(table.dimension, value, figures, _)]
            + [_shown(counts[m], _) for m in table.measures] for value, counts in table.rows]
    total = None
    if table.dimension in ("month", "outcome"):  # these add up to the totals
        total = [_("figures.total")] + [_shown(figures.totals[m], _) for m in table.measures]
    heading = html.escape(_(f"figures.heading.{table.dimension}"))
    return f"<h2>{heading}</h2>\n{_html_table(header, rows, total)}"


def _html_charts(figures: Figures, _: Texts) -> list[str]:
    measures = ("flags", "reports")
    charts = []
    for dimension, short in (("month", True), ("category", False)):
        table = figures.tables[dimension]
        labels = [_month_name(v, _, with_year=False, short=True) if short
                  else _label(dimension, v, figures, _) for v, _counts in table.rows]
        if short and figures.incomplete_month:  # the running month, under its bars
            labels = [label + "\n" + _("figures.incomplete_month") if v == figures.incomplete_month
                      else label for label, (v, _counts) in zip(labels, table.rows, strict=True)]
        title = _(f"figures.chart.{dimension}")
        svg = _chart(dimension, labels, {m: table.column(m) for m in measures}, _,
                     horizontal=not short)
        charts.append(f"<figure role=\"img\" aria-label=\"{html.escape(title)}\">\n{svg}"
                      "</figure>")
    return charts


def render_html(figures: Figures, language: str) -> str:
    """The figures as one self-contained HTML page (tables, SVG charts, no external
    resources) to print or attach to the confidant's annual report."""
    _ = Texts(language)
    title = _("figures.title", period=_period(figures, _))
    totals = _html_table([_("figures.heading.totals"), _("figures.number")],
                         [[_(f"figures.measure.{m}"), _shown(figures.totals[m], _)]
                          for m in MEASURES])
    notes = "".join(f"<p>{html.escape(note)}</p>" for note in _notes(figures, _))
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(_intro(figures, _))}</p>",
            f"<h2>{html.escape(_('figures.heading.totals'))}</h2>\n{totals}",
            *_html_charts(figures, _),
            *(_html_dimension(table, figures, _) for table in figures.tables.values()),
            f"<h2>{html.escape(_('figures.heading.response'))}</h2>",
            f"<p>{html.escape(_response_text(figures.response, _))}</p>",
            f'<div class="notes">{notes}</div>']
    return _PAGE.substitute(language=_.language, title=html.escape(title),
                            body="\n".join(body))


def render(figures: Figures, fmt: str, language: str) -> str:
    """The figures as ``md``, ``csv`` or ``html`` (CSV keys are English in any language)."""
    if fmt == "csv":
        return render_csv(figures)
    return {"md": render_markdown, "html": render_html}[fmt](figures, language)


# -- /haven stats ----------------------------------------------------------------------------------
def _stats_section(table: Table, figures: Figures, _: Texts) -> list[str]:
    names = " · ".join(_(f"figures.measure.{m}").lower() for m in table.measures)
    return [f"*{_(f'figures.heading.{table.dimension}')}* ({names})"] + [
        f"• {_label(table.dimension, value, figures, _)}: "
        + " · ".join(_shown(counts[m], _) for m in table.measures)
        for value, counts in table.rows]


def stats_text(session: Session, *, team_id: str, language: str,
               now: datetime | None = None) -> str:
    """The answer to ``/haven stats`` in Slack mrkdwn: the last twelve months, this one
    included and marked as still running, in one workspace, hidden as in the reports.

    Counting the running month is what admins expect of "the last 12 months" (and what
    makes the figures agree with a report made a minute ago). Its price: asked twice, the
    totals can differ by one; counts under 5 stay hidden, so in a small workspace nothing
    shows, and nothing ever says who."""
    now = _utc(now or datetime.now(UTC))
    first = now.year * 12 + now.month - 1 - 11
    start = datetime(first // 12, first % 12 + 1, 1, tzinfo=UTC)
    after = now.year * 12 + now.month  # the month after this one
    end = datetime(after // 12, after % 12 + 1, 1, tzinfo=UTC)
    figures = figures_between(session, start=start, end=end, team_id=team_id, now=now)
    _ = Texts(language)
    totals = " · ".join(f"{_(f'figures.measure.{m}')}: {_shown(figures.totals[m], _)}"
                        for m in MEASURES)
    return "\n".join([
        f"*{_('figures.stats.title', period=_period(figures, _))}*", totals,
        *_stats_section(figures.tables["category"], figures, _),
        *_stats_section(figures.tables["outcome"], figures, _),
        f"*{_('figures.heading.response')}:* {_response_text(figures.response, _)}",
        f"_{_('figures.note_small', min=MIN_COUNT)} {_('figures.note_hidden')}_"])
