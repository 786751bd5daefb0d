"""The real runner's /metrics after real jobs: behind the token, counting exactly the
requests and results it served, and showing a busy slot while a job runs."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.deploy.compose import healthcheck_path
from tests.scrape import value

from .conftest import nonce, post, request, start_runner, stop_runner

TOKEN = "metrics-test-token"


def _scrape(url: str, token: str | None = TOKEN) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(url + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_count_real_jobs_and_show_busy_slots(tmp_path: Path) -> None:
    runner = start_runner(
        tmp_path,
        "--cache",
        ":memory:",
        "--slots",
        "2",
        env={"LRQUIZ_RUNNER_TOKEN": TOKEN},
    )
    try:
        assert _scrape(runner.url, token=None)[0] == 401
        assert _scrape(runner.url, token="wrong")[0] == 401
        n = nonce()
        first = f"print({n} + 1)"
        for code in (first, f"print({n} + 2)", first, "raise ValueError('no')"):
            status, _, body = post(runner.url, {"code": code}, token=TOKEN)
            assert status == 200, body
        assert post(runner.url, {"code": "print(1)"})[0] == 401  # no token
        assert post(runner.url, b"not json", token=TOKEN)[0] == 400

        slow = threading.Thread(
            target=post,
            args=(runner.url, {"code": f"import time; time.sleep(2); print({n})"}, TOKEN),
        )
        slow.start()
        deadline = time.monotonic() + 10
        busy = 0.0
        while busy < 1 and time.monotonic() < deadline:
            status, page = _scrape(runner.url)
            assert status == 200
            busy = value(page, "lrquiz_runner_slots_busy")
            time.sleep(0.05)
        slow.join()
        assert busy == 1
        status, page = _scrape(runner.url)
        assert status == 200
        health = runner.health()
        # the health path compose.yaml probes answers without the token
        status, _, public = request(runner.url + healthcheck_path("runner"))
        assert status == 200 and public == {"ok": True, "torch": health["torch"]}
    finally:
        stop_runner(runner)

    assert value(page, "lrquiz_runner_jobs_total", status="ok", cached="false") == 3
    assert value(page, "lrquiz_runner_jobs_total", status="ok", cached="true") == 1
    assert value(page, "lrquiz_runner_jobs_total", status="error", cached="false") == 1
    assert value(page, "lrquiz_runner_http_requests_total", route="/v1/run", code="200") == 5
    assert value(page, "lrquiz_runner_http_requests_total", route="/v1/run", code="401") == 1
    assert value(page, "lrquiz_runner_http_requests_total", route="/v1/run", code="400") == 1
    assert value(page, "lrquiz_runner_http_requests_total", route="/metrics", code="401") == 2
    assert value(page, "lrquiz_runner_executed_total") == 4
    assert value(page, "lrquiz_runner_cache_hits_total") == 1
    assert value(page, "lrquiz_runner_slots") == 2
    assert value(page, "lrquiz_runner_slots_busy") == 0
    assert value(page, "lrquiz_runner_queue_depth") == 0
    assert value(page, "lrquiz_runner_ready") == 1
    assert value(page, "lrquiz_runner_http_request_seconds_count", route="/v1/run") == 7
    # every sandbox layer /v1/health reports, with the same verdict
    for layer, active in health["isolation"].items():
        assert value(page, "lrquiz_runner_isolation_layer", layer=layer) == float(active)
