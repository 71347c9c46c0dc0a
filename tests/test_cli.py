"""The `haven` command as a person runs it: classify, evaluate, and a plain install."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
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
    # Not system_site_packages: that shows the base interpreter's packages, not those of a
    # venv the tests run in. A .pth line puts the running interpreter's (Haven's
    # dependencies) after the new venv's own, where Haven alone is installed.
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    own = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                        "['purelib'])"], capture_output=True, text=True,
                         check=True).stdout.strip()
    Path(own, "haven-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
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


# -- the data directory: the same database wherever a command runs -----------------------
def operator(home: Path, cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """`haven` as cron or a shell runs it: no data settings but a home directory."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "HAVEN_", "XDG_")) and k != "DATABASE_URL"}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_command_finds_the_same_data_wherever_it_runs(tmp_path):
    home, here, cron = tmp_path / "home", tmp_path / "checkout", tmp_path / "home"
    here.mkdir()
    home.mkdir(exist_ok=True)
    out = operator(home, here, "migrate")
    assert out.returncode == 0, out.stderr
    data = home / ".local" / "share" / "haven"
    assert (data / "haven.db").is_file() and (data / "haven.key").is_file()
    out = operator(home, cron, "purge")  # cron starts in $HOME
    assert out.returncode == 0 and out.stdout.startswith("erased 0 flags"), out.stderr
    out = operator(home, cron, "report", "--year", "2026")
    assert out.returncode == 0, out.stderr
    out = operator(home, here, "audit")  # the report made from $HOME is in the same log
    assert out.returncode == 0 and "\tcli\tfigures_report\t2026" in out.stdout, out.stderr
    assert not (here / "var").exists() and not (cron / "var").exists()
    assert sorted(p.name for p in home.iterdir()) == [".local"]


def test_data_left_in_var_by_an_older_haven_is_pointed_at_not_hidden(tmp_path):
    """Haven used to keep its data in var/ of the directory it ran in: started there, it
    must not begin again with an empty database elsewhere."""
    here = tmp_path / "checkout"
    (here / "var").mkdir(parents=True)
    (here / "var" / "haven.db").write_bytes(b"")
    for command in (["migrate"], ["purge"]):
        out = operator(tmp_path, here, *command)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"set HAVEN_DATA_DIR={here / 'var'}" in out.stderr.strip().splitlines()[-1]
    assert not (tmp_path / ".local").exists()


def test_the_database_and_key_are_private_in_a_private_folder(tmp_path):
    folder = tmp_path / "data" / "haven"
    out = operator(tmp_path, tmp_path, "migrate", HAVEN_DATA_DIR=str(folder))
    assert out.returncode == 0, out.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (folder, *folder.iterdir())}
    assert modes.pop("haven") == 0o700
    assert set(modes) >= {"haven.db", "haven.key"}
    assert set(modes.values()) == {0o600}, modes


@pytest.mark.parametrize("command", [["purge"], ["audit"], ["report", "--year", "2026"],
                                     ["case", "export", "HVN-ABCDE"], ["feedback", "export"],
                                     ["images", "list"]])
def test_read_only_commands_refuse_without_a_database_and_create_nothing(tmp_path, command):
    folder = tmp_path / "nowhere"
    out = operator(tmp_path, tmp_path, *command, HAVEN_DATA_DIR=str(folder))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith(f"haven: no database at {folder / 'haven.db'}. Set "
                                 "HAVEN_DATA_DIR"), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a key, nor anything else


def test_classifying_an_image_needs_no_database(tmp_path):
    from tests.imagegen import photo

    image = tmp_path / "photo.png"
    photo("coffee", (320, 240)).save(image)
    out = operator(tmp_path, tmp_path, "classify", "--image", str(image),
                   HAVEN_DATA_DIR=str(tmp_path / "none"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["matched_known_image"] is None
    assert not (tmp_path / "none").exists()


def subcommands(parser, prefix=()) -> list[tuple[str, ...]]:
    """Every command path of the `haven` parser, e.g. ("images", "add")."""
    import argparse

    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += [(*prefix, name), *subcommands(child, (*prefix, name))]
    return found


def test_every_command_has_a_description_and_an_example():
    from bot.cli import _parser

    paths = subcommands(_parser())
    assert ("images", "add") in paths and ("case", "export") in paths and len(paths) >= 18
    for path in paths:
        out = haven(*path, "--help")
        assert out.returncode == 0, path
        text = out.stdout
        description = text.split("\n\n")[1]
        assert description[0].isupper() and len(description.split()) >= 3, path
        example = text.split("example:\n", 1)[1]
        assert f"haven {' '.join(path)}" in example, path
