"""Typed reads from one YAML mapping that record a PackIssue per mistake instead of raising.

Validation collects every mistake in a file, so each read returns None on a bad
value and the caller carries on; the issues list decides whether a pack is built.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import PackIssue
from .yamlsource import LineMap, LineSeq


@dataclass
class Report:
    """Where issues for one file go."""

    file: str
    issues: list[PackIssue] = field(default_factory=list)

    def add(
        self, line: int | None, message: str, *, problem_id: str | None, field_name: str | None
    ) -> None:
        self.issues.append(PackIssue(self.file, line, problem_id, field_name, message))


def describe(value: Any) -> str:
    """A short, author-facing name for what YAML produced, e.g. "a string 'two'"."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()}; YAML reads yes/no/on/off as booleans)"
    if isinstance(value, int):
        return f"an integer {value}"
    if isinstance(value, float):
        return f"a number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def one_of(allowed: Sequence[str]) -> str:
    return ", ".join(allowed)


class Fields:
    """Reads the fields of one mapping; `prefix` names nested fields, e.g. 'solution.'."""

    def __init__(
        self,
        report: Report,
        data: LineMap,
        *,
        required: Sequence[str],
        optional: Sequence[str] = (),
        problem_id: str | None = None,
        prefix: str = "",
        line: int | None = None,
    ) -> None:
        self.report = report
        self.data = data
        self.problem_id = problem_id
        self.prefix = prefix
        # Where "missing field" points: the parent's key line reads better than the first child.
        self.anchor_line = line if line is not None else data.line
        self._check_keys(required, optional)

    # -- reporting -------------------------------------------------------------------------

    def issue(self, key: str | None, message: str, *, line: int | None = None) -> None:
        """Report at `line`, else at the key's line, else at the mapping's first line."""
        where = line if line is not None else self.data.line_of(key)
        name = self.prefix + key if key is not None else self.prefix.rstrip(".") or None
        self.report.add(where, message, problem_id=self.problem_id, field_name=name)

    def line(self, key: str) -> int:
        return self.data.line_of(key)

    def _check_keys(self, required: Sequence[str], optional: Sequence[str]) -> None:
        known = [*required, *optional]
        for key, line, first in self.data.duplicates:
            self.issue(None, f"duplicate key {key!r} (first on line {first})", line=line)
        for key in self.data:
            if key in known:
                continue
            hint = ""
            if isinstance(key, str):
                close = difflib.get_close_matches(key, known, n=1)
                if close:
                    hint = f" (did you mean {close[0]!r}?)"
            if not hint:
                hint = f" (known keys: {one_of(known)})"
            self.issue(None, f"unknown key {key!r}{hint}", line=self.data.line_of(key))
        for key in required:
            if key not in self.data:
                self.issue(None, f"missing required field {key!r}", line=self.anchor_line)

    # -- typed reads -------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self.data

    def text(
        self, key: str, *, pattern: re.Pattern[str] | None = None, what: str = ""
    ) -> str | None:
        """A non-blank string; numbers and booleans are refused (they lose their spelling)."""
        if key not in self.data:
            return None
        return self.text_value(key, self.data[key], self.line(key), pattern=pattern, what=what)

    def text_value(
        self,
        key: str,
        value: Any,
        line: int,
        *,
        pattern: re.Pattern[str] | None = None,
        what: str = "",
    ) -> str | None:
        if is_blank(value):
            self.issue(key, "must not be empty", line=line)
            return None
        if not isinstance(value, str):
            scalar = not isinstance(value, dict | list)  # YAML read it as a number/date/boolean
            quote = " (put it in quotes)" if scalar else ""
            self.issue(key, f"expected a string, got {describe(value)}{quote}", line=line)
            return None
        if pattern is not None and not pattern.fullmatch(value):
            self.issue(key, f"{value!r} is not a valid {what or 'value'}", line=line)
            return None
        return value

    def enum(self, key: str, allowed: Sequence[str]) -> str | None:
        """A string from a fixed set; the message lists the allowed values."""
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, str) or value not in allowed:
            shown = repr(value) if isinstance(value, str) else describe(value)
            self.issue(key, f"{shown} is not one of {one_of(allowed)}")
            return None
        return value

    def positive_int(self, key: str) -> int | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.issue(key, f"expected a positive integer, got {describe(value)}")
            return None
        if value <= 0:
            self.issue(key, f"must be a positive integer, got {value}")
            return None
        return value

    def mapping(self, key: str) -> LineMap | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, LineMap):
            self.issue(key, f"expected a mapping, got {describe(value)}")
            return None
        return value

    def sequence(self, key: str, *, what: str = "a list") -> LineSeq | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, LineSeq):
            self.issue(key, f"expected {what}, got {describe(value)}")
            return None
        return value

    def text_list(
        self, key: str, *, min_items: int = 0, noun: str = "item"
    ) -> tuple[str, ...] | None:
        """A list of non-blank strings; each bad item is reported at its own line."""
        items = self.sequence(key, what=f"a list of {noun}s")
        if items is None:
            return None
        if len(items) < min_items:
            self.issue(key, f"needs at least {min_items} {noun}{'s' if min_items > 1 else ''}")
            return None
        texts = [
            self.text_value(f"{key}[{i}]", item, items.line_of(i)) for i, item in enumerate(items)
        ]
        if any(text is None for text in texts):
            return None
        return tuple(text for text in texts if text is not None)
