"""The `haven` command as a person runs it: classify, evaluate, and a plain install."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def haven(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_classify_reads_stdin_and_writes_one_json_line_each():
    out = haven("classify", stdin="you are a useless idiot\n\nik schiet je even een berichtje\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["flagged"] is True and lines[0]["language"] == "en"
    assert lines[1] == {"score": 0.0, "flagged": False, "language": "en",
                        "categories": dict.fromkeys(lines[1]["categories"], 0.0)}
    assert lines[2]["flagged"] is False and lines[2]["language"] == "nl"


def test_classify_takes_messages_as_arguments():
    out = haven("classify", "fucking great job", "nobody wants you on this team")
    flags = [json.loads(line)["flagged"] for line in out.stdout.splitlines()]
    assert flags == [False, True]


def test_classify_survives_hostile_input():
    hostile = "\n".join(["x" * 40_000, "\x00\x1e\ue000", "🙂" * 500, "<@U1|<#C2|>>&amp;;"])
    out = haven("classify", stdin=hostile + "\n")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 4


def test_classify_refuses_a_tampered_model_with_a_clear_message(tmp_path):
    model = next((ROOT / "models").glob("*.joblib"))
    copy = tmp_path / model.name
    copy.write_bytes(model.read_bytes() + b"tampered")
    shutil.copy(model.with_suffix(".json"), copy.with_suffix(".json"))
    out = haven("classify", "--model", str(copy), "hello")
    assert out.returncode == 1
    assert "does not match the card" in out.stderr and "Traceback" not in out.stderr


def test_evaluate_reports_every_view_and_draws_plots(tmp_path):
    out = haven("evaluate", "--plots", str(tmp_path))
    assert out.returncode == 0, out.stderr
    for needle in ("overall", "language en", "language nl", "confusion matrix",
                   "accuracy per functionality", "nl/disease_curse", "AUC="):
        assert needle in out.stdout
    for name in ("precision_recall.png", "calibration.png", "confusion_matrix.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_evaluate_on_a_file_with_categories(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_text("text,label,lang,categories\n"
                    "you are an idiot,harassing,en,insult\n"
                    "I will stab you,harassing,en,threat\n"
                    "thanks for the help,benign,en,\n"
                    "dank je wel,benign,nl,\n", encoding="utf-8")
    out = haven("evaluate", "--data", str(data), "--json")
    report = json.loads(out.stdout)
    assert report["overall"]["n"] == 4
    assert report["per_category"]["threat"]["positives"] == 1


def test_evaluate_explains_a_bad_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("message\nhello\n", encoding="utf-8")
    out = haven("evaluate", "--data", str(bad))
    assert out.returncode == 2 and "text" in out.stderr


@pytest.mark.slow
def test_plain_pip_install_classifies_from_any_directory(tmp_path):
    """The shipped model travels with the package (no editable install, no checkout)."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=True)
    python = env_dir / "bin" / "python"
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", "tests", ".venv", "var"))
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", str(source)],
                   check=True, timeout=300)
    shutil.rmtree(source)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([env_dir / "bin" / "haven", "classify", "you are a useless idiot"],
                         cwd=elsewhere, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["flagged"] is True
    # The app travels too: migrations and the demo run from the installed package.
    out = subprocess.run([env_dir / "bin" / "haven", "demo"], cwd=elsewhere,
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Ingrid, the confidant" in out.stdout
