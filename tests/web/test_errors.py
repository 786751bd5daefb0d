"""Whatever goes wrong, the browser gets a page that says so, never a traceback."""

from __future__ import annotations

import aiohttp

from .support import Seeded, link, serving


async def get(http: aiohttp.ClientSession, url: str, method: str = "GET") -> tuple[int, str]:
    async with http.request(method, url) as response:
        return response.status, await response.text()


async def test_unknown_pages_writes_and_a_lost_database_get_explained(seeded: Seeded) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        serving(seeded.path, seeded.now) as url,
        aiohttp.ClientSession(cookie_jar=jar) as http,
    ):
        status, page = await get(http, url + link(seeded.now, user="ann"))
        assert status == 200 and "Leaderboard" in page
        assert (await get(http, f"{url}/slack/T1/nope"))[0] == 404
        status, page = await get(http, f"{url}/slack/T1/?period=year")
        assert status == 404 and "Choose one of: day, week, month, all" in page
        status, page = await get(http, f"{url}/slack/T1/bank/lr-differential/missing")
        assert status == 404 and "No problem" in page
        status, page = await get(http, f"{url}/slack/T1/", "POST")
        assert status == 405 and "Read only" in page
        status, page = await get(http, f"{url}/slack/T1")
        assert status == 200  # redirected to the slash form
        async with http.get(f"{url}/slack/T1/") as response:
            assert response.headers["Cache-Control"] == "no-store"
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
        status, page = await get(http, url + "/")
        assert status == 200 and "lrquiz web --open" in page
        for page_text in (page,):
            assert "Traceback" not in page_text


async def test_a_learner_who_never_played_gets_an_empty_profile_not_an_error(
    seeded: Seeded,
) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        serving(seeded.path, seeded.now) as url,
        aiohttp.ClientSession(cookie_jar=jar) as http,
    ):
        await get(http, url + link(seeded.now, user="newcomer"))
        status, page = await get(http, f"{url}/slack/T1/me")
        assert status == 200 and "You have not answered any questions here yet" in page
        status, page = await get(http, f"{url}/slack/T1/")
        assert status == 200 and "You have not played here yet" in page


async def test_a_database_that_fails_mid_request_is_a_page_not_a_traceback(
    seeded: Seeded, caplog
) -> None:
    from aiohttp import web

    from bot.engine.clock import FakeClock
    from bot.web.app import Dashboard, build_app
    from bot.web.data import DashboardData
    from problems.loader import default_packs
    from storage.database import Database

    from .support import SECRET

    db = await Database.open(seeded.path, read_only=True)
    clock = FakeClock(seeded.now)
    runner = web.AppRunner(
        build_app(Dashboard(DashboardData(db, default_packs(), clock), SECRET, None, clock))
    )
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            assert (await get(http, url + link(seeded.now)))[0] == 200
            await db.close()  # the database goes away under the running dashboard
            status, page = await get(http, f"{url}/slack/T1/me")
    finally:
        await runner.cleanup()
    assert status in (500, 503)
    assert "Traceback" not in page and "Error 5" in page
    assert "error on /slack/T1/me" in caplog.text or "database error" in caplog.text
