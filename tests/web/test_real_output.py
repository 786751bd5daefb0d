"""The bank shows what a problem's code really prints, from a real runner process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.web.real_outputs import RealOutputs
from problems.loader import default_packs

from .support import Seeded, link, serving

pytest.importorskip("torch")


async def test_a_problem_page_shows_the_runners_real_output(
    seeded: Seeded, browser, artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner.local import runner_client

    monkeypatch.setenv("LRQUIZ_RUNNER_CACHE", str(tmp_path / "runner-cache.db"))
    monkeypatch.delenv("LRQUIZ_RUNNER_URL", raising=False)
    pack = default_packs()[0]
    problem = pack.problem("challenge-predict-group-lrs")
    async with runner_client(None) as runner:
        outputs = RealOutputs(runner)
        outputs.start([problem])
        await outputs.wait()
        async with serving(seeded.path, seeded.now, outputs) as url:
            page = await browser.new_page(viewport={"width": 1200, "height": 900})
            await page.goto(url + link(seeded.now, user="ann", admin=True))
            await page.goto(f"{url}/slack/T1/bank/{pack.id}/{problem.id}")
            section = page.locator("#real-output")
            assert await section.locator("h2").inner_text() == "Real output (PyTorch 2.13.0)"
            assert await section.locator("pre.output").inner_text() == "[0.001, 0.01]"
            await page.screenshot(path=artifacts / "problem-real-output.png", full_page=True)
