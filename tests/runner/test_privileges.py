"""Each capability the README's "What the runner's sandbox needs" table names, taken away
from a real runner (`setpriv --bounding-set`): exactly its layers report themselves
missing in /v1/health, with the reason the table quotes, and jobs still run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import post, start_runner, stop_runner

TOKEN = "privileges-test"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and util-linux's setpriv to take capabilities away",
)

CASES = {
    "-sys_admin": {
        **{ns: "unshare failed: unshare: Operation not permitted" for ns in ("pidns", "netns")},
        "fs_jail": "cannot build jail: [Errno 1] unshare: Operation not permitted",
    },
    "-sys_chroot": {"fs_jail": "[Errno 1] Operation not permitted: "},
    "-setuid,-setgid": {"unprivileged_uid": "setuid: Operation not permitted"},
}


@pytest.mark.parametrize("dropped", list(CASES))
def test_a_missing_capability_costs_exactly_its_layers(tmp_path: Path, dropped: str) -> None:
    runner = start_runner(
        tmp_path,
        "--cache",
        ":memory:",
        "--slots",
        "1",
        env={"LRQUIZ_RUNNER_TOKEN": TOKEN},
        prefix=("setpriv", "--bounding-set", dropped),
    )
    try:
        health = runner.health()
        status, _, result = post(runner.url, {"code": "print(6 * 7)"}, token=TOKEN)
    finally:
        stop_runner(runner)
    missing = health["isolation_missing"]
    for layer, reason in CASES[dropped].items():
        assert missing.get(layer, "").startswith(reason), (layer, missing)
    untouched = ("seccomp", "no_new_privs", "rlimit_as", "wall_clock_kill", "output_cap")
    for layer in untouched:
        assert health["isolation"][layer] is True, layer
    assert status == 200 and result["status"] == "ok" and result["stdout"] == "42\n"
