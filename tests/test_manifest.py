"""manifest.json (HTTP, one workspace or several through OAuth, Grid orgs) and
manifest.socket.json (Socket Mode) stay in step with the listeners and the Web API calls
Haven makes, and with each other."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot import listeners

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "manifest.json").read_text())
SOCKET = json.loads((ROOT / "manifest.socket.json").read_text())

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


def test_the_http_manifest_installs_every_mode_the_readme_offers():
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    from bot.server import EVENTS_PATH

    settings = MANIFEST["settings"]
    urls = [c["url"] for c in MANIFEST["features"]["slash_commands"]] + [
        settings["event_subscriptions"]["request_url"], settings["interactivity"]["request_url"]]
    assert set(urls) == {f"https://haven.example.com{EVENTS_PATH}"}  # Slack calls https only
    # several workspaces: Bolt's OAuth flow sends people back to its redirect path
    redirect = OAuthSettings(client_id="x", client_secret="y").redirect_uri_path
    assert MANIFEST["oauth_config"]["redirect_urls"] == [f"https://haven.example.com{redirect}"]
    assert settings["org_deploy_enabled"] is True  # installable in an Enterprise Grid org
    assert settings["socket_mode_enabled"] is False


def test_the_socket_mode_manifest_is_the_same_app_without_urls():
    assert SOCKET["settings"]["socket_mode_enabled"] is True
    assert "https://" not in json.dumps(SOCKET)  # Slack reaches Haven over its own socket
    same = json.loads(json.dumps(MANIFEST))
    for command in same["features"]["slash_commands"]:
        del command["url"]
    del same["settings"]["event_subscriptions"]["request_url"]
    del same["settings"]["interactivity"]["request_url"]
    del same["oauth_config"]["redirect_urls"]  # one workspace, with its bot token
    same["settings"].update(org_deploy_enabled=False, socket_mode_enabled=True)
    assert same == SOCKET


def test_the_readme_says_how_to_install_each_manifest():
    readme = (ROOT / "README.md").read_text()
    for needle in ("manifest.json", "manifest.socket.json", "connections:write",
                   "/slack/oauth_redirect", "Manage Distribution", "public HTTPS"):
        assert needle in readme, needle
