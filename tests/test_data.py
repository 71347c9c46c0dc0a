"""Every dataset keeps a card, our own data is large enough, and the suite never leaks."""

from __future__ import annotations

import csv
from collections import Counter

from classifier.data import (
    AUGMENTATION_FOLDERS,
    CATEGORIES,
    LOADERS,
    default_data_dir,
    load_training_data,
)
from classifier.evaluate import default_suite_path, read_labelled
from classifier.normalise import normalise_batch
from classifier.realdata import YARDSTICK_FOLDERS

FUNCTIONALITIES = {
    "insult_individual", "profanity_insult", "exclusion_bullying", "threat_direct",
    "threat_group", "sexual_harassment", "derogation_group", "derogation_implicit",
    "dehumanisation", "slur", "negated_positive", "question_opinion", "disease_curse",
    "obfuscated", "profanity_intensifier", "target_object", "negation_benign",
    "counter_speech_quote", "counter_speech_reference", "workplace_idiom", "identity_neutral",
    "identity_positive", "disease_medical", "criticism_of_work", "neutral_chat", "banter",
}


#: Word lists the normaliser and lexicon are built from (no training rows of their own yet).
WORD_LIST_FOLDERS = {"wordlists", "lexicon_nl"}


def test_every_dataset_folder_has_a_data_card():
    folders = [p for p in default_data_dir().iterdir() if p.is_dir()]
    assert {p.name for p in folders} == (set(LOADERS) | set(YARDSTICK_FOLDERS) | WORD_LIST_FOLDERS
                                         | set(AUGMENTATION_FOLDERS))
    for folder in folders:
        card = (folder / "DATACARD.md").read_text(encoding="utf-8").lower()
        assert "licen" in card and "source" in card, folder.name


def test_our_own_workplace_data_has_1500_messages_per_language():
    rows = []
    for path in sorted((default_data_dir() / "haven_workplace").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    per_language = Counter(row["lang"] for row in rows)
    assert per_language["en"] >= 1500 and per_language["nl"] >= 1500
    for row in rows:
        assert row["label"] in {"harassing", "benign"}
        assert row["functionality"] in FUNCTIONALITIES
        assert set(filter(None, row["categories"].split(";"))) <= set(CATEGORIES)
    labels = Counter((row["lang"], row["label"]) for row in rows)
    share = {lang: labels[(lang, "harassing")] / per_language[lang] for lang in ("en", "nl")}
    assert abs(share["en"] - share["nl"]) < 0.05  # Dutch must not be "the benign language"
    assert all(0.3 < s < 0.6 for s in share.values())


def test_the_functional_suite_never_appears_in_training_data():
    def key(text: str) -> str:
        return " ".join(text.split())

    training = {key(t) for t in normalise_batch([e.text for e in load_training_data()])}
    suite = normalise_batch([row["text"] for row in read_labelled(default_suite_path())])
    # A message left with nothing to judge (code only, playful emoji only) leaks nothing.
    leaked = [text for text in suite if key(text) and key(text) in training]
    assert not leaked


def test_the_functional_suite_is_half_dutch_with_400_cases():
    rows = read_labelled(default_suite_path())
    per_language = Counter(row["lang"] for row in rows)
    assert len(rows) >= 400 and per_language["nl"] == per_language["en"]
    assert all(row["functionality"] in FUNCTIONALITIES for row in rows)
