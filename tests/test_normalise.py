"""Slack markup and obfuscation are undone before anything is classified."""

from __future__ import annotations

import pytest

from classifier.lexicon import word_class
from classifier.normalise import (
    QUOTE_PLACEHOLDER,
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
    ("nice :tada:", "nice emoji_party_popper"),
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


def test_quoted_line_is_not_read_for_words():
    assert normalise("&gt; you are dumb\nthat is not ok").split() == [
        QUOTE_PLACEHOLDER, "that", "is", "not", "ok"]


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


# -- issue 12, point 4: Slack text as Slack sends it ------------------------------------------
def _words(text: str) -> list[str]:
    return normalise(text).split()


def test_an_insult_inside_code_is_not_the_authors_words(model):
    for text in ["look: ```you are an idiot``` fails to parse",
                 "rename `stupid_idiot()` please", "```\nkill_the_bitch()\n```"]:
        words = _words(text)
        assert not {"idiot", "stupid", "bitch", "stupid_idiot"} & set(words), text
    assert model.classify(["```you are an idiot```"])[0].score == 0.0


@pytest.mark.parametrize(("text", "rest"), [
    ("&gt; you are an idiot\nthat is not ok to say", ["that", "is", "not", "ok", "to", "say"]),
    ("> you are an idiot\n> and ugly\nnot ok", ["not", "ok"]),
    ("&gt;&gt;&gt; you are \"an\" idiot\nand stupid", []),
    ("&gt; jij bent een sukkel\ndit kreeg ik vandaag", ["dit", "kreeg", "ik", "vandaag"]),
])
def test_a_quote_is_not_the_authors_words(model, text, rest):
    assert _words(text) == [QUOTE_PLACEHOLDER, *rest]
    assert not model.classify([text])[0].flagged


@pytest.mark.parametrize("text", [
    "read <https://example.com/slut/idiot-test|this>", "see <https://example.com/retard/x>",
    "see https://example.com/retard/faggot.html", "www.example.com/idiot/bitch",
])
def test_a_url_is_not_read_for_words(text):
    assert not {"slut", "idiot", "retard", "faggot", "bitch"} & set(_words(text))


@pytest.mark.parametrize(("text", "kept"), [
    ("see /home/you/dumb.py for it", ["see", "for", "it"]),
    ("run ./scripts/kill_all.sh twice", ["run", "twice"]),
    ("open ~/idiot/notes", ["open"]),
    (r"copy C:\Users\you\stupid.txt here", ["copy", "here"]),
    ("edit src/you/are/dumb.py.", ["edit"]),
    ("and/or he/him on 12/05/2024 and 1/2", ["and/or", "he/him", "on", "12/05/2024", "and",
                                              "1/2"]),
])
def test_file_paths_are_not_read_for_words(text, kept):
    assert _words(text) == kept


def test_stack_traces_are_not_read_for_words():
    python = ('Traceback (most recent call last):\n  File "kill.py", line 3, in <module>\n'
              '    kill_you_idiot()\nValueError: stupid value\nany idea why?')
    java = ('Exception in thread "main" java.lang.NullPointerException: you idiot\n'
            '\tat com.acme.Killer.kill(Killer.java:12)\n\tat com.acme.Main.main(Main.java:3)\n'
            'Caused by: java.io.IOException: dumb\n\t... 2 more\nany idea?')
    node = "TypeError: x\n    at Object.<anonymous> (/srv/app/idiot.js:1:7)\nhelp?"
    assert _words(python) == ["any", "idea", "why?"]
    assert _words(java) == ["any", "idea?"]
    assert _words(node)[-1] == "help?" and "idiot" not in " ".join(_words(node))


def test_a_line_that_merely_starts_with_at_is_kept():
    assert _words("at home (finally)\nat 10:30:00") == ["at", "home", "(finally)", "at",
                                                         "10:30:00"]


@pytest.mark.parametrize(("text", "tokens"), [
    ("ok :wink:", ["ok", "emoji_winking_face"]), ("ok 😉", ["ok", "emoji_winking_face"]),
    (":wave::skin-tone-2: hi", ["emoji_waving_hand", "hi"]),
    ("👋🏽 hi", ["emoji_waving_hand", "hi"]),
    ("ok :+1: :thumbsup: 👍", ["ok"] + ["emoji_thumbs_up"] * 3),
    (":fu:", ["emoji_middle_finger"]), ("🖕", ["emoji_middle_finger"]),
    (":partyparrot:", ["emoji_partyparrot"]),
    ("std::vector::push_back at 10:30:00", ["std::vector::push_back", "at", "10:30:00"]),
])
def test_emoji_become_tokens_named_for_their_meaning(text, tokens):
    assert _words(text) == tokens


def test_emoji_with_a_hostile_meaning_have_a_word_class():
    assert word_class("emoji_middle_finger") == "PROFANITY"
    assert word_class("emoji_kitchen_knife") == "THREAT"
    assert word_class("emoji_clown_face") == "INSULT"
    assert word_class("emoji_winking_face") == "PLAYFUL"


@pytest.mark.parametrize("text", [":wink:", ":smile:", "😉", ":joy:", ":heart:", ":+1:", "😂",
                                  ":tada:", ":sweat_smile:"])
def test_a_single_playful_emoji_is_not_harassment(model, text):
    assert not model.classify([text])[0].flagged


def test_a_multi_line_quote_keeps_the_batch_in_step():
    texts = [">>> quoted\nlines\n\nmore", "next", "&gt;&gt;&gt; x\n", "last"]
    out = clean_batch(texts)
    assert len(out) == 4 and out[1] == "next" and out[3] == "last"


TRICKY = [
    ">>> quoted\nlines", "&gt; one line", "```open\ncode", "```code```", "`inline",
    "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: x",
    "\tat a.B(C.java:1)\n", "  File \"y.py\", line 2\n    z", "/usr/lib/x /y/", "C:\\x\\",
    ":wave::skin-tone-2:", ":", "::", "https://x.y/z", "<https://a.b|label>", "😉🏽\u200d",
    "\n", "", " \n\n ", "a\x1eb",
]


def test_every_markup_keeps_the_messages_of_a_batch_in_step():
    for before in TRICKY:
        for after in TRICKY:
            out = clean_batch([before, "plain", after, "tail"])
            assert len(out) == 4 and out[1] == "plain" and out[3] == "tail", (before, after)


def test_every_emoji_of_the_lexicon_is_a_token_the_normaliser_makes():
    from classifier.lexicon import CLASSES
    from classifier.wordlists import emoji_tokens

    made = set(emoji_tokens().values())
    listed = {w for members in CLASSES.values() for w in members if w.startswith("emoji_")}
    assert listed and listed <= made, sorted(listed - made)


@pytest.mark.parametrize(("text", "kept"), [
    (":wink:", False), ("😉😂", False), ("<@U1> :wink: :+1:", False), (":tada: :tada:", False),
    ("you :wink:", True), (":middle_finger:", True), (":wink: :middle_finger:", True),
    (":partyparrot:", True), ("🔪", True),
])
def test_a_message_of_only_playful_emoji_leaves_nothing_to_judge(model, text, kept):
    assert bool(clean_batch([text])[0].strip()) is kept
    if not kept:
        assert model.classify([text])[0].score == 0.0


@pytest.mark.parametrize(("text", "cleaned"), [
    ("Rot op!", "oprotten!"), ("rot toch op jij", "oprotten jij"),
    ("Donder op, schijterd", "oprotten, schijterd"), ("lazer op", "oprotten"),
    ("Rot op met je kankerkop", "oprotten met je kankerkop"), ("kop dicht", "hou je bek"),
    # not at the end of a clause, or not a dismissal: left alone
    ("de appel is rot op de bodem", "de appel is rot op de bodem"),
    ("ik sta vroeg op", "ik sta vroeg op"), ("doe de klep dicht", "doe de klep dicht"),
    ("zet het kanker op de agenda", "zet het kanker op de agenda"),
])
def test_dutch_dismissals_become_one_word(text, cleaned):
    assert clean_batch([text]) == [cleaned]


@pytest.mark.parametrize("text", ["rot op", "donder op", "lazer op", "kop dicht", "bek dicht"])
def test_dutch_dismissals_are_flagged(model, text):
    assert model.classify([text])[0].flagged


@pytest.mark.parametrize(("text", "cleaned"), [
    ("Je gaat eraan, jij.", "je bent dood, jij."), ("je bent er geweest", "je bent dood"),
    ("Val dood", " ga toch dood"), ("ok. ga maar dood!", "ok. ga toch dood!"),
    ("krepeer", " ga toch dood"), ("dat ga je bezuren", "ik krijg je nog wel"),
    ("You're dead meat!", "i will kill you!"), ("I know where you live", "i will hurt you"),
    ("I'll beat you up", "i'll punch you"), ("you'll pay for this.", "i will hurt you."),
    # their ordinary uses: left alone
    ("ik ga dood van het lachen", "ik ga dood van het lachen"),
    ("je bent er geweest?", "je bent er geweest?"),
    ("je bent er geweest, toch?", "je bent er geweest, toch?"),
    ("je gaat eraan onderdoor", "je gaat eraan onderdoor"),
    ("de plant gaat dood", "de plant gaat dood"),
    ("ik crepeer van de pijn", "ik crepeer van de pijn"),
    ("you are dead right", "you are dead right"),
    ("you'll pay for this lunch", "you'll pay for this lunch"),
    ("never beat yourself up", "never beat yourself up"),
])
def test_threat_idioms_are_read_as_the_threat_they_mean(text, cleaned):
    assert clean_batch([text]) == [cleaned]


@pytest.mark.parametrize("text", ["je gaat eraan", "je bent er geweest", "val dood",
                                  "you are dead", "I know where you live", "I will beat you up"])
def test_threat_idioms_are_flagged(model, text):
    assert model.classify([text])[0].flagged


@pytest.mark.parametrize("text", ["ik ga dood van het lachen", "ben je er geweest?",
                                  "you are dead right about that"])
def test_their_ordinary_uses_are_not(model, text):
    assert not model.classify([text])[0].flagged
