"""Build the compact word lists Haven reads at run time (``classifier/wordlists/``).

Run: ``python data/wordlists/build.py`` after ``pip install -e '.[dev]'`` (it needs
``wordfreq`` and ``emoji``; Haven itself does not import either at run time: wordfreq alone
takes ~0.1 s to import and 56 MB to install). The same package versions and inputs give
the same files (rows sorted, no time stamps: checked by rebuilding).

Outputs (see ``data/wordlists/DATACARD.md``):

* ``words.npz`` — ``keys`` (the words, UTF-8, joined by newlines) and ``values`` (one row
  per word: ``en``, ``nl``, ``other``): ten times the Zipf frequency (0 = not in the list)
  of the most frequent words of English and Dutch, and of German, French, Spanish,
  Italian and Portuguese ("other": the highest of those). A word in the English or Dutch
  list, in ``technical.txt`` or mined from the ``train`` splits of ``data/real_chat`` is
  *ordinary*: :func:`classifier.normalise.is_ordinary_word` never corrects it into
  anything. The columns also serve the language decision (:mod:`classifier.language`).
* ``chars.npz`` — the same layout, ``ngram`` -> ``en``, ``nl``, ``other``: log-probabilities
  of character 1- to 4-grams (``^``/``$`` at the word's edges) over the word types of each
  list: the language of a word no list knows (a name, a compound, a typo).
* ``emoji.tsv`` — ``key<TAB>token``: each single-character emoji and each ``:code:`` (the
  emoji package's CLDR names and its aliases, which are GitHub's and mostly Slack's) onto
  one token ``emoji_<cldr name>``.
"""

from __future__ import annotations

import csv
import io
import math
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "classifier" / "wordlists"
sys.path.insert(0, str(ROOT))

#: How many of each language's most frequent words are kept.
TOP = {"en": 100_000, "nl": 100_000}
TOP_OTHER = 12_000
OTHER = ("de", "fr", "es", "it", "pt")
COLUMNS = ("en", "nl", "other")
#: A word of the train chat counts as ordinary when seen this often (jargon, names, nicks).
MIN_CHAT_COUNT = 2
_LETTERS = re.compile(r"[^\W\d_]+")
_CHAT_WORD = re.compile(r"(?<![\w/.@])[a-z]{3,}(?![\w/@])")


def _is_word(word: str) -> bool:
    return word.isalpha() and word == word.lower()


def technical_words() -> set[str]:
    """The hand-written allow list of technical and workplace terms."""
    words = set()
    for line in (HERE / "technical.txt").read_text(encoding="utf-8").splitlines():
        words.update(line.split("#", 1)[0].split())
    return words


def chat_words() -> Counter:
    """Words of the ``train`` splits of data/real_chat (never ``dev``)."""
    counts: Counter = Counter()
    for path in sorted((ROOT / "data" / "real_chat").glob("*.train.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                counts.update(_CHAT_WORD.findall((row.get("text") or "").lower()))
    return counts


def _save(path: Path, keys: list[str], values: np.ndarray) -> None:
    """Keys as one UTF-8 string joined by newlines (split and zipped into a dict in a few
    milliseconds at run time; parsing text rows took 0.4 s), values as an array."""
    joined = np.frombuffer("\n".join(keys).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, keys=joined, values=values)
    path.write_bytes(buffer.getvalue())


def build_words() -> dict[str, dict[str, int]]:
    from wordfreq import top_n_list, zipf_frequency

    from classifier.lexicon import DUTCH_INSULTS, OFFENSIVE

    table: dict[str, dict[str, int]] = {}
    for lang, n in [*TOP.items(), *((lang, TOP_OTHER) for lang in OTHER)]:
        column = lang if lang in TOP else "other"
        for word in top_n_list(lang, n):
            if _is_word(word):
                zipf = round(zipf_frequency(word, lang) * 10)
                row = table.setdefault(word, {"en": 0, "nl": 0, "other": 0})
                row[column] = max(row[column], zipf)
    ordinary_extra = technical_words()
    counts = chat_words()
    # Jargon and nicks of real developer chat; never a lexicon word (those need no
    # protection from correction, and a misspelt insult must not become "ordinary").
    ordinary_extra |= {w for w, c in counts.items()
                       if c >= MIN_CHAT_COUNT and w not in table and w not in OFFENSIVE}
    for word in ordinary_extra:
        # Zipf 1.0 marks "ordinary, frequency unknown"; en/nl from the word's own lists
        # when wordfreq knows it at all.
        row = table.setdefault(word, {"en": 0, "nl": 0, "other": 0})
        if not (row["en"] or row["nl"]):
            row["en"] = max(10, round(zipf_frequency(word, "en") * 10))
            row["nl"] = round(zipf_frequency(word, "nl") * 10)
    # Haven's Dutch insults are Dutch, though wordfreq lacks most compounds and diminutives,
    # and German shares some ("rund"): one-word Dutch insults were taken for English.
    for word in DUTCH_INSULTS:
        row = table.setdefault(word, {"en": 0, "nl": 0, "other": 0})
        row["nl"] = max(row["nl"], row["en"] + 1, row["other"] + 1, 20)
    words = sorted(table)
    zipf = np.array([[table[w][c] for c in COLUMNS] for w in words], dtype=np.uint8)
    _save(OUT / "words.npz", words, zipf)
    print(f"words.npz: {len(words):,} words, {len(ordinary_extra):,} technical or chat")
    return table


def _ngrams(word: str) -> list[str]:
    padded = f"^{word}$"
    return [padded[i:i + n] for n in (1, 2, 3, 4) for i in range(len(padded) - n + 1)]


def build_chars(table: dict[str, dict[str, int]]) -> None:
    """Character n-gram naive Bayes over word types (each word counts once: the words a
    list does not know are rare words, whose letters look like other rare words')."""
    counts = {lang: Counter() for lang in ("en", "nl", "other")}
    for word, row in table.items():
        for lang in counts:
            if row[lang] >= 20:  # Zipf ≥ 2: drop the noisiest tail of each list
                counts[lang].update(_ngrams(word))
    vocabulary = sorted(set().union(*counts.values()))
    # Keep n-grams seen at least 3 times in some language: the rest is noise and size.
    vocabulary = [g for g in vocabulary if max(c[g] for c in counts.values()) >= 3]
    totals = {lang: {n: sum(v for g, v in c.items() if len(g) == n) for n in (1, 2, 3, 4)}
              for lang, c in counts.items()}
    logp = np.array([[math.log((counts[lang][gram] + 0.5)
                               / (totals[lang][len(gram)] + 0.5 * len(vocabulary)))
                      for lang in COLUMNS] for gram in vocabulary], dtype=np.float32)
    _save(OUT / "chars.npz", vocabulary, logp.astype(np.float16))
    print(f"chars.npz: {len(vocabulary):,} n-grams")


def _token(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "emoji_" + re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")


def build_emoji() -> None:
    import emoji

    rows: dict[str, str] = {}
    for char, data in sorted(emoji.EMOJI_DATA.items()):
        plain = char.replace("\ufe0f", "")
        token = _token(data["en"].strip(":"))
        names = [data["en"], *data.get("alias", [])]
        if "skin_tone" in data["en"]:  # Slack sends :wave::skin-tone-2: as two codes
            continue
        for name in names:
            code = name.strip(":").lower()
            if re.fullmatch(r"[a-z0-9_+\-]{1,60}", code):
                rows.setdefault(code, token)
        # Sequences are read one emoji at a time (ZWJ is dropped).
        if len(plain) == 1 and plain not in rows:
            rows[plain] = token
    # Slack's own names where they differ from GitHub's (Slack sends these in text).
    rows.update({"simple_smile": "emoji_slightly_smiling_face", "fu": "emoji_middle_finger",
                 "hankey": "emoji_pile_of_poo", "poop": "emoji_pile_of_poo",
                 "shit": "emoji_pile_of_poo", "knife": "emoji_kitchen_knife",
                 "hocho": "emoji_kitchen_knife", "gun": "emoji_pistol",
                 "\U0001f52b": "emoji_pistol"})
    lines = [f"{k}\t{v}" for k, v in sorted(rows.items())]
    (OUT / "emoji.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"emoji.tsv: {len(lines):,} keys")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    table = build_words()
    build_chars(table)
    build_emoji()


if __name__ == "__main__":
    main()
