"""Every text a person sees, in English and Dutch, from the catalogs in ``bot/locales``.

Each language is a folder of TOML files (``bot/locales/en/*.toml``); a file holds tables
whose keys join into dotted message keys (``[notice] title = ...`` is ``notice.title``).
Texts are ``str.format`` templates: ``t("nl", "case.new", number="HVN-ABCDE")``.
The person's language: their own choice in App Home, else Dutch for a Dutch Slack locale,
else the workspace's language (:func:`language_of`).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"


class MissingText(KeyError):
    """A key that is not in the catalog: a bug, caught by the catalog tests."""


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalog(language: str) -> dict[str, str]:
    """Every text of one language, by key."""
    folder = files("bot").joinpath("locales", language)
    texts: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            for key, value in _flatten(tomllib.loads(entry.read_text("utf-8"))).items():
                if key in texts:
                    raise ValueError(f"{language}: {key} is defined twice")
                texts[key] = value
    return texts


def language_of(locale: str | None, default: str | None = None,
                chosen: str | None = None) -> str:
    """The language to write to a person in.

    ``chosen`` (their own choice in App Home) wins. Then a Dutch Slack locale (``nl-NL``,
    ``nl-BE``) gives Dutch. Any other locale, English included, gives the workspace's
    language (``default``): Slack offers no Dutch interface, so Dutch employees run Slack
    in English, and an ``en-US`` locale says nothing about what they read best.
    """
    if chosen in LANGUAGES:
        return chosen
    code = (locale or "").split("-")[0].split("_")[0].lower()
    if code in LANGUAGES and code != DEFAULT_LANGUAGE:
        return code
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def t(language: str, key: str, /, **values) -> str:
    """The text for ``key`` in ``language``, filled in with ``values``."""
    texts = catalog(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        template = texts[key]
    except KeyError:
        raise MissingText(f"{language}: {key}") from None
    return template.format(**values) if values else template


class Texts:
    """``t`` bound to one language: ``_ = Texts("nl"); _("case.new", number=...)``."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **values) -> str:
        return t(self.language, key, **values)

    def decimal(self, value: float, digits: int = 2) -> str:
        """A number as this language writes it: 0.70 in English, 0,70 in Dutch."""
        text = f"{value:.{digits}f}"
        return text.replace(".", ",") if self.language == "nl" else text
