"""Validation of ``POST /v1/run`` bodies: every way to be wrong gets a one-line reason."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from runner.limits import Limits


class BadRequest(ValueError):
    """A malformed request; ``str()`` is the reason sent back with HTTP 400."""


@dataclass(frozen=True)
class RunRequest:
    code: str
    timeout_s: float
    seed: int


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_run_request(body: bytes, limits: Limits) -> RunRequest:
    """Turn a raw request body into a RunRequest or raise BadRequest."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("request body must be a JSON object")
    if "code" not in data:
        raise BadRequest("missing required field 'code'")
    code = data["code"]
    if not isinstance(code, str):
        raise BadRequest("'code' must be a string")
    try:
        size = len(code.encode("utf-8"))
    except UnicodeEncodeError:
        raise BadRequest("'code' is not valid Unicode (lone surrogate)") from None
    if size > limits.max_code_bytes:
        raise BadRequest(f"'code' is {size} bytes; the limit is {limits.max_code_bytes}")

    timeout = data.get("timeout_s")
    if timeout is None:
        timeout = limits.default_timeout_s
    elif not _number(timeout):
        raise BadRequest("'timeout_s' must be a number of seconds")
    elif isinstance(timeout, int) and timeout > limits.max_timeout_s:  # too big for a float
        raise BadRequest(f"'timeout_s' must be at most {limits.max_timeout_s:g}")
    elif not math.isfinite(timeout) or timeout <= 0:
        raise BadRequest("'timeout_s' must be a positive, finite number")
    elif timeout > limits.max_timeout_s:
        raise BadRequest(f"'timeout_s' must be at most {limits.max_timeout_s:g}")

    seed = data.get("seed")
    if seed is None:
        seed = 0
    elif not isinstance(seed, int) or isinstance(seed, bool):
        raise BadRequest("'seed' must be an integer")
    elif not 0 <= seed <= limits.max_seed:
        raise BadRequest(f"'seed' must be between 0 and {limits.max_seed}")
    return RunRequest(code=code, timeout_s=float(timeout), seed=seed)
