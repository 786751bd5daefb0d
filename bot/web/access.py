"""Who may see a page: the signed link (in `?t=` on arrival, then a per-workspace cookie).

The cookie's path is the workspace's own URL path, so a browser holding links for several
workspaces sends each page only the one for its workspace, and a page for workspace B is
refused whatever link for workspace A the browser holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from .links import LinkExpired, LinkInvalid, LinkScope, verify_token, workspace_path

COOKIE = "lrquiz_link"


@dataclass
class Refusal(Exception):
    """Shown as a page: HTTP status, a title and what the person can do about it."""

    status: int
    title: str
    explanation: str


def workspace_of(request: web.Request) -> tuple[str, str]:
    return request.match_info["platform"], request.match_info["workspace"]


def token_of(request: web.Request) -> tuple[str | None, bool]:
    """The link's token and whether it arrived in the URL (then it is moved to a cookie)."""
    if "t" in request.query:
        return request.query["t"], True
    return request.cookies.get(COOKIE), False


def authorize(request: web.Request, secret: bytes, now: float, admin: bool = False) -> LinkScope:
    """The scope of the request's link for this page's workspace, or a Refusal."""
    platform, workspace = workspace_of(request)
    token, _ = token_of(request)
    if not token:
        raise Refusal(
            403,
            "A dashboard link is needed",
            "Open the dashboard from your own link: type `/lrquiz dashboard` in your Discord "
            "server or Slack workspace (or run `lrquiz web --open` in the terminal).",
        )
    try:
        scope = verify_token(secret, token, now)
    except LinkExpired as expired:
        ended = datetime.fromtimestamp(expired.scope.expires_at, UTC).strftime("%Y-%m-%d %H:%M")
        raise Refusal(
            410,
            "This link has expired",
            f"It worked until {ended} UTC; dashboard links work for a limited time. Ask for "
            "a fresh one with `/lrquiz dashboard` (or `lrquiz web --open`).",
        ) from None
    except LinkInvalid:
        raise Refusal(
            403,
            "This link is not valid",
            "The link was changed or copied incompletely, or it was made for another "
            "dashboard. Copy the whole link again, or ask for a new one with "
            "`/lrquiz dashboard`.",
        ) from None
    if (scope.platform, scope.workspace) != (platform, workspace):
        raise Refusal(
            403,
            "This link is for another workspace",
            "Each link opens only the workspace it was made in. Ask for a link in this "
            "workspace with `/lrquiz dashboard`.",
        )
    if admin and not scope.admin:
        raise Refusal(
            403,
            "Admins only",
            "This page is for the workspace's admins. An admin's /lrquiz dashboard link opens it.",
        )
    return scope


def remember(
    response: web.StreamResponse, request: web.Request, token: str, scope: LinkScope, now: float
) -> None:
    """Keep the link in a cookie for this workspace's pages until it expires."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(1, int(scope.expires_at - now)),
        path=workspace_path(scope.platform, scope.workspace),
        httponly=True,
        samesite="Lax",
        secure=request.secure,
    )
