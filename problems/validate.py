"""The pack rules: turn one parsed YAML document into a Pack, or into a list of issues.

Mirrors section 4 of DESIGN.md and problems/pack.schema.json; rules the schema
cannot express (answer among the choices, unique ids, the debug key convention)
live only here.
"""

from __future__ import annotations

import re
from typing import Any, cast

from .errors import PackIssue
from .fields import Fields, Report, describe, one_of
from .model import (
    BADGE_RULE_NAMES,
    DEFAULT_ATTEMPTS,
    DEFAULT_TIME_LIMIT_S,
    DIFFICULTIES,
    KINDS,
    LETTERS,
    LEVELS,
    VERIFY_MODES,
    Badge,
    Difficulty,
    Kind,
    Level,
    Pack,
    Problem,
    Solution,
    Verify,
)
from .templates import build_templates
from .yamlsource import LineMap

# Ids end up in button payloads, database rows and file names: keep them plain.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
ID_WHAT = "id (letters, digits, '-', '_' or '.', at most 64 characters)"

PACK_REQUIRED = ("id", "title", "summary", "problems")
PACK_OPTIONAL = ("badges", "verified_torch", "templates")
# The PyTorch release every code-bearing key was last verified on, e.g. "2.13.0".
TORCH_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
PROBLEM_REQUIRED = (
    "id",
    "kind",
    "difficulty",
    "prompt",
    "choices",
    "answer",
    "hint",
    "solution",
)
PROBLEM_OPTIONAL = ("title", "level", "code", "time_limit_s", "attempts", "tags", "topic", "verify")
SOLUTION_REQUIRED = ("steps", "final")
SOLUTION_OPTIONAL = ("quick_check", "common_mistakes")
BADGE_REQUIRED = ("id", "name", "description", "rule")
BADGE_OPTIONAL = ("emoji",)

# Kinds whose key the runner checks by running `code`, so the code must be there.
CODE_KINDS = ("predict-output", "debug")
# The runner reads a debug key as "<ExceptionName>: ..." or "No error ...".
DEBUG_KEY = re.compile(
    r"No error\b.*|[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|StopIteration)(?::.*)?",
    re.DOTALL,
)
# Seed-style finals end with "-> Option B"; it must agree with `answer`.
FINAL_OPTION = re.compile(r"\bOption ([A-Z])\s*$")


def build_pack(data: Any, file: str) -> tuple[Pack | None, list[PackIssue]]:
    """Validate one document; the Pack is None whenever any issue was found."""
    report = Report(file)
    if not isinstance(data, LineMap):
        got = "an empty file" if data is None else describe(data)
        line = getattr(data, "line", 1)
        report.add(
            line,
            f"the top level must be a mapping with {one_of(PACK_REQUIRED)}; got {got}",
            problem_id=None,
            field_name=None,
        )
        return None, report.issues

    fields = Fields(report, data, required=PACK_REQUIRED, optional=PACK_OPTIONAL)
    pack_id = fields.text("id", pattern=ID_PATTERN, what=ID_WHAT)
    title = fields.text("title")
    summary = fields.text("summary")
    problems = _problems(report, fields)
    badges = _badges(report, fields)
    verified_torch = fields.text(
        "verified_torch", pattern=TORCH_VERSION, what="PyTorch version (e.g. '2.13.0')"
    )
    templates = build_templates(report, fields, ID_PATTERN, ID_WHAT)
    if problems is not None and templates:
        problem_ids = {problem.id for problem in problems}
        for template in templates:
            if template.id in problem_ids:
                fields.issue("templates", f"template id {template.id!r} is also a problem id")
    if (
        report.issues
        or None in (pack_id, title, summary)
        or problems is None
        or badges is None
        or templates is None
    ):
        return None, sorted(report.issues, key=lambda issue: issue.line or 0)
    assert pack_id is not None and title is not None and summary is not None
    pack = Pack(
        id=pack_id,
        title=title,
        summary=summary,
        problems=problems,
        badges=badges,
        verified_torch=verified_torch or "",
        templates=templates,
        source=file,
    )
    return pack, report.issues


def _problems(report: Report, fields: Fields) -> tuple[Problem, ...] | None:
    items = fields.sequence("problems", what="a list of problems")
    if items is None:
        return None
    if not items:
        fields.issue("problems", "must list at least one problem")
        return None
    built: list[Problem | None] = []
    first_line: dict[str, int] = {}
    for index, item in enumerate(items):
        problem = _problem(report, item, index, items.line_of(index))
        built.append(problem)
        raw_id = item.get("id") if isinstance(item, LineMap) else None
        if isinstance(raw_id, str):
            line = item.line_of("id")
            if raw_id in first_line:
                report.add(
                    line,
                    f"duplicate problem id {raw_id!r} (first defined on line {first_line[raw_id]})",
                    problem_id=raw_id,
                    field_name="id",
                )
            else:
                first_line[raw_id] = line
    if any(problem is None for problem in built):
        return None
    return tuple(problem for problem in built if problem is not None)


def _problem(report: Report, item: Any, index: int, line: int) -> Problem | None:
    if not isinstance(item, LineMap):
        report.add(
            line,
            f"each problem must be a mapping, got {describe(item)}",
            problem_id=None,
            field_name=f"problems[{index}]",
        )
        return None
    raw_id = item.get("id")
    named = isinstance(raw_id, str) and bool(raw_id.strip())
    before = len(report.issues)
    fields = Fields(
        report,
        item,
        required=PROBLEM_REQUIRED,
        optional=PROBLEM_OPTIONAL,
        problem_id=raw_id if named else None,
        prefix="" if named else f"problems[{index}].",
    )
    problem_id = fields.text("id", pattern=ID_PATTERN, what=ID_WHAT)
    kind = fields.enum("kind", KINDS)
    difficulty = fields.enum("difficulty", DIFFICULTIES)
    level = fields.enum("level", LEVELS)
    verify = fields.enum("verify", VERIFY_MODES)
    title = fields.text("title")
    prompt = fields.text("prompt")
    code = fields.text("code")
    hint = fields.text("hint")
    time_limit = fields.positive_int("time_limit_s")
    attempts = fields.positive_int("attempts")
    tags = fields.text_list("tags", noun="tag")
    topic = fields.text("topic", pattern=ID_PATTERN, what=ID_WHAT)
    choices = _choices(fields)
    answer = _answer(fields, choices)
    solution = _solution(report, fields, answer)

    if kind in CODE_KINDS and not fields.has("code"):
        fields.issue(None, f"kind {kind!r} needs a 'code' block the runner can execute")
    if fields.has("verify") and not fields.has("code"):
        fields.issue("verify", "only applies to a problem with a 'code' block")
    mode = verify or ("exception" if kind == "debug" else None)
    if mode == "exception" and choices and answer and not DEBUG_KEY.fullmatch(choices[answer]):
        fields.issue(
            "answer",
            f"the keyed choice {choices[answer]!r} must start with an exception name "
            "(e.g. 'TypeError: ...') or with 'No error' so the runner can check it",
        )

    required = (problem_id, kind, difficulty, prompt, hint, choices, answer, solution)
    if len(report.issues) > before or any(value is None for value in required):
        return None
    assert problem_id and prompt and hint and choices and answer and solution  # narrowed above
    return Problem(
        id=problem_id,
        kind=cast(Kind, kind),  # each enum was checked against its constant above
        difficulty=cast(Difficulty, difficulty),
        prompt=prompt,
        choices=choices,
        answer=answer,
        hint=hint,
        solution=solution,
        level=cast(Level | None, level),
        code=code,
        time_limit_s=time_limit or DEFAULT_TIME_LIMIT_S,
        attempts=attempts or DEFAULT_ATTEMPTS,
        tags=tags or (),
        topic=topic or "",
        verify=cast(Verify | None, verify),
        title=title or "",
    )


def _choices(fields: Fields) -> dict[str, str] | None:
    """Letters A-D to text, returned in A-D order whatever order the author wrote."""
    raw = fields.data.get("choices")
    if "choices" not in fields.data:
        return None
    if not isinstance(raw, LineMap):
        fields.issue(
            "choices",
            f"expected a mapping of letters to text (A: ..., B: ...), got {describe(raw)}",
        )
        return None
    ok = True
    for key, line, first in raw.duplicates:
        fields.issue("choices", f"duplicate choice {key!r} (first on line {first})", line=line)
        ok = False
    texts: dict[str, str] = {}
    for key, value in raw.items():
        line = raw.line_of(key)
        if key not in LETTERS:
            fields.issue(
                "choices", f"choice letter {key!r} is not one of {one_of(LETTERS)}", line=line
            )
            ok = False
            continue
        text = fields.text_value(f"choices.{key}", value, line)
        if text is None:
            ok = False
        else:
            texts[key] = text
    if len(raw) < 2:
        fields.issue("choices", f"needs at least two choices, got {len(raw)}")
        return None
    letters = [letter for letter in LETTERS if letter in texts]
    if ok and letters != list(LETTERS[: len(letters)]):
        fields.issue("choices", f"letters must run from A without gaps, got {one_of(letters)}")
        ok = False
    seen: dict[str, str] = {}
    for letter in letters:
        if texts[letter] in seen:
            fields.issue(
                f"choices.{letter}",
                f"same text as choice {seen[texts[letter]]}",
                line=raw.line_of(letter),
            )
            ok = False
        seen.setdefault(texts[letter], letter)
    return {letter: texts[letter] for letter in letters} if ok else None


def _answer(fields: Fields, choices: dict[str, str] | None) -> str | None:
    if "answer" not in fields.data:
        return None
    value = fields.data["answer"]
    allowed = list(choices) if choices else list(LETTERS)
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) else describe(value)
        fields.issue("answer", f"{shown} is not one of the choices {one_of(allowed)}")
        return None
    return value if choices else None


def _solution(report: Report, fields: Fields, answer: str | None) -> Solution | None:
    data = fields.mapping("solution")
    if data is None:
        return None
    sub = Fields(
        report,
        data,
        required=SOLUTION_REQUIRED,
        optional=SOLUTION_OPTIONAL,
        problem_id=fields.problem_id,
        prefix=f"{fields.prefix}solution.",
        line=fields.line("solution"),
    )
    steps = sub.text_list("steps", min_items=1, noun="step")
    final = sub.text("final")
    quick_check = sub.text("quick_check")
    mistakes = sub.text_list("common_mistakes", noun="mistake")
    if final and answer:
        match = FINAL_OPTION.search(final)
        if match and match.group(1) != answer:
            sub.issue("final", f"says Option {match.group(1)} but 'answer' is {answer}")
            return None
    if steps is None or final is None:
        return None
    if (sub.has("quick_check") and quick_check is None) or (
        sub.has("common_mistakes") and mistakes is None
    ):
        return None
    return Solution(
        steps=steps, final=final, quick_check=quick_check or "", common_mistakes=mistakes or ()
    )


def _badges(report: Report, fields: Fields) -> tuple[Badge, ...] | None:
    if not fields.has("badges"):
        return ()
    items = fields.sequence("badges", what="a list of badges")
    if items is None:
        return None
    badges: list[Badge] = []
    first_line: dict[str, int] = {}
    ok = True
    for index, item in enumerate(items):
        name = f"badges[{index}]"
        if not isinstance(item, LineMap):
            fields.issue(
                name,
                f"each badge must be a mapping, got {describe(item)}",
                line=items.line_of(index),
            )
            ok = False
            continue
        before = len(report.issues)
        sub = Fields(
            report, item, required=BADGE_REQUIRED, optional=BADGE_OPTIONAL, prefix=f"{name}."
        )
        badge_id = sub.text("id", pattern=ID_PATTERN, what=ID_WHAT)
        title = sub.text("name")
        description = sub.text("description")
        emoji = sub.text("emoji")
        rule = sub.data.get("rule")
        if "rule" in sub.data and rule not in BADGE_RULE_NAMES:
            shown = repr(rule) if isinstance(rule, str) else describe(rule)
            sub.issue(
                "rule", f"unknown badge rule {shown} (known rules: {one_of(BADGE_RULE_NAMES)})"
            )
        if badge_id is not None:
            if badge_id in first_line:
                sub.issue(
                    "id",
                    f"duplicate badge id {badge_id!r} "
                    f"(first defined on line {first_line[badge_id]})",
                )
            first_line.setdefault(badge_id, sub.line("id"))
        if len(report.issues) > before:
            ok = False
            continue
        assert badge_id and title and description and isinstance(rule, str)
        badges.append(
            Badge(
                id=badge_id,
                name=title,
                description=description,
                rule=rule,
                **({"emoji": emoji} if emoji else {}),
            )
        )
    return tuple(badges) if ok else None
