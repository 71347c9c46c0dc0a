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
