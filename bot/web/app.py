"""The dashboard's aiohttp application: routes, access checks, templates and error pages.

Every page is server-rendered and reads through DashboardData; nothing here writes to the
database. Any failure becomes a page that says what happened (never a traceback), and all
assets, plotly.js included, are served by this process so it works offline.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.engine.clock import Clock, SystemClock
from bot.engine.periods import PERIODS
from bot.engine.schedule import EVERY_DAY, WEEKDAY_NAMES
from bot.labels import KIND_LABELS, PERIOD_TITLES
from storage.dashboard import Learner
from storage.errors import StorageError

from . import charts
from .access import Refusal, authorize, remember, token_of, workspace_of
from .data import DashboardData
from .highlight import highlight_python, prose, pygments_css
from .items import heading
from .links import LinkScope, workspace_path
from .real_outputs import RealOutputs

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _plotly_path() -> Path:
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def _plotly_version() -> str:
    from plotly.offline import get_plotlyjs_version

    return get_plotlyjs_version()


class Dashboard:
    """Holds what every request needs: the data, the signing key, templates, the clock."""

    def __init__(
        self,
        data: DashboardData,
        secret: bytes,
        real_outputs: RealOutputs | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.data = data
        self.secret = secret
        self.real_outputs = real_outputs or RealOutputs(None)
        self.clock = clock or SystemClock()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters.update(pct=_pct, when=_when, prose=prose, code=highlight_python)
        self.plotly_url = f"/assets/plotly-{_plotly_version()}.min.js"
        self.pygments_css = pygments_css().encode()
        self._plotly_gzip: bytes | None = None
        self.templates.globals.update(
            PERIODS=PERIODS,
            weekdays=WEEKDAY_NAMES,
            every_day=EVERY_DAY,
            PERIOD_TITLES=PERIOD_TITLES,
            KIND_LABELS=KIND_LABELS,
            plotly_url=self.plotly_url,
            heading=heading,
            css_version=hashlib.sha256(self.pygments_css).hexdigest()[:8],
        )

    # --- rendering -----------------------------------------------------------------------

    def render(self, template: str, status: int = 200, **context) -> web.Response:
        html = self.templates.get_template(template).render(**context)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

    def refusal_page(self, refusal: Refusal) -> web.Response:
        return self.render(
            "error.html",
            status=refusal.status,
            title=refusal.title,
            explanation=refusal.explanation,
            status_code=refusal.status,
            nav=None,
        )

    # --- pages ---------------------------------------------------------------------------

    async def leaderboard(self, request: web.Request, scope: LinkScope) -> web.Response:
        platform, workspace = workspace_of(request)
        period = request.query.get("period", "all")
        if period not in PERIODS:
            raise Refusal(
                404, "No such period", f"Choose one of: {', '.join(PERIODS)} (got {period!r})."
            )
        me = await self.data.learner(platform, workspace, scope.user_id)
        board = await self.data.leaderboard(platform, workspace, period, me.id if me else None)
        return self.render("leaderboard.html", nav=_nav(scope, "leaderboard"), board=board, me=me)

    async def my_profile(self, request: web.Request, scope: LinkScope) -> web.Response:
        platform, workspace = workspace_of(request)
        learner = await self.data.learner(platform, workspace, scope.user_id)
        return await self._profile(request, scope, learner, own=True)

    async def learner_profile(self, request: web.Request, scope: LinkScope) -> web.Response:
        platform, workspace = workspace_of(request)
        try:
            user_id = int(request.match_info["user_id"])
        except ValueError:
            user_id = -1
        learner = await self.data.learner_by_id(platform, workspace, user_id)
        if learner is None:
            raise Refusal(404, "No such learner here", "Nobody with that id plays here.")
        return await self._profile(
            request, scope, learner, own=learner.external_id == scope.user_id
        )

    async def _profile(
        self, request: web.Request, scope: LinkScope, learner: Learner | None, own: bool
    ) -> web.Response:
        platform, workspace = workspace_of(request)
        if learner is None:
            return self.render(
                "profile.html", nav=_nav(scope, "profile"), profile=None, own=own, figures={}
            )
        profile = await self.data.profile(platform, workspace, learner)
        figures = {
            "progress": charts.progress_figure(profile.days),
            "topics": charts.topics_figure(profile.topics),
        }
        return self.render(
            "profile.html",
            nav=_nav(scope, "profile" if own else "leaderboard"),
            profile=profile,
            own=own,
            figures=figures,
        )

    async def bank(self, request: web.Request, scope: LinkScope) -> web.Response:
        kind = request.query.get("kind", "")
        if kind and kind not in KIND_LABELS:
            raise Refusal(404, "No such kind", f"Choose one of: {', '.join(KIND_LABELS)}.")
        shown = [
            (pack, [p for p in pack.problems if not kind or p.kind == kind])
            for pack in self.data.packs.values()
        ]
        return self.render("bank.html", nav=_nav(scope, "bank"), shown=shown, kind=kind)

    async def problem(self, request: web.Request, scope: LinkScope) -> web.Response:
        platform, workspace = workspace_of(request)
        pack_id, problem_id = request.match_info["pack_id"], request.match_info["problem_id"]
        problem = await self.data.find_problem(pack_id, problem_id)
        if problem is None:
            raise Refusal(404, "No such problem", f"No problem {problem_id!r} in pack {pack_id!r}.")
        revealed = scope.admin or await self.data.has_answered(
            platform, workspace, scope.user_id, pack_id, problem_id
        )
        return self.render(
            "problem.html",
            nav=_nav(scope, "bank"),
            pack=self.data.packs[pack_id],
            problem=problem,
            revealed=revealed,
            real=self.real_outputs.get(problem) if revealed else None,
        )

    async def schedules(self, request: web.Request, scope: LinkScope) -> web.Response:
        platform, workspace = workspace_of(request)
        rows = await self.data.schedules(platform, workspace)
        return self.render(
            "schedules.html",
            nav=_nav(scope, "schedules"),
            rows=rows,
        )

    async def items(self, request: web.Request, scope: LinkScope) -> web.Response:
        platform, workspace = workspace_of(request)
        rows = await self.data.item_analysis(platform, workspace)
        return self.render("items.html", nav=_nav(scope, "items"), rows=rows)

    # --- assets --------------------------------------------------------------------------

    async def plotly_js(self, request: web.Request) -> web.Response:
        if self._plotly_gzip is None:
            self._plotly_gzip = await asyncio.get_running_loop().run_in_executor(
                None, lambda: gzip.compress(_plotly_path().read_bytes(), 6)
            )
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable",
            "Vary": "Accept-Encoding",
        }
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            body = self._plotly_gzip
        else:
            body = gzip.decompress(self._plotly_gzip)
        return web.Response(body=body, content_type="text/javascript", headers=headers)

    async def pygments(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.pygments_css,
            content_type="text/css",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def home(self, request: web.Request) -> web.Response:
        return self.render("home.html", nav=None)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})


def _nav(scope: LinkScope, current: str) -> dict:
    return {
        "base": workspace_path(scope.platform, scope.workspace),
        "current": current,
        "admin": scope.admin,
        "scope": scope,
    }


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _when(timestamp: float | None, zone: str = "UTC") -> str:
    if timestamp is None:
        return "–"
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or zone)


def page(dashboard: Dashboard, render, admin: bool = False) -> Handler:
    """A workspace page: checks the link first; a link in the URL moves into a cookie."""

    async def handle(request: web.Request) -> web.StreamResponse:
        now = dashboard.clock.now()
        scope = authorize(request, dashboard.secret, now, admin)
        token, in_url = token_of(request)
        if in_url and token:
            response = web.Response(
                status=303, headers={"Location": str(request.rel_url.without_query_params("t"))}
            )
            remember(response, request, token, scope, now)
            return response
        return await render(request, scope)

    return handle


DASHBOARD_KEY = web.AppKey("dashboard", Dashboard)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure is a page that explains it; details go to the log, not the browser."""
    dashboard = request.app[DASHBOARD_KEY]
    try:
        return await handler(request)
    except Refusal as refusal:
        return dashboard.refusal_page(refusal)
    except web.HTTPNotFound:
        return dashboard.refusal_page(
            Refusal(404, "Page not found", "There is no such page. Use the link you were given.")
        )
    except web.HTTPMethodNotAllowed:
        return dashboard.refusal_page(
            Refusal(405, "Read only", "The dashboard only shows data; it changes nothing.")
        )
    except web.HTTPException:
        raise
    except (StorageError, sqlite3.Error) as error:
        log.error("database error on %s: %s", request.path, error)
        return dashboard.refusal_page(
            Refusal(503, "The database is unavailable", "Try again in a moment.")
        )
    except Exception:
        log.exception("error on %s", request.path)
        return dashboard.refusal_page(
            Refusal(500, "Something went wrong", "This page failed on our side; it is logged.")
        )


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


def build_app(dashboard: Dashboard) -> web.Application:
    app = web.Application(middlewares=[error_pages])
    app[DASHBOARD_KEY] = dashboard
    app.on_response_prepare.append(_security_headers)
    routes = app.router
    routes.add_get("/", dashboard.home)
    routes.add_get("/health", dashboard.health)
    routes.add_get(dashboard.plotly_url, dashboard.plotly_js)
    routes.add_get("/assets/pygments.css", dashboard.pygments)
    routes.add_static("/static/", HERE / "static")
    ws = "/{platform}/{workspace}"

    async def add_slash(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(str(request.rel_url.with_path(request.path + "/")))

    routes.add_get(ws, add_slash)
    routes.add_get(ws + "/", page(dashboard, dashboard.leaderboard))
    routes.add_get(ws + "/me", page(dashboard, dashboard.my_profile))
    routes.add_get(ws + "/learners/{user_id}", page(dashboard, dashboard.learner_profile, True))
    routes.add_get(ws + "/bank", page(dashboard, dashboard.bank))
    routes.add_get(ws + "/bank/{pack_id}/{problem_id}", page(dashboard, dashboard.problem))
    routes.add_get(ws + "/admin/schedules", page(dashboard, dashboard.schedules, True))
    routes.add_get(ws + "/admin/items", page(dashboard, dashboard.items, True))
    return app
