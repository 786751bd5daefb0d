"""Signed, expiring dashboard links: what a chat front end hands a learner or an admin.

A link carries its scope (platform, workspace, user, admin flag) and expiry in the clear,
signed with HMAC-SHA256 over a server secret, so the dashboard needs no session store and
a changed character anywhere in the token makes it invalid. `dashboard_link` is pure: the
caller passes the secret and the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import quote

TOKEN_VERSION = 1
DEFAULT_TTL_S = 24 * 3600
_CONTEXT = b"lrquiz-web-link-v1."


@dataclass(frozen=True)
class LinkScope:
    """Who a valid link speaks for: one user of one workspace, admin or not."""

    platform: str
    workspace: str
    user_id: str
    admin: bool
    expires_at: int


class LinkError(Exception):
    """The link cannot be used; `str()` is the explanation shown to the person."""


class LinkInvalid(LinkError):
    """Not signed by this server: changed, cut short or made up."""


class LinkExpired(LinkError):
    def __init__(self, scope: LinkScope) -> None:
        super().__init__("this link has expired")
        self.scope = scope


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, _CONTEXT + body.encode("ascii"), hashlib.sha256).digest())


def sign_token(secret: bytes, scope: LinkScope) -> str:
    payload = [
        TOKEN_VERSION,
        scope.platform,
        scope.workspace,
        scope.user_id,
        int(scope.admin),
        scope.expires_at,
    ]
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_signature(secret, body)}"


def verify_token(secret: bytes, token: str, now: float) -> LinkScope:
    """The token's scope; LinkInvalid if it was not signed here, LinkExpired if too old."""
    body, dot, signature = token.partition(".")
    if not dot or not body.isascii() or not signature.isascii():
        raise LinkInvalid("this link is incomplete or was changed")
    if not hmac.compare_digest(_signature(secret, body), signature):
        raise LinkInvalid("this link is incomplete or was changed")
    try:
        version, platform, workspace, user_id, admin, expires_at = json.loads(_unb64(body))
    except (ValueError, TypeError):
        raise LinkInvalid("this link is not a dashboard link") from None
    if version != TOKEN_VERSION or not all(
        isinstance(v, str) for v in (platform, workspace, user_id)
    ):
        raise LinkInvalid("this link was made by another version of lrquiz")
    scope = LinkScope(platform, workspace, user_id, bool(admin), int(expires_at))
    if now >= scope.expires_at:
        raise LinkExpired(scope)
    return scope


def workspace_path(platform: str, workspace: str) -> str:
    """The dashboard's URL path for one workspace, e.g. `/slack/T024BE7LD/`."""
    return f"/{quote(platform, safe='')}/{quote(workspace, safe='')}/"


def dashboard_link(
    base_url: str,
    secret: bytes,
    platform: str,
    workspace: str,
    user_id: str,
    admin: bool,
    now: float,
    ttl_s: int = DEFAULT_TTL_S,
) -> str:
    """The link a `/lrquiz dashboard` reply carries: the workspace's board, signed for
    `user_id` (the platform's own user id) until `now + ttl_s`."""
    if ttl_s <= 0:
        raise ValueError(f"link lifetime must be positive, got {ttl_s} s")
    scope = LinkScope(platform, workspace, user_id, admin, int(now) + int(ttl_s))
    return (
        f"{base_url.rstrip('/')}{workspace_path(platform, workspace)}?t={sign_token(secret, scope)}"
    )
