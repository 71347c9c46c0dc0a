"""The real-text yardstick: how a detector does on real chat and real labelled sets.

One run measures every detector given (Haven and, when installed, alt-profanity-check) on:

1. the benign ``dev`` sets of ``data/real_chat``: flags and notices per 1,000 messages, each
   with an exact (Clopper-Pearson) one-sided 95 % upper bound;
2. the ``test`` split of the labelled sets: recall, false-alarm rate and ROC-AUC;
3. Haven's functional suite (``tests/functional/``): macro-F1 per language;
4. a one-word ablation of every flag on the benign ``dev`` sets: the words whose removal
   alone brings the score under the threshold;
5. identity bias (Borkan et al. 2019): subgroup AUC, BPSN AUC and BNSP AUC per group;
6. a counterfactual check: generated sentences whose decision changes when only the group
   named in them changes.

:func:`run_benchmark` computes, :func:`format_report` renders text, :func:`write_plots`
draws PNGs. ``benchmarks/real.py`` and ``haven evaluate --real`` both call these.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.realdata import (
    LABELLED_SETS,
    RealRow,
    load_benign_dev,
    load_counterfactual,
    load_real,
)

#: Sets that get identity-bias metrics: built around identity mentions, with enough rows.
BIAS_SETS = ("wiki_toxicity_identity_testset", "measuring_hate_speech_subset")
#: A group needs this many mentions (and both labels among them) for its AUCs.
MIN_GROUP_ROWS = 20
#: Ablation of very long messages would cost one scoring per word: stop at this many words.
MAX_ABLATION_WORDS = 80
#: Power of the generalised mean that summarises per-group AUCs (Borkan et al.: -5).
POWER_MEAN_P = -5
BATCH = 4096


@dataclass
class Detector:
    """A named scoring function (texts -> scores in [0, 1]) and its flagging threshold."""

    name: str
    score: Callable[[list[str]], Sequence[float]]
    threshold: float
    short: str = ""
    #: Sets of ``data/`` whose texts (or their source corpus) the detector was trained on:
    #: its figures there are marked, not comparable.
    trained_on: tuple[str, ...] = ()

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Scores for any number of texts, in batches (bounded memory)."""
        texts = list(texts)
        out = [np.asarray(self.score(texts[i:i + BATCH]), dtype=float)
               for i in range(0, len(texts), BATCH)]
        return np.concatenate(out) if out else np.zeros(0)


def haven_detector(model) -> Detector:
    """Haven's model (see :func:`classifier.load_model`) at its own threshold."""
    return Detector("haven", model.score, model.threshold, "Haven")


def profanity_check_detector() -> Detector | None:
    """alt-profanity-check at 0.5 (what its ``predict`` uses); None if not installed."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    # Its README: trained on Davidson et al.'s tweets and Jigsaw's Toxic Comment
    # Classification Challenge (Wikipedia talk comments, the corpus of the Wikipedia
    # identity test set).
    return Detector("alt-profanity-check", predict_prob, 0.5, "APC",
                    ("davidson2017", "wiki_toxicity_identity_testset"))


def upper_bound(k: int, n: int, confidence: float = 0.95) -> float:
    """Exact one-sided upper confidence bound of a rate k/n (Clopper-Pearson)."""
    from scipy.stats import beta

    if n == 0:
        return float("nan")
    return 1.0 if k >= n else float(beta.ppf(confidence, k + 1, n - k))


# --- who a message is addressed to --------------------------------------------------------

_SLACK_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_AT_NICK = re.compile(r"(?<![\w.])@[A-Za-z0-9_\-\[\]\\^{}|`]{2,}")
_NICK = r"[A-Za-z0-9_\-\[\]\\^{}|`.]{2,30}"
_LEADING_COLON = re.compile(rf"^\s*({_NICK}):(?:\s|$)")
_LEADING_COMMA = re.compile(rf"^\s*({_NICK}),\s")


def addressed(texts: Sequence[str]) -> np.ndarray:
    """Which messages address someone, and so could give a private notice if flagged.

    In Slack, Haven notifies only for a flagged message that mentions someone (``<@U…>``)
    or answers a thread. Real IRC and Gitter lines name people by nick instead, so a message
    counts as addressed when it holds a Slack mention or an ``@nick``, or begins with
    ``nick:`` (how IRC clients complete a nick), or begins with ``nick,`` where ``nick`` is
    a name the same set also addresses as ``nick:`` (so "Hi," and "Well," do not count).
    The sets hold no threads.
    """
    colon = [_LEADING_COLON.match(t) for t in texts]
    nicks = {m.group(1).lower() for m in colon if m}
    out = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        comma = _LEADING_COMMA.match(text)
        out[i] = bool(colon[i] or _SLACK_MENTION.search(text) or _AT_NICK.search(text)
                      or (comma and comma.group(1).lower() in nicks))
    return out


# --- the sections ------------------------------------------------------------------------

@dataclass
class BenchmarkResult:
    """The printable report (JSON-ready) and the scores the plots need."""

    report: dict
    scores: dict = field(default_factory=dict)


def _per_1000(k: int, n: int) -> dict:
    return {"count": int(k), "per_1000": 1000 * k / n if n else float("nan"),
            "upper_95_per_1000": 1000 * upper_bound(int(k), n)}


def benign_section(detectors: list[Detector], sets: dict[str, list[RealRow]],
                   store: dict) -> dict:
    """Flags and notices per 1,000 messages on each benign dev set."""
    out = {}
    for name, rows in sets.items():
        texts = [r.text for r in rows]
        to_someone = addressed(texts)
        entry = {"n": len(rows), "addressed": int(to_someone.sum()), "detectors": {}}
        for d in detectors:
            s = d.scores(texts)
            store.setdefault(d.name, {})[f"benign/{name}"] = s
            flag = s >= d.threshold
            entry["detectors"][d.name] = {
                "flags": _per_1000(flag.sum(), len(rows)),
                "notices": _per_1000((flag & to_someone).sum(), len(rows))}
        out[name] = entry
    return out


def _auc(y: np.ndarray, s: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else None


def _rates(y: np.ndarray, flag: np.ndarray) -> tuple[float | None, float | None]:
    pos, neg = y == 1, y == 0
    recall = float(flag[pos].mean()) if pos.any() else None
    false_alarm = float(flag[neg].mean()) if neg.any() else None
    return recall, false_alarm


def recall_at_false_alarm(y: np.ndarray, s: np.ndarray, false_alarm: float) -> float | None:
    """Recall when the threshold is raised until the false-alarm rate is at most
    ``false_alarm`` (flag = score strictly above the (k+1)-th highest benign score)."""
    neg = np.sort(s[y == 0])[::-1]
    if not (y == 1).any() or not len(neg):
        return None
    k = int(np.floor(false_alarm * len(neg) + 1e-9))
    if k >= len(neg):
        return 1.0
    return float((s[y == 1] > neg[k]).mean())


def labelled_section(detectors: list[Detector], sets: dict[str, list[RealRow]],
                     store: dict) -> dict:
    """Recall, false-alarm rate and ROC-AUC on each labelled test split, and the pool."""
    out = {}
    pooled_y, pooled = [], defaultdict(list)
    reference = detectors[-1] if len(detectors) > 1 else None
    for name, rows in sets.items():
        y = np.array([r.label for r in rows], dtype=int)
        kinds = np.array([r.kind for r in rows])
        entry = {"n": len(rows), "harassing": int(y.sum()), "benign": int((1 - y).sum()),
                 "detectors": {}, "by_kind": {}}
        scores = {d.name: d.scores([r.text for r in rows]) for d in detectors}
        for d in detectors:
            s = scores[d.name]
            store.setdefault(d.name, {})[f"labelled/{name}"] = (y, s)
            recall, false_alarm = _rates(y, s >= d.threshold)
            entry["detectors"][d.name] = {"recall": recall, "false_alarm": false_alarm,
                                          "roc_auc": _auc(y, s)}
            pooled[d.name].append(s)
        if reference is not None:
            ref_fa = entry["detectors"][reference.name]["false_alarm"]
            for d in detectors[:-1]:
                entry["detectors"][d.name]["recall_at_reference_false_alarm"] = (
                    None if ref_fa is None else recall_at_false_alarm(y, scores[d.name], ref_fa))
        positive_kinds = sorted(set(kinds[y == 1]))
        if len(positive_kinds) > 1:
            for kind in positive_kinds:
                mask = kinds == kind
                entry["by_kind"][kind] = {
                    "harassing": int(mask.sum()),
                    "recall": {d.name: float((scores[d.name][mask] >= d.threshold).mean())
                               for d in detectors}}
        pooled_y.append(y)
        out[name] = entry
    if pooled_y:
        y = np.concatenate(pooled_y)
        entry = {"n": len(y), "harassing": int(y.sum()), "benign": int((1 - y).sum()),
                 "detectors": {}, "by_kind": {}}
        for d in detectors:
            s = np.concatenate(pooled[d.name])
            recall, false_alarm = _rates(y, s >= d.threshold)
            entry["detectors"][d.name] = {"recall": recall, "false_alarm": false_alarm,
                                          "roc_auc": _auc(y, s)}
            store[d.name]["labelled/all"] = (y, s)
        out["all (pooled)"] = entry
    return out


def functional_section(detectors: list[Detector], limit: int | None) -> dict:
    """Macro-F1 on Haven's functional suite, per language and overall."""
    from sklearn.metrics import f1_score

    from classifier.evaluate import default_suite_path, read_labelled

    rows = read_labelled(default_suite_path())[:limit]
    y = np.array([r["y"] for r in rows])
    langs = np.array([r.get("lang", "") for r in rows])
    out = {}
    for d in detectors:
        flag = d.scores([r["text"] for r in rows]) >= d.threshold
        out[d.name] = {lang: float(f1_score(y[langs == lang], flag[langs == lang],
                                            average="macro", zero_division=0))
                       for lang in sorted(set(langs))}
        out[d.name]["all"] = float(f1_score(y, flag, average="macro", zero_division=0))
    return {"n": len(rows), "macro_f1": out}


_STRIP = re.compile(r"^\W+|\W+$")


def ablation(detector: Detector, texts: Sequence[str], top: int = 10) -> dict:
    """For each flagged text, remove one word at a time; count the words whose removal alone
    brings the score under the threshold (once per text), and return the ``top`` ones."""
    variants, owner, words = [], [], []
    for i, text in enumerate(texts):
        tokens = text.split()[:MAX_ABLATION_WORDS]
        for j, token in enumerate(tokens):
            variants.append(" ".join(tokens[:j] + tokens[j + 1:]))
            owner.append(i)
            words.append(_STRIP.sub("", token.lower()) or token.lower())
    below = detector.scores(variants) < detector.threshold if variants else np.zeros(0, bool)
    drivers: dict[int, set[str]] = defaultdict(set)
    for i, word, dropped in zip(owner, words, below, strict=True):
        if dropped:
            drivers[i].add(word)
    counts = Counter(w for found in drivers.values() for w in found)
    n = len(texts)
    return {"false_flags": n, "explained_by_one_word": len(drivers),
            "top": [{"word": w, "flags": c, "share": c / n} for w, c in counts.most_common(top)]}


def ablation_section(detectors: list[Detector], sets: dict[str, list[RealRow]],
                     store: dict) -> dict:
    """The one-word ablation of every flag on the benign dev sets, per language."""
    out = {}
    for d in detectors:
        by_lang: dict[str, list[str]] = defaultdict(list)
        for name, rows in sets.items():
            s = store[d.name][f"benign/{name}"]
            by_lang[rows[0].lang if rows else "?"] += [r.text for r, v in zip(rows, s,
                                                                              strict=True)
                                                       if v >= d.threshold]
        out[d.name] = {lang: ablation(d, texts) for lang, texts in sorted(by_lang.items())}
    return out


def power_mean(values: list[float], p: float = POWER_MEAN_P) -> float | None:
    """Generalised mean with power ``p``: low values weigh most (Borkan et al. 2019)."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return float(np.mean(np.power(values, p)) ** (1 / p))


def bias_metrics(y: np.ndarray, s: np.ndarray, in_group: np.ndarray) -> dict:
    """Subgroup AUC, BPSN AUC and BNSP AUC of one identity group (Borkan et al. 2019)."""
    pos, neg = y == 1, y == 0
    bpsn = (in_group & neg) | (~in_group & pos)
    bnsp = (in_group & pos) | (~in_group & neg)
    return {"subgroup_auc": _auc(y[in_group], s[in_group]),
            "bpsn_auc": _auc(y[bpsn], s[bpsn]), "bnsp_auc": _auc(y[bnsp], s[bnsp])}


def bias_section(detectors: list[Detector], sets: dict[str, list[RealRow]],
                 store: dict) -> dict:
    """Per identity group with enough mentions: its three AUCs per detector, and their
    generalised means."""
    out = {}
    for name in BIAS_SETS:
        rows = sets.get(name, [])
        if not rows:
            continue
        y = np.array([r.label for r in rows])
        groups = sorted({g for r in rows for g in r.groups})
        entry = {"n": len(rows), "groups": {}, "summary": {}}
        for g in groups:
            mask = np.array([g in r.groups for r in rows])
            if mask.sum() < MIN_GROUP_ROWS or not 0 < y[mask].sum() < mask.sum():
                continue
            entry["groups"][g] = {"n": int(mask.sum()), "harassing": int(y[mask].sum()),
                                  "detectors": {}}
            for d in detectors:
                s = store[d.name][f"labelled/{name}"][1]
                entry["groups"][g]["detectors"][d.name] = bias_metrics(y, s, mask)
        for d in detectors:
            per = [v["detectors"][d.name] for v in entry["groups"].values()]
            entry["summary"][d.name] = {
                metric: power_mean([m[metric] for m in per])
                for metric in ("subgroup_auc", "bpsn_auc", "bnsp_auc")}
            entry["summary"][d.name]["overall_auc"] = _auc(
                y, store[d.name][f"labelled/{name}"][1])
        out[name] = entry
    return out


def counterfactual_section(detectors: list[Detector], data_dir: Path | None) -> dict:
    """Generated sentences per language and label: how many are flagged, how many templates
    change decision with the group alone, and which groups are most often the odd one out."""
    sentences = load_counterfactual(data_dir)
    out: dict = {}
    for d in detectors:
        flags = d.scores([c.text for c in sentences]) >= d.threshold
        by_template: dict[tuple, list[tuple[str, bool]]] = defaultdict(list)
        for c, f in zip(sentences, flags, strict=True):
            by_template[(c.lang, c.label, c.template)].append((c.group, bool(f)))
        cells: dict[str, dict] = {}
        odd = Counter()
        for (lang, label, _), decisions in by_template.items():
            cell = cells.setdefault(f"{lang}/{'harassing' if label else 'benign'}", {
                "templates": 0, "sentences": 0, "flagged": 0, "templates_that_flip": 0,
                "pairs": 0, "pairs_that_flip": 0})
            k, n = sum(f for _, f in decisions), len(decisions)
            cell["templates"] += 1
            cell["sentences"] += n
            cell["flagged"] += k
            cell["templates_that_flip"] += int(0 < k < n)
            cell["pairs"] += n * (n - 1) // 2
            cell["pairs_that_flip"] += k * (n - k)
            majority = 2 * k > n
            odd.update(f"{lang}:{g}" for g, f in decisions if f != majority and 2 * k != n)
        out[d.name] = {"cells": cells, "odd_one_out": odd.most_common(5)}
    return {"sentences": len(sentences), "detectors": out}


def run_benchmark(detectors: list[Detector], data_dir: Path | None = None,
                  limit: int | None = None) -> BenchmarkResult:
    """Every section, for every detector. ``limit`` keeps the first rows of each set (for a
    quick check; figures on a limited run are not comparable)."""
    start = time.perf_counter()
    benign = {name: rows[:limit] for name, rows in load_benign_dev(data_dir).items()}
    labelled = {name: load_real(name, data_dir, "test")[:limit] for name in LABELLED_SETS}
    store: dict = {}
    report = {
        "detectors": {d.name: {"threshold": d.threshold, "short": d.short or d.name,
                               "trained_on": list(d.trained_on)} for d in detectors},
        "limit": limit,
        "benign_dev": benign_section(detectors, benign, store),
        "labelled_test": labelled_section(detectors, labelled, store),
        "functional": functional_section(detectors, limit),
    }
    report["ablation"] = ablation_section(detectors, benign, store)
    report["identity_bias"] = bias_section(detectors, labelled, store)
    report["counterfactual"] = counterfactual_section(detectors, data_dir)
    report["runtime_s"] = time.perf_counter() - start
    return BenchmarkResult(report, store)


# --- text ----------------------------------------------------------------------------------

def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others, two spaces between columns."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *map(line, rows)]


def _short(report: dict, name: str) -> str:
    return report["detectors"][name]["short"]


_SEEN = "†"


def _seen_note(report: dict, names: list[str]) -> list[str]:
    return [f"  {_SEEN} {_short(report, n)} was trained on this set or its source corpus: "
            f"{', '.join(report['detectors'][n]['trained_on'])}" for n in names
            if report["detectors"][n]["trained_on"]]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _rate(entry: dict) -> str:
    return f"{entry['per_1000']:.1f} (≤{entry['upper_95_per_1000']:.1f})"


def _format_benign(report: dict, names: list[str]) -> list[str]:
    headers = ["set", "messages", "addressed"]
    for name in names:
        headers += [f"{_short(report, name)} flags/1k", f"{_short(report, name)} notices/1k"]
    rows = []
    for set_name, e in report["benign_dev"].items():
        row = [set_name, f"{e['n']:,}", f"{e['addressed']:,}"]
        for name in names:
            d = e["detectors"][name]
            row += [_rate(d["flags"]), _rate(d["notices"])]
        rows.append(row)
    return ["1. Benign real chat (dev): flags and notices per 1,000 messages "
            "(one-sided 95 % upper bound)", *_table(headers, rows)]


def _format_labelled(report: dict, names: list[str]) -> list[str]:
    headers = ["set (test split)", "harassing", "benign"]
    for name in names:
        headers += [f"{_short(report, name)} recall", "false alarms", "AUC"]
    reference = names[-1] if len(names) > 1 else None
    if reference:
        headers += [f"{_short(report, names[0])} recall at {_short(report, reference)}'s FA"]
    rows = []
    for set_name, e in report["labelled_test"].items():
        row = [set_name, f"{e['harassing']:,}", f"{e['benign']:,}"]
        for name in names:
            d = e["detectors"][name]
            mark = _SEEN if set_name in report["detectors"][name]["trained_on"] else ""
            row += [_pct(d["recall"]) + mark, _pct(d["false_alarm"]), _num(d["roc_auc"])]
        if reference:
            row.append(_pct(e["detectors"][names[0]].get("recall_at_reference_false_alarm")))
        rows.append(row)
        for kind, k in e["by_kind"].items():
            sub = [f"  of which {kind}", f"{k['harassing']:,}", ""]
            for name in names:
                sub += [_pct(k["recall"][name]), "", ""]
            rows.append(sub + ([""] if reference else []))
    return ["2. Real labelled sets (test split): recall, false-alarm rate, ROC-AUC",
            *_table(headers, rows), *_seen_note(report, names)]


def _format_functional(report: dict, names: list[str]) -> list[str]:
    f = report["functional"]
    langs = list(next(iter(f["macro_f1"].values())).keys()) if names else []
    rows = [[_short(report, name), *(_num(f["macro_f1"][name][lang]) for lang in langs)]
            for name in names]
    return [f"3. Functional suite tests/functional/ ({f['n']} cases): macro-F1",
            *_table(["detector", *langs], rows)]


def _format_ablation(report: dict, names: list[str]) -> list[str]:
    lines = ["4. Words that drive false flags on benign dev chat (one-word ablation: flags "
             "whose score falls under the threshold when only this word is removed)"]
    for name in names:
        for lang, a in report["ablation"][name].items():
            lines.append(f"  {_short(report, name)}, {lang}: {a['false_flags']} flags, "
                         f"{a['explained_by_one_word']} undone by removing one word")
            if a["top"]:
                lines += ["    " + line for line in _table(
                    ["word", "flags", "share"],
                    [[t["word"], str(t["flags"]), _pct(t["share"])] for t in a["top"]])]
    return lines


def _format_bias(report: dict, names: list[str]) -> list[str]:
    lines = ["5. Identity bias (Borkan et al. 2019): subgroup / BPSN / BNSP ROC-AUC per "
             f"group (groups with ≥ {MIN_GROUP_ROWS} mentions and both labels)"]
    for set_name, e in report["identity_bias"].items():
        headers = ["group", "n", "harassing"]
        for name in names:
            headers += [f"{_short(report, name)} subgroup", "BPSN", "BNSP"]
        rows = []
        for g, v in e["groups"].items():
            row = [g, str(v["n"]), str(v["harassing"])]
            for name in names:
                m = v["detectors"][name]
                row += [_num(m["subgroup_auc"]), _num(m["bpsn_auc"]), _num(m["bnsp_auc"])]
            rows.append(row)
        row = [f"power mean (p={POWER_MEAN_P})", "", ""]
        for name in names:
            m = e["summary"][name]
            row += [_num(m["subgroup_auc"]), _num(m["bpsn_auc"]), _num(m["bnsp_auc"])]
        rows.append(row)
        overall = ", ".join(
            f"{_short(report, name)} {_num(e['summary'][name]['overall_auc'])}" for name in names)
        seen = [_short(report, n) for n in names
                if set_name in report["detectors"][n]["trained_on"]]
        overall += f"; {_SEEN} {', '.join(seen)} trained on this corpus" if seen else ""
        lines += [f"  {set_name} ({e['n']:,} rows; overall AUC {overall})",
                  *("    " + line for line in _table(headers, rows))]
    return lines


def _format_counterfactual(report: dict, names: list[str]) -> list[str]:
    c = report["counterfactual"]
    headers = ["language/label", "templates", "sentences"]
    for name in names:
        headers += [f"{_short(report, name)} flagged", "templates that flip",
                    "pairs that flip"]
    rows = []
    cells = list(c["detectors"][names[0]]["cells"]) if names else []
    for cell in cells:
        first = c["detectors"][names[0]]["cells"][cell]
        row = [cell, str(first["templates"]), str(first["sentences"])]
        for name in names:
            v = c["detectors"][name]["cells"][cell]
            row += [_pct(v["flagged"] / v["sentences"]),
                    f"{v['templates_that_flip']}/{v['templates']}",
                    f"{v['pairs_that_flip']}/{v['pairs']}"]
        rows.append(row)
    lines = [f"6. Counterfactual: {c['sentences']} generated sentences (data/haven_counterfactual"
             "); a template flips when swapping only the group changes a decision",
             *_table(headers, rows)]
    for name in names:
        odd = ", ".join(f"{g} ({n})" for g, n in c["detectors"][name]["odd_one_out"]) or "none"
        lines.append(f"  {_short(report, name)}: groups most often decided against their "
                     f"template's majority: {odd}")
    return lines


def format_report(report: dict) -> str:
    """The report as plain-text tables, one per section, each detector side by side."""
    names = list(report["detectors"])
    thresholds = ", ".join(f"{n} {v['threshold']:.3f}" for n, v in report["detectors"].items())
    legend = ", ".join(f"{v['short']} = {n}" for n, v in report["detectors"].items()
                       if v["short"].lower() != n)
    head = [f"Real-text benchmark — thresholds: {thresholds}" + (f" ({legend})" if legend
                                                                  else "")]
    if report["limit"]:
        head.append(f"(limited to the first {report['limit']} rows of each set: "
                    "figures are not comparable)")
    sections = [_format_benign, _format_labelled, _format_functional, _format_ablation,
                _format_bias, _format_counterfactual]
    body = ["\n".join(section(report, names)) for section in sections]
    tail = f"runtime {report['runtime_s']:.1f} s"
    return "\n\n".join(["\n".join(head), *body, tail]) + "\n"


# --- plots -----------------------------------------------------------------------------

def _benign_chat(store: dict, lang: str) -> np.ndarray:
    parts = [s for key, s in store.items() if key.startswith(f"benign/{lang}_")]
    return np.concatenate(parts) if parts else np.zeros(0)


def _sweep(benign: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flags per 1,000 benign messages and recall, over every useful threshold."""
    cuts = np.unique(np.concatenate([s[y == 1], [np.inf]]))
    benign, positives = np.sort(benign), np.sort(s[y == 1])
    flags = 1000 * (len(benign) - np.searchsorted(benign, cuts)) / max(len(benign), 1)
    recall = (len(positives) - np.searchsorted(positives, cuts)) / max(len(positives), 1)
    return flags, recall


def _plot_histograms(plt, result: BenchmarkResult, names: list[str], path: Path) -> None:
    fig, axes = plt.subplots(1, len(names), figsize=(6 * len(names), 4.2), squeeze=False)
    bins = np.linspace(0, 1, 41)
    for ax, name in zip(axes[0], names, strict=True):
        store, threshold = result.scores[name], result.report["detectors"][name]["threshold"]
        y, s = store.get("labelled/all", (np.zeros(0), np.zeros(0)))
        series = [("benign real chat, EN (dev)", _benign_chat(store, "en"), "tab:blue"),
                  ("benign real text, NL (dev)", _benign_chat(store, "nl"), "tab:cyan"),
                  ("benign labelled (test)", s[y == 0], "tab:green"),
                  ("harassing labelled (test)", s[y == 1], "tab:red")]
        for label, values, colour in series:
            if len(values):
                ax.hist(values, bins=bins, histtype="step", linewidth=1.6, color=colour,
                        weights=np.full(len(values), 1 / len(values)),
                        label=f"{label}, n={len(values):,}")
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
        ax.set_yscale("log")
        ax.set_xlabel("score")
        ax.set_ylabel("share of messages (log)")
        ax.set_title(name)
        ax.legend(fontsize=7, loc="upper center")
    fig.suptitle("Score histograms: benign vs harassing")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_recall_vs_flags(plt, result: BenchmarkResult, names: list[str], path: Path) -> None:
    sets = [k for k, e in result.report["labelled_test"].items() if e["harassing"]]
    cols = 4
    rows = -(-len(sets) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    styles = ["-", "--", ":"]
    for ax, set_name in zip(axes.flat, sets, strict=False):
        key = "labelled/all" if set_name == "all (pooled)" else f"labelled/{set_name}"
        for name, style in zip(names, styles, strict=False):
            store, threshold = result.scores[name], result.report["detectors"][name]["threshold"]
            benign = _benign_chat(store, "en")
            y, s = store[key]
            flags, recall = _sweep(benign, y, s)
            line, = ax.plot(np.maximum(flags, 0.05), recall, style, label=name)
            at_flags = 1000 * float((benign >= threshold).mean()) if len(benign) else 0.0
            at_recall = float((s[y == 1] >= threshold).mean())
            ax.plot([max(at_flags, 0.05)], [at_recall], "o", color=line.get_color())
        ax.axvline(1, color="grey", linewidth=0.8, linestyle="--")
        ax.set_xscale("log")
        ax.set_xlim(0.05, 1000)
        ax.set_ylim(0, 1)
        ax.set_title(set_name, fontsize=9)
        ax.set_xlabel("flags per 1,000 benign EN chat (dev)", fontsize=8)
        ax.set_ylabel("recall", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(sets):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Recall against flags per 1,000 benign messages "
                 "(dot: operating threshold; dashed: 1 per 1,000)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


_METRIC_LABELS = {"subgroup_auc": "subgroup AUC", "bpsn_auc": "BPSN", "bnsp_auc": "BNSP"}


def _plot_bias(plt, result: BenchmarkResult, names: list[str], path: Path) -> None:
    sets = list(result.report["identity_bias"].items())
    fig, axes = plt.subplots(1, max(len(sets), 1), figsize=(6.5 * max(len(sets), 1), 5),
                             squeeze=False)
    markers = {"subgroup_auc": "o", "bpsn_auc": "<", "bnsp_auc": ">"}
    colours = ["tab:red", "tab:blue", "tab:green"]
    for ax, (set_name, e) in zip(axes[0], sets, strict=False):
        groups = list(e["groups"])
        for k, name in enumerate(names):
            for metric, marker in markers.items():
                values = [e["groups"][g]["detectors"][name][metric] for g in groups]
                ax.scatter([v if v is not None else np.nan for v in values],
                           np.arange(len(groups)) + 0.15 * (k - 0.5), marker=marker,
                           color=colours[k % len(colours)], s=28,
                           label=f"{name} {_METRIC_LABELS[metric]}")
        ax.set_yticks(np.arange(len(groups)), groups, fontsize=8)
        ax.set_xlim(0.4, 1.0)
        ax.axvline(0.5, color="grey", linewidth=0.8)
        ax.set_xlabel("ROC-AUC (low BPSN: benign mentions scored high; low BNSP: "
                      "hostile mentions scored low)", fontsize=7)
        ax.set_title(set_name, fontsize=9)
        ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle("Identity bias per group (Borkan et al. 2019)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_plots(result: BenchmarkResult, folder: Path) -> list[Path]:
    """Score histograms, recall against flags per 1,000, and identity bias, as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(result.report["detectors"])
    paths = [folder / "score_histograms.png", folder / "recall_vs_flags.png",
             folder / "identity_bias.png"]
    _plot_histograms(plt, result, names, paths[0])
    _plot_recall_vs_flags(plt, result, names, paths[1])
    _plot_bias(plt, result, names, paths[2])
    return paths
