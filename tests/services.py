"""The optional programs some tests need: Tesseract (with English and Dutch data), Redis and
PostgreSQL, found on PATH. On a machine without one, its tests skip with a one-line reason
that says how to install it; where it is required (``CI``, or ``HAVEN_REQUIRE_TESSERACT``,
``HAVEN_REQUIRE_REDIS``, ``HAVEN_REQUIRE_POSTGRES``, all set by ``.ci/run``) they fail."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

import pytest

#: How to install each one on Debian or Ubuntu (the README's list says the same).
INSTALL = {"tesseract": "apt install tesseract-ocr tesseract-ocr-eng tesseract-ocr-nld",
           "redis": "apt install redis-server",
           "postgres": "apt install postgresql"}


def required_by(service: str) -> list[str]:
    """The variables that make ``service`` required here (empty: its tests may skip)."""
    return [name for name in ("CI", f"HAVEN_REQUIRE_{service.upper()}") if os.environ.get(name)]


@functools.cache
def tesseract_missing() -> str | None:
    """Why Haven cannot read text in images here, or ``None``."""
    program = shutil.which("tesseract")
    if program is None:
        return "Tesseract is not installed"
    try:
        listed = subprocess.run([program, "--list-langs"], capture_output=True, text=True,
                                timeout=30).stdout.split()
    except (OSError, subprocess.SubprocessError) as error:
        return f"Tesseract does not run ({type(error).__name__})"
    missing = [lang for lang in ("eng", "nld") if lang not in listed]
    return f"Tesseract lacks its {' and '.join(missing)} data" if missing else None


@functools.cache
def redis_missing() -> str | None:
    """Why the tests cannot start a Redis server here, or ``None``."""
    return None if shutil.which("redis-server") else "redis-server is not installed"


CHECKS = {"tesseract": tesseract_missing, "redis": redis_missing}


def require(service: str, reason: str | None = None) -> None:
    """Skip the calling test when ``service`` is missing (``reason`` says why; by default
    this module checks), or fail it where the service is required."""
    reason = reason if reason is not None else CHECKS[service]()
    if reason is None:
        return
    message = f"{reason} ({INSTALL[service]})"
    required = required_by(service)
    if required:
        pytest.fail(f"{message}, but {' and '.join(required)} is set: the tests must run "
                    "with it (.ci/run installs it)", pytrace=False)
    pytest.skip(message)
