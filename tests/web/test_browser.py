"""The dashboard in headless Chromium: every page opened from a signed link, as a person would.

Each test saves a screenshot under tests/web/artifacts/ (gitignored) for a human look.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.service import GameService
from problems.loader import default_packs
from storage.database import Database

from .support import OTHER, PLATFORM, WORKSPACE, Seeded, link, serving


async def bot_board(seeded: Seeded, tmp_path: Path, period: str, me: str) -> list[tuple]:
    """The board the bot itself shows (it folds the pending scores), from a writable copy."""
    copy = tmp_path / "copy.db"
    shutil.copy(seeded.path, copy)
    copy.chmod(0o644)
    from bot.engine.clock import FakeClock

    db = await Database.open(copy)
    try:
        service = GameService(db, default_packs(), FakeClock(seeded.now))
        board = await service.leaderboard(PLATFORM, WORKSPACE, period, seeded.ids[me], limit=25)
    finally:
        await db.close()
    rows = [(r.rank, r.name, r.points) for r in board.rows]
    if board.own and board.own.rank > len(board.rows):
        rows.append((board.own.rank, board.own.name, board.own.points))
    return rows


async def page_rows(page) -> list[tuple]:
    cells = await page.eval_on_selector_all(
        "table.board tbody tr:not(.gap)",
        "rows => rows.map(r => [r.children[0].textContent, r.children[1].textContent,"
        " r.children[2].textContent])",
    )
    return [
        (int(rank), name.replace("(you)", "").strip(), int(points)) for rank, name, points in cells
    ]


async def test_leaderboard_shows_the_bots_board_with_my_row_highlighted(
    seeded: Seeded, browser, artifacts: Path, tmp_path: Path
) -> None:
    async with serving(seeded.path, seeded.now) as url:
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        response = await page.goto(url + link(seeded.now, user="dee") + "&period=all")
        assert response.status == 200
        assert "t=" not in page.url and page.url.endswith("/slack/T1/?period=all")
        rows = await page_rows(page)
        assert rows == await bot_board(seeded, tmp_path, "all", "dee")
        assert len(rows) == 26 and rows[-1][1] == "dee" and rows[-1][0] > 25
        mine = page.locator("tr.mine")
        assert await mine.count() == 1
        assert await mine.get_attribute("aria-current") == "true"
        assert "(you)" in await mine.inner_text()
        assert "Outsider" not in await page.inner_text("main")
        background = await mine.locator("td").first.evaluate(
            "td => getComputedStyle(td).backgroundColor"
        )
        plain = await page.locator("tr:not(.mine) td").first.evaluate(
            "td => getComputedStyle(td).backgroundColor"
        )
        assert background != plain
        await page.screenshot(path=artifacts / "leaderboard.png", full_page=True)

        await page.get_by_role("link", name="Today").click()
        await page.wait_for_url("**/slack/T1/?period=day")
        assert await page_rows(page) == await bot_board(seeded, tmp_path, "day", "dee")
        assert await page.locator("nav.tabs a[aria-current=page]").inner_text() == "Today"


async def test_profile_draws_the_progress_and_topic_charts_calendar_and_badges(
    seeded: Seeded, browser, artifacts: Path
) -> None:
    async with serving(seeded.path, seeded.now) as url:
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(url + link(seeded.now, user="ann"))
        await page.get_by_role("link", name="My progress").click()
        await page.wait_for_selector("#chart-progress[data-drawn=true]")
        await page.wait_for_selector("#chart-topics[data-drawn=true]")
        days = await page.locator("details table tbody tr").count()
        assert days >= 6  # five days of challenges and three dailies
        points = page.locator("#chart-progress .scatterlayer .trace").first.locator(".points path")
        assert await points.count() == days
        assert await page.locator("#chart-progress svg.main-svg").count() >= 1
        topics = await page.locator("#topics-table tbody tr").count()
        assert topics >= 3
        assert await page.locator("#chart-topics .barlayer .point").count() == topics
        assert await page.locator("#calendar td.day.done").count() == 3
        # What the quiz learned about ann: her review cards and mastery per topic.
        assert "Reviews due:" in await page.locator("#reviews").inner_text()
        assert await page.locator("#mastery-table tbody tr").count() >= 3
        assert await page.locator("#fact-points").inner_text() != "0"
        assert "On a Roll" in await page.locator("#badges-earned").inner_text()
        assert errors == []
        await page.screenshot(path=artifacts / "profile.png", full_page=True)


async def test_theme_toggle_switches_and_remembers_the_theme(
    seeded: Seeded, browser, artifacts: Path
) -> None:
    async with serving(seeded.path, seeded.now) as url:
        context = await browser.new_context(
            color_scheme="light", viewport={"width": 1200, "height": 900}
        )
        page = await context.new_page()
        await page.goto(url + link(seeded.now, user="ann"))
        await page.goto(url + "/slack/T1/me")
        await page.wait_for_selector("#chart-progress[data-drawn=true]")
        theme = "document.documentElement.dataset.theme"
        body_bg = "getComputedStyle(document.body).backgroundColor"
        chart_bg = "document.querySelector('#chart-progress .main-svg').style.background"
        assert await page.evaluate(theme) == "light"
        light_bg, light_chart = await page.evaluate(body_bg), await page.evaluate(chart_bg)
        toggle = page.get_by_role("button", name="Dark theme")
        assert await toggle.get_attribute("aria-pressed") == "false"
        await toggle.click()
        assert await page.evaluate(theme) == "dark"
        assert await page.evaluate(body_bg) != light_bg
        await page.wait_for_function(f"{chart_bg} !== {light_chart!r}")
        pressed = page.get_by_role("button", name="Light theme")
        assert await pressed.get_attribute("aria-pressed") == "true"
        await page.screenshot(path=artifacts / "profile-dark.png", full_page=True)
        await page.reload()
        assert await page.evaluate(theme) == "dark"  # remembered
        await page.goto(url + "/slack/T1/")
        await page.screenshot(path=artifacts / "leaderboard-dark.png", full_page=True)
        await context.close()


async def test_bank_shows_highlighted_code_and_keeps_solutions_for_who_answered(
    seeded: Seeded, browser, artifacts: Path
) -> None:
    pack = default_packs()[0]
    coded = next(p for p in pack.problems if p.kind == "predict-output" and p.code)
    async with serving(seeded.path, seeded.now) as url:
        page = await browser.new_page(viewport={"width": 1200, "height": 900})
        await page.goto(url + link(seeded.now, user="ann", admin=True))
        await page.get_by_role("link", name="Problem bank").click()
        assert await page.locator("table.bank tbody tr").count() == len(pack.problems)
        await page.screenshot(path=artifacts / "bank.png", full_page=True)
        await page.get_by_role("link", name="🔧 Debug").click()
        await page.wait_for_url("**/bank?kind=debug")
        debug = [p for p in pack.problems if p.kind == "debug"]
        assert await page.locator("table.bank tbody tr").count() == len(debug)
        kinds = await page.locator("table.bank tbody td:nth-child(2)").all_inner_texts()
        assert set(kinds) == {"🔧 Debug"}
        await page.goto(f"{url}/slack/T1/bank/{pack.id}/{coded.id}")
        assert await page.locator(".code .highlight .kn, .code .highlight .k").count() > 0
        assert "import torch" in await page.locator(".code").inner_text()
        assert await page.locator(".choices li.key").count() == 1
        assert await page.locator("#solution .steps li").count() == len(coded.solution.steps)
        real = await page.locator("#real-output").inner_text()
        assert "Real output unavailable" in real and "no runner is configured" in real
        await page.screenshot(path=artifacts / "problem.png", full_page=True)

        learner = await browser.new_page()
        await learner.goto(url + link(seeded.now, user="dee"))
        await learner.goto(f"{url}/slack/T1/bank/{pack.id}/{coded.id}")
        assert await learner.locator("#solution-hidden").count() == 1
        assert await learner.locator(".choices li.key").count() == 0


async def test_admin_pages_need_an_admin_link(seeded: Seeded, browser, artifacts: Path) -> None:
    async with serving(seeded.path, seeded.now) as url:
        admin = await browser.new_page(viewport={"width": 1200, "height": 900})
        await admin.goto(url + link(seeded.now, user="ann", admin=True))
        await admin.get_by_role("link", name="Schedules").click()
        row = admin.locator("#schedules tbody tr")
        assert await row.count() == 1
        text = await row.inner_text()
        assert "sched1" in text and "09:00 UTC" in text and "2026-05-29 09:00 UTC" in text
        await admin.screenshot(path=artifacts / "schedules.png", full_page=True)
        await admin.get_by_role("link", name="Item analysis").click()
        items = admin.locator("#items tbody tr")
        assert await items.count() >= 5
        first = await items.first.inner_text()
        assert "%" in first
        assert await admin.locator("#items .picks li.key").count() == await items.count()
        await admin.screenshot(path=artifacts / "items.png", full_page=True)

        learner = await browser.new_page()
        await learner.goto(url + link(seeded.now, user="bob"))
        assert await learner.get_by_role("link", name="Schedules").count() == 0
        response = await learner.goto(url + "/slack/T1/admin/items")
        assert response.status == 403
        assert "Admins only" in await learner.inner_text("h1")


async def test_tampered_expired_and_foreign_links_get_a_clear_page(
    seeded: Seeded, browser, artifacts: Path
) -> None:
    async with serving(seeded.path, seeded.now) as url:
        page = await browser.new_page(viewport={"width": 900, "height": 700})
        good = link(seeded.now, user="ann")
        flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
        response = await page.goto(url + flipped)
        assert response.status == 403
        assert await page.inner_text("h1") == "This link is not valid"
        assert "Traceback" not in await page.content()
        await page.screenshot(path=artifacts / "link-tampered.png")

        expired = link(seeded.now - 7200, user="ann", ttl_s=3600)
        response = await page.goto(url + expired)
        assert response.status == 410
        assert await page.inner_text("h1") == "This link has expired"
        await page.screenshot(path=artifacts / "link-expired.png")

        # A T1 link pointed at T2's pages, and T2's pages with only T1's cookie.
        foreign = good.replace(f"/{WORKSPACE}/", f"/{OTHER}/")
        response = await page.goto(url + foreign)
        assert response.status == 403
        assert await page.inner_text("h1") == "This link is for another workspace"
        await page.screenshot(path=artifacts / "link-other-workspace.png")
        await page.goto(url + good)
        response = await page.goto(f"{url}/{PLATFORM}/{OTHER}/")
        assert response.status == 403
        assert "Outsider" not in await page.content()

        outsider = await browser.new_page()
        await outsider.goto(url + link(seeded.now, user="Outsider", workspace=OTHER))
        names = [r[1] for r in await page_rows(outsider)]
        assert names == ["Outsider"]
        response = await outsider.goto(f"{url}/{PLATFORM}/{OTHER}/learners/{seeded.ids['ann']}")
        assert response.status == 403  # not an admin; and an admin of T2 gets 404 below
        admin_t2 = await browser.new_page()
        await admin_t2.goto(url + link(seeded.now, user="Outsider", workspace=OTHER, admin=True))
        response = await admin_t2.goto(f"{url}/{PLATFORM}/{OTHER}/learners/{seeded.ids['ann']}")
        assert response.status == 404
        assert "ann" not in await admin_t2.inner_text("main")


async def test_pages_fit_a_phone_screen(seeded: Seeded, browser, artifacts: Path) -> None:
    async with serving(seeded.path, seeded.now) as url:
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
        )
        page = await context.new_page()
        await page.goto(url + link(seeded.now, user="ann", admin=True))
        for path, name in (
            ("", "phone-leaderboard"),
            ("me", "phone-profile"),
            ("admin/items", "phone-items"),
        ):
            await page.goto(f"{url}/slack/T1/{path}")
            if path == "me":
                await page.wait_for_selector("#chart-progress[data-drawn=true]")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
            await page.screenshot(path=artifacts / f"{name}.png", full_page=True)
        await context.close()
