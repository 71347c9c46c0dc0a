"""Load the training sets in ``data/`` into one list of labelled examples.

Each source keeps its own data card in its folder; the mapping from its labels to Haven's
binary label and categories is written down here, next to the code that applies it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES = ("insult", "threat", "sexual", "identity_hate", "profanity")

#: How much one example of a source counts in training. Our own workplace chat is the
#: register Haven works in and carries the contrasting pairs; the public sets add breadth.
#: (Davidson et al.'s tweets were tried and left out: even at a weight of 0.15 they taught
#: "swear word => offensive" and cost 0.03 macro-F1 on the functional suite.)
SOURCE_WEIGHTS = {
    "haven_workplace": 3.0,
    "haven_seed_benign": 3.0,
    "haven_templates": 1.0,
    "rtplx": 1.0,
    "toxigen": 1.0,
    "openai_moderation": 1.0,
    "jigsaw": 1.0,
    # Labels people gave in Slack ("Not a problem", confidants' outcomes): real, but few
    # and unreviewed, so no more weight than a public set.
    "haven_feedback": 1.0,
    # Real text (classifier/realdata.py), ``train`` splits only: never ``dev`` or ``test``.
    # Real benign chat is what Haven must stay quiet on; messages to chatbots and GitHub
    # comments are closest to workplace abuse; tweets and news comments about groups add
    # breadth but label much that is political or crude rather than aimed at a person.
    "real_chat_en": 2.0,
    "real_chat_nl": 2.0,
    "strudel_github_issue_comments": 2.0,
    "convabuse": 2.0,
    "toxic_spans_civil_comments": 0.5,
    "measuring_hate_speech_subset": 0.5,
    "implicit_hate_latent_hatred": 0.5,
    "stanford_politeness_requests": 1.0,
    "davidson2017": 1.0,
}
#: Folders of ``data/`` that change training rows rather than add them.
AUGMENTATION_FOLDERS = ("identity_swaps",)
#: A counterfactual copy (a group word swapped for another) counts this much of its row.
COUNTERFACTUAL_WEIGHT = 0.5


@dataclass
class Example:
    """One labelled message. ``categories`` maps a category to 0/1, or omits it if unknown."""

    text: str
    lang: str
    label: int
    source: str
    group: str
    categories: dict[str, int] = field(default_factory=dict)
    functionality: str = ""


def default_data_dir() -> Path:
    """The repository's ``data/`` folder."""
    return Path(__file__).resolve().parent.parent / "data"


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def _read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _load_haven_csv(folder: Path, source: str) -> Iterator[Example]:
    for path in sorted(folder.glob("*.csv")):
        for row in _read_csv(path):
            cats = {c for c in row["categories"].split(";") if c}
            yield Example(row["text"], row["lang"], int(row["label"] == "harassing"),
                          source, row["pair_id"] or row["text"],
                          {c: int(c in cats) for c in CATEGORIES}, row["functionality"])


def load_workplace(folder: Path) -> Iterator[Example]:
    """Haven's own hand-written workplace chat (``data/haven_workplace``)."""
    return _load_haven_csv(folder, "haven_workplace")


def load_templates(folder: Path) -> Iterator[Example]:
    """Short generated sentences about groups, colleagues and things (``generate.py``)."""
    return _load_haven_csv(folder, "haven_templates")


def load_feedback(folder: Path) -> Iterator[Example]:
    """Labelled examples exported from Slack with ``haven feedback export`` (none shipped)."""
    return _load_haven_csv(folder, "haven_feedback")


def load_seed_benign(folder: Path) -> Iterator[Example]:
    """Hand-written benign chat; swear words in it are about things, not people."""
    for i, row in enumerate(_read_csv(folder / "workplace_benign.csv")):
        yield Example(row["text"], row["lang"], 0, "haven_seed_benign", f"seed-{i}",
                      {c: 0 for c in CATEGORIES if c != "profanity"}, "neutral_chat")


def load_rtplx(folder: Path) -> Iterator[Example]:
    """RTP-LX: Toxicity 1-5 and 1-3 harm scales; ambiguous rows are left out."""
    for lang in ("nl", "en"):
        for row in _read_jsonl(folder / f"RTP_LX_{lang.upper()}.jsonl"):
            a = row["Annotations"]
            harms = [a[k] for k in ("Insult", "IdentityAttack", "Violence", "SexualContent",
                                    "Bias")]
            if a["Toxicity"] >= 3 or max(harms) >= 2.5:
                label = 1
            elif a["Toxicity"] <= 1.5 and max(harms) <= 1.5:
                label = 0
            else:
                continue
            cats = {"insult": a["Insult"] >= 2, "threat": a["Violence"] >= 2,
                    "sexual": a["SexualContent"] >= 2,
                    "identity_hate": max(a["IdentityAttack"], a["Bias"]) >= 2}
            yield Example(row["Prompt"], lang, label, "rtplx", f"rtplx-{row['Index']}",
                          {k: int(v and label) for k, v in cats.items()})


def load_toxigen(folder: Path) -> Iterator[Example]:
    """ToxiGen demonstrations: implicit hate and neutral statements about 16 groups."""
    for row in _read_csv(folder / "toxigen_sentences.csv"):
        label = int(row["label"] == "hate")
        cats = {"identity_hate": label}
        if not label:
            cats.update(insult=0, threat=0, sexual=0)
        yield Example(row["text"], "en", label, "toxigen", "toxigen-" + row["text"], cats)


def load_openai_moderation(folder: Path) -> Iterator[Example]:
    """OpenAI moderation samples; self-harm-only rows are not harassment and are skipped."""
    keys = ("S", "H", "V", "HR", "SH", "S3", "H2", "V2")
    for i, row in enumerate(_read_jsonl(folder / "samples-1680.jsonl")):
        flags = {k: row.get(k) for k in keys}
        harmful = [k for k in keys if k != "SH" and flags[k] == 1]
        if harmful:
            label = 1
        elif all(flags[k] == 0 for k in keys):
            label = 0
        else:
            continue
        cats = {"insult": flags["HR"] == 1, "identity_hate": 1 in (flags["H"], flags["H2"]),
                "threat": 1 in (flags["V"], flags["V2"], flags["H2"]),
                "sexual": 1 in (flags["S"], flags["S3"])}
        yield Example(row["prompt"], "en", label, "openai_moderation", f"oai-{i}",
                      {k: int(v) for k, v in cats.items()})


def load_jigsaw(folder: Path) -> Iterator[Example]:
    """The 101-row Jigsaw sample with all six toxicity columns."""
    for i, row in enumerate(_read_csv(folder / "test_examples.csv")):
        flags = {k: int(row[k]) for k in ("toxic", "severe_toxic", "obscene", "threat",
                                          "insult", "identity_hate")}
        label = int(any(flags.values()))
        cats = {"insult": flags["insult"], "threat": flags["threat"],
                "identity_hate": flags["identity_hate"]}
        yield Example(row["comment_text"], "en", label, "jigsaw", f"jigsaw-{i}", cats)


def load_real_chat_train(folder: Path) -> Iterator[Example]:
    """Real IRC, Gitter and Dutch sentences, ``train`` split only, as benign examples.

    Runs of 100 consecutive lines of one file share a group, so cross-validation rarely
    sees a conversation on both sides (``dev`` is never read here).
    """
    from classifier.realdata import load_real_chat

    for i, row in enumerate(load_real_chat(folder)):
        if row.split == "train":
            yield Example(row.text, row.lang, 0, f"real_chat_{row.lang}",
                          f"{row.source}:{row.id.rsplit(':', 1)[0]}:{i // 100}")


def _real_labelled(name: str) -> Callable[[Path], Iterator[Example]]:
    def load(folder: Path) -> Iterator[Example]:
        from classifier.realdata import REAL_LOADERS

        for row in REAL_LOADERS[name](folder):
            if row.split == "train":  # the ``test`` third is for recall figures only
                yield Example(row.text, row.lang, row.label, name, f"{name}:{row.id}",
                              dict(row.categories), row.kind)

    load.__doc__ = f"The ``train`` split of ``data/{name}`` (see classifier/realdata.py)."
    return load


LOADERS = {
    "haven_workplace": load_workplace,
    "haven_seed_benign": load_seed_benign,
    "haven_templates": load_templates,
    "rtplx": load_rtplx,
    "toxigen_demonstrations": load_toxigen,
    "openai_moderation": load_openai_moderation,
    "jigsaw_sample": load_jigsaw,
    "feedback": load_feedback,
    "real_chat": load_real_chat_train,
    **{name: _real_labelled(name) for name in (
        "strudel_github_issue_comments", "convabuse", "toxic_spans_civil_comments",
        "measuring_hate_speech_subset", "implicit_hate_latent_hatred",
        "stanford_politeness_requests", "davidson2017")},
}


def load_training_data(data_dir: Path | None = None,
                       sources: tuple[str, ...] | None = None,
                       counterfactual: bool = True) -> list[Example]:
    """All training examples, de-duplicated on their text (the first occurrence wins),
    followed by their identity-swapped copies (see :func:`counterfactual_copies`)."""
    data_dir = data_dir or default_data_dir()
    seen: set[str] = set()
    out: list[Example] = []
    for folder, loader in LOADERS.items():
        if sources is not None and folder not in sources:
            continue
        if folder != "feedback" and not (data_dir / folder).is_dir():
            continue
        for example in loader(data_dir / folder):
            key = " ".join(example.text.lower().split())
            if key and key not in seen:
                seen.add(key)
                out.append(example)
    if counterfactual and (data_dir / "identity_swaps" / "swaps.csv").is_file():
        swaps = load_swaps(data_dir / "identity_swaps")
        for example in counterfactual_copies(list(out), swaps):
            key = " ".join(example.text.lower().split())
            if key not in seen:
                seen.add(key)
                out.append(example)
    return out


_TOKEN = re.compile(r"[\w']+")


def load_swaps(folder: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    """``(lang, form)`` -> the group words of ``data/identity_swaps/swaps.csv``."""
    out: dict[tuple[str, str], list[str]] = {}
    for row in _read_csv(folder / "swaps.csv"):
        out.setdefault((row["lang"], row["form"]), []).append(row["term"])
    return {key: tuple(terms) for key, terms in out.items()}


def counterfactual_copies(examples: list[Example],
                          swaps: dict[tuple[str, str], tuple[str, ...]]) -> Iterator[Example]:
    """One copy of every example that names a group, with each group word replaced by
    another of the same language and form (chosen from a hash of the text: deterministic).

    The copy keeps the label and the group of its original (so both sit on one side of a
    cross-validation split). Every group then appears in benign and hostile rows in the
    same proportion: a mention alone cannot decide (issue 12, point 5).
    """
    form_of = {(lang, term): (lang, form) for (lang, form), terms in swaps.items()
               for term in terms}
    for example in examples:
        words = _TOKEN.findall(example.text.lower())
        if not any((example.lang, w) in form_of for w in words):
            continue
        seed = int.from_bytes(hashlib.sha256(example.text.encode()).digest()[:4], "big")

        def swap(match: re.Match[str], seed: int = seed, lang: str = example.lang) -> str:
            word = match.group(0)
            key = form_of.get((lang, word.lower()))
            if key is None:
                return word
            others = [t for t in swaps[key] if t != word.lower()]
            new = others[(seed + len(word)) % len(others)]
            return new.capitalize() if word[:1].isupper() else new

        yield Example(_TOKEN.sub(swap, example.text), example.lang, example.label,
                      example.source, example.group, dict(example.categories),
                      "counterfactual")


def file_hashes(data_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of every data file used for training, keyed by its path under ``data/``."""
    data_dir = data_dir or default_data_dir()
    hashes = {}
    for folder in (*LOADERS, *AUGMENTATION_FOLDERS):
        for path in sorted((data_dir / folder).glob("*")):
            if path.suffix in {".csv", ".jsonl", ".tsv"} and ".dev." not in path.name:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                hashes[str(path.relative_to(data_dir))] = digest
    return hashes
