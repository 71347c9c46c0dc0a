"""The README, `/haven help` and `.ci/run` say the same thing as the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.admin import ADMIN_COMMANDS
from bot.blocks import help_text
from bot.i18n import LANGUAGES, Texts
from tests import services

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```console\n\$ (.+)\n", README)
    assert commands[1] == "pytest"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line and not line.startswith("#")]
    assert ci[-1] == commands[1]


def test_help_and_readme_list_every_admin_command():
    for verb in ADMIN_COMMANDS:
        for language in LANGUAGES:
            assert f"/haven {verb}" in help_text(Texts(language), is_admin=True)
        assert f"/haven {verb}" in README


def test_env_sample_lists_every_setting():
    sample = (ROOT / ".env.sample").read_text()
    source = (ROOT / "bot" / "config.py").read_text()
    for name in set(re.findall(r'"([A-Z][A-Z_]+)"', source)) - {"INFO", "DEBUG", "WARNING",
                                                                 "ERROR", "CRITICAL"}:
        if name.startswith(("SLACK_", "HAVEN_ENCRYPTION", "PORT", "DATABASE", "LOG_")):
            assert f"{name}=" in sample, name


def test_the_container_is_multi_stage_non_root_with_tesseract_and_a_health_check():
    docker = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", docker, flags=re.M)
    assert len(stages) == 2 and all(s.startswith("python:3.11-slim") for s in stages)
    assert re.search(r"^USER (?!root)\w+", docker, flags=re.M)
    for package in ("tesseract-ocr-eng", "tesseract-ocr-nld"):
        assert package in docker
    assert "HEALTHCHECK" in docker and "/healthz" in docker
    # the database and key outlive the container
    assert "HAVEN_DATA_DIR=/data" in docker and 'VOLUME ["/data"]' in docker
    assert 'CMD ["serve"]' in docker and 'ENTRYPOINT ["haven"]' in docker
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "var", ".git"} <= set(ignored)  # no secrets or data in the image


def test_compose_runs_haven_with_postgresql_and_the_queue():
    compose = (ROOT / "compose.yaml").read_text()
    for needle in ("postgresql+psycopg://", "HAVEN_QUEUE_URL: redis://", "image: postgres",
                   "image: redis", 'command: ["worker"]', "HAVEN_ENCRYPTION_KEY"):
        assert needle in compose
    assert "docker compose up" in README and "compose.yaml" in README
    assert "env_file: [.env]" in compose and "havendata:/data" in compose
    ports = re.findall(r'ports: \["([^"]+)"\]', compose)
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)  # this machine only
    # secrets come from .env: none typed on a command line, where shell history keeps them
    assert not re.search(r"(KEY|SECRET|PASSWORD)=\S+ .*docker", README)


def test_ci_requires_every_optional_service_and_the_readme_says_how_to_install_it():
    ci = (ROOT / ".ci" / "run").read_text()
    for service, install in services.INSTALL.items():
        assert f"HAVEN_REQUIRE_{service.upper()}=1" in ci, service
        assert install in README, install


def test_a_missing_service_skips_here_and_fails_where_required(monkeypatch):
    for name in ("CI", "HAVEN_REQUIRE_REDIS"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^gone \(apt install redis-server\)$"):
        services.require("redis", "gone")
    monkeypatch.setenv("HAVEN_REQUIRE_REDIS", "1")
    with pytest.raises(pytest.fail.Exception, match="HAVEN_REQUIRE_REDIS is set"):
        services.require("redis", "gone")


def quick_start() -> str:
    """The README's first command: set up and run Haven."""
    return re.findall(r"```console\n\$ (.+)\n", README)[0]


@pytest.mark.slow
def test_the_quick_start_works_in_a_fresh_venv_from_a_fresh_copy(tmp_path):
    """The README's first command, as written, in a copy of the repository without any
    environment of ours (pip may reuse its wheel cache)."""
    command = quick_start()
    assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
    copy = tmp_path / "haven"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", "*.egg-info", "build", ".venv", "venv*", "var", ".env"))
    ours = os.environ.get("VIRTUAL_ENV")
    path = [p for p in os.environ["PATH"].split(os.pathsep) if not ours or not p.startswith(ours)]
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
           and not k.startswith(("SLACK_", "HAVEN_"))}
    env.update(PATH=os.pathsep.join(path), HAVEN_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run(["bash", "-c", command], cwd=copy, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    for needle in ("Ingrid, the confidant", "[ Report to a confidant ]", "Case HVN-"):
        assert needle in out.stdout
