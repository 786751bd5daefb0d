"""Signed links: what a chat front end hands out and what the dashboard accepts."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.web.links import (
    LinkExpired,
    LinkInvalid,
    dashboard_link,
    verify_token,
)
from bot.web.secret import load_secret, secret_path

from .nobody import as_nobody

SECRET = b"s3cret"
NOW = 1_780_000_000.0


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["t"][0]


def test_a_link_opens_its_workspace_for_its_user_until_it_expires() -> None:
    link = dashboard_link("https://quiz.example/", SECRET, "discord", "42", "U7", True, NOW, 600)
    assert link.startswith("https://quiz.example/discord/42/?t=")
    scope = verify_token(SECRET, token_of(link), NOW + 599)
    assert (scope.platform, scope.workspace, scope.user_id, scope.admin) == (
        "discord",
        "42",
        "U7",
        True,
    )
    assert scope.expires_at == NOW + 600
    with pytest.raises(LinkExpired):
        verify_token(SECRET, token_of(link), NOW + 600)


def test_workspace_ids_are_escaped_in_the_path() -> None:
    link = dashboard_link("http://h", SECRET, "slack", "T 1/x", "U1", False, NOW, 60)
    assert "/slack/T%201%2Fx/?t=" in link
    assert verify_token(SECRET, token_of(link), NOW).workspace == "T 1/x"


@pytest.mark.parametrize("position", [0, 5, -1, -10])
def test_any_changed_character_or_another_secret_invalidates_it(position: int) -> None:
    token = token_of(dashboard_link("http://h", SECRET, "slack", "T1", "U1", False, NOW, 60))
    changed = list(token)
    changed[position] = "A" if changed[position] != "A" else "B"
    with pytest.raises(LinkInvalid):
        verify_token(SECRET, "".join(changed), NOW)
    with pytest.raises(LinkInvalid):
        verify_token(b"other", token, NOW)
    for broken in ("", ".", token.split(".")[0], token + "x", "é." + token):
        with pytest.raises(LinkInvalid):
            verify_token(SECRET, broken, NOW)


def test_a_learner_cannot_make_their_link_an_admin_one() -> None:
    token = token_of(dashboard_link("http://h", SECRET, "slack", "T1", "U1", False, NOW, 60))
    body, signature = token.split(".")
    import base64
    import json

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload[4] = 1
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(LinkInvalid):
        verify_token(SECRET, f"{forged}.{signature}", NOW)


def test_a_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lifetime"):
        dashboard_link("http://h", SECRET, "slack", "T1", "U1", False, NOW, 0)


def test_the_secret_is_made_once_beside_the_database_and_private(tmp_path: Path) -> None:
    db = tmp_path / "quiz.db"
    first = load_secret(db, environ={})
    path = secret_path(db)
    assert path == tmp_path / "quiz.db.web-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and load_secret(db, environ={}) == first
    assert [p.name for p in tmp_path.iterdir()] == ["quiz.db.web-secret"]
    assert load_secret(db, environ={"LRQUIZ_WEB_SECRET": "from-env"}) == b"from-env"


def test_a_read_only_folder_without_a_secret_says_what_to_set() -> None:
    folder = Path(tempfile.mkdtemp(prefix="lrquiz-secret-", dir="/tmp"))
    folder.chmod(0o555)
    try:
        outcome = as_nobody(lambda: repr(load_secret(folder / "quiz.db", environ={})))
        assert outcome.startswith("error ") and "cannot create the web secret" in outcome
        assert outcome.endswith("set LRQUIZ_WEB_SECRET instead")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)
        folder.rmdir()
