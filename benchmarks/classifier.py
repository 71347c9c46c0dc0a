"""Speed and memory of Haven's classifier, side by side with alt-profanity-check.

Run: ``python benchmarks/classifier.py`` (after ``pip install -e '.[dev]'``). Everything runs
pinned to one CPU core with one BLAS thread, on the same 10,000 messages for both models.
Prints batch throughput, single-message latency (median and p99 of 2,000 calls), model load
time and the peak RSS of a process that loaded the model and classified 10,000 messages.

Two workloads: Haven's workplace chat (the existing benchmark: about 4 in 10 messages are
harassing, so many reach the second stage) and real developer chat (the ``train`` splits of
``data/real_chat``: what a workspace mostly sends).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_BATCH, N_SINGLE = 10_000, 2_000


def pin_one_core() -> None:
    """Run this process (and its children) on a single core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def messages(n: int) -> list[str]:
    """``n`` Slack-like messages: Haven's workplace chat (EN + NL), shuffled and cycled."""
    import csv

    texts = []
    for path in sorted((ROOT / "data" / "haven_workplace").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    order = np.random.default_rng(0).permutation(len(texts))
    return [texts[i] for i in np.resize(order, n)]


def real_chat(n: int) -> list[str]:
    """``n`` messages of real chat (IRC, Gitter, written Dutch; ``train`` splits), shuffled."""
    from classifier.realdata import load_real

    texts = [row.text for row in load_real("real_chat", split="train") if row.text.strip()]
    order = np.random.default_rng(0).permutation(len(texts))
    return [texts[i] for i in np.resize(order, n)]


def haven_scorer():
    from classifier import load_model

    model = load_model()
    return model.score


def profanity_scorer():
    from profanity_check import predict_prob

    return predict_prob


SCORERS = {"haven": haven_scorer, "alt-profanity-check": profanity_scorer}


def throughput(score, texts: list[str], repeats: int = 7) -> float:
    """Messages per second for one batch call, best of ``repeats``."""
    score(texts[:100])
    best = min(_timed(score, texts) for _ in range(repeats))
    return len(texts) / best


def _timed(score, texts) -> float:
    start = time.perf_counter()
    score(texts)
    return time.perf_counter() - start


def latency(score, texts: list[str]) -> tuple[float, float]:
    """Median and p99 milliseconds of single-message calls."""
    for text in texts[:50]:
        score([text])
    samples = []
    for text in texts[:N_SINGLE]:
        start = time.perf_counter()
        score([text])
        samples.append(time.perf_counter() - start)
    ms = np.array(samples) * 1000
    return float(np.median(ms)), float(np.percentile(ms, 99))


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM; unlike ru_maxrss it is not inherited)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(name: str) -> None:
    """In a fresh process: import time, model load time, then peak RSS after N_BATCH."""
    pin_one_core()
    texts = messages(N_BATCH)
    start = time.perf_counter()
    import sklearn.linear_model  # noqa: F401  (both models need scikit-learn)

    imported = time.perf_counter()
    score = SCORERS[name]()
    score(["warm-up"])
    loaded = time.perf_counter()
    if name == "haven":  # the second stage's encoder loads on a thread meanwhile
        from classifier.semantic import encoder

        encoder()
    ready = time.perf_counter()
    score(texts)
    print(json.dumps({"import_s": imported - start, "load_s": loaded - imported,
                      "ready_s": ready - imported, "peak_rss_mb": peak_rss_mb()}))


def in_child(name: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", name], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    pin_one_core()
    workloads = {"workplace chat": messages(N_BATCH), "real developer chat": real_chat(N_BATCH)}
    rows = {}
    scorers = {name: make() for name, make in SCORERS.items()}
    for workload, texts in workloads.items():
        print(f"{workload}: {N_BATCH} messages (mean "
              f"{np.mean([len(t) for t in texts]):.0f} characters)")
        for name, score in scorers.items():
            rows.setdefault(name, {}).update({
                f"{workload}/throughput": throughput(score, texts), **dict(zip(
                    (f"{workload}/p50_ms", f"{workload}/p99_ms"), latency(score, texts),
                    strict=True))})
    for name in scorers:
        rows[name].update(in_child(name))
    rows["alt-profanity-check"]["ready_s"] = rows["alt-profanity-check"]["load_s"]
    h, p = rows["haven"], rows["alt-profanity-check"]
    print(f"\none core, one BLAS thread\n{'':40}{'haven':>12}{'alt-profanity-check':>22}"
          f"{'ratio':>8}")
    lines = [(f"{w}: {label}", f"{w}/{key}", fmt) for w in workloads for label, key, fmt in (
        ("batch (msg/s)", "throughput", "{:,.0f}"),
        ("p50 (ms)", "p50_ms", "{:.3f}"),
        ("p99 (ms)", "p99_ms", "{:.3f}"))] + [
        ("import scikit-learn (s)", "import_s", "{:.3f}"),
        ("model load, first stage (s)", "load_s", "{:.3f}"),
        ("model load, both stages (s)", "ready_s", "{:.3f}"),
        ("peak RSS, 10k msgs (MB)", "peak_rss_mb", "{:.0f}"),
    ]
    for label, key, fmt in lines:
        print(f"{label:<40}{fmt.format(h[key]):>12}{fmt.format(p[key]):>22}"
              f"{h[key] / p[key]:>8.2f}")
    print("\nbars (issue 12): throughput ratio >= 0.5, p99 ratio <= 0.5, load <= 1 s")


if __name__ == "__main__":
    main()
