"""API v1 contract: request validation (400), response shape, health, unknown routes."""

from __future__ import annotations

import json

import pytest

from tests.runner.conftest import RunnerProcess, nonce, post, request

BAD_REQUESTS = [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'"code"', "JSON object"),
    (b"{}", "missing required field 'code'"),
    (b'{"code": 42}', "'code' must be a string"),
    (b'{"code": null}', "'code' must be a string"),
    (b'{"code": ["print(1)"]}', "'code' must be a string"),
    (b'{"code": "\\ud800"}', "not valid Unicode"),
    (json.dumps({"code": "x" * (64 * 1024 + 1)}).encode(), "limit is 65536"),
    (json.dumps({"code": "#" * (300 * 1024)}).encode(), "larger than"),
    (b'{"code": "1", "timeout_s": -1}', "positive"),
    (b'{"code": "1", "timeout_s": 0}', "positive"),
    (b'{"code": "1", "timeout_s": 1e9}', "at most 30"),
    (b'{"code": "1", "timeout_s": NaN}', "finite"),
    (b'{"code": "1", "timeout_s": "5"}', "must be a number"),
    (b'{"code": "1", "timeout_s": true}', "must be a number"),
    (b'{"code": "1", "seed": -1}', "between 0 and"),
    (b'{"code": "1", "seed": 1e3}', "integer"),
    (b'{"code": "1", "seed": 99999999999999999999999}', "between 0 and"),
    (b"[" * 100000, "not valid JSON"),
    (b'{"code": "1", "timeout_s": 1' + b"0" * 400 + b"}", "at most 30"),
    (b'{"code": "1", "timeout_s": 1e400}', "finite"),
    (b'{"code": "1", "seed": 1' + b"0" * 400 + b"}", "between 0 and"),
]


@pytest.mark.parametrize(("body", "reason"), BAD_REQUESTS)
def test_malformed_requests_get_400_with_a_reason(
    runner: RunnerProcess, body: bytes, reason: str
) -> None:
    status, _, answer = post(runner.url, body)
    assert status == 400
    assert reason in answer["error"]


def test_run_response_has_every_contract_field(runner: RunnerProcess) -> None:
    result = runner.run(f"print('hello', {nonce()})")
    assert set(result) >= {
        "status",
        "stdout",
        "stderr",
        "exit_code",
        "duration_ms",
        "truncated",
        "cached",
        "runtime",
    }
    assert result["status"] == "ok"
    assert result["exit_code"] == 0
    assert result["truncated"] is False
    assert result["cached"] is False
    assert result["runtime"]["torch"] == "2.13.0"
    assert result["runtime"]["threads"] == 1
    assert isinstance(result["duration_ms"], float | int)


def test_a_raising_snippet_is_status_error_with_traceback(runner: RunnerProcess) -> None:
    code = f"print('before')\nx = {nonce()}\nimport torch\ntorch.nn.ReLU().parameters().lr"
    result = runner.run(code)
    assert result["status"] == "error"
    assert result["stdout"] == "before\n"
    assert result["exit_code"] == 1
    assert result["exception"] == "AttributeError"
    assert "Traceback (most recent call last)" in result["stderr"]
    assert 'File "<snippet>", line 4' in result["stderr"]
    assert result["stderr"].rstrip().endswith("'generator' object has no attribute 'lr'")


def test_syntax_errors_and_sys_exit(runner: RunnerProcess) -> None:
    result = runner.run(f"x = {nonce()}\nprint(x x)")
    assert (result["status"], result["exception"]) == ("error", "SyntaxError")
    result = runner.run(f"import sys\nprint({nonce()})\nsys.exit(3)")
    assert (result["status"], result["exit_code"]) == ("error", 3)
    result = runner.run(f"import sys\nprint({nonce()})\nsys.exit(0)")
    assert (result["status"], result["exit_code"]) == ("ok", 0)


def test_health_reports_torch_and_isolation(runner: RunnerProcess) -> None:
    health = runner.health()
    assert health["ok"] is True
    assert health["torch"] == "2.13.0"
    assert isinstance(health["isolation"], dict)
    assert all(isinstance(v, bool) for v in health["isolation"].values())
    for layer in ("netns", "seccomp", "wall_clock_kill", "output_cap", "empty_env", "rlimit_cpu"):
        assert layer in health["isolation"]
    for layer, active in health["isolation"].items():
        assert active or layer in health["isolation_missing"]


def test_unknown_routes_answer_json(runner: RunnerProcess) -> None:
    status, _, body = request(runner.url + "/v2/run")
    assert status == 404
    assert "error" in body
    status, _, body = request(runner.url + "/v1/run")
    assert status == 405
    assert "error" in body


def test_the_largest_code_allowed_reaches_the_job_whole(runner: RunnerProcess) -> None:
    line = '"\\n\\t\u00e9"  # padding\n'
    body = line * ((64 * 1024 - 200) // len(line.encode()))
    code = f"{body}print({nonce()}, 'whole')"  # cut anywhere, it would not end like this
    assert len(code.encode()) <= 64 * 1024
    result = runner.run(code)
    assert result["status"] == "ok", result["stderr"][-500:]
    assert result["stdout"].endswith(" whole\n")
