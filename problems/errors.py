"""Pack problems reported as one-line, file:line messages a problem author can act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def one_line(text: str) -> str:
    """Collapse whitespace so a message never spills onto a second terminal line."""
    return " ".join(text.split())


@dataclass(frozen=True)
class PackIssue:
    """One mistake in one pack file; `line` is 1-based, None when no line applies."""

    file: str
    line: int | None
    problem_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [f"{self.file}:{self.line}" if self.line else self.file]
        if self.problem_id:
            parts.append(f"problem '{self.problem_id}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(one_line(self.message))
        return ": ".join(parts)


class PackError(ValueError):
    """Raised when packs fail validation; carries every issue found, not only the first."""

    def __init__(self, issues: Iterable[PackIssue]) -> None:
        self.issues: list[PackIssue] = list(issues)
        super().__init__(self.issues)

    def lines(self) -> list[str]:
        """Every issue, one line each, in file order."""
        return [str(issue) for issue in self.issues]

    def __str__(self) -> str:
        if not self.issues:
            return "invalid problem pack"
        first = str(self.issues[0])
        more = len(self.issues) - 1
        if more:
            return f"{first} (and {more} more issue{'s' if more > 1 else ''})"
        return first
