"""The real-text yardstick: its data is all here, labelled as the cards say, split for good,
and the benchmark prints every section."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from classifier.benchmark import (
    Detector,
    ablation,
    addressed,
    bias_metrics,
    recall_at_false_alarm,
    upper_bound,
)
from classifier.data import default_data_dir, load_training_data
from classifier.evaluate import default_suite_path, read_labelled
from classifier.realdata import (
    LABELLED_SETS,
    REAL_CHAT_FILES,
    REAL_LOADERS,
    YARDSTICK_FOLDERS,
    hash_split,
    identity_groups,
    load_counterfactual,
    load_real,
    text_key,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = default_data_dir()


@pytest.fixture(scope="module")
def rows() -> dict:
    return {name: load_real(name) for name in REAL_LOADERS}


def card(folder: str) -> str:
    return (DATA / folder / "DATACARD.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("folder", YARDSTICK_FOLDERS)
def test_every_set_ships_in_the_project_with_its_card(folder):
    text = card(folder).lower()
    assert "licen" in text and "source" in text
    assert "haven labels" in text


def test_the_six_real_chat_files_are_all_read(rows):
    files = sorted(p.name for p in (DATA / "real_chat").glob("*.tsv"))
    assert files == sorted(f"{n}.{s}.tsv" for n in REAL_CHAT_FILES for s in ("train", "dev"))
    per_file = Counter((r.source, r.split) for r in rows["real_chat"])
    for path in files:
        name, split, _ = path.split(".")
        with (DATA / "real_chat" / path).open(encoding="utf-8") as handle:
            lines = sum(1 for _ in handle) - 1  # one message per line, after the header
        assert per_file[(name, split)] == lines, path


@pytest.mark.parametrize("folder", list(REAL_LOADERS))
def test_the_data_files_are_kept_as_shipped(folder):
    """Where the card gives a file's SHA-256, the copy still has it (licences require the
    files unchanged, with their attribution)."""
    listed = dict(re.findall(r"`([\w.]+\.(?:tsv|csv))`[^\n]*?`?([0-9a-f]{64})`?", card(folder)))
    present = {p.name for p in (DATA / folder).iterdir() if p.suffix in {".tsv", ".csv"}}
    checked = present & listed.keys()
    assert checked
    for name in checked:
        assert hashlib.sha256((DATA / folder / name).read_bytes()).hexdigest() == listed[name]


@pytest.mark.parametrize("folder", list(REAL_LOADERS))
def test_each_card_states_the_label_counts_its_mapping_gives(rows, folder):
    section = card(folder).split("## Haven labels", 1)[1]
    stated = {(m[0], m[1]): (int(m[2].replace(",", "")), int(m[3].replace(",", "")))
              for m in re.findall(r"^\| (\w+) \| (train|dev|test) \| ([\d,]+) \| ([\d,]+) \|$",
                                  section, re.MULTILINE)}
    counts = Counter((r.source, r.split, r.label) for r in rows[folder])
    actual = {(s, sp): (counts[(s, sp, 1)], counts[(s, sp, 0)])
              for s, sp, _ in counts}
    assert stated == actual


def test_labels_and_categories_are_haven_s(rows):
    for name, found in rows.items():
        assert {r.label for r in found} <= {0, 1}, name
        for r in found:
            assert set(r.categories) <= {"insult", "threat", "sexual", "identity_hate",
                                         "profanity"}
            assert r.label == 1 or not any(r.categories.values()), (name, r.id)


def test_splits_are_the_same_in_another_process(rows):
    """No dependence on hash seeds or set order: a fresh process with another
    PYTHONHASHSEED gives the same rows, labels and splits."""
    def digest(found: dict) -> str:
        h = hashlib.sha256()
        for name in sorted(found):
            for r in found[name]:
                h.update(f"{name}\t{r.id}\t{r.split}\t{r.label}\t{r.groups}\n".encode())
        return h.hexdigest()

    script = ("import hashlib\nfrom classifier.realdata import REAL_LOADERS, load_real\n"
              "h = hashlib.sha256()\n"
              "for name in sorted(REAL_LOADERS):\n"
              "    for r in load_real(name):\n"
              "        h.update(f'{name}\\t{r.id}\\t{r.split}\\t{r.label}\\t{r.groups}\\n'"
              ".encode())\n"
              "print(h.hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == digest(rows)


def test_splits_are_disjoint(rows):
    for name, found in rows.items():
        by_split = {}
        for r in found:
            by_split.setdefault(r.split, set()).add((r.source, r.id))
        sides = list(by_split.values())
        assert all(not (a & b) for i, a in enumerate(sides) for b in sides[i + 1:]), name
    assert {r.split for r in rows["real_chat"]} == {"train", "dev"}
    labelled = [r for name in LABELLED_SETS for r in rows[name]]
    train = {text_key(r.text) for r in labelled if r.split == "train"}
    test = {text_key(r.text) for r in labelled if r.split == "test"}
    assert {r.split for r in labelled} == {"train", "test"}
    assert not train & test  # the same text never sits on both sides, across sets too
    share = len(test) / (len(train) + len(test))
    assert 0.3 < share < 0.4


def test_the_hash_split_keeps_duplicates_together():
    assert hash_split("You are an idiot") == hash_split("  you are   AN idiot")


def test_identity_groups_are_found_by_whole_words():
    assert identity_groups("African  Americans and Muslim women") == ("women", "black",
                                                                      "muslim")
    assert identity_groups("the mentally ill") == ("mental_illness",)
    assert identity_groups("clean the blackboard, then the whiteboard") == ()


def test_the_counterfactual_sentences_fill_every_template_with_every_group():
    sentences = load_counterfactual()
    per_template = Counter((s.lang, s.template) for s in sentences)
    assert set(per_template.values()) == {20}
    groups = {lang: {s.group for s in sentences if s.lang == lang} for lang in ("en", "nl")}
    assert groups["en"] == groups["nl"]
    labels = Counter((s.lang, s.label) for s in sentences)
    assert labels[("en", 0)] == labels[("en", 1)] == labels[("nl", 0)] == labels[("nl", 1)]
    assert all("{" not in s.text and s.text[0].isupper() for s in sentences)


def test_the_counterfactual_sentences_are_never_trained_on():
    seen = {text_key(e.text) for e in load_training_data()}
    seen |= {text_key(r["text"]) for r in read_labelled(default_suite_path())}
    assert not [s.text for s in load_counterfactual() if text_key(s.text) in seen]


def test_a_message_is_addressed_by_a_mention_or_a_leading_nick():
    texts = ["ikonia: try sudo", "ikonia, that works", "Well, that works",
             "ping @Dragon788 please", "mail me at a@b.com", "<@U0123ABC> see this",
             "see http://example.com", "just chatting"]
    assert addressed(texts).tolist() == [True, True, False, True, False, True, False, False]


def test_the_upper_bound_is_clopper_pearson():
    assert upper_bound(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100))
    assert 1000 * upper_bound(0, 12_679) == pytest.approx(0.236, abs=0.001)
    assert upper_bound(5, 5) == 1.0
    assert upper_bound(10, 1000) > 10 / 1000


def test_the_ablation_names_the_word_that_alone_makes_a_flag():
    toy = Detector("toy", lambda texts: [float(t.count("idiot") > 0) for t in texts], 0.5)
    found = ablation(toy, ["you idiot!", "idiot idiot", "the idiot, the idiot"])
    assert found["false_flags"] == 3 and found["explained_by_one_word"] == 1
    assert found["top"] == [{"word": "idiot", "flags": 1, "share": 1 / 3}]


def test_recall_at_a_false_alarm_rate_raises_the_threshold_until_it_holds():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.9, 0.95, 0.8, 0.5, 0.25])
    assert recall_at_false_alarm(y, s, 0.0) == 0.25  # only 0.95 beats the benign 0.9
    assert recall_at_false_alarm(y, s, 0.25) == 0.75  # one false alarm: above 0.3
    assert recall_at_false_alarm(y, s, 0.5) == 1.0  # two: above 0.2


def test_bias_metrics_follow_borkan_et_al():
    # A detector that scores every mention of the group high: BPSN falls, BNSP does not.
    y = np.array([0, 0, 1, 1, 0, 0, 1, 1])
    group = np.array([True, True, True, True, False, False, False, False])
    s = np.array([0.8, 0.7, 0.9, 0.95, 0.1, 0.2, 0.6, 0.7])
    m = bias_metrics(y, s, group)
    assert m["subgroup_auc"] == 1.0
    # benign mentions (0.8, 0.7) outrank hostile non-mentions (0.6, 0.7): one tie in four
    assert m["bpsn_auc"] == pytest.approx(0.125)
    assert m["bnsp_auc"] == 1.0


SECTIONS = ("1. Benign real chat", "2. Real labelled sets", "3. Functional suite",
            "4. Words that drive false flags", "5. Identity bias", "6. Counterfactual",
            "runtime")


@pytest.mark.slow
def test_the_benchmark_runs_end_to_end_and_prints_every_section(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "real.py"), "--limit", "150",
                          "--plots", str(tmp_path)], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    for section in SECTIONS:
        assert section in out.stdout, section
    for name in REAL_CHAT_FILES + LABELLED_SETS:
        assert name in out.stdout
    assert "Haven flags/1k" in out.stdout and "APC flags/1k" in out.stdout
    for png in ("score_histograms.png", "recall_vs_flags.png", "identity_bias.png"):
        assert (tmp_path / png).stat().st_size > 10_000


@pytest.mark.slow
def test_haven_evaluate_real_prints_the_same_report_as_json():
    out = subprocess.run([sys.executable, "-m", "bot", "evaluate", "--real", "--limit", "60",
                          "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report["detectors"]) == {"haven", "alt-profanity-check"}
    irc = report["benign_dev"]["en_ubuntu_irc"]
    assert irc["n"] == 60
    for name in ("haven", "alt-profanity-check"):
        flags = irc["detectors"][name]["flags"]
        assert flags["per_1000"] <= flags["upper_95_per_1000"]
        assert irc["detectors"][name]["notices"]["count"] <= flags["count"]
    assert report["limit"] == 60


def test_haven_evaluate_real_explains_missing_data(tmp_path, monkeypatch, capsys):
    """An installed copy has no data/: a clear message and a usage exit, not a traceback."""
    from bot import cli
    from classifier import realdata

    monkeypatch.setattr(realdata, "default_data_dir", lambda: tmp_path)
    assert cli.main(["evaluate", "--real", "--limit", "5"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "real-text sets are missing" in err and "Traceback" not in err
