"""Word lists built from wordfreq and emoji at build time (``data/wordlists/build.py``).

Read lazily, once per process, the first time a function here is called: none of them is
needed to load the model, and the word list takes about 40 ms to read. Lookups use a sorted
list and :mod:`bisect` rather than a dictionary of 140,000 words (which took 50 ms more to
build and 10 MB more memory).
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cache
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
#: Columns of words.npz and chars.npz.
LANGUAGES = ("en", "nl", "other")


def _load(name: str) -> tuple[list[str], np.ndarray]:
    with np.load(HERE / name) as data:
        keys = data["keys"].tobytes().decode("utf-8").split("\n")
        values = data["values"]
    return keys, values


@cache
def _words() -> tuple[list[str], np.ndarray]:
    return _load("words.npz")


@cache
def _chars() -> tuple[dict[str, int], np.ndarray]:
    keys, values = _load("chars.npz")
    # A missing n-gram gets a bit less than the rarest one each language knows (the last
    # row, index -1). 46,000 n-grams: a dictionary is quicker here than bisecting.
    floor = values.astype(np.float64).min(axis=0) - 1.0
    return {k: i for i, k in enumerate(keys)}, np.vstack([values.astype(np.float64), floor])


def _find(keys: list[str], key: str) -> int:
    i = bisect_left(keys, key)
    return i if i < len(keys) and keys[i] == key else -1


def zipf(word: str) -> tuple[int, int, int] | None:
    """Ten times the Zipf frequency of ``word`` in English, Dutch and other languages (0 where a
    list lacks it), or None when no list has it."""
    keys, values = _words()
    i = _find(keys, word)
    return None if i < 0 else tuple(values[i].tolist())


def is_ordinary(word: str) -> bool:
    """Whether ``word`` is an ordinary English or Dutch word, a technical term or chat
    jargon (see ``data/wordlists/DATACARD.md``)."""
    found = zipf(word)
    return found is not None and (found[0] > 0 or found[1] > 0)


def char_logprobs(ngrams: list[str]) -> np.ndarray:
    """Summed log-probabilities of character n-grams per language (en, nl, other)."""
    index, values = _chars()
    rows = [index.get(g, -1) for g in ngrams]
    return values[rows].sum(axis=0) if rows else np.zeros(len(LANGUAGES))


@cache
def emoji_tokens() -> dict[str, str]:
    """Emoji character or ``:code:`` name (without colons) -> ``emoji_<cldr name>``."""
    text = (HERE / "emoji.tsv").read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines() if line)
