"""The README, `/haven help` and `.ci/run` say the same thing as the code."""

from __future__ import annotations

import re
from pathlib import Path

from bot.admin import ADMIN_COMMANDS
from bot.blocks import help_text
from bot.i18n import LANGUAGES, Texts

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
    assert 'CMD ["serve"]' in docker and 'ENTRYPOINT ["haven"]' in docker
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "var", ".git"} <= set(ignored)  # no secrets or data in the image


def test_compose_runs_haven_with_postgresql_and_the_queue():
    compose = (ROOT / "compose.yaml").read_text()
    for needle in ("postgresql+psycopg://", "HAVEN_QUEUE_URL: redis://", "image: postgres",
                   "image: redis", 'command: ["worker"]', "HAVEN_ENCRYPTION_KEY"):
        assert needle in compose
    assert "docker compose up" in README and "compose.yaml" in README
