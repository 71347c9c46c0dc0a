"""Make the pictures in docs/: what each person gets from Haven.

    python docs/make_pictures.py            # needs chromium for the report's screenshot

* ``what-people-see.md``: the notice, the case DM and the Home tabs as `haven demo` shows
  them (English), and a Dutch workspace's notice, "Laat maar" and Home (Dutch);
* ``yearly-report-nl.html`` and ``yearly-report-nl.png``: `haven report --format html` for
  a sample year that is still running, and a headless-Chromium screenshot of it.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bot import blocks, demo, render  # noqa: E402
from bot.figures import render_html, year_figures  # noqa: E402
from bot.slack_double import wait_for  # noqa: E402
from bot.storage.db import make_engine, migrate, session_scope  # noqa: E402
from bot.storage.models import Case, Flag  # noqa: E402

#: A sample year (flags per month, reports per month): small counts must be hidden.
FLAGS = {1: 14, 2: 9, 3: 3, 4: 11, 5: 17, 6: 8, 7: 2, 8: 6, 9: 12, 10: 15, 11: 10, 12: 4}
REPORTS = {1: 2, 2: 0, 3: 6, 4: 1, 5: 7, 6: 0, 7: 0, 8: 3, 9: 5, 10: 8, 11: 6, 12: 1}
KINDS = ("insult", "insult", "threat", "sexual", "identity_hate", "insult,profanity")
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def sample_year(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        for month, count in FLAGS.items():
            for n in range(count):
                session.add(Flag(team_id="T1", event_id=f"E{month}-{n}", channel_id="C1",
                                 message_ts="1.1", author_key="k", score=0.9,
                                 categories=KINDS[n % len(KINDS)], channel_group="Sales",
                                 created_at=datetime(2026, month, 1 + n % 6, 9, tzinfo=UTC)))
        for month, count in REPORTS.items():
            for n in range(count):
                at = datetime(2026, month, 1 + n % 6, 10, tzinfo=UTC)
                session.add(Case(team_id="T1", number=f"HVN-{month:02d}{n:03d}",
                                 reporter_key="r", status="closed", outcome="advice",
                                 categories=KINDS[n % len(KINDS)], channel_group="Sales",
                                 created_at=at, delivered_at=at, first_response_at=at))
    with session_scope(engine) as session:
        page = render_html(year_figures(session, year=2026, team_id=None, now=NOW), "nl")
    engine.dispose()
    (HERE / "yearly-report-nl.html").write_text(page, encoding="utf-8")


def screenshot(html: Path, png: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--no-first-run",
                        f"--user-data-dir={profile}", "--hide-scrollbars",
                        "--window-size=1000,2600", f"--screenshot={png}", html.as_uri()],
                       check=True, capture_output=True, timeout=120)


def dutch_workspace(lines: list[str]) -> None:
    """A Dutch workspace: Sanne's Slack is en-US, the workspace's language is Dutch."""
    with tempfile.TemporaryDirectory() as folder, demo.LocalHaven(Path(folder)) as local:
        names = demo._names(local.double)

        def show(title: str, text: str) -> None:
            lines.extend([f"### {title}", "", "```text", text, "```", ""])

        for command in (f"watch <#{demo.GENERAL}|general>", "language nl",
                        f"confidant add <@{demo.CONFIDANT}>"):
            demo.answer(local, demo.ADMIN, command)
        local.player.message(demo.AUTHOR, demo.GENERAL,
                             f"<@{demo.TARGET}> ik weet waar je woont, pas maar op")
        notice = wait_for(lambda: local.double.dms_to(demo.TARGET))[-1]
        show("Sanne's notice (a threat: with where to get urgent help)",
             render.blocks(notice["blocks"], names))
        local.player.click(demo.TARGET, copy.deepcopy(notice), blocks.DISMISS_BUTTON)
        wait_for(lambda: "Genoteerd" in local.double.dms_to(demo.TARGET)[-1]["text"])
        show("… after „Laat maar”", render.blocks(local.double.dms_to(demo.TARGET)[-1]["blocks"],
                                                 names))
        view = demo.home_of(local, demo.TARGET)
        show("Sanne's Home tab", render.view(view, names))


def main() -> int:
    lines = ["# What people see", "",
             "Made by `python docs/make_pictures.py` from Haven's own blocks, rendered as "
             "text (`bot/render.py`): `[ … ]` is a button, `[ ⋯ a | b ]` a menu, "
             "`<select: …>` a drop-down.", "",
             "## English: `haven demo`", "", "```text"]
    demo.run(out=lines.append)
    lines += ["```", "", "## Dutch: a workspace set to `/haven language nl`", "",
              "Sanne's Slack is in English (Slack has no Dutch interface); the workspace's "
              "language wins.", ""]
    dutch_workspace(lines)
    text = "\n".join(lines)
    text = "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
    (HERE / "what-people-see.md").write_text(text, encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        sample_year(f"sqlite:///{folder}/figures.db")
    screenshot(HERE / "yearly-report-nl.html", HERE / "yearly-report-nl.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
