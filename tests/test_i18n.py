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
BUTTONS = ("notice.report", "notice.dismiss", "notice.keep_example", "notice.no_example",
           "mine.erase", "home.previous", "home.next", "case.acknowledge", "case.reply",
           "case.notes",
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


def test_the_language_is_the_persons_choice_then_a_dutch_locale_then_the_workspace():
    assert language_of("nl-NL") == "nl" and language_of("nl-BE") == "nl"
    # Slack has no Dutch interface: a Dutch employee's en-GB says nothing about what they read
    assert language_of("en-GB", "nl") == "nl" and language_of("en-US", "nl") == "nl"
    assert language_of("en-US", "en") == "en" and language_of("nl-NL", "en") == "nl"
    assert language_of("de-DE", "nl") == "nl" and language_of(None) == "en"
    assert language_of("nl-NL", "nl", chosen="en") == "en"
    assert language_of("en-GB", "en", chosen="nl") == "nl"
    assert language_of("en-GB", "nl", chosen="fr") == "nl"  # not a language Haven has
    assert Texts("fr")("report.send") == "Send"
    with pytest.raises(MissingText):
        t("nl", "no.such.key")


# -- the words people read ---------------------------------------------------------------------
def _prose(text: str) -> str:
    """A text without its `code` (commands keep their English words and decimal points)."""
    return re.sub(r"`[^`]*`", "", text)


#: Words the Dutch texts must not use, and the one word for the concept instead.
DUTCH_AVOID = {
    r"\bzaak|\bzaken\b|zaaknummer": "melding (a case is a melding to the person who has it)",
    r"\bschrijver": "afzender",
    r"\blet (nu |niet )?op\b|\blette\b|leest .* niet meer": "volgen (watch)",
    r"privé-hint|\bhint\b": "privéseintje",
    r"vastgehouden|houd mijn melding vast": "wacht met mijn melding",
    r"\bbezorgd\b|\bbezorging\b": "verstuurd",
    r"schrijf de vertrouwenspersoon": "Bericht aan de vertrouwenspersoon",
    r"link kopiëren|⋯ → melden bij": "Slack's own English names",
}


@pytest.mark.parametrize("pattern", DUTCH_AVOID)
def test_dutch_uses_one_word_per_concept(pattern):
    found = {k: v for k, v in catalog("nl").items() if re.search(pattern, v, re.IGNORECASE)}
    assert not found, (DUTCH_AVOID[pattern], found)


def test_dutch_quotes_and_numbers_are_dutch():
    for key, text in catalog("nl").items():
        prose = _prose(text)
        assert '"' not in prose and "“" not in prose, (key, "quotes are „…”")
        assert prose.count("„") == prose.count("”"), key
        assert not re.search(r"\b\d+\.\d+\b", prose), (key, "a decimal comma: 0,05")


def test_texts_name_the_shortcut_as_slack_shows_it():
    """Slack shows an app's shortcut under its manifest name (apps cannot translate it), in
    the message menu under More message shortcuts…, and its own "Copy link"."""
    import json

    manifest = json.loads((ROOT / "manifest.json").read_text())
    name = manifest["features"]["shortcuts"][0]["name"]
    for language in LANGUAGES:
        menus = {k: v for k, v in catalog(language).items() if "⋯" in v}
        assert len(menus) >= 5
        for key, text in menus.items():
            assert f"⋯ → More message shortcuts… → {name}" in text or "⋯ → Copy link" in text, \
                (language, key)


def test_the_dismiss_button_says_what_it_does():
    assert t("en", "notice.dismiss") == "Not hurtful to me"
    assert t("nl", "notice.dismiss") == "Laat maar"
    for language in LANGUAGES:
        told = t(language, "notice.dismissed_ask", title="x", days=30)
        assert "30" in told and "Nothing more happens" not in told
