"""Long and padded messages: cost of hostile text, and what windows do to scores and flags.

Run: ``python benchmarks/hostile_text.py [--real-chat DIR] [--split dev]``. Prints

* time and tracemalloc peak of classifying one message of 20,000 and 40,000 characters of
  several hostile shapes (one long word, spelt-out letters, unclosed mentions, ...);
* the score of an insult alone, padded with 200 / 2,000 characters of work talk, and after
  twenty mentions;
* the share of Haven's own harassing messages still flagged when padded with 200 / 2,000
  characters of its benign workplace messages;
* flags per 1,000 benign real chat messages (``real_chat``, see its DATACARD.md: the ``train``
  split is for choosing, ``dev`` for reporting), as they are and joined into 600-character
  posts.

``--width`` and ``--penalty`` try other window settings (``WINDOW_TOKENS``, ``WINDOW_PENALTY``).
"""

from __future__ import annotations

import argparse
import csv
import random
import string
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier import features, load_model  # noqa: E402
from classifier import model as model_module  # noqa: E402

ABC = string.ascii_lowercase
SHAPES = {
    "one long word": lambda n: (ABC * (n // 26 + 1))[:n],
    "spelt-out letters": lambda n: (" ".join(ABC) + " ") * (n // 52),
    "letters and stars": lambda n: "a*" * (n // 2),
    "zero-width joiners": lambda n: "f\u200bu\u200bc\u200bk\u200b" * (n // 8),
    "unclosed mentions": lambda n: "<@U1|" * (n // 5),
    "mentions": lambda n: "<@U12345678> " * (n // 13),
    "short words": lambda n: "ok so " * (n // 6),
}
INSULT = "you are a worthless stupid idiot"
WORK = ("Can you update the deployment checklist before Thursday? The staging build failed "
        "again because of the migration order, so I moved the review to the afternoon. ")


def cost(model, text: str) -> str:
    model.pipeline["features"].__dict__.pop("_corrections", None)  # no help from the cache
    start = time.perf_counter()
    model.classify([text])
    seconds = time.perf_counter() - start
    model.pipeline["features"].__dict__.pop("_corrections", None)
    tracemalloc.start()
    model.classify([text])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return f"{seconds:6.2f} s {peak / 1e6:7.1f} MB"


def padded(insult: str, length: int, pad: str = WORK) -> str:
    pad = (pad * (length // len(pad) + 1))[:length]
    return f"{pad[:length // 2]} {insult} {pad[length // 2:]}".strip()


def workplace() -> tuple[list[str], list[str]]:
    rows = []
    for path in sorted((ROOT / "data" / "haven_workplace").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    return ([r["text"] for r in rows if r["label"] == "harassing"],
            [r["text"] for r in rows if r["label"] == "benign"])


def padded_recall(model, harassing: list[str], benign: list[str]) -> str:
    rng = random.Random(0)
    flagged = [t for t, r in zip(harassing, model.classify(harassing), strict=True) if r.flagged]
    sample = rng.sample(flagged, min(400, len(flagged)))
    out = []
    for length in (200, 2_000):
        texts = []
        for text in sample:
            pad = []
            while sum(map(len, pad)) < length:
                pad.append(rng.choice(benign))
            cut = rng.randint(0, len(pad))
            texts.append(" ".join([*pad[:cut], text, *pad[cut:]]))
        out.append(f"{np.mean([r.flagged for r in model.classify(texts)]):.2f}")
    return f"{len(sample)} harassing messages flagged alone; still flagged padded with " \
           f"200 / 2,000 characters: {' / '.join(out)}"


def real_chat(model, folder: Path, split: str) -> None:
    for path in sorted(folder.glob(f"*.{split}.tsv")):
        with path.open(newline="", encoding="utf-8") as handle:
            texts = [row[1] for row in csv.reader(handle, delimiter="\t")][1:]
        posts, post = [], ""
        for text in texts:
            post += text + " "
            if len(post) > 600:
                posts.append(post)
                post = ""
        flags = sum(r.flagged for r in model.classify(texts))
        post_flags = sum(r.flagged for r in model.classify(posts))
        print(f"{path.name:24} {1000 * flags / len(texts):6.1f} per 1,000 messages "
              f"({len(texts)}), {1000 * post_flags / len(posts):6.1f} per 1,000 posts "
              f"({len(posts)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real-chat", type=Path, default=ROOT.parent / "shared" / "data"
                        / "real_chat")
    parser.add_argument("--split", default="dev", choices=["train", "dev"])
    parser.add_argument("--width", type=int, default=features.WINDOW_TOKENS)
    parser.add_argument("--penalty", type=float, default=model_module.WINDOW_PENALTY)
    parser.add_argument("--no-cost", action="store_true", help="skip the hostile shapes")
    args = parser.parse_args()
    features.WINDOW_TOKENS = args.width
    model_module.WINDOW_PENALTY = args.penalty
    model = load_model()
    model.score(["warm-up"])
    print(f"window {args.width} tokens, penalty {args.penalty} log-odds")
    if not args.no_cost:
        for name, make in SHAPES.items():
            print(f"{name:20}" + "   ".join(f"{n:,}: {cost(model, make(n))}"
                                             for n in (20_000, 40_000)))
    scores = [model.score([padded(INSULT, n)])[0] for n in (0, 200, 2_000)]
    mentions = " ".join(f"<@U{i:08d}>" for i in range(20))
    scores.append(model.score([f"{mentions} {INSULT}"])[0])
    print("insult alone / padded 200 / padded 2,000 / after 20 mentions: "
          + " / ".join(f"{s:.2f}" for s in scores))
    print(padded_recall(model, *workplace()))
    if args.real_chat.is_dir():
        real_chat(model, args.real_chat, args.split)
    else:
        print(f"no real chat at {args.real_chat}: skipped")


if __name__ == "__main__":
    main()
