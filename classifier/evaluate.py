"""Metrics for a harassment model: overall, per language, per category, per functionality."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import (
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from classifier.data import CATEGORIES


def default_suite_path() -> Path:
    """Haven's own functional test suite (never used for training)."""
    return Path(__file__).resolve().parent.parent / "tests" / "functional" / "cases.csv"


def read_labelled(path: Path) -> list[dict]:
    """Rows of a CSV with ``text`` and ``label`` (harassing/benign or 1/0) columns.

    Optional columns: ``lang``, ``functionality``, ``categories`` (``;``-separated).
    """
    with Path(path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"text", "label"} <= rows[0].keys():
        raise ValueError(f"{path}: needs 'text' and 'label' columns")
    for row in rows:
        row["y"] = int(str(row["label"]).strip().lower() in {"1", "harassing", "true"})
    return rows


def binary_metrics(y: np.ndarray, score: np.ndarray, threshold: float) -> dict:
    """Precision, recall, F1 (harassing class), macro-F1, ROC-AUC and support."""
    y = np.asarray(y)
    flag = np.asarray(score) >= threshold
    p, r, f, _ = precision_recall_fscore_support(y, flag, average="binary", zero_division=0)
    both = len(np.unique(y)) == 2
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(f), 4),
        "macro_f1": round(float(f1_score(y, flag, average="macro", zero_division=0)), 4),
        "roc_auc": round(float(roc_auc_score(y, score)), 4) if both else None,
        "accuracy": round(float((flag == y).mean()), 4) if len(y) else None,
    }


def expected_calibration_error(y: np.ndarray, score: np.ndarray, bins: int = 10) -> float:
    """Mean gap between predicted probability and observed rate, weighted by bin size."""
    y, score = np.asarray(y, dtype=float), np.asarray(score, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(score, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            gap += mask.mean() * abs(score[mask].mean() - y[mask].mean())
    return round(float(gap), 4)


def evaluate_rows(rows: list[dict], scores: np.ndarray, categories: np.ndarray | None,
                  languages: list[str], threshold: float) -> dict:
    """The full report for labelled rows and their model outputs."""
    y = np.array([row["y"] for row in rows])
    flag = scores >= threshold
    report = {
        "threshold": threshold,
        "overall": binary_metrics(y, scores, threshold),
        "calibration_ece": expected_calibration_error(y, scores),
        "confusion_matrix": confusion_matrix(y, flag, labels=[0, 1]).tolist(),
        "per_language": {},
        "per_category": {},
        "per_functionality": {},
    }
    langs = np.array([row.get("lang") or lang for row, lang in zip(rows, languages,
                                                                   strict=True)])
    for lang in sorted(set(langs)):
        mask = langs == lang
        report["per_language"][lang] = binary_metrics(y[mask], scores[mask], threshold)
    if categories is not None and rows and "categories" in rows[0]:
        for j, name in enumerate(CATEGORIES):
            truth = np.array([name in (row.get("categories") or "").split(";") for row in rows])
            report["per_category"][name] = binary_metrics(truth.astype(int),
                                                          categories[:, j], 0.5)
    groups = defaultdict(list)
    for i, row in enumerate(rows):
        if row.get("functionality"):
            groups[(row.get("lang") or langs[i], row["functionality"])].append(i)
    for (lang, name), idx in sorted(groups.items()):
        report["per_functionality"][f"{lang}/{name}"] = {
            "n": len(idx), "accuracy": round(float((flag[idx] == y[idx]).mean()), 4),
            "label": "harassing" if y[idx].mean() >= 0.5 else "benign"}
    return report


def format_report(report: dict, title: str) -> str:
    """A plain-text rendering of :func:`evaluate_rows`' report."""
    lines = [f"== {title} (threshold {report['threshold']:.3f}) =="]

    def row(name: str, m: dict) -> str:
        auc = f"{m['roc_auc']:.3f}" if m.get("roc_auc") is not None else "  -  "
        return (f"  {name:<34} n={m['n']:<6} P={m['precision']:.3f} R={m['recall']:.3f} "
                f"F1={m['f1']:.3f} macroF1={m['macro_f1']:.3f} AUC={auc}")

    lines.append(row("overall", report["overall"]))
    for lang, m in report["per_language"].items():
        lines.append(row(f"language {lang}", m))
    for name, m in report["per_category"].items():
        lines.append(row(f"category {name}", m))
    lines.append(f"  calibration error (ECE, 10 bins): {report['calibration_ece']:.3f}")
    (tn, fp), (fn, tp) = report["confusion_matrix"]
    lines.append("  confusion matrix      flagged   not flagged")
    lines.append(f"    harassing          {tp:>7}   {fn:>11}")
    lines.append(f"    benign             {fp:>7}   {tn:>11}")
    if report["per_functionality"]:
        lines.append("  accuracy per functionality:")
        for name, m in report["per_functionality"].items():
            lines.append(f"    {name:<36} {m['label']:<9} n={m['n']:<4} "
                         f"acc={m['accuracy']:.3f}")
    return "\n".join(lines)


def write_plots(y: np.ndarray, scores: np.ndarray, threshold: float, folder: Path) -> list[Path]:
    """Precision-recall curve, calibration curve and confusion matrix as PNG files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    flag = scores >= threshold
    paths = []

    fig, ax = plt.subplots(figsize=(6, 5))
    PrecisionRecallDisplay.from_predictions(y, scores, ax=ax, name="Haven")
    p, r, _, _ = precision_recall_fscore_support(y, flag, average="binary", zero_division=0)
    ax.plot([r], [p], "o", color="crimson", label=f"threshold {threshold:.2f}")
    ax.legend(loc="lower left")
    ax.set_title("Precision-recall")
    paths.append(folder / "precision_recall.png")

    fig2, ax2 = plt.subplots(figsize=(6, 5))
    CalibrationDisplay.from_predictions(y, scores, n_bins=10, ax=ax2, name="Haven")
    ax2.axvline(threshold, color="crimson", linestyle="--", label=f"threshold {threshold:.2f}")
    ax2.legend(loc="upper left")
    ax2.set_title("Calibration")
    paths.append(folder / "calibration.png")

    fig3, ax3 = plt.subplots(figsize=(5, 4.5))
    ConfusionMatrixDisplay.from_predictions(y, flag.astype(int), display_labels=["benign",
                                            "harassing"], ax=ax3, colorbar=False)
    ax3.set_title(f"Confusion matrix at threshold {threshold:.2f}")
    paths.append(folder / "confusion_matrix.png")

    for figure, path in zip((fig, fig2, fig3), paths, strict=True):
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
    return paths
