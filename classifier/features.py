"""Features that make the structure of a message visible: scope, address, word classes.

A bag of words copies the label of the nearest words. These features add what generalises:

* **Scope** — words inside quotation marks get a ``q_`` prefix, words after a reporting verb
  ("calling", "zei dat") an ``r_`` prefix, words after a negation an ``n_`` prefix. "you are
  not stupid" then differs from "you are stupid", and "calling her a slut is not OK" from
  "she is a slut".
* **Word classes** (:mod:`classifier.lexicon`) — every identity group becomes ``IDENTITY``,
  you/je/jij/jullie ``YOU``, sukkel/idiot ``INSULT``, and so on, in both languages, so a
  pattern learnt for one group or language carries to the others.
* **N-grams over both sequences** — surface words and bigrams, and bigrams and trigrams of
  the class sequence, plus pairs of classes that co-occur within a few words ("YOU ... INSULT").

Who is named does not decide (issue 12, point 5): a class token never stands alone, a class
n-gram or pair counts only when it holds a hostile class (an insult, slur, threat ...), and
the words that only say *who* or *how* — you, a person, a group, a negation, a modal verb —
have no feature of their own: they count only in bigrams and scope, next to what is said.

Everything after tokenising is numpy over the whole batch: n-grams are integer keys looked up
in a sorted array, so there is no Python work per n-gram.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import repeat
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.lexicon import CLASSES, LANG_EN, LANG_NL, NEGATORS, OFFENSIVE, REPORT
from classifier.normalise import (
    MAX_WORD,
    SEP,
    deobfuscate_word,
    split_compound,
)

PREFIXES = ("", "n_", "q_", "r_")
OOV, BOUNDARY = 0, 1
_SEPARATOR = "\ue000"  # a private-use character; clean_batch() removes it from input

_NOISE = re.compile(r"[()\[\]{}<>/\\|+=~^&%#]")
_PADDED = [(m, f" {m} ") for m in '.,;:?"'] + [
    ("! ", " ! "), ("!\n", " ! "), (" '", " ' "), ("\n'", " ' "), ("' ", " ' "), ("'\n", " ' ")]
_STOPS = frozenset(".,;:!?\"'") | {_SEPARATOR}
_CONJUNCTIONS = frozenset(
    ["but", "maar", "and", "en", "or", "of", "because", "omdat", "want", "so", "dus"])
_COPULAS = frozenset(["is", "was", "wordt", "werd"])
_REPORT_OBJECTS = frozenset(
    ["that", "dat", "me", "mij", "je", "you", "him", "her", "hem", "haar", "them", "hen", "ze"])
NEGATION_SCOPE, REPORT_SCOPE = 4, 5
#: Classes that say something hostile: only class n-grams and pairs holding one are features.
HOSTILE_CLASSES = frozenset(
    ["SLUR", "INSULT", "THREAT", "DEHUMAN", "NEGADJ", "PROFANITY", "SEXUAL", "EXCLUDE"])
#: Classes whose words only say who is meant, or set a tone (a playful emoji): no unigram
#: feature of their own. A wink alone scored 0.9996 "sexual" when it had one.
TARGET_CLASSES = ("YOU", "PERSON", "IDENTITY", "PLAYFUL")
#: Modal verbs, auxiliaries and negations: they shape a predicate and say nothing alone.
_MODALS = (
    "should must could would can will may might shall need needs have has had do does did be "
    "is are am was were been being cannot moet moeten moest moesten zou zouden kan kun kunt "
    "kunnen mag mogen zal zul zult zullen wil wilt willen hoeft hoeven ben bent zijn waren "
    "wordt worden heb hebt heeft hebben")
FUNCTION_WORDS = frozenset(NEGATORS) | frozenset(_MODALS.split())
#: What :mod:`classifier.normalise` puts for Slack mentions, channels and links.
_PLACEHOLDERS = ("usermention", "channelref", "urlref")
#: A message longer than LONG_MESSAGE_TOKENS is judged by its worst window of WINDOW_TOKENS
#: (overlapping by half) as well as whole, so that ordinary talk around an insult does not
#: dilute it (2,000 characters of padding took an insult from 1.00 to 0.00). Shorter ones,
#: most messages, take the plain path: windows would cost them time and catch little.
WINDOW_TOKENS, LONG_MESSAGE_TOKENS = 8, 16
CORRECTION_CACHE_SIZE = 100_000
#: Dutch puts the verb last ("haar een slet noemen"): these mark the words before them.
_REPORT_BACKWARD = frozenset(
    ["noemen", "noemt", "noemde", "noemden", "genoemd", "uitmaken", "uitgemaakt"])


def tokenise(texts: list[str]) -> list[str]:
    """Split cleaned messages into tokens, with a separator token between messages."""
    return tokenise_joined(SEP.join(texts))


def tokenise_joined(blob: str) -> list[str]:
    """Split cleaned messages joined by :data:`~classifier.normalise.SEP` into tokens.

    Words keep masking symbols inside them (f*ck, a$$hole) for :func:`deobfuscate_word`;
    sentence punctuation and quotation marks become tokens of their own, since they end
    the scope of a negation and delimit a quotation. ``str.replace`` and ``str.split`` do
    the work, so the cost per message stays in C.
    """
    blob = " " + _NOISE.sub(" ", blob.replace("\x1e", _SEPARATOR)) + " "
    for mark, padded in _PADDED:
        if mark in blob:
            blob = blob.replace(mark, padded)
    return blob.split()


class _Windows(NamedTuple):
    """Windows of the long messages of a batch, grouped by message."""

    long: np.ndarray  # the long messages
    group: np.ndarray  # index of each long message's first window
    start: np.ndarray  # first token of each window (position in the batch's ids)
    end: np.ndarray  # one past its last token


def _windows(ids: np.ndarray, width: int, longer_than: int) -> _Windows | None:
    """Windows of ``width`` tokens over every message longer than ``longer_than`` tokens,
    overlapping by half, the last one ending where the message ends; None when no message
    is that long."""
    bounds = np.flatnonzero(ids == BOUNDARY)
    starts = np.concatenate([[0], bounds + 1])
    lengths = np.concatenate([bounds, [len(ids)]]) - starts
    long = np.flatnonzero(lengths > max(longer_than, width))
    if not len(long):
        return None
    stride = max(width // 2, 1)
    per_message = -(-(lengths[long] - width) // stride) + 1
    group = np.cumsum(per_message) - per_message
    owner = np.repeat(long, per_message)
    nth = np.arange(len(owner)) - np.repeat(group, per_message)
    first = starts[owner] + np.minimum(nth * stride, lengths[owner] - width)
    return _Windows(long, group, first, first + width)


def _window_values(weights: np.ndarray, starts: np.ndarray, size: int, windows: _Windows,
                   offset: np.ndarray, all_starts: np.ndarray) -> np.ndarray:
    """Per window and column: the weights of the known occurrences that start in the window,
    summed over the square root of the number of all its occurrences, known or not (as for a
    message), plus ``offset``; -inf for a window without a known one. Prefix sums over token
    positions: linear."""
    def prefix(at: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(np.bincount(at, values, minlength=size))])

    def per_window(summed: np.ndarray) -> np.ndarray:
        return summed[windows.end] - summed[windows.start]

    known = per_window(prefix(starts))
    count = per_window(prefix(all_starts))
    sums = np.column_stack([per_window(prefix(starts, weights[:, j]))
                            for j in range(weights.shape[1])])
    values = sums / np.sqrt(np.maximum(count, 1))[:, None] + offset
    values[known == 0] = -np.inf
    return values


def _hash(keys: np.ndarray, bits: int) -> np.ndarray:
    """Fibonacci hashing of int64 keys to ``bits``-bit slots."""
    mixed = keys.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - bits)).view(np.int64)


def _scope(starts: np.ndarray, stop: np.ndarray, width: int, n: int) -> np.ndarray:
    """Positions within ``width`` tokens after each start (before it, for a negative
    width), up to the first stop token."""
    marked = np.zeros(n, dtype=bool)
    alive = np.ones(len(starts), dtype=bool)
    step = 1 if width > 0 else -1
    for k in range(step, width + step, step):
        pos = starts + k
        alive &= (pos < n) & (pos >= 0)
        alive[alive] &= ~stop[pos[alive]]
        marked[pos[alive]] = True
    return marked


class ContextFeatures(TransformerMixin, BaseEstimator):
    """Vectorise normalised messages into scope-aware word and word-class n-grams.

    Parameters
    ----------
    min_df : int
        Keep n-grams seen in at least this many training messages.
    window : int
        Class pairs are counted when at most this many tokens apart.
    """

    def __init__(self, min_df: int = 2, window: int = 5, class_unigrams: bool = False):
        self.min_df = min_df
        self.window = window
        self.class_unigrams = class_unigrams

    # -- vocabulary -------------------------------------------------------------------
    def _build_vocabulary(self, tokens: list[str]) -> None:
        vocab: dict[str, int] = {"<oov>": OOV, _SEPARATOR: BOUNDARY}
        for name in [p + c for p in PREFIXES for c in CLASSES]:
            vocab["<" + name + ">"] = len(vocab)
        # Curse compounds stay out of the vocabulary: as unknown words they are split (once
        # per distinct word, see _correct) into prefix and noun.
        # A word seen once is left out: new text is full of words the model never saw (names,
        # jargon, other languages), and training must see unknown words as often as scoring.
        seen = Counter(tokens)
        split = {t: split_compound(t) for t, count in seen.items() if count >= 2}
        words = sorted({w for ws in CLASSES.values() for w in ws}
                       | {part for parts in split.values() for part in parts}
                       - {t for t, parts in split.items() if len(parts) > 1}
                       - {_SEPARATOR})
        first = len(vocab)
        for word in words:
            vocab[word] = len(vocab)
        n_base = len(vocab)
        # Scoped copies of every word (n_, q_, r_) get ids after the base words; they are
        # never looked up by string, so the lookup dictionary stays small.
        self.vocabulary_ = vocab
        self.n_base_ = n_base
        self.n_ids_ = n_base + (len(PREFIXES) - 1) * len(words)
        self.scoped_ = {p: np.concatenate([np.arange(first), np.arange(first, n_base)
                                           + i * len(words)])
                        for i, p in enumerate(PREFIXES)}
        word_class = np.arange(self.n_ids_, dtype=np.int64)
        for name, members in CLASSES.items():
            base_ids = [vocab[w] for w in members if word_class[vocab[w]] == vocab[w]]
            for prefix in PREFIXES:
                word_class[self.scoped_[prefix][base_ids]] = vocab["<" + prefix + name + ">"]
        self.word_class_ = word_class
        # Obfuscated spellings seen in training (sh1t, f*ck) point at their plain word.
        canonical = np.arange(n_base, dtype=np.int64)
        for word in words:
            plain = deobfuscate_word(word)
            if plain != word and plain in vocab:
                canonical[vocab[word]] = vocab[plain]
        self.canonical_ = canonical

        def flags(members) -> np.ndarray:
            out = np.zeros(n_base, dtype=bool)
            out[[vocab[w] for w in members if w in vocab]] = True
            return out

        self.single_letter_ = flags(set("abcdefghijklmnopqrstuvwxyz"))
        self.letter_joiner_ = flags({"."})
        self.negator_ = flags(NEGATORS)
        self.reporter_ = flags(REPORT - _REPORT_BACKWARD)
        self.reporter_backward_ = flags(_REPORT_BACKWARD)
        self.quote_ = flags({'"', "'"})
        self.stop_ = flags(_STOPS)
        self.negation_stop_ = flags(_STOPS | _CONJUNCTIONS)
        self.report_stop_ = flags(_STOPS | _COPULAS) & ~flags(_REPORT_OBJECTS)
        self.language_weight_ = (flags(LANG_NL).astype(float) - flags(LANG_EN))
        # Over every id (scoped copies too): which carry no unigram, which are hostile classes.
        target = set().union(*(CLASSES.get(c, ()) for c in TARGET_CLASSES)) | FUNCTION_WORDS
        neutral = np.zeros(self.n_ids_, dtype=bool)
        hostile = np.zeros(self.n_ids_, dtype=bool)
        base_neutral = np.flatnonzero(flags(target | set(_PLACEHOLDERS)))
        for prefix in PREFIXES:
            neutral[self.scoped_[prefix][base_neutral]] = True
            for name in HOSTILE_CLASSES:
                hostile[vocab["<" + prefix + name + ">"]] = True
        self.neutral_ = neutral
        self.hostile_ = hostile

    # -- token ids --------------------------------------------------------------------
    def _correct(self, token: str) -> list[str]:
        """Map an unknown token to known words: deliberate obfuscation (onto an exact
        lexicon word, see :func:`deobfuscate_word`) or a Dutch disease-curse compound.

        Nothing else: guessing typos by edit distance turned ordinary words into slurs
        (webpack, colon, testen, zaken), about 1 in 10 false flags on real chat (issue 12).
        """
        return split_compound(deobfuscate_word(token))

    def _corrected_ids(self, token: str) -> tuple[int, ...]:
        """:meth:`_correct` as ids, remembered: unknown words (names, jargon) recur."""
        if len(token) > MAX_WORD:  # rare, and not worth memory: 100,000 long words add up
            vocab = self.vocabulary_
            return tuple(vocab.get(t, OOV) for t in self._correct(token))
        cache = self.__dict__.setdefault("_corrections", {})
        fixed = cache.get(token)
        if fixed is None:
            if len(cache) >= CORRECTION_CACHE_SIZE:
                cache.clear()
            vocab = self.vocabulary_
            fixed = cache[token] = tuple(vocab.get(t, OOV) for t in self._correct(token))
        return fixed

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never change the live object
        state.pop("_corrections", None)  # a run-time cache: never part of the artifact
        # The hash table is 25 MB of mostly empty slots, derived from keys_: rebuilding it
        # on load (tens of milliseconds) keeps the artifact small and its load fast.
        state.pop("table_key_", None)
        state.pop("table_col_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "keys_" in state and "table_key_" not in state:
            self._build_table()

    def _spaced_letters(self, raw: np.ndarray, tokens: list[str]) -> tuple[np.ndarray, dict]:
        """Words spelt out letter by letter (i d i o t, f . u . c . k): which tokens to keep,
        and the joined word that replaces the first letter of each run. Found with numpy;
        Python only looks at the rare runs of three or more single letters."""
        keep = np.ones(len(raw), dtype=bool)
        letters = np.flatnonzero(self.single_letter_[raw])
        joined: dict[int, str] = {}
        if len(letters) < 3:
            return keep, joined
        gaps = np.diff(letters)
        link = gaps == 1
        two = np.flatnonzero(gaps == 2)
        link[two] = self.letter_joiner_[raw[letters[two] + 1]]
        edges = np.diff(np.concatenate([[0], link.astype(np.int8), [0]]))
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1),
                              strict=True):
            if end - start < 2:
                continue
            positions = letters[start:end + 1]
            word = "".join(tokens[p] for p in positions)
            if len(word) >= 4 or word in OFFENSIVE:
                keep[positions[0] + 1:positions[-1] + 1] = False
                joined[int(positions[0])] = word
        return keep, joined

    def token_ids(self, texts: list[str] | str) -> np.ndarray:
        """Token ids of a batch (a list, or joined by ``SEP``), ``BOUNDARY`` between."""
        tokens = tokenise_joined(texts if isinstance(texts, str) else SEP.join(texts))
        vocab = self.vocabulary_
        raw = np.fromiter(map(vocab.get, tokens, repeat(OOV)), dtype=np.int64,
                          count=len(tokens))
        keep, joined = self._spaced_letters(raw, tokens)
        for position, word in joined.items():
            raw[position] = vocab.get(word, OOV)
            tokens[position] = word
        ids = self.canonical_[raw]
        origin = None
        if joined:
            origin = np.flatnonzero(keep)
            ids = ids[keep]
        unknown = np.flatnonzero(ids == OOV)
        if len(unknown):
            pieces, positions = [], []
            for i in unknown.tolist():
                fixed = self._corrected_ids(tokens[i if origin is None else origin[i]])
                ids[i] = fixed[0]
                if len(fixed) > 1:
                    pieces.append(fixed[1])
                    positions.append(i + 1)
            if pieces:
                ids = np.insert(ids, positions, pieces)
        return self._collapse_placeholders(ids)

    def _collapse_placeholders(self, ids: np.ndarray) -> np.ndarray:
        """One mention, channel or link for a run of them: twenty mentions before an insult
        say no more than one, and must not dilute it."""
        same = np.flatnonzero(ids[1:] == ids[:-1]) + 1
        if not len(same):
            return ids
        vocab = self.vocabulary_
        placeholders = [vocab[w] for w in _PLACEHOLDERS if w in vocab]
        return np.delete(ids, same[np.isin(ids[same], placeholders)])

    def scoped_ids(self, ids: np.ndarray) -> np.ndarray:
        """Replace ids inside a negation, reported speech or a quotation by scoped ids."""
        n = len(ids)
        doc = np.cumsum(ids == BOUNDARY)
        quotes = np.cumsum(self.quote_[ids])
        at_start = np.concatenate([[0], quotes[ids == BOUNDARY]])
        quoted = ((quotes - at_start[doc]) % 2 == 1) & ~self.quote_[ids]
        negated = _scope(np.flatnonzero(self.negator_[ids]), self.negation_stop_[ids],
                         NEGATION_SCOPE, n)
        reported = _scope(np.flatnonzero(self.reporter_[ids]), self.report_stop_[ids],
                          REPORT_SCOPE, n)
        reported |= _scope(np.flatnonzero(self.reporter_backward_[ids]), self.stop_[ids],
                           -NEGATION_SCOPE, n)
        out = ids.copy()
        for prefix, mask in (("n_", negated), ("r_", reported), ("q_", quoted)):
            out[mask] = self.scoped_[prefix][ids[mask]]
        return out

    def own_words(self, text: str) -> str:
        """A cleaned message without the hostile words it does not say itself: an insult,
        slur or threat inside a negation, reported speech or a quotation ("you are not
        stupid", "calling her a slut is not OK") is left out, the rest kept as tokens. A
        negated exclusion stays ("you don't belong here").

        The second stage (:mod:`classifier.semantic`) reads this: sentence embeddings do
        not see scope, and scored "you are not stupid" like "you are stupid".
        """
        tokens = tokenise_joined(text)
        if not tokens:
            return ""
        vocab = self.vocabulary_
        ids = self.canonical_[np.fromiter(map(vocab.get, tokens, repeat(OOV)), dtype=np.int64,
                                          count=len(tokens))]
        classes = self.word_class_[ids]
        # Exclusion is hostile under a negation: "you don't belong here", "niet welkom".
        drop = ((self.scoped_ids(ids) != ids) & self.hostile_[classes]
                & (classes != vocab.get("<EXCLUDE>", -1)))
        return " ".join(t for t, d in zip(tokens, drop.tolist(), strict=True) if not d)

    # -- n-gram keys ------------------------------------------------------------------
    def _keys(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer keys of every feature occurrence, and the message each belongs to."""
        return self._scoped_keys(self.scoped_ids(ids))

    def _scoped_keys(self, ids: np.ndarray, at: np.ndarray | None = None,
                     ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_keys` of ids already through :meth:`scoped_ids`; with ``at``, each
        occurrence is labelled with ``at`` of its first token instead of its message."""
        base = np.int64(self.n_ids_)
        cls = self.word_class_[ids]
        is_class = cls != ids
        doc = np.cumsum(ids == BOUNDARY)
        label = doc if at is None else at
        ok = ids != BOUNDARY
        hostile = self.hostile_[cls]
        # Word classes appear only inside n-grams and pairs, never alone: a group name or
        # "you" on its own must not push a message either way; its context must. Nor do the
        # words that name a target or shape a predicate (you, women, not, should).
        alone = ok & ~self.neutral_[ids] & (ids != OOV)
        # A hostile class stands alone (an unseen slur or insult still counts); the others
        # only with ``class_unigrams``.
        classes = ok & (hostile if not self.class_unigrams else is_class)
        keys, docs = [ids[alone], cls[classes]], [label[alone], label[classes]]

        def gram(seq: np.ndarray, n: int, order: int, extra: np.ndarray | None) -> None:
            m = len(seq) - n + 1
            if m <= 0:
                return
            valid = np.ones(m, dtype=bool)
            key = np.full(m, order, dtype=np.int64)
            for k in range(n):
                valid &= ok[k:k + m]
                key = key * base + seq[k:k + m]
            if extra is not None:
                valid &= extra[:m]
            keys.append(key[valid])
            docs.append(label[:m][valid])

        gram(ids, 2, 2, None)
        if len(ids) > 1:  # class n-grams only around something hostile
            gram(cls, 2, 3, hostile[:-1] | hostile[1:])
        if len(ids) > 2:
            gram(cls, 3, 4, hostile[:-2] | hostile[1:-1] | hostile[2:])
        for gap in range(2, self.window + 1):
            m = len(ids) - gap
            if m <= 0:
                break
            both = (is_class[:m] & is_class[gap:] & (hostile[:m] | hostile[gap:])
                    & (doc[:m] == doc[gap:]))
            keys.append((np.int64(5) * base + cls[:m][both]) * base + cls[gap:][both])
            docs.append(label[:m][both])
        return np.concatenate(keys), np.concatenate(docs)

    # -- estimator API ----------------------------------------------------------------
    def fit(self, X: list[str], y=None, languages=None):
        """Learn the vocabulary and the n-grams seen in at least ``min_df`` messages.

        ``languages`` (``"en"``/``"nl"`` per message), when given, teaches the language
        detector which words are Dutch beyond the built-in function words.
        """
        X = list(X)
        self._build_vocabulary(tokenise(X))
        ids = self.token_ids(X)
        if languages is not None:
            self._learn_languages(ids, np.asarray(languages))
        keys, docs = self._keys(ids)
        pairs = np.unique(np.stack([keys, docs]), axis=1)
        uniq, df = np.unique(pairs[0], return_counts=True)
        self.keys_ = uniq[df >= self.min_df]
        self._build_table()
        return self

    def _learn_languages(self, ids: np.ndarray, languages: np.ndarray) -> None:
        """Add smoothed per-word log-odds of Dutch vs English to the function-word prior."""
        doc = np.cumsum(ids == BOUNDARY)
        dutch = (languages == "nl")[doc]
        n_words = len(self.language_weight_)
        nl = np.bincount(ids[dutch], minlength=n_words)[:n_words] + 0.5
        en = np.bincount(ids[~dutch], minlength=n_words)[:n_words] + 0.5
        log_odds = np.log(nl / nl.sum()) - np.log(en / en.sum())
        self.language_weight_ = np.clip(self.language_weight_ * 2 + log_odds, -4, 4)
        self.language_weight_[[OOV, BOUNDARY]] = 0.0

    # -- key -> column hash table -----------------------------------------------------
    def _build_table(self) -> None:
        """Open-addressing table from n-gram key to column, probed with numpy."""
        bits = max(10, int(np.ceil(np.log2(max(len(self.keys_), 1) * 4))))
        size = 1 << bits
        table_key = np.full(size, -1, dtype=np.int64)
        table_col = np.zeros(size, dtype=np.int32)
        slots = _hash(self.keys_, bits)
        pending = np.arange(len(self.keys_))
        probe = 0
        while len(pending):
            slot = (slots[pending] + probe) & (size - 1)
            free = table_key[slot] == -1
            # Several keys may want one free slot: the first of each takes it.
            _, first = np.unique(slot[free], return_index=True)
            winners = pending[free][first]
            table_key[slot[free][first]] = self.keys_[winners]
            table_col[slot[free][first]] = winners
            placed = np.zeros(len(pending), dtype=bool)
            placed[np.flatnonzero(free)[first]] = True
            pending = pending[~placed]
            probe += 1
        self.table_bits_ = bits
        self.table_key_ = table_key
        self.table_col_ = table_col
        self.max_probe_ = probe

    def _columns(self, keys: np.ndarray) -> np.ndarray:
        """Column of each key, or -1 for a key not in the vocabulary."""
        mask = (1 << self.table_bits_) - 1
        slots = _hash(keys, self.table_bits_)
        stored = self.table_key_[slots]
        found = stored == keys
        col = np.where(found, self.table_col_[slots], -1)
        # Only keys whose first slot held another key probe further (a few percent).
        pending = np.flatnonzero(~found & (stored != -1))
        for probe in range(1, self.max_probe_):
            if not len(pending):
                break
            slot = (slots[pending] + probe) & mask
            stored = self.table_key_[slot]
            hit = stored == keys[pending]
            col[pending[hit]] = self.table_col_[slot[hit]]
            pending = pending[~hit & (stored != -1)]
        return col

    def _occurrences(self, X: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Message of every feature occurrence (known or not), and the message and column of
        every known one."""
        keys, docs = self._keys(self.token_ids(X))
        col = self._columns(keys)
        hit = col >= 0
        return docs, docs[hit], col[hit]

    def transform(self, X: list[str]) -> sp.csr_matrix:
        """Feature matrix: occurrence counts over the square root of the message's total.

        Dividing by the square root of the number of occurrences keeps long and short
        messages on one scale (for binary features it is exactly L2 normalisation). The
        total counts unknown n-grams too: a message of foreign or unseen words is not judged
        by the one word of it the model knows, and cross-fitted scores (where a held-out
        row's rare n-grams have no weight) behave like scores of new text.
        """
        X = list(X)
        every, docs, cols = self._occurrences(X)
        scale = 1.0 / np.sqrt(np.maximum(np.bincount(every, minlength=len(X)), 1))
        matrix = sp.csr_matrix((scale[docs], (docs, cols)), shape=(len(X), len(self.keys_)))
        matrix.sum_duplicates()
        return matrix

    def decisions(self, X: list[str] | str, n: int, coef: np.ndarray, intercept: np.ndarray,
                  languages: bool = False, window_penalty: np.ndarray | None = None,
                  dutch_offset: np.ndarray | None = None, dutch: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
        """``transform(X) @ coef + intercept`` without building the matrix, whether each
        of the ``n`` messages had any known feature, and optionally each one's language.

        ``X`` may be the messages joined by ``SEP`` (as :func:`clean_joined` returns them),
        which saves splitting and joining again. This is the hot path of scoring: one
        weighted ``bincount`` per output column.

        With ``window_penalty`` (one value per column), a message longer than
        :data:`LONG_MESSAGE_TOKENS` tokens gets, per column, the higher of its own value and
        its worst window's value less the penalty: ordinary talk around an insult no longer
        averages it away, while the penalty keeps the many windows of a long benign message
        from raising its false flags much. A window counts the n-grams that start in it.
        Negation, quotation and reported speech are scoped on the whole message, so a window
        that starts after a "not" still knows the word is negated.

        ``dutch_offset`` (one value per column) is added to the value of a Dutch message, and
        of a Dutch window of a long message: Dutch has its own operating point, and a Dutch
        insult inside an English message is judged as Dutch. ``dutch`` says which messages
        are Dutch (by default, from the function words, as :meth:`languages_of`); a window's
        language always comes from its function words.
        """
        ids = self.token_ids(X)
        scoped = self.scoped_ids(ids)
        windows = None
        # Only a batch with that many tokens can hold a long message.
        if window_penalty is not None and len(ids) - n + 1 > LONG_MESSAGE_TOKENS:
            windows = _windows(scoped, WINDOW_TOKENS, LONG_MESSAGE_TOKENS)
        if windows is None:
            keys, docs = self._scoped_keys(scoped)
        else:  # where each occurrence starts, to sum windows from
            keys, starts = self._scoped_keys(scoped, at=np.arange(len(scoped)))
            docs = np.cumsum(scoped == BOUNDARY)[starts]
        cols = self._columns(keys)
        hit = cols >= 0
        counts = np.bincount(docs, minlength=n)  # every occurrence: see transform()
        docs, cols = docs[hit], cols[hit]
        weights = coef[cols]
        sums = np.column_stack([np.bincount(docs, weights=weights[:, j], minlength=n)
                                for j in range(coef.shape[1])])
        out = sums / np.sqrt(np.maximum(counts, 1))[:, None] + intercept
        dutch_weight = self.language_weight_[ids]
        if dutch is None:
            dutch = np.bincount(np.cumsum(ids == BOUNDARY), weights=dutch_weight,
                                minlength=n)[:n] > 0
        if dutch_offset is not None:
            out[dutch] += dutch_offset
        if windows is not None:
            values = _window_values(weights, starts[hit], len(scoped), windows,
                                    intercept - window_penalty, starts)
            if dutch_offset is not None:
                summed = np.concatenate([[0.0], np.cumsum(dutch_weight)])
                values[summed[windows.end] - summed[windows.start] > 0] += dutch_offset
            worst = np.maximum.reduceat(values, windows.group, axis=0)
            out[windows.long] = np.maximum(out[windows.long], worst)
        judged = np.bincount(docs, minlength=n) > 0
        langs = ["nl" if d else "en" for d in dutch.tolist()] if languages else None
        return out, judged, langs

    def languages_of(self, ids: np.ndarray, n: int) -> list[str]:
        """``"nl"`` or ``"en"`` per message, from the function words it uses.

        A message with more Dutch than English function words is Dutch; a tie, such as an
        empty message, counts as English.
        """
        doc = np.cumsum(ids == BOUNDARY)
        dutch = np.bincount(doc, weights=self.language_weight_[ids], minlength=n)
        return ["nl" if s > 0 else "en" for s in dutch[:n].tolist()]

    def languages(self, X: list[str]) -> list[str]:
        """Language of each message (see :meth:`languages_of`)."""
        X = list(X)
        return self.languages_of(self.token_ids(X), len(X))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Readable names of the features (for inspection, not for the hot path)."""
        names = [""] * self.n_ids_
        for word, idx in self.vocabulary_.items():
            names[idx] = word
            for prefix in PREFIXES[1:]:
                scoped = self.scoped_[prefix][idx]
                if scoped != idx:
                    names[scoped] = prefix + word
        base = self.n_ids_
        out = []
        for key in self.keys_.tolist():
            parts = []
            while key >= base:
                key, part = divmod(key, base)
                parts.append(names[part])
            order = key if parts else 1
            label = " ".join(reversed(parts)) if parts else names[key]
            out.append(f"{order}:{label}")
        return np.asarray(out, dtype=object)
