"""The shipped app manifest sets up what the adapter relies on."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack.app import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack-manifest.yaml"


def test_manifest_has_command_interactivity_and_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True  # `stats @user` arrives as <@U…|name>
    assert len(command["usage_hint"]) <= 1000
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "chat:write.public", "users:read"} <= scopes
    assert manifest["features"]["bot_user"]["display_name"]
    assert "admin" in command["usage_hint"]
