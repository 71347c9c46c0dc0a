"""Real text for measuring (and, in ``train`` splits, training) Haven's detector.

Readers for the real-chat and real labelled sets in ``data/``. Each returns :class:`RealRow`
objects in file order, mapped onto Haven's binary label and categories exactly as the
"Haven labels" section of the set's ``DATACARD.md`` says. Everything is deterministic: the
same files give the same rows, labels and splits in every process.

Splits:
- ``real_chat``: ``train`` and ``dev`` as shipped (split by conversation); ``dev`` is for
  measuring only.
- labelled sets: ``test`` when the SHA-256 of the row's normalised text falls in one third
  of the hash space, else ``train``. Hashing the text (not the id) puts duplicates, within a
  set and across sets, on the same side. ``test`` rows are for recall figures only.
- ``wiki_toxicity_identity_testset`` is ``test`` as a whole: it was built as a bias test set.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from classifier.data import CATEGORIES, default_data_dir

HARASSING, BENIGN = 1, 0

#: One row in TEST_SHARE of the labelled rows (by text hash) is held out for recall figures.
TEST_SHARE = 3

#: Identity groups for the bias metrics (Borkan et al. 2019), found by whole-word terms as in
#: Dixon et al. 2018. Terms are English: the labelled sets are English.
GROUP_TERMS: dict[str, tuple[str, ...]] = {
    "women": ("woman", "women", "female", "females", "girl", "girls", "lady", "ladies"),
    "men": ("men", "male", "males", "boy", "boys"),
    "gay_lesbian_bi": ("gay", "gays", "lesbian", "lesbians", "bisexual", "homosexual",
                       "homosexuals", "queer", "lgbt", "lgbtq"),
    "transgender": ("transgender", "transgenders", "trans", "transsexual", "transsexuals"),
    "black": ("black", "blacks", "african american", "african americans", "african",
              "africans"),
    "white": ("white", "whites", "caucasian", "caucasians"),
    "asian": ("asian", "asians", "chinese", "japanese", "korean", "koreans"),
    "latino": ("latino", "latinos", "latina", "latinas", "latinx", "hispanic", "hispanics",
               "mexican", "mexicans"),
    "indian": ("indian", "indians"),
    "arab_middle_eastern": ("arab", "arabs", "middle eastern"),
    "jewish": ("jew", "jews", "jewish"),
    "muslim": ("muslim", "muslims", "islam", "islamic"),
    "christian": ("christian", "christians", "catholic", "catholics", "protestant",
                  "protestants"),
    "immigrant": ("immigrant", "immigrants", "migrant", "migrants", "refugee", "refugees"),
    "disability": ("disabled", "blind", "deaf", "wheelchair", "autistic", "paralyzed"),
    "mental_illness": ("mentally ill", "mental illness", "psychiatric", "schizophrenic"),
    "old": ("elderly", "old people", "older people", "old man", "old woman", "boomer",
            "boomers"),
}

_TERM_GROUP = {term: group for group, terms in GROUP_TERMS.items() for term in terms}
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class RealRow:
    """One real message with Haven's label.

    ``categories`` holds only the categories the source says something about (0/1);
    ``groups`` the identity groups it mentions; ``kind`` the source's own label name.
    """

    id: str
    text: str
    label: int
    split: str
    source: str
    lang: str = "en"
    kind: str = ""
    categories: dict[str, int] = field(default_factory=dict)
    groups: tuple[str, ...] = ()


def identity_groups(text: str) -> tuple[str, ...]:
    """The identity groups of :data:`GROUP_TERMS` a text mentions, in table order."""
    # Word and word-pair lookups: a regex alternation of all terms is ten times slower.
    words = _WORD.findall(text.lower())
    found = {_TERM_GROUP[w] for w in words if w in _TERM_GROUP}
    found.update(_TERM_GROUP[pair] for pair in map(" ".join, pairwise(words))
                 if pair in _TERM_GROUP)
    return tuple(g for g in GROUP_TERMS if g in found)


def text_key(text: str) -> str:
    """Lower-cased text with whitespace collapsed: what counts as "the same text"."""
    return " ".join(text.lower().split())


def hash_split(text: str) -> str:
    """``test`` for one text in :data:`TEST_SHARE` (by SHA-256 of :func:`text_key`), else
    ``train``."""
    digest = hashlib.sha256(text_key(text).encode("utf-8")).digest()
    return "test" if int.from_bytes(digest[:8], "big") % TEST_SHARE == 0 else "train"


def _read_tsv(path: Path, quoting: int = csv.QUOTE_NONE) -> Iterator[dict[str, str]]:
    # The labelled sets were written without quoting (texts hold stray quotes); real_chat
    # was written quote-minimal by Python's csv module.
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=quoting)


def _fields(label: str) -> dict[str, str]:
    """The ``key=value;...`` label column of the labelled sets."""
    return dict(part.split("=", 1) for part in label.split(";") if "=" in part)


def _benign_categories() -> dict[str, int]:
    return {c: 0 for c in CATEGORIES}


def _row(source: str, row_id: str, text: str, label: int, kind: str,
         categories: dict[str, int] | None = None, split: str | None = None) -> RealRow:
    if categories is None:
        categories = _benign_categories() if label == BENIGN else {}
    return RealRow(row_id, text, label, split or hash_split(text), source, "en", kind,
                   categories, identity_groups(text))


REAL_CHAT_FILES = ("en_ubuntu_irc", "en_gitter", "nl_ud_written")


def load_real_chat(folder: Path) -> Iterator[RealRow]:
    """Unlabelled real chat, taken as benign; ``source`` is the file's set name."""
    for name in REAL_CHAT_FILES:
        for split in ("train", "dev"):
            for row in _read_tsv(folder / f"{name}.{split}.tsv", csv.QUOTE_MINIMAL):
                yield RealRow(row["id"], row["text"], BENIGN, split, name, name[:2],
                              "unlabelled")


def load_strudel(folder: Path) -> Iterator[RealRow]:
    """GitHub issue comments: toxicity y -> harassing, n -> benign."""
    for row in _read_tsv(folder / "strudel_github_issue_comments.tsv"):
        toxic = _fields(row["label"])["toxicity"] == "y"
        yield _row("strudel_github_issue_comments", row["id"], row["text"],
                   HARASSING if toxic else BENIGN, "toxic" if toxic else "non_toxic")


_CONVABUSE_TYPES = {"sex_harassment": "sexual", "intellectual": "insult",
                    "homophobic": "identity_hate", "racist": "identity_hate",
                    "sexist": "identity_hate", "transphobic": "identity_hate",
                    "ableist": "identity_hate"}


def load_convabuse(folder: Path) -> Iterator[RealRow]:
    """Messages to chatbots: abusive by majority -> harassing; no annotator calling it
    abusive or ambiguous -> benign; the rest dropped."""
    for row in _read_tsv(folder / "convabuse.tsv"):
        f = _fields(row["label"])
        n = int(f["n_annotators"])
        if f["majority_abusive_derived"] == "1":
            cats: dict[str, int] = {"sexual": 0, "identity_hate": 0}
            for kind, category in _CONVABUSE_TYPES.items():
                if 2 * int(f.get(f"n_{kind}", 0)) >= n:
                    cats[category] = 1
            yield _row("convabuse", row["id"], row["text"], HARASSING, "abusive", cats)
        elif int(f["votes_not_abusive"]) == n:
            yield _row("convabuse", row["id"], row["text"], BENIGN, "not_abusive")


_SPAN_TYPES = {"Insult": "insult", "Threat": "threat", "Identity_based_Attack": "identity_hate",
               "Profane_Obscene": "profanity"}


def load_toxic_spans(folder: Path) -> Iterator[RealRow]:
    """Civil Comments posts: toxic by majority -> harassing; every rater "not toxic" ->
    benign; the rest dropped."""
    for row in _read_tsv(folder / "toxic_spans_civil_comments.tsv"):
        f = _fields(row["label"])
        n = int(f["n_raters"])
        if f["majority_toxic_derived"] == "1":
            cats = {category: int(2 * int(f.get(f"spans_{kind}", 0)) >= n)
                    for kind, category in _SPAN_TYPES.items()}
            yield _row("toxic_spans_civil_comments", row["id"], row["text"], HARASSING,
                       "toxic", cats)
        elif int(f["votes_not_toxic"]) == n:
            yield _row("toxic_spans_civil_comments", row["id"], row["text"], BENIGN,
                       "not_toxic")


def load_wiki_identity(folder: Path) -> Iterator[RealRow]:
    """Wikipedia talk comments that mention identity groups: toxic -> harassing. All test."""
    for row in _read_tsv(folder / "wiki_toxicity_identity_testset.tsv"):
        toxic = _fields(row["label"])["toxic"] == "True"
        yield _row("wiki_toxicity_identity_testset", row["id"], row["text"],
                   HARASSING if toxic else BENIGN, "toxic" if toxic else "non_toxic",
                   split="test")


def load_measuring_hate_speech(folder: Path) -> Iterator[RealRow]:
    """Social-media comments: hate-speech score > 0 -> harassing, else benign."""
    for row in _read_tsv(folder / "measuring_hate_speech_subset.tsv"):
        hateful = _fields(row["label"])["hate_speech_score_gt_0"] == "1"
        yield _row("measuring_hate_speech_subset", row["id"], row["text"],
                   HARASSING if hateful else BENIGN, "score_gt_0" if hateful else "score_le_0")


def load_implicit_hate(folder: Path) -> Iterator[RealRow]:
    """Tweets: explicit or implicit hate -> harassing (identity_hate); not_hate -> benign."""
    for row in _read_tsv(folder / "implicit_hate_latent_hatred.tsv"):
        kind = _fields(row["label"])["class"]
        label = BENIGN if kind == "not_hate" else HARASSING
        cats = None if label == BENIGN else {"identity_hate": 1}
        yield _row("implicit_hate_latent_hatred", row["id"], row["text"], label, kind, cats)


def load_politeness(folder: Path) -> Iterator[RealRow]:
    """Stack Exchange and Wikipedia requests: benign; the impolite quartile of each source
    (the paper's "impolite" class) is dropped: rude is not harassing, but not clean either."""
    rows = list(_read_tsv(folder / "stanford_politeness_requests.tsv"))
    cut = {}
    for source in ("stackexchange", "wikipedia"):
        scores = sorted(float(_fields(r["label"])["normalized_score"]) for r in rows
                        if _fields(r["label"])["source"] == source)
        cut[source] = scores[len(scores) // 4]
    for row in rows:
        f = _fields(row["label"])
        if float(f["normalized_score"]) >= cut[f["source"]]:
            yield _row("stanford_politeness_requests", row["id"], row["text"], BENIGN,
                       f["source"])


def load_davidson(folder: Path) -> Iterator[RealRow]:
    """Tweets: hate speech by majority -> harassing (identity_hate); neither -> benign;
    "offensive language" dropped (it mixes insults with casual swearing and lyrics)."""
    with (folder / "labeled_data.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["class"] == "0":
                yield _row("davidson2017", row[""], row["tweet"], HARASSING, "hate_speech",
                           {"identity_hate": 1})
            elif row["class"] == "2":
                yield _row("davidson2017", row[""], row["tweet"], BENIGN, "neither")


#: Folder under ``data/`` -> reader. Benign real chat first, then the labelled sets.
REAL_LOADERS: dict[str, Callable[[Path], Iterator[RealRow]]] = {
    "real_chat": load_real_chat,
    "strudel_github_issue_comments": load_strudel,
    "convabuse": load_convabuse,
    "toxic_spans_civil_comments": load_toxic_spans,
    "wiki_toxicity_identity_testset": load_wiki_identity,
    "measuring_hate_speech_subset": load_measuring_hate_speech,
    "implicit_hate_latent_hatred": load_implicit_hate,
    "stanford_politeness_requests": load_politeness,
    "davidson2017": load_davidson,
}

LABELLED_SETS = tuple(name for name in REAL_LOADERS if name != "real_chat")
#: Every folder of ``data/`` that belongs to the yardstick (the counterfactual templates too).
YARDSTICK_FOLDERS = (*REAL_LOADERS, "haven_counterfactual")


def load_real(folder: str, data_dir: Path | None = None,
              split: str | None = None) -> list[RealRow]:
    """The rows of one set in ``data/``, optionally only one split."""
    data_dir = data_dir or default_data_dir()
    rows = REAL_LOADERS[folder](data_dir / folder)
    return [row for row in rows if split is None or row.split == split]


def load_benign_dev(data_dir: Path | None = None) -> dict[str, list[RealRow]]:
    """The benign ``dev`` sets of ``real_chat``, by set name: for measuring only."""
    rows = load_real("real_chat", data_dir, "dev")
    return {name: [r for r in rows if r.source == name] for name in REAL_CHAT_FILES}


@dataclass(frozen=True)
class CounterfactualSentence:
    """A generated sentence: one template with one group in its slot."""

    lang: str
    label: int
    template: str
    group: str
    text: str


def load_counterfactual(data_dir: Path | None = None) -> list[CounterfactualSentence]:
    """Every template of ``data/haven_counterfactual`` filled with every group of its
    language (English and Dutch)."""
    folder = (data_dir or default_data_dir()) / "haven_counterfactual"
    with (folder / "groups.csv").open(newline="", encoding="utf-8") as handle:
        groups = list(csv.DictReader(handle))
    with (folder / "templates.csv").open(newline="", encoding="utf-8") as handle:
        templates = list(csv.DictReader(handle))
    out = []
    for t in templates:
        for g in groups:
            if g["lang"] == t["lang"]:
                text = t["template"].replace("{group}", g["phrase"])
                out.append(CounterfactualSentence(
                    t["lang"], int(t["label"] == "harassing"), t["template"], g["group"],
                    text[0].upper() + text[1:]))
    return out
