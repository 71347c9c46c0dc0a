"""Which database columns hold Slack user ids in the clear after the demo's flow.

    python benchmarks/ids_at_rest.py     (HAVEN_ROOT=<another checkout> to compare)

Runs ``haven demo`` (an admin sets Haven up, a message is flagged, its target reports it
anonymously to a confidant, they write to each other, the case is closed), keeps its SQLite
file, and prints every column in which a demo user's id appears, and how many distinct ids.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(os.environ.get("HAVEN_ROOT") or Path(__file__).resolve().parent.parent)
sys.path[0] = str(ROOT)  # not benchmarks/, whose classifier.py would shadow the package

from bot import demo  # noqa: E402

IDS = re.compile(r"U0[A-Z0-9]{7}")


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    demo.tempfile.TemporaryDirectory = lambda: contextlib.nullcontext(str(folder))
    assert demo.run(out=lambda *_: None) == 0
    database = sqlite3.connect(folder / "haven.db")
    found: dict[str, set[str]] = {}
    tables = [r[0] for r in database.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        cursor = database.execute(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cursor.description]
        for row in cursor:
            for column, value in zip(columns, row, strict=True):
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                for user in IDS.findall(text):
                    found.setdefault(f"{table}.{column}", set()).add(user)
    people = {demo.ADMIN: "admin", demo.CONFIDANT: "confidant", demo.TARGET: "target/reporter",
              demo.AUTHOR: "author"}
    for column, users in sorted(found.items()):
        print(f"{column:28} {', '.join(sorted(people.get(u, u) for u in users))}")
    concerned = {demo.CONFIDANT, demo.TARGET, demo.AUTHOR}  # the admin's own id may stay
    linking = {c: us & concerned for c, us in found.items()
               if us & concerned and not c.startswith("confidant.")}  # the roster is public
    print(f"distinct user ids: {len(set().union(*found.values()))} in {len(found)} columns; "
          f"ids of the reporter, author or confidant outside the roster: "
          f"{len(set().union(set(), *linking.values()))} in {len(linking)} columns")

if __name__ == "__main__":
    main()
