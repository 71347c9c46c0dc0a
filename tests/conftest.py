"""Shared fixtures: the shipped model, loaded once per test session."""

from __future__ import annotations

import pytest

from classifier import load_model


@pytest.fixture(scope="session")
def model():
    """The model shipped in ``models/``."""
    return load_model()


@pytest.fixture
def local(tmp_path, model):
    """Haven served on loopback against a fresh Slack double and a fresh SQLite database."""
    from bot.demo import LocalHaven

    with LocalHaven(tmp_path, model_loader=lambda: model) as running:
        yield running
