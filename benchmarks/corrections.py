"""How often the model reads a word of real benign chat as a lexicon word it is not.

Run: ``python benchmarks/corrections.py [--model PATH] [--split dev|train]``. For every
message of ``data/real_chat/*.<split>.tsv`` it asks the model's features how each unknown
token is read (deobfuscation, curse-compound split, typo and glued-word fallbacks: the
features' ``_correct``) and counts the messages where a token that is no lexicon word is read
as one (issue 12, point 3: paste -> waste, colon -> clown, zaken -> zakken), how many of
those messages the model flags, and the most frequent such readings. Measuring only: never
pick word lists by looking at the dev rows it prints.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier import load_model  # noqa: E402
from classifier.features import tokenise_joined  # noqa: E402
from classifier.lexicon import CLASSES, OFFENSIVE  # noqa: E402
from classifier.normalise import SEP, clean_joined  # noqa: E402

TARGETS = OFFENSIVE | CLASSES["IDENTITY"]


def misreadings(model, texts: list[str]) -> tuple[int, int, Counter]:
    """Messages with a token read as a lexicon word it is not, how many of them the model
    flags, and the readings ("paste->waste") with their counts."""
    features = model.pipeline["features"]
    flagged = [r.flagged for r in model.classify(texts)]
    messages = flags = 0
    readings: Counter = Counter()
    for text, flag in zip(clean_joined(texts).split(SEP), flagged, strict=True):
        found = []
        for token in tokenise_joined(text):
            if token in features.vocabulary_ or token in TARGETS:
                continue
            read = features._correct(token)
            if read != [token] and any(part in TARGETS for part in read):
                found.append(f"{token}->{'+'.join(read)}")
        if found:
            messages += 1
            flags += flag
            readings.update(found)
    return messages, flags, readings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model artifact (default: the shipped model)")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    args = parser.parse_args(argv)
    model = load_model(args.model)
    print(f"{'set':<16}{'messages':>9}{'misread':>9}{'per 1k':>8}{'flagged':>9}  most frequent")
    for path in sorted((ROOT / "data" / "real_chat").glob(f"*.{args.split}.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            texts = [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
        messages, flags, readings = misreadings(model, texts)
        top = ", ".join(f"{r} ({n})" for r, n in readings.most_common(4))
        name = path.name.split(".")[0]
        print(f"{name:<16}{len(texts):>9,}{messages:>9,}{1000 * messages / len(texts):>8.1f}"
              f"{flags:>9,}  {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
