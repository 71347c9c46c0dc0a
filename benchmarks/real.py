"""Haven on real text, side by side with alt-profanity-check: the yardstick of issue 12.

Run: ``python benchmarks/real.py [--model PATH] [--plots DIR] [--json] [--limit N]`` (after
``pip install -e '.[dev]'``). Prints one table per section (see ``classifier/benchmark.py``):
flags and notices per 1,000 benign real messages, recall and false alarms on real labelled
sets, macro-F1 on the functional suite, the words behind false flags, identity bias and the
counterfactual check, then its own runtime. ``haven evaluate --real`` prints the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["evaluate", "--real", *sys.argv[1:]]))
