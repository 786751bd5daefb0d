#!/usr/bin/env python3
"""Container health probe: exit 0 when URL answers 200 with {"ok": true}, else 1.

Used by the images' and compose.yaml's health checks (the slim images have no curl).
The bots' /health is 503 when the database does not answer; the runner's /v1/health is
200 with "ok": false until a warm zygote serves jobs, hence the check of the body.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request


def healthy(url: str, timeout_s: float = 5.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        return False, f"{url}: HTTP {error.code}"
    except (OSError, ValueError) as error:
        return False, f"{url}: {error}"
    if not isinstance(body, dict) or body.get("ok") is not True:
        return False, f"{url}: not ok: {json.dumps(body)[:300]}"
    return True, f"{url}: ok"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: healthcheck.py URL", file=sys.stderr)
        return 2
    ok, message = healthy(argv[0])
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
