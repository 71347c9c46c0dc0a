"""Shared fixtures: the shipped model, loaded once per test session."""

from __future__ import annotations

import pytest

from classifier import load_model


@pytest.fixture(scope="session")
def model():
    """The model shipped in ``models/``."""
    return load_model()
