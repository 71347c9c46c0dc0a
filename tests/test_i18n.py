"""Every text exists in English and Dutch, with the same placeholders, and every key the
code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot import blocks
from bot.i18n import LANGUAGES, MissingText, Texts, catalog, language_of, t

ROOT = Path(__file__).resolve().parent.parent
#: Titles of modals: Slack refuses more than 24 characters.
MODAL_TITLES = ("report.title", "relay.title", "notes.title", "close.title", "home.settings",
                "home.channel_title", "home.roster_title")
#: Button labels (75 characters at most).
BUTTONS = ("notice.report", "notice.dismiss", "case.acknowledge", "case.reply", "case.notes",
           "case.close", "mine.write", "mine.export", "mine.withdraw", "relay.answer",
           "home.contact", "home.edit", "home.settings", "home.add_confidant", "home.remove")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    english, dutch = catalog("en"), catalog("nl")
    assert set(english) == set(dutch), set(english) ^ set(dutch)
    for key in english:
        assert placeholders(english[key]) == placeholders(dutch[key]), key


def test_dutch_is_really_translated():
    english, dutch = catalog("en"), catalog("nl")
    same = [k for k in english if english[k] == dutch[k] and len(english[k]) > 12]
    assert len(same) <= len(english) // 50, same


def test_every_key_the_code_uses_exists():
    tables = {key.split(".")[0] for key in catalog("en")}
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    used = {m for m in re.findall(r'"([a-z_]+\.[a-z_0-9.]+)"', source)
            if m.split(".")[0] in tables and not m.endswith(("_", ".id"))}  # prefixes, SQL
    assert used, "no keys found: the pattern is broken"
    missing = {k for k in used if k not in catalog("en")}
    assert not missing


def test_keys_built_at_run_time_exist():
    english = catalog("en")
    for status in ("held", "awaiting_confidant", "open", "acknowledged", "closed",
                   "withdrawn", "expired"):
        assert f"status.{status}" in english
    for outcome in blocks.OUTCOMES:
        assert f"outcome.{outcome}" in english
    for category in blocks.CATEGORIES:
        assert f"category.{category}" in english
    for name in ("roster.internal", "roster.external", "close.verdict_yes", "close.verdict_no",
                 "cmd.retention_flags", "cmd.retention_cases"):
        assert name in english
    for language in LANGUAGES:
        assert f"home.language_{language}" in english


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_and_buttons_fit_slack_limits(language):
    texts = catalog(language)
    for key in MODAL_TITLES:
        assert len(texts[key]) <= 24, (key, texts[key])
    for key in BUTTONS:
        assert len(texts[key]) <= 75, (key, texts[key])


def test_the_language_follows_the_slack_locale_then_the_workspace_default():
    assert language_of("nl-NL") == "nl" and language_of("nl-BE") == "nl"
    assert language_of("en-GB", "nl") == "en"
    assert language_of("de-DE", "nl") == "nl" and language_of(None) == "en"
    assert Texts("fr")("report.send") == "Send"
    with pytest.raises(MissingText):
        t("nl", "no.such.key")
