"""Hostile message text: the classifier's cost grows linearly with a message's length, for
every shape of text, and padding does not hide an insult.

Cost is compared between a text of n and of 4n characters of the same shape: linear work
grows about 4 times, quadratic work 16 times. Memory is the tracemalloc peak; time is the
process's CPU time (not wall time, so other processes on a loaded machine count less), the
best of three, with a bound (10 times) far from both 4 and 16.
"""

from __future__ import annotations

import string
import time
import tracemalloc

import pytest

from classifier.normalise import deobfuscate_word, normalise

ABC = string.ascii_lowercase
N = 5_000

#: Texts of about ``n`` characters; ``k`` varies the text so that no cache can answer.
SHAPES = {
    "one long word": lambda n, k: (ABC[k:] + ABC[:k]) * (n // 26),
    "one letter repeated": lambda n, k: ABC[k] + "a" * n,
    "letters and stars": lambda n, k: ABC[k] + "*" + "a*" * (n // 2),
    "stars then a letter": lambda n, k: "*" * n + ABC[k],
    "leetspeak word": lambda n, k: ABC[k] + "1d10t4" * (n // 6),
    "spelt-out letters": lambda n, k: (" ".join(ABC[k:] + ABC[:k]) + " ") * (n // 52),
    "letters and dots": lambda n, k: (".".join(ABC[k:] + ABC[:k]) + ".") * (n // 52),
    "zero-width joiners": lambda n, k: ABC[k] + "f\u200bu\u200bc\u200bk\u200b" * (n // 8),
    "many short tokens": lambda n, k: ABC[k] + " ok so" * (n // 6),
    "mentions": lambda n, k: ABC[k] + " <@U12345678>" * (n // 13),
    "unclosed mentions": lambda n, k: ABC[k] + "<@U1|" * (n // 5),
    "unclosed links": lambda n, k: ABC[k] + "<https:" * (n // 7),
    "unclosed labelled links": lambda n, k: ABC[k] + "<https://x|" * (n // 11),
    "backticks": lambda n, k: ABC[k] + "```a" * (n // 4),
    "entities": lambda n, k: ABC[k] + "&amp;" * (n // 5),
    "expanding ligatures": lambda n, k: ABC[k] + "\ufdfa" * (n // 4),
    "combining accents": lambda n, k: ABC[k] + "a\u0301" * (n // 2),
    "emoji": lambda n, k: ABC[k] + "🖕🤡" * (n // 2),
    "curse compound": lambda n, k: "kanker" + (ABC[k:] + ABC[:k]) * (n // 26),
}


def _cpu(work, make, n: int) -> float:
    best = float("inf")
    for k in range(3):
        text = make(n, k)
        start = time.process_time()
        work(text)
        best = min(best, time.process_time() - start)
    return best


def _peak(work, text: str) -> int:
    tracemalloc.start()
    try:
        work(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", SHAPES)
def test_scoring_cost_grows_linearly_with_length(model, shape):
    make = SHAPES[shape]

    def work(text):
        return model.classify([text])

    work(make(N, 4))  # word lists and caches fill on first use: not a cost of length
    assert _peak(work, make(4 * N, 3)) <= 6 * _peak(work, make(N, 4)) + 1_000_000
    assert _cpu(work, make, 4 * N) <= 10 * _cpu(work, make, N) + 0.02


@pytest.mark.parametrize("shape", SHAPES)
def test_normalising_cost_grows_linearly_with_length(shape):
    make = SHAPES[shape]
    assert _cpu(normalise, make, 4 * N) <= 10 * _cpu(normalise, make, N) + 0.02


@pytest.mark.parametrize("length", [20_000, 40_000])
def test_a_long_word_scores_quickly_in_little_memory(model, length):
    # 20,000 characters is the bot's cap on a message; `haven classify` takes any length.
    word = (ABC * (length // 26 + 1))[:length]
    start = time.process_time()
    result = model.classify([word])[0]
    assert time.process_time() - start < 2.0
    assert _peak(lambda text: model.classify([text]), word[1:] + "a") < 50_000_000
    assert not result.flagged


def test_a_masked_word_of_many_stars_resolves_at_once():
    # A regular expression per star used to backtrack exponentially: 18 stars took 18 s.
    start = time.process_time()
    for stars in (18, 40, 63, 1_000):
        deobfuscate_word("*" * stars + "k")
        deobfuscate_word("*a" * stars)
    assert time.process_time() - start < 1.0
    assert deobfuscate_word("f*ck") == "fuck"
    assert deobfuscate_word("m*th*rf*ck*r") == "motherfucker"


INSULT = "you are a worthless stupid idiot"
BELEDIGING = "jij bent een waardeloze sukkel"
WORK = ("Can you update the deployment checklist before Thursday? The staging build failed "
        "again because of the migration order, so I moved the review to the afternoon. "
        "Kunnen we de planning van het kwartaal morgen samen doornemen? ")


def _padded(insult: str, length: int) -> str:
    pad = (WORK * (length // len(WORK) + 1))[:length]
    return f"{pad[:length // 2]} {insult} {pad[length // 2:]}".strip()


@pytest.mark.parametrize("insult", [INSULT, BELEDIGING])
@pytest.mark.parametrize("padding", [200, 2_000, 20_000])
def test_an_insult_padded_with_work_talk_is_still_flagged(model, insult, padding):
    # Alone, each insult scores 1.00; a window counts for a little less than a message of its
    # own (WINDOW_PENALTY), so that long benign messages are not flagged for a weak window.
    padded = model.classify([_padded(insult, padding)])[0]
    assert padded.flagged
    assert padded.score >= 0.75
    assert max(padded.categories, key=padded.categories.get) == "insult"


@pytest.mark.parametrize("insult", [INSULT, BELEDIGING])
def test_twenty_mentions_do_not_dilute_an_insult(model, insult):
    mentions = " ".join(f"<@U{i:08d}>" for i in range(20))
    result = model.classify([f"{mentions} {insult}"])[0]
    assert result.flagged
    assert result.score >= model.classify([insult])[0].score - 0.1


def test_long_work_talk_alone_is_not_flagged(model):
    assert not any(r.flagged for r in model.classify([WORK * k for k in (1, 3, 10, 100)]))


@pytest.mark.parametrize("sentence", ["Honestly you are not stupid, you are just new here.",
                                      "calling her a stupid slut is not ok."])
def test_negation_or_reported_speech_is_not_cut_off_by_a_window(model, sentence):
    # Windows are cut from the whole message after negation, quotation and reported-speech
    # scope is known: a window that starts after "calling" still knows "slut" is reported.
    words = WORK.split()
    texts = [sentence] + [f"{' '.join(words[:k])} {sentence} {WORK}" for k in range(12)]
    assert not any(r.flagged for r in model.classify(texts))


def test_windowed_and_whole_scores_agree_for_short_messages(model):
    # A batch and single messages agree to rounding: the sentence encoder's matrix products
    # take other BLAS kernels for other batch sizes (CI once saw 0.99901071 and 0.99901063).
    texts = ["you are an idiot", "great demo", "ik maak je kapot", "kill the process", ""]
    assert model.score(texts) == pytest.approx([model.score([t])[0] for t in texts], abs=1e-6)
    assert [r.flagged for r in model.classify(texts)] == \
        [model.classify([t])[0].flagged for t in texts] == [True, False, True, False, False]
