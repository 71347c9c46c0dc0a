"""`haven train` rebuilds a model and its card, reproducibly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from classifier import load_model
from classifier.data import LOADERS, default_data_dir, load_training_data

ROWS_PER_FILE = 120


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> Path:
    """Every training source, cut to its first rows, with its data card."""
    root = tmp_path_factory.mktemp("data")
    for folder in (*LOADERS, "identity_swaps"):
        (root / folder).mkdir()
        for path in (default_data_dir() / folder).iterdir():
            target = root / folder / path.name
            if path.suffix in {".csv", ".jsonl", ".tsv"}:
                lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                keep = lines[:ROWS_PER_FILE]
                if "haven_workplace" in folder:  # keep both labels and languages
                    keep = lines[:1] + lines[1::8][:ROWS_PER_FILE]
                elif path.suffix == ".tsv":  # rows spread over the file: every label, source
                    step = max(1, (len(lines) - 1) // ROWS_PER_FILE)
                    keep = lines[:1] + lines[1::step][:ROWS_PER_FILE]
                target.write_text("".join(keep), encoding="utf-8")
            else:
                shutil.copy(path, target)
    return root


def test_train_writes_a_loadable_model_and_card(small_data, tmp_path, capsys):
    assert main(["train", "--data-dir", str(small_data), "--out", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "fitting the pipeline" in output and "threshold" in output
    artifact = next(tmp_path.glob("*.joblib"))
    card = json.loads(artifact.with_suffix(".json").read_text())
    assert set(card["training_data"]) == {
        str(p.relative_to(small_data)) for p in small_data.rglob("*")
        if p.suffix in {".csv", ".jsonl", ".tsv"} and ".dev." not in p.name}
    model = load_model(artifact)
    assert len(model.score(["you are a useless idiot", "see you at lunch"])) == 2


def test_the_same_data_gives_the_same_predictions(small_data, tmp_path):
    probes = ["you are a useless idiot", "ik schiet je even een berichtje", "dom ding",
              "calling women stupid is not ok", "wat een kutweer"]
    scores = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["train", "--data-dir", str(small_data), "--out", str(out)]) == 0
        scores.append(load_model(next(out.glob("*.joblib"))).score(probes))
    assert np.array_equal(scores[0], scores[1])


def test_workplace_pairs_stay_on_one_side_of_the_split():
    from classifier.train import is_validation

    examples = [e for e in load_training_data() if e.source == "haven_workplace"]
    sides: dict[str, set[bool]] = {}
    for example in examples:
        sides.setdefault(example.group, set()).add(is_validation(example.group))
    assert all(len(s) == 1 for s in sides.values())
    share = np.mean([is_validation(e.group) for e in examples])
    assert 0.10 < share < 0.20
