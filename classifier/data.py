"""Load the training sets in ``data/`` into one list of labelled examples.

Each source keeps its own data card in its folder; the mapping from its labels to Haven's
binary label and categories is written down here, next to the code that applies it.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
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
}


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


LOADERS = {
    "haven_workplace": load_workplace,
    "haven_seed_benign": load_seed_benign,
    "haven_templates": load_templates,
    "rtplx": load_rtplx,
    "toxigen_demonstrations": load_toxigen,
    "openai_moderation": load_openai_moderation,
    "jigsaw_sample": load_jigsaw,
    "feedback": load_feedback,
}


def load_training_data(data_dir: Path | None = None,
                       sources: tuple[str, ...] | None = None) -> list[Example]:
    """All training examples, de-duplicated on their text (the first occurrence wins)."""
    data_dir = data_dir or default_data_dir()
    seen: set[str] = set()
    out: list[Example] = []
    for folder, loader in LOADERS.items():
        if sources is not None and folder not in sources:
            continue
        for example in loader(data_dir / folder):
            key = " ".join(example.text.lower().split())
            if key and key not in seen:
                seen.add(key)
                out.append(example)
    return out


def file_hashes(data_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of every data file used for training, keyed by its path under ``data/``."""
    data_dir = data_dir or default_data_dir()
    hashes = {}
    for folder in LOADERS:
        for path in sorted((data_dir / folder).glob("*")):
            if path.suffix in {".csv", ".jsonl"}:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                hashes[str(path.relative_to(data_dir))] = digest
    return hashes
