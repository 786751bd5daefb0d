"""The bad-pack corpus and a known-good pack text, shared by the problem-pack tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

BAD_PACKS = Path(__file__).parent / "bad_packs"

VALID_PACK = """\
id: mini
title: Mini pack
summary: One question about parameter groups.
problems:
  - id: q1
    kind: conceptual
    difficulty: easy
    prompt: Which optimizer argument sets a per-group learning rate?
    choices:
      B: "lr2= on the optimizer"
      A: "'lr' inside each param group dict"
    answer: A
    hint: Look at the dicts passed to the optimizer.
    solution:
      steps:
        - Each param group dict may carry its own 'lr'.
      final: "'lr' inside each param group dict -> Option A"
"""


@dataclass(frozen=True)
class BadPack:
    """One corpus file and what its header comments say the loader must report."""

    path: Path
    line: int
    expect: str
    schema: str  # "reject": a schema-level mistake; "n/a": only the loader can see it

    def __str__(self) -> str:
        return self.path.stem


def _header(text: str, name: str) -> str:
    match = re.search(rf"^# {name}: (.*)$", text, re.MULTILINE)
    assert match, f"bad pack is missing its '# {name}:' header"
    return match.group(1)


def bad_packs() -> list[BadPack]:
    packs = []
    for path in sorted(BAD_PACKS.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        packs.append(
            BadPack(
                path=path,
                line=int(_header(text, "expect-line")),
                expect=_header(text, "expect"),
                schema=_header(text, "schema"),
            )
        )
    return packs
