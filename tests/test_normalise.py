"""Slack markup and obfuscation are undone before anything is classified."""

from __future__ import annotations

import pytest

from classifier.normalise import (
    clean_batch,
    deobfuscate_word,
    is_ordinary_word,
    normalise,
    normalise_batch,
    split_compound,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("<@U0123ABC> hi", "usermention hi"),
    ("<@U0123ABC|sanne> hi", "usermention hi"),
    ("see <#C0456|general>", "see channelref"),
    ("read <https://example.com/x|the policy> now", "read the policy now"),
    ("link <https://example.com/x>", "link urlref"),
    ("fish &amp; chips &lt;3", "fish & chips <3"),
    ("nice :tada:", "nice emoji_tada"),
    ("run ```kill -9 1234``` now", "run now"),
    ("just `kill -9 1234` it", "just it"),
    ("<!here> standup", "standup"),
])
def test_slack_markup_is_flattened(raw, expected):
    assert " ".join(normalise(raw).split()) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("f*ck", "fuck"), ("f**k", "fuck"), ("sh*t", "shit"), ("f.u.c.k", "fuck"),
    ("fuuuuck", "fuck"), ("1d10t", "idiot"), ("sh1t", "shit"), ("a$$hole", "asshole"),
    ("b!tch", "bitch"), ("i d i o t", "idiot"), ("k-a-n-k-e-r", "kanker"),
    ("ＩＤＩＯＴ", "idiot"), ("st\u200bupid", "stupid"), ("m\u043er\u043en", "moron"),
    ("ѕlut", "slut"), ("idiot\u00ad", "idiot"),
])
def test_obfuscation_is_undone(raw, expected):
    assert normalise(raw).strip() == expected


@pytest.mark.parametrize("word", ["b2b", "5pm", "h264", "covid19", "goooood", "2fa"])
def test_ordinary_words_with_digits_or_stretching_survive(word):
    assert deobfuscate_word(word) in {word, "good"}


def test_quoted_line_becomes_a_quotation():
    assert normalise("&gt; you are dumb\nthat is not ok") .startswith(' "you are dumb"')


def test_negative_contraction_becomes_not():
    assert normalise("you aren’t stupid") == "you are not stupid"


def test_dutch_disease_curse_compounds_are_split_but_medical_words_kept():
    assert normalise("kankerlijer").split() == ["kanker_", "lijer"]
    assert normalise("borstkanker") == "borstkanker"
    assert normalise("mijn oom heeft kanker") == "mijn oom heeft kanker"


def test_batch_keeps_order_and_count_with_hostile_input():
    texts = ["a", "", "\x1e sneaky separator \x1e", "\ue000", None, "x" * 40_000, "🙂" * 50]
    out = normalise_batch(texts)
    assert len(out) == len(texts)
    assert out[0] == "a" and out[1] == ""
    assert "sneaky separator" in out[2]
    assert out[4] == ""
    assert out[5] == "xx"  # a 40,000-letter stretch squeezes like any other


def test_clean_and_full_normalisation_agree_on_plain_text():
    text = "Goedemorgen allemaal, de build is groen!"
    assert clean_batch([text]) == normalise_batch([text])


# -- issue 12, point 3: obfuscation without false corrections --------------------------------
#: Ordinary words that the old spelling fallback "corrected" into slurs and insults
#: (webpack -> wetback, colon -> clown, const -> coons, testen -> tieten, openen -> zoenen).
FALSELY_CORRECTED = ["webpack", "colon", "const", "paste", "folds", "pairs", "chunk",
                     "batches", "testen", "zaken", "bezet", "openen"]


@pytest.mark.parametrize("word", FALSELY_CORRECTED)
def test_ordinary_words_are_never_deobfuscated(word):
    assert is_ordinary_word(word)
    assert deobfuscate_word(word) == word
    assert normalise(word) == word


@pytest.mark.parametrize("word", ["kubectl", "chroot", "npm", "systemctl", "conn"])
def test_technical_terms_are_ordinary(word):
    assert is_ordinary_word(word)


@pytest.mark.parametrize(("raw", "expected"), [
    ("f*ck", "fuck"), ("1d10t", "idiot"), ("k4nk3r", "kanker"), ("s u k k e l", "sukkel"),
    ("ıdiot", "idiot"), ("іdіоt", "idiot"), ("idiiot", "idiot"), ("sukkell", "sukkel"),
    ("sh!t", "shit"), ("l*l", "lul"), ("k*tw*jf", "kutwijf"),
])
def test_deliberate_obfuscation_is_still_undone(raw, expected):
    assert " ".join(normalise(raw).split()) in {expected, " ".join(split_compound(expected))}


def test_a_word_that_is_neither_ordinary_nor_a_lexicon_word_stays():
    # Doubled letters are undone only onto an exact lexicon word.
    assert deobfuscate_word("zzapp") == "zzapp"
    assert deobfuscate_word("fooobar") == "foobar"


@pytest.mark.parametrize("word", ["kankeronderzoek", "kankerpatiënt", "kankerverwekkend",
                                  "klerenkast", "pestprotocol", "pesterij", "kutjes"])
def test_medical_and_everyday_compounds_stay_whole(word):
    assert split_compound(word) == [word]


@pytest.mark.parametrize(("word", "parts"), [
    ("kankerlijer", ["kanker_", "lijer"]), ("tyfushoer", ["tyfus_", "hoer"]),
    ("pokkenwijf", ["pokken_", "wijf"]), ("teringjood", ["tering_", "jood"]),
    ("kkrmongool", ["kkr_", "mongool"]), ("klerezooi", ["klere_", "zooi"]),
])
def test_curse_compounds_are_split(word, parts):
    assert split_compound(word) == parts


def test_wildcards_resolve_to_one_word_whatever_the_lexicon_order():
    assert deobfuscate_word("f**k") == "fuck"
    assert deobfuscate_word("*") == "*"
    assert deobfuscate_word("*nix") == "*nix"


# -- issue 12, point 3: ordinary words are never corrected into slurs --------------------------
@pytest.mark.parametrize("word", ["webpack", "colon", "const", "paste", "folds", "pairs",
                                  "chunk", "batches", "testen", "zaken", "bezet", "openen"])
def test_ordinary_words_are_not_corrected_into_insults(model, word):
    features = model.pipeline["features"]
    assert features._correct(word) == [word]


@pytest.mark.parametrize(("sentence", "lang"), [
    ("run webpack with the const config", "en"), ("paste the chunk here", "en"),
    ("the batches come in pairs", "en"), ("we gaan de zaken morgen testen", "nl"),
    ("de vergaderzaal is bezet", "nl"), ("kun je de poort openen", "nl"),
])
def test_sentences_with_formerly_corrected_words_are_not_flagged(model, sentence, lang):
    assert not model.classify([sentence])[0].flagged
