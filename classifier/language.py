"""The language of a message: English, Dutch or another language, even for one word.

Each word votes with its log-frequency in English, Dutch and other languages (German,
French, Spanish, Italian, Portuguese) from wordfreq's lists; a word none of them knows (a
name, a compound, a typo, a new insult) votes with a character 1- to 4-gram naive Bayes
model trained on those lists. Both are built at build time (``data/wordlists/build.py``)
into ``classifier/wordlists/`` and read on first use (about 0.1 s), so neither wordfreq nor
any detector is imported at run time. A word's vote is computed once per process and
remembered, so a message costs a dictionary look-up per word: tens of thousands of
messages per second. The result depends only on the text: no randomness, no hash order.
"""

from __future__ import annotations

import math
import re
import threading
from functools import lru_cache

import numpy as np

from classifier import wordlists
from classifier.normalise import QUOTE_PLACEHOLDER, clean_batch

#: What :func:`detect` returns.
ENGLISH, DUTCH, OTHER = "en", "nl", "other"
_LABELS = (ENGLISH, DUTCH, OTHER)
_LN10 = math.log(10)
#: A list that lacks a word is taken to have it at this Zipf frequency (one in 100 million
#: words): rarer than anything the lists keep.
_ABSENT_ZIPF = 1.0
#: The character model's log-likelihoods are summed over four overlapping n-gram orders;
#: dividing by this keeps an unknown word's vote on the scale of a known word's.
_CHAR_SCALE = 4.0
#: A vote is capped so that one odd word cannot outvote a sentence.
_MAX_VOTE = 8.0
#: Log prior odds of another language against English or Dutch in a Dutch or English
#: workplace: "ja", "no", "prima" and "ok" are words of several languages, and of ours too.
_OTHER_PRIOR = -3.0
#: Unknown words at least this long are tried as compounds of two known words
#: (pleuriscollega = pleuris + collega): Dutch writes its compounds as one word.
_MIN_COMPOUND = 7
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
#: Tokens that normalise.py puts in for Slack markup: not words of any language.
_PLACEHOLDERS = frozenset({"usermention", "channelref", "urlref", QUOTE_PLACEHOLDER})
#: The first this many words decide: more add nothing but time (a 40,000-character message
#: of made-up words took 2 s).
MAX_WORDS = 200


def _ngrams(word: str) -> list[str]:
    padded = f"^{word}$"
    return [padded[i:i + n] for n in (1, 2, 3, 4) for i in range(len(padded) - n + 1)]


#: Remembered votes: 50,000 words take about 10 MB.
@lru_cache(maxsize=50_000)
def word_vote(word: str) -> tuple[float, float, float]:
    """Log-likelihood of ``word`` (lower case) under English, Dutch and other languages,
    relative to the best of the three (so the best is 0 and the others negative)."""
    logs = _known(word) or _compound(word) or (
        wordlists.char_logprobs(_ngrams(word)) / _CHAR_SCALE).tolist()
    best = max(logs)
    return tuple(max(v - best, -_MAX_VOTE) for v in logs)


def _known(word: str) -> list[float] | None:
    zipf = wordlists.zipf(word)
    if zipf is None:
        return None
    return [((z / 10 if z else _ABSENT_ZIPF) - 9) * _LN10 for z in zipf]


def _compound(word: str) -> list[float] | None:
    """Votes of the first split (longest head first) into two known words of three
    letters or more, summed; None when there is none."""
    if len(word) < _MIN_COMPOUND:
        return None
    for cut in range(len(word) - 3, 2, -1):
        head, tail = _known(word[:cut]), _known(word[cut:])
        if head and tail:
            return [h + t for h, t in zip(head, tail, strict=True)]
    return None


def detect_cleaned(text: str) -> str:
    """:func:`detect` for one message already through :func:`~classifier.normalise.clean_batch`
    (lower case, Slack markup and code gone)."""
    totals = [0.0, 0.0, 0.0]
    seen = 0
    for match in _WORD.finditer(text):
        word = match.group(0)
        if word in _PLACEHOLDERS or len(word) > 40:
            continue
        seen += 1
        if seen > MAX_WORDS:
            break
        en, nl, other = word_vote(word)
        totals[0] += en
        totals[1] += nl
        totals[2] += other
    if not seen:
        return ENGLISH
    totals[2] += _OTHER_PRIOR
    # Ties (a message of words every list shares, such as "ok") go to English, then Dutch.
    return _LABELS[max(range(3), key=lambda i: (totals[i], -i))]


def detect(texts: list[str]) -> list[str]:
    """``"en"``, ``"nl"`` or ``"other"`` per raw Slack message. A message without a word
    (only emoji, code, links or nothing) gets the default, ``"en"``, as it always had."""
    return [detect_cleaned(text) for text in clean_batch(list(texts))]


#: A word, or the separator between two messages (``SEP`` holds the record separator).
_WORD_OR_SEP = re.compile(r"\x1e|[^\W\d_]+(?:'[^\W\d_]+)?")
_BOUNDARY = "\x1e"
#: Every token seen so far, by row of :data:`_table`: the token's three votes and whether it
#: counts as a word (the separator and Slack placeholders do not). Emptied when it would
#: grow past _MAX_TOKENS rows (about 2 MB per 50,000); a batch with more distinct tokens
#: than that keeps only its own.
_MAX_TOKENS = 200_000
_index: dict[str, int] = {}
_table = np.zeros((0, 4))
_table_lock = threading.Lock()  # scoring runs on several threads


def _votes(tokens: list[str]) -> np.ndarray:
    """Each token's row of :data:`_table`."""
    with _table_lock:
        rows = _rows(tokens)  # first: it may grow the table
        return _table[rows]


def _rows(tokens: list[str]) -> np.ndarray:
    """Each token's row number in :data:`_table`, adding the tokens not seen before."""
    global _table
    get = _index.get
    rows = [get(t, -1) for t in tokens]
    new = sorted({t for t, r in zip(tokens, rows, strict=True) if r < 0})
    if new:
        if len(_index) + len(new) > _MAX_TOKENS:  # start again: this batch's tokens only
            _index.clear()
            _table = np.zeros((0, 4))
            new = sorted(set(tokens))
        _table = np.vstack([_table, [
            (0.0, 0.0, 0.0, 0.0) if t == _BOUNDARY or t in _PLACEHOLDERS or len(t) > 40
            else (*word_vote(t), 1.0) for t in new]])
        for t in new:
            _index[t] = len(_index)
        rows = [get(t) for t in tokens]
    return np.array(rows, dtype=np.intp)


def detect_joined(blob: str) -> list[str]:
    """:func:`detect` for messages already cleaned and joined by
    :data:`~classifier.normalise.SEP` (as :func:`~classifier.normalise.clean_joined`
    returns them): the same decisions as :func:`detect_cleaned` per message, from one
    regular-expression pass, a dictionary look-up per word and numpy sums over the whole
    batch (this runs for every message Haven scores)."""
    n = blob.count(_BOUNDARY) + 1
    tokens = _WORD_OR_SEP.findall(blob)
    if not tokens:
        return [ENGLISH] * n
    rows = _votes(tokens)
    boundary = np.array([t == _BOUNDARY for t in tokens]) if n > 1 else np.zeros(
        len(tokens), dtype=bool)
    message = np.cumsum(boundary) - boundary  # a separator belongs to the message it ends
    counted = rows[:, 3] > 0
    # The first MAX_WORDS counted words of each message vote.
    rank = np.cumsum(counted)
    first = np.concatenate([[0], rank[np.flatnonzero(boundary)]])[message]
    voting = counted & (rank - first <= MAX_WORDS)
    owner = message[voting]
    totals = np.zeros((n, 3))
    for j in range(3):
        totals[:, j] = np.bincount(owner, weights=rows[voting, j], minlength=n)
    seen = np.bincount(owner, minlength=n) > 0
    totals[:, 2] += _OTHER_PRIOR
    labels = np.array(_LABELS)[np.argmax(totals, axis=1)]  # ties: English, then Dutch
    labels[~seen] = ENGLISH
    return labels.tolist()
