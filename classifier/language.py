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
from functools import lru_cache

from classifier import wordlists
from classifier.normalise import QUOTE_PLACEHOLDER, SEP, clean_batch

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


def detect_joined(blob: str) -> list[str]:
    """:func:`detect` for messages already cleaned and joined by
    :data:`~classifier.normalise.SEP` (as :func:`~classifier.normalise.clean_joined`
    returns them)."""
    return [detect_cleaned(text) for text in blob.split(SEP)]
