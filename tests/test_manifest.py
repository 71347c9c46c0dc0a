"""manifest.json stays in step with the listeners and the Web API calls Haven makes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot import listeners

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text())

#: The scope each Web API method Haven calls needs (Slack's documentation).
SCOPES = {"conversations_join": "channels:join", "conversations_info": "channels:read",
          "users_info": "users:read", "conversations_open": "im:write",
          "chat_postMessage": "chat:write", "chat_update": "chat:write",
          "conversations_replies": "channels:history", "conversations_members": "groups:read",
          "files_info": "files:read", "conversations_history": "channels:history",
          "chat_postEphemeral": "chat:write", "chat_delete": "chat:write",
          "files_upload_v2": "files:write"}


def test_every_command_and_shortcut_is_in_the_manifest():
    features = MANIFEST["features"]
    assert {c["command"] for c in features["slash_commands"]} == set(listeners.COMMANDS)
    assert {s["callback_id"] for s in features["shortcuts"]} == set(listeners.SHORTCUTS)
    assert all(c["should_escape"] for c in features["slash_commands"])


def test_every_event_listener_is_subscribed():
    subscribed = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    expected = {"message.channels", "message.groups"} | (set(listeners.EVENTS) - {"message"})
    assert subscribed == expected


def test_interactivity_and_home_are_on():
    assert MANIFEST["settings"]["interactivity"]["is_enabled"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"]


def test_every_web_api_call_has_its_scope():
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py")
                       if p.name != "slack_double.py")
    called = set(re.findall(r"client\.(\w+)\(", source))
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    missing = {m: SCOPES[m] for m in called if m in SCOPES and SCOPES[m] not in scopes}
    assert not missing
    # a retried notice is first looked for in the DM with Haven (conversations.history)
    assert "im:history" in scopes
    assert called <= set(SCOPES) | {"chat_getPermalink", "views_open", "views_publish",
                                    "views_update", "auth_test"}


def test_the_oauth_install_asks_for_the_manifests_scopes():
    assert list(listeners.BOT_SCOPES) == MANIFEST["oauth_config"]["scopes"]["bot"]
