"""The model's public interface, its safe loading and its reproducible training."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from classifier import ModelLoadError, load_model
from classifier.data import CATEGORIES
from classifier.model import default_model_path


def test_score_is_a_probability_per_message(model):
    scores = model.score(["you are a useless idiot", "thanks for the review!", ""])
    assert len(scores) == 3
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > model.threshold > scores[1]


def test_classify_gives_score_flag_categories_and_language(model):
    result = model.classify(["jij bent een waardeloze sukkel"])[0].to_dict()
    assert set(result) == {"score", "flagged", "categories", "language"}
    assert result["flagged"] is True
    assert set(result["categories"]) == set(CATEGORIES)
    assert result["categories"]["insult"] > 0.5
    assert result["language"] == "nl"


@pytest.mark.parametrize("text", ["", "   ", "```rm -rf / && kill -9 1```", ":wave:"])
def test_empty_or_code_only_messages_are_never_flagged(model, text):
    result = model.classify([text])[0]
    assert not result.flagged


@pytest.mark.parametrize(("text", "category"), [
    ("I will find you after work and break your legs", "threat"),
    ("send me a pic of you in the shower tonight", "sexual"),
    ("muslims are vermin and should leave this country", "identity_hate"),
    ("you are a brainless moron", "insult"),
    ("fucking great job everyone", "profanity"),
])
def test_the_expected_category_scores_highest(model, text, category):
    categories = model.classify([text])[0].categories
    assert max(categories, key=categories.get) == category


@pytest.mark.parametrize(("text", "language"), [
    ("Kan iemand de notulen van gisteren delen?", "nl"),
    ("Can someone share yesterday's minutes?", "en"),
    ("die deadline maakt me kapot", "nl"),
    ("this bug is killing me", "en"),
])
def test_language_is_detected(model, text, language):
    assert model.classify([text])[0].language == language


def test_fast_path_matches_the_sklearn_pipeline(model):
    texts = ["you are not stupid", "calling her a slut is not OK", "kankerlijer", "hoi", ""]
    proba = model.pipeline.predict_proba(texts)[:, 1]
    plain = copy.copy(model)
    plain.language_offsets = {}  # the pipeline knows no per-language operating point
    plain.semantic = None  # nor the second stage (tests/test_semantic.py)
    fast = np.array(plain.score(texts))
    judged = fast > 0
    assert np.allclose(proba[judged], fast[judged])


def test_dutch_has_its_own_operating_point(model):
    """A Dutch message's score is shifted by the card's log-odds offset, English is not."""
    texts = ["jij bent een sukkel", "you are a muppet"]
    plain = copy.copy(model)
    plain.language_offsets = {}
    shifted, unshifted = np.array(model.score(texts)), np.array(plain.score(texts))
    offset = model.card["language_offsets"]["nl"]
    logit = np.log(unshifted / (1 - unshifted))
    assert shifted[0] == pytest.approx(1 / (1 + np.exp(-(logit[0] + offset))))
    assert shifted[1] == pytest.approx(unshifted[1])


def test_text_read_in_an_image_has_the_images_operating_point(model):
    """Words read in a meme or screenshot are judged at the images' operating point (the
    card's image offset for their language, in place of the language's own), on the same
    scale as a message's score; never more leniently than as a message, and what was not
    judged (nothing left to read) stays at 0."""
    texts = ["send me nudes tonight", "you should just quit already",
             "when the build finally passes", "this bug is killing me", "`make test`",
             "dat was ziek goed", "die deadline maakt me kapot"]
    assert model.card["operating_point"]["image_flag_rate"] <= 0.05
    offset = model.card["image_offsets"]["en"] - model.card["language_offsets"].get("en", 0)
    assert offset > 0
    # Dutch messages already have an operating point of 1 in 100 benign sentences
    assert model.card["image_offsets"]["nl"] == model.card["language_offsets"]["nl"]
    as_message = model.classify(texts)
    in_image = model.classify(texts, read_in_image=True)
    english = np.array([r.score for r in as_message[:4]])
    assert [r.score for r in in_image[:4]] == pytest.approx(
        1 / (1 + np.exp(-(np.log(english / (1 - english)) + offset))), abs=1e-4)
    assert [r.score for r in in_image[5:]] == [r.score for r in as_message[5:]]
    assert [r.categories for r in in_image] == [r.categories for r in as_message]
    assert [r.flagged for r in as_message[:2]] == [False, False]  # under the chat threshold
    assert [r.flagged for r in in_image] == [True, True, False, False, False, False, False]
    assert in_image[4].score == 0.0


def test_batch_and_single_calls_agree(model):
    texts = ["you are an idiot", "great demo", "ik maak je kapot", "kill the process"]
    batch = model.score(texts)
    single = [model.score([t])[0] for t in texts]
    assert np.allclose(batch, single)


def test_the_card_describes_the_shipped_artifact():
    card = json.loads(default_model_path().with_suffix(".json").read_text())
    assert 0 < card["threshold"] < 1
    assert set(card["validation"]["per_language"]) == {"en", "nl"}
    assert set(card["validation"]["per_category"]) == set(CATEGORIES)
    assert card["training_data"] and all(len(h) == 64 for h in card["training_data"].values())
    assert {"scikit-learn", "numpy", "python"} <= set(card["versions"])
    assert default_model_path().stat().st_size < 30 * 1024 * 1024


def _copy_model(tmp_path):
    src = default_model_path()
    dst = tmp_path / src.name
    shutil.copy(src, dst)
    shutil.copy(src.with_suffix(".json"), dst.with_suffix(".json"))
    return dst


def test_a_tampered_artifact_is_refused_before_unpickling(tmp_path, monkeypatch):
    path = _copy_model(tmp_path)
    with path.open("ab") as handle:
        handle.write(b"\x00")
    import joblib

    monkeypatch.setattr(joblib, "load", lambda *a, **k: pytest.fail("unpickled anyway"))
    with pytest.raises(ModelLoadError, match="does not match the card"):
        load_model(path)


def test_an_incompatible_scikit_learn_is_refused(tmp_path):
    path = _copy_model(tmp_path)
    card_path = path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card["versions"]["scikit-learn"] = "0.24.2"
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match=r"scikit-learn 0\.24\.2"):
        load_model(path)


def test_a_missing_model_says_how_to_build_one(tmp_path):
    with pytest.raises(ModelLoadError, match="haven train"):
        load_model(tmp_path / "nothing.joblib")


def test_importing_the_library_does_not_load_the_model():
    code = ("import sys\n"
            "opened = []\n"
            "sys.addaudithook(lambda e, a: e == 'open' and opened.append(str(a[0])))\n"
            "import classifier, bot.cli\n"
            "print(sum(p.endswith('.joblib') for p in opened))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "0"


#: Messages that once scored differently from one process to the next (issue 12, point 11):
#: typos and obfuscations whose correction depended on set order, and ordinary chat.
REPRODUCIBILITY_PROBES = [
    "webpack", "colon", "const paste folds pairs", "chunk the batches", "testen zaken bezet",
    "you are a stuipd idoit", "f*ck off", "s.l.u.t", "kankerlijer", "jij bent een sukkel",
    "can you paste the stack trace?", "if you run it twice you get a lock", ":wink:",
    "i d i o t", "1d10t", "youidiot", "nobody wants you here",
]


def test_scores_do_not_depend_on_the_hash_seed():
    code = ("import json, sys\n"
            "from classifier import load_model\n"
            "model = load_model()\n"
            "print(json.dumps([r.to_dict() for r in model.classify(json.loads(sys.argv[1]))]))")
    runs = []
    for seed in ("1", "2", "12345"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(REPRODUCIBILITY_PROBES)],
                             capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        runs.append(json.loads(out))
    assert runs[0] == runs[1] == runs[2]


def test_saving_a_model_leaves_it_usable_and_the_copy_scores_the_same(model, tmp_path):
    """The artifact leaves out what is rebuilt on load (the n-gram hash table); saving must
    not take it from the model in memory (training scores its validation split after)."""
    import joblib

    from classifier.model import HavenModel

    texts = ["you are a useless idiot", "jij bent een sukkel", "see you at lunch"]
    before = model.score(texts)
    joblib.dump(model.pipeline, tmp_path / "copy.joblib")
    assert model.score(texts) == before
    copy_ = HavenModel(joblib.load(tmp_path / "copy.joblib"), model.card)
    assert copy_.score(texts) == before
