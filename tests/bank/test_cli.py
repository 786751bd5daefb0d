"""`lrquiz problems pool`: lists what is ready; filling needs a runner and says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def lrquiz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


def test_pool_lists_every_template_and_refuses_to_fill_without_a_runner(tmp_path: Path) -> None:
    db = str(tmp_path / "quiz.db")
    listed = lrquiz("problems", "pool", "--db", db)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "Pack lr-differential: 0 unused variants"
    assert len(lines) == 19 and lines[1].split() == ["t-steplr-two-groups", "0"]
    refused = lrquiz("problems", "pool", "--db", db, "--size", "2", "--runner", "off")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        "lrquiz: problems pool needs a runner (pip install 'lrquiz[runner]', or --runner URL)"
    ]
    bad = lrquiz("problems", "pool", "--db", db, "--size", "-1")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
