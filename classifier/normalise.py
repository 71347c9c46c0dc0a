"""Turn raw Slack message text into plain, de-obfuscated, lower-case text.

The same function serves training and prediction. A batch is joined into one string and
every step is a single regular-expression or ``str.translate`` pass over it, so the cost per
message is a few microseconds of C rather than Python work per message.

What the author did not write as their own words is not scored (issue 12): code blocks and
inline code, links (``urlref``), file paths and stack traces are removed; a Slack quote
becomes :data:`QUOTE_PLACEHOLDER`. Emoji, as ``:codes:`` or characters, become one token
each, ``emoji_<CLDR name>`` (``classifier/wordlists/emoji.tsv``). Obfuscation (leetspeak,
masking stars, stretched or doubled letters, look-alike letters) is undone only onto an
exact lexicon word, and an ordinary English or Dutch word (:func:`is_ordinary_word`) is
never changed.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from functools import lru_cache

from classifier import wordlists
from classifier.lexicon import COMPOUND_HEADS, CURSE_PREFIXES, EMOJI_PLAYFUL, OFFENSIVE

#: Joins messages of a batch; removed from input first, so it never occurs inside one.
SEP = "\n\x1e\n"
#: What a Slack quote ("> ..." lines, or ">>>" to the end) becomes: a quote is someone
#: else's words, counter-speech or evidence, never the quoter's own insult (issue 12), so
#: its words are not scored at all; the token only says that something was quoted. (Double
#: quotes inside a sentence stay: the features give their words the ``q_`` scope.)
QUOTE_PLACEHOLDER = "quoteref"
#: Longer words are not matched against masked spellings, typos or glued words: no word of
#: the lexicon comes near this length, and it bounds the work per word (issue: a
#: 20,000-letter word cost 400 MB in one-letter-deletion variants).
MAX_WORD = 64

_CODE_BLOCK = re.compile(r"```[^\x1e]*?```")
_INLINE_CODE = re.compile(r"`[^`\n\x1e]*`")
# Slack escapes "<" in message text, so none occurs inside markup. Excluding it keeps each
# failed match from scanning past the next "<": "<@U1|" repeated 4,000 times cost 0.5 s.
_MENTION = re.compile(r"<[@!](?:subteam\^)?[A-Za-z0-9]+(?:\|[^<>\n\x1e]*)?>")
_SPECIAL = re.compile(r"<!(?:here|channel|everyone)(?:\|[^<>\n\x1e]*)?>")
_CHANNEL = re.compile(r"<#[A-Za-z0-9]+(?:\|[^<>\n\x1e]*)?>")
_LABELLED_LINK = re.compile(r"<(?:https?|mailto|tel):[^|<>\s\x1e]*\|([^<>\n\x1e]*)>")
_LINK = re.compile(r"<(?:https?|mailto|tel):[^<>\s\x1e]*>")
_BARE_URL = re.compile(r"https?://[^\s<>\x1e]+")
#: Slack quotes: lines starting with "> " (sent as "&gt; "), several in a row being one quote.
_QUOTED_LINES = re.compile(r"(?m)^(?:&gt;|>)[^\n]*(?:\n(?:&gt;|>)[^\n]*)*")
#: ">>>" quotes the rest of the message (Slack's multi-line quote).
_QUOTED_REST = re.compile(r"(?m)^(?:&gt;|>){3}(?:[^\x1e\n]|\n(?!\x1e))*")
#: Bare URLs, as IRC and pasted text have them (Slack itself wraps them in <...>).
_URL_ANYWHERE = re.compile(r"(?:https?|ftp)://[^\s<>\x1e]+|www\.[\w-]+\.[^\s<>\x1e]+")
#: File paths: /usr/lib/x, ~/bin, ./src/foo.py, ../x, C:\\Users\\x, src/foo/bar.py, matched
#: against whole whitespace-separated chunks (a pattern searched through the text took
#: 30 µs per message). "and/or", "he/him" and "12/05" are not paths: a path starts at "/",
#: "~/", "./" or a drive letter, or ends in a file extension.
_PATH = re.compile(
    r"(?:~|\.{1,2})?/(?:[\w.@+\-]+/)+[\w.@+\-]*|(?:~|\.{1,2})/[\w.@+\-]+"
    r"|[A-Za-z]:\\[^\s<>|\"]*"
    r"|[\w.\-]+(?:/[\w.\-]+)+\.[A-Za-z][A-Za-z0-9]{0,5}")
_CHUNKS = re.compile(r"(\s+)")
_CHUNK_EDGES = "()[]{}<>\"'`,;:!?="
#: Stack traces: Python's (header to exception line), Java/JS/.NET "at ...(file:line)"
#: frames, "Caused by:", "... 12 more", and Python "File ..., line N" frames.
_TRACEBACK = re.compile(
    r"(?m)^[ \t]*Traceback \(most recent call last\):[^\n]*(?:\n[ \t]+[^\n]*)*"
    r"(?:\n[\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b[^\n]*)?")
_TRACE_LINE = re.compile(
    r"(?m)^[ \t]*(?:at [^\s(]+ ?\((?:[^\n)]*:\d+|Native Method|Unknown Source)[^\n]*\)"
    r"|at [^\s()]*[./][^\s()]*:\d+(?::\d+)?|\.\.\. \d+ more|Caused by: [^\n]*"
    r"|Exception in thread [^\n]*"
    r"|File \"[^\"\n]+\", line \d+[^\n]*(?:\n[ \t]{2,}[^\n]*)?)[ \t]*$")
#: An :emoji: code. Which matches are codes (not inside a word, "std::vector::x" or a time
#: such as "10:30:00") :class:`_EmojiCodes` decides: lookbehinds made the pattern 15 times
#: slower.
_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]{1,60}):")
_HAS_LETTER = re.compile(r"[a-z+]")
_SKIN_TONE = re.compile(r"skin-tone-\d|skin_tone_\d|[a-z_]*skin_tone")
#: Emoji modifiers and joiners that carry no meaning of their own: variation selectors,
#: skin tones, the keycap mark, tags and regional-indicator letters (flags).
_EMOJI_MODIFIERS = {cp: None for cp in (
    0xFE0E, 0xFE0F, 0x20E3, *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080),
    *range(0x1F1E6, 0x1F200))}
_NOT = re.compile(r"n['’]t\b")
#: A word with the masking symbols inside it that make it one word (f*ck, a$$hole).
WORD = re.compile(r"\w+(?:[*$@!]+\w+)*\**|[*$@]+\w+")
_SPACED_LETTERS = re.compile(r"([\n .\-_*])([a-z](?:[ .\-_*]{1,2}[a-z]){2,})(?![a-z])")
_RUN = re.compile(r"([a-z])\1+")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_DISEASE_COMPOUND = re.compile(
    "(" + "|".join(sorted(CURSE_PREFIXES, key=lambda p: (-len(p), p))) + ")([a-z]{3,})")
# Accented Latin letters and typographic quotes are stable under NFKC and need no folding.
_NON_ASCII = re.compile(r"[^\x00-\x7f\u00c0-\u00ff]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "8": "b", "9": "g", "@": "a", "$": "s", "!": "i"})

#: Zero-width characters are deleted; look-alike letters become their Latin twins; typographic
#: quotes become plain ones. (Emoji become tokens through :func:`_unicode_table`.)
_CONFUSABLES = {
    **{cp: None for cp in (0xE000, 0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060,
                           0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E, 0x034F)},
    **{ord(k): v for k, v in {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j",
        "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ѵ": "v", "ɑ": "a", "ı": "i",
        "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "‘": "'", "’": "'",
        "‚": "'", "‛": "'", "`": "'", "´": "'",
    }.items()},
}


def _squeeze(word: str) -> str:
    return _RUN.sub(r"\1", word)


# Sorted, so that when two lexicon words squeeze alike the same one wins in every process.
_SQUEEZED_OFFENSIVE = {_squeeze(w): w for w in sorted(OFFENSIVE, reverse=True)}


@lru_cache(maxsize=65536)
def is_ordinary_word(word: str) -> bool:
    """Whether ``word`` is an ordinary English or Dutch word, a technical term or chat
    jargon: such a word is never corrected into anything (issue 12: webpack -> wetback,
    colon -> clown, testen -> tieten).

    The lists (``classifier/wordlists``, built by ``data/wordlists/build.py``) hold the
    100,000 most frequent words of each language per wordfreq, a hand-written list of
    technical terms and words seen at least twice in real developer chat (train splits).
    """
    return word.isalpha() and wordlists.is_ordinary(word)


_STAR_RUN = re.compile(r"\*+|[^*]")


@lru_cache(maxsize=4096)
def _wildcard_match(word: str) -> str | None:
    """Resolve a word with ``*`` in it (f*ck, f**k, sh*t) against the offensive lexicon:
    each ``*`` stands for up to two letters. Ties go to the closest length, then the
    alphabet, so every process resolves a word alike."""
    if len(word) > MAX_WORD:
        return None
    stars = word.count("*")
    letters = len(word) - stars
    literal = set(word) - {"*"}
    segments = _STAR_RUN.findall(word)
    hits = sorted((abs(len(w) - len(word)), w) for w in OFFENSIVE
                  if letters < len(w) <= letters + 2 * stars and literal <= set(w)
                  and _masks(segments, w))
    return hits[0][1] if hits else None


def _masks(segments: list[str], target: str) -> bool:
    """Whether the ``segments`` of a word (letters, and runs of ``*`` each read as zero to
    two letters) spell ``target``.

    The set of reachable positions in ``target`` is carried along (at most
    ``len(word) * len(target)`` steps); a regular expression with one ``[a-z]{0,2}`` per star
    backtracked exponentially: 18 stars before a letter took 18 s. A run of stars is one
    step: the lexicon has 2,500 words to try.
    """
    reach = {0}
    n = len(target)
    for segment in segments:
        if segment[0] == "*":
            most = 2 * len(segment)
            reach = {j + d for j in reach for d in range(most + 1)
                     if j + d <= n and (d == 0 or _is_ascii_word(target[j:j + d]))}
        else:
            reach = {j + 1 for j in reach if j < n and target[j] == segment}
        if not reach:
            return False
    return n in reach


def _is_ascii_word(text: str) -> bool:
    return text.isascii() and text.isalpha()


def deobfuscate_word(word: str) -> str:
    """Undo leetspeak, masking and stretching in one word: 1d10t, f*ck, a$$hole, fuuuck,
    idiiot.

    Only maps onto words of the offensive lexicon (or squeezes a stretched word to at most
    two repeats), so ordinary words with digits (b2b, 5pm, h264) stay as they are, and an
    ordinary word (:func:`is_ordinary_word`) is never changed.
    """
    core = word.rstrip("!*")
    tail = word[len(core):]
    if not core:
        return word
    if core.isalpha():
        # A letter three times over is stretched on purpose (fuuuuck), even where
        # wordfreq lists the stretched spelling; otherwise an ordinary word stays.
        if not _RUN3.search(core) and is_ordinary_word(core):
            return word
        # A doubled letter ("idiiot", "sukkell"): only an exact lexicon word once squeezed.
        squeezed = _squeeze(core) if len(core) <= MAX_WORD else core
        if squeezed != core and not _RUN3.search(core):
            target = _unsqueeze(squeezed)
            return target + tail if target and len(target) >= 4 else word
    else:
        plain = core.translate(_LEET)
        if "*" in plain:
            resolved = _wildcard_match(plain)
            return resolved + tail if resolved else word
        if plain in OFFENSIVE:
            return plain + tail
        if not plain.isalpha():
            return word
        core = plain if _RUN3.search(plain) else core
    if _RUN3.search(core):
        return _unsqueeze(_squeeze(core)) or _RUN3.sub(r"\1\1", core)
    return word


def _unsqueeze(squeezed: str) -> str | None:
    """The lexicon word that squeezes to ``squeezed``: itself if it is one (idiot, not
    idioot), else the first in alphabetical order."""
    return squeezed if squeezed in OFFENSIVE else _SQUEEZED_OFFENSIVE.get(squeezed)


def _unspace(match: re.Match[str]) -> str:
    joined = "".join(ch for ch in match.group(2) if ch.isalpha())
    if len(joined) >= 4 or joined in OFFENSIVE:
        return f"{match.group(1)}{joined} "
    return match.group(0)


def split_compound(word: str) -> list[str]:
    """A Dutch curse built on a disease, split: kankerlijer -> kanker_ lijer. The prefix
    gets its own token ("kanker_"), apart from the noun (kanker, as in "heeft kanker").

    Split only when the rest is a noun that curses are built on (a person, a group, an
    insult, "zooi": :data:`~classifier.lexicon.COMPOUND_HEADS`): medical and everyday
    compounds stay whole (kankeronderzoek, kankerverwekkend, klerenkast, pestprotocol).
    """
    match = _DISEASE_COMPOUND.fullmatch(word)
    if match and match.group(2) in COMPOUND_HEADS:
        return [match.group(1) + "_", match.group(2)]
    return [word]


@lru_cache(maxsize=1)
def _unicode_table() -> dict[int, str | None]:
    """:data:`_CONFUSABLES`, emoji modifiers, and every single-character emoji onto its
    token (" emoji_winking_face "), read on first use from ``classifier/wordlists``."""
    emoji = {ord(key): f" {token} " for key, token in wordlists.emoji_tokens().items()
             if len(key) == 1 and not key.isascii()}
    return {**emoji, **_EMOJI_MODIFIERS, **_CONFUSABLES}


def _fold_unicode(match: re.Match[str]) -> str:
    folded = unicodedata.normalize("NFKC", match.group(0)).lower().translate(_unicode_table())
    return _COMBINING.sub("", folded)


def emoji_token(code: str) -> str | None:
    """The token for a Slack emoji code without its colons (``wink`` ->
    ``emoji_winking_face``, the emoji package's CLDR name); a workspace's custom emoji
    keeps its own name (``partyparrot`` -> ``emoji_partyparrot``); a skin tone, None."""
    if _SKIN_TONE.fullmatch(code):
        return None
    return wordlists.emoji_tokens().get(code) or "emoji_" + (
        re.sub(r"[^a-z0-9]+", "_", code).strip("_") or "x")


class _EmojiCodes:
    """``re.sub`` callback for :data:`_EMOJI_CODE` over one string: a code stands alone,
    or right after another code (":wave::skin-tone-2:"), and has a letter in it."""

    def __init__(self) -> None:
        self.last_end = -1

    def __call__(self, match: re.Match[str]) -> str:
        text, start, end = match.string, match.start(), match.end()
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if (((before.isalnum() or before in "_:") and start != self.last_end)
                or after.isalnum() or after == "_" or not _HAS_LETTER.search(match.group(1))):
            return match.group(0)
        self.last_end = end
        token = emoji_token(match.group(1))
        return f" {token} " if token else " "


def _join(texts: list[str]) -> str:
    texts = [t if isinstance(t, str) else "" for t in texts]
    blob = SEP.join(texts)
    if blob.count("\x1e") != len(texts) - 1:  # a message carried the separator itself
        blob = SEP.join(t.replace("\x1e", " ") for t in texts)
    return blob


def _slack_markup(blob: str) -> str:
    blob = _CODE_BLOCK.sub(" ", blob)
    blob = _INLINE_CODE.sub(" ", blob)
    blob = _SPECIAL.sub(" ", blob)
    blob = _MENTION.sub(" usermention ", blob)
    blob = _CHANNEL.sub(" channelref ", blob)
    blob = _LABELLED_LINK.sub(r" \1 ", blob)
    blob = _LINK.sub(" urlref ", blob)
    blob = _BARE_URL.sub(" urlref ", blob)
    # A quote is someone else's words (see QUOTE_PLACEHOLDER); ">>>" quotes the rest.
    blob = _QUOTED_REST.sub(f" {QUOTE_PLACEHOLDER} ", blob)
    blob = _QUOTED_LINES.sub(f" {QUOTE_PLACEHOLDER} ", blob)
    return html.unescape(blob) if "&" in blob else blob


def _drop_paths(text: str) -> str:
    return "".join([" " if ("/" in chunk or "\\" in chunk)
                    and _PATH.fullmatch(chunk.strip(_CHUNK_EDGES).rstrip(".")) else chunk
                    for chunk in _CHUNKS.split(text)])


def _not_the_authors_words(blob: str) -> str:
    """Remove what the author did not write as prose: bare URLs, file paths and stack
    traces (issue 12: "/home/you/dumb.py" read as "you dumb"). One regular-expression pass
    each over the messages that have a slash, a backslash or a line break (see
    :func:`clean_joined`), skipped when its tell-tale characters are absent."""
    if "://" in blob or "www." in blob:
        blob = _URL_ANYWHERE.sub(" urlref ", blob)
    if "/" in blob or "\\" in blob:
        # Only the messages with a slash are cut into chunks (a tenth of real chat).
        blob = SEP.join([_drop_paths(text) if "/" in text or "\\" in text else text
                         for text in blob.split(SEP)])
    if "Traceback (" in blob:
        blob = _TRACEBACK.sub(" ", blob)
    if "\n" in blob:
        blob = _TRACE_LINE.sub(" ", blob)
    return blob


def _markup_and_unicode(texts: list[str]) -> str:
    """Slack markup and Unicode folding for messages that need it (most need neither)."""
    blob = _not_the_authors_words(_slack_markup(_join(texts)))
    return _NON_ASCII.sub(_fold_unicode, blob)


def clean_batch(texts: list[str]) -> list[str]:
    """Slack markup, Unicode and case, per message.

    Word-level obfuscation (:func:`deobfuscate_word`) is left to the tokeniser, which
    resolves it once per vocabulary word instead of once per occurrence.
    """
    return clean_joined(texts).split(SEP) if len(texts) else []


#: Dutch rude dismissals are separable verbs: "rot op", "donder op", "lazer op" are the
#: imperatives of oprotten, opdonderen, oplazeren. One word for all of them pools the few
#: examples training has of each ("rot op" scored 0.43 and "donder op" 0.06 when each was
#: two ordinary words). Only at the end of a clause: "de appel is rot op de bodem" stays.
_CLAUSE_END = r"(?=[ \t]*(?:$|[.,!?;:\n]|jij\b|jullie\b|met\b|naar\b|nou\b|man\b|joh\b))"
_DISMISSAL = re.compile(
    r"\b(?:rot|donder|sodemieter|sodeflikker|flikker|tief|tyf|lazer|hoepel|mieter|pleur|"
    r"kanker|klere|tering|tyfus|kut)[ \t]+(?:toch[ \t]+|maar[ \t]+|nou[ \t]+|dan[ \t]+|"
    r"even[ \t]+|gewoon[ \t]+)?op" + _CLAUSE_END)
#: "kop dicht", "bek dicht": what "hou je bek" says.
_SHUT_UP = re.compile(r"\b(?:kop|bek|smoel|waffel|muil)[ \t]+dicht" + _CLAUSE_END)


#: Threats and death wishes that no single word gives away are read as the plain threat
#: they mean, one the model knows well ("je gaat eraan" scored 0.67, "val dood" 0.41, "you
#: are dead" 0.69 while "je bent dood", "ga toch dood" and "i will kill you" score over 0.9).
#: Each is bounded so that its ordinary use stays: "ik ga dood van het lachen" (preceded by
#: "ik"), "je bent er geweest?" (a question), "je gaat eraan onderdoor", "you are dead right".
_CLAUSE_START = r"(?:^|(?<=[.,!?;:\n]))[ \t]*"
_ANY_CLAUSE_END = r"(?=[ \t]*(?:$|[.,!;:\n]|man\b|dude\b|mate\b|jij\b|joh\b))"
_THREAT_IDIOMS = (
    ("eraan", re.compile(r"\b(?:je|jij)[ \t]+(?:gaat|bent)[ \t]+eraan" + _ANY_CLAUSE_END),
     "je bent dood"),
    ("geweest", re.compile(r"\b(?:je|jij)[ \t]+bent[ \t]+er[ \t]+(?:echt[ \t]+|zo[ \t]+)?"
                           r"geweest(?![ \t]*(?:\?|,[ \t]*(?:toch|he|hè|of niet)\b))"
                           + _ANY_CLAUSE_END), "je bent dood"),
    ("dood", re.compile(_CLAUSE_START + r"(?:val|ga)[ \t]+(?:toch[ \t]+|maar[ \t]+|gewoon[ \t]+"
                        r"|lekker[ \t]+)?dood" + _ANY_CLAUSE_END), " ga toch dood"),
    ("sterf|repeer", re.compile(_CLAUSE_START + r"(?:krepeer|crepeer|sterf)" + _ANY_CLAUSE_END),
     " ga toch dood"),
    ("boeten", re.compile(r"\b(?:je|jij)[ \t]+(?:zal|zult|gaat)[ \t]+(?:hiervoor|ervoor|daarvoor)"
                          r"[ \t]+(?:boeten|bloeden)"), "ik krijg je nog wel"),
    ("bezuren", re.compile(r"\b(?:dat|dit)[ \t]+(?:ga|zal|zul)[ \t]+(?:je|jij)[ \t]+(?:nog[ \t]+)?"
                           r"(?:bezuren|berouwen)"), "ik krijg je nog wel"),
    ("dead", re.compile(r"\byou(?:'re|[ \t]+are)[ \t]+(?:so[ \t]+|already[ \t]+)?dead"
                        r"(?:[ \t]+meat)?" + _ANY_CLAUSE_END), "i will kill you"),
    ("where you", re.compile(r"\bi[ \t]+know[ \t]+where[ \t]+you[ \t]+(?:live|sleep)\b"),
     "i will hurt you"),
    (" up", re.compile(r"\bbeat[ \t]+(you|him|her|them)[ \t]+up\b"), r"punch \1"),
    ("pay", re.compile(r"\byou(?:'ll|[ \t]+will|[ \t]+are[ \t]+going[ \t]+to|'re[ \t]+going"
                       r"[ \t]+to|[ \t]+gonna)[ \t]+pay[ \t]+for[ \t]+(?:this|that)"
                       + _ANY_CLAUSE_END), "i will hurt you"),
)


_IDIOMS = tuple((tuple(cues.split("|")), pattern, meaning) for cues, pattern, meaning in (
    (" op", _DISMISSAL, "oprotten"), ("dicht", _SHUT_UP, "hou je bek"), *_THREAT_IDIOMS))


def _idioms(blob: str) -> str:
    """Each idiom read as its plain meaning, in the messages that hold one of its cues: a
    pattern run over the whole joined batch cost about 11 ms per 10,000 messages, twelve
    times over (a third of the first stage's time)."""
    starts: list[int] = []  # where each message starts in the blob
    for cues, pattern, meaning in _IDIOMS:
        if not any(cue in blob for cue in cues):
            continue
        if not starts:
            starts = [0] + [at + len(SEP) for at in _finds(blob, SEP)]
        holding = sorted({bisect.bisect_right(starts, at) - 1
                          for cue in cues for at in _finds(blob, cue)})
        pieces, done, changed = [], 0, False
        for i in holding:  # the messages around, kept as they are
            end = starts[i + 1] - len(SEP) if i + 1 < len(starts) else len(blob)
            message = blob[starts[i]:end]
            read = pattern.sub(meaning, message)
            changed |= read != message
            pieces += [blob[done:starts[i]], read]
            done = end
        if changed:
            blob = "".join(pieces) + blob[done:]
            starts = []
    return blob


def _finds(text: str, part: str):
    """Every place ``part`` starts in ``text``."""
    at = text.find(part)
    while at >= 0:
        yield at
        at = text.find(part, at + 1)


def clean_joined(texts: list[str]) -> str:
    """:func:`clean_batch`'s messages joined by :data:`SEP`, before the final split."""
    texts = [t if isinstance(t, str) else "" for t in texts]
    if not texts:
        return ""
    # Plain ASCII messages without markup, paths or line breaks skip the markup and Unicode
    # passes entirely.
    special = [i for i, t in enumerate(texts)  # inlined test: this runs once per message
               if not t.isascii() or "<" in t or "&" in t or "`" in t or ">" in t
               or "/" in t or "\\" in t or "\n" in t]
    if special:
        texts = list(texts)
        cleaned = _markup_and_unicode([texts[i] for i in special]).split(SEP)
        for i, text in zip(special, cleaned, strict=True):
            texts[i] = text
    blob = _join(texts).lower()
    if ":" in blob:
        blob = _EMOJI_CODE.sub(_EmojiCodes(), blob)
    if "'" in blob:
        blob = _NOT.sub(" not", blob)
    blob = _idioms(blob)
    if "emoji_" in blob:
        blob = SEP.join([_unless_only_playful(text) for text in blob.split(SEP)])
    return blob


#: What may stand next to playful emoji in a message that is judged empty.
_NEUTRAL = EMOJI_PLAYFUL | {"usermention", "channelref", "urlref", QUOTE_PLACEHOLDER}


def _unless_only_playful(text: str) -> str:
    """A message of nothing but playful emoji (and mentions) is nobody's harassment
    (issue 12: ":wink:" alone scored 0.9997 sexual): it is left with nothing to judge."""
    if "emoji_" not in text:
        return text
    words = text.split()
    return "" if words and all(w in _NEUTRAL for w in words) else text


def normalise_batch(texts: list[str]) -> list[str]:
    """Fully normalise messages: :func:`clean_batch`, spelt-out words joined, then per word
    :func:`deobfuscate_word` and :func:`split_compound`. (The tokeniser does the same on
    tokens: once per distinct word, and spelt-out words with numpy.)"""
    return [WORD.sub(_deobfuscate_match, _SPACED_LETTERS.sub(_unspace, " " + text)[1:])
            for text in clean_batch(texts)]


def _deobfuscate_match(match: re.Match[str]) -> str:
    return " ".join(split_compound(deobfuscate_word(match.group(0))))


def normalise(text: str) -> str:
    """Normalise one message (see :func:`normalise_batch`)."""
    return normalise_batch([text])[0]
