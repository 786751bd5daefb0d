"""The pack rules for `templates:` (parametric problems), reported like every other pack issue.

A template is checked without running anything: every ${placeholder} names a declared
parameter, every mistake's `find` text occurs in the code, and there are enough mistakes
to fill three distractors. Whether the variants really hold is `problems verify`'s job.
"""

from __future__ import annotations

import re
from string import Template as TextTemplate
from typing import Any, cast

from .fields import Fields, Report, describe
from .model import DIFFICULTIES, LEVELS, Difficulty, Level, Mistake, Template
from .yamlsource import LineMap, LineSeq

TEMPLATE_REQUIRED = (
    "id",
    "kind",
    "difficulty",
    "prompt",
    "code",
    "hint",
    "steps",
    "params",
    "mistakes",
)
TEMPLATE_OPTIONAL = ("title", "level", "tags", "topic", "quick_check")
MISTAKE_REQUIRED = ("name", "says", "replace")
REPLACE_REQUIRED = ("find", "with")
# Variants are keyed by comparing stdout, so only predict-output templates exist (for now).
TEMPLATE_KINDS = ("predict-output",)
# Three distractors are needed; a spare lets a variant drop a mistake that prints the key.
MIN_MISTAKES = 3
MAX_RANGE_VALUES = 1000
# The variant id "<template id>.s<seed>" must still be a valid 64-character id.
TEMPLATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,49}")
ANSWER = "answer"


def placeholders(text: str) -> set[str]:
    return set(TextTemplate(text).get_identifiers())


def build_templates(
    report: Report, fields: Fields, id_pattern: re.Pattern[str], id_what: str
) -> tuple[Template, ...] | None:
    """The pack's templates, or None if any of them has an issue (each one is reported)."""
    if not fields.has("templates"):
        return ()
    items = fields.sequence("templates", what="a list of templates")
    if items is None:
        return None
    built = [_template(report, item, i, items, id_pattern, id_what) for i, item in enumerate(items)]
    seen: dict[str, int] = {}
    for template, index in zip(built, range(len(items)), strict=True):
        if template is None:
            continue
        line = items.line_of(index)
        if template.id in seen:
            report.add(
                line,
                f"duplicate template id {template.id!r} (first on line {seen[template.id]})",
                problem_id=template.id,
                field_name="id",
            )
            return None
        seen[template.id] = line
    if any(template is None for template in built):
        return None
    return tuple(template for template in built if template is not None)


def _template(
    report: Report,
    item: Any,
    index: int,
    items: LineSeq,
    id_pattern: re.Pattern[str],
    id_what: str,
) -> Template | None:
    if not isinstance(item, LineMap):
        report.add(
            items.line_of(index),
            f"each template must be a mapping, got {describe(item)}",
            problem_id=None,
            field_name=f"templates[{index}]",
        )
        return None
    raw_id = item.get("id")
    named = isinstance(raw_id, str) and bool(raw_id.strip())
    before = len(report.issues)
    f = Fields(
        report,
        item,
        required=TEMPLATE_REQUIRED,
        optional=TEMPLATE_OPTIONAL,
        problem_id=raw_id if named else None,
        prefix="" if named else f"templates[{index}].",
    )
    template_id = f.text("id", pattern=TEMPLATE_ID, what="template id (at most 50 characters)")
    kind = f.enum("kind", TEMPLATE_KINDS)
    difficulty = f.enum("difficulty", DIFFICULTIES)
    level = f.enum("level", LEVELS)
    title = f.text("title")
    prompt = f.text("prompt")
    code = f.text("code")
    hint = f.text("hint")
    quick_check = f.text("quick_check")
    topic = f.text("topic", pattern=id_pattern, what=id_what)
    tags = f.text_list("tags", noun="tag")
    steps = f.text_list("steps", min_items=1, noun="step")
    params = _params(f)
    mistakes = _mistakes(report, f, code)

    if params is not None:
        names = {name for name, _ in params}
        plain = {"prompt": prompt, "code": code, "hint": hint, "title": title}
        with_answer = {"quick_check": quick_check}
        with_answer.update({f"steps[{i}]": step for i, step in enumerate(steps or ())})
        for key, text in plain.items():
            _check_placeholders(f, key, text, names)
        for key, text in with_answer.items():
            _check_placeholders(f, key, text, names | {ANSWER})
        for mistake in mistakes or ():
            for find, put in mistake.replace:
                for text in (find, put):
                    _check_placeholders(
                        f, "mistakes", text, names, what=f"mistake {mistake.name!r}"
                    )

    if len(report.issues) > before or None in (template_id, kind, difficulty, prompt, code, hint):
        return None
    assert template_id and prompt and code and hint and steps and params and mistakes
    return Template(
        id=template_id,
        kind=cast(Any, kind),
        difficulty=cast(Difficulty, difficulty),
        prompt=prompt,
        code=code,
        hint=hint,
        steps=steps,
        quick_check=quick_check or "",
        params=params,
        mistakes=mistakes,
        level=cast(Level | None, level),
        title=title or "",
        tags=tags or (),
        topic=topic or "",
    )


def _check_placeholders(
    f: Fields, key: str, text: str | None, allowed: set[str], *, what: str = ""
) -> None:
    """Every ${name} in `text` must be declared, and every other '$' doubled."""
    if not text:
        return
    field, what = key.split("[")[0], what or key
    if not TextTemplate(text).is_valid():
        f.issue(field, f"{what} has a '$' that is not a ${{name}} placeholder (write $$ for '$')")
        return
    unknown = sorted(placeholders(text) - allowed)
    if unknown:
        names = ", ".join(f"${{{name}}}" for name in unknown)
        f.issue(field, f"{what} uses undeclared placeholder(s) {names}")


def _scalar(value: Any) -> str | None:
    """A parameter value as it appears in code: strings as written, numbers via repr."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    return repr(value)


def _params(f: Fields) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    data = f.mapping("params")
    if data is None:
        return None
    if not data:
        f.issue("params", "must declare at least one parameter")
        return None
    params: list[tuple[str, tuple[str, ...]]] = []
    ok = True
    for name, spec in data.items():
        line = data.line_of(name)
        key = f"params.{name}"
        if not isinstance(name, str) or not name.isidentifier() or name == ANSWER:
            f.issue(
                "params",
                f"parameter name {name!r} must be an identifier other than 'answer'",
                line=line,
            )
            ok = False
            continue
        values = _values(f, key, spec, line)
        if values is None:
            ok = False
            continue
        params.append((name, values))
    return tuple(params) if ok else None


def _values(f: Fields, key: str, spec: Any, line: int) -> tuple[str, ...] | None:
    """`[a, b, c]` (choices) or `{range: [lo, hi]}` (integers, both ends included)."""
    if isinstance(spec, LineSeq):
        values = [_scalar(v) for v in spec]
        if not values or None in values:
            f.issue(key, "needs a non-empty list of strings or numbers", line=line)
            return None
        if len(set(values)) != len(values):
            f.issue(key, "lists the same value twice", line=line)
            return None
        return tuple(v for v in values if v is not None)
    if isinstance(spec, LineMap) and set(spec) == {"range"}:
        bounds = spec["range"]
        if (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
            and bounds[0] <= bounds[1]
        ):
            lo, hi = bounds
            if hi - lo + 1 > MAX_RANGE_VALUES:
                f.issue(key, f"range holds more than {MAX_RANGE_VALUES} values", line=line)
                return None
            return tuple(str(v) for v in range(lo, hi + 1))
        f.issue(key, "range must be [low, high], two integers with low <= high", line=line)
        return None
    f.issue(
        key, f"expected a list of values or {{range: [low, high]}}, got {describe(spec)}", line=line
    )
    return None


def _mistakes(report: Report, f: Fields, code: str | None) -> tuple[Mistake, ...] | None:
    items = f.sequence("mistakes", what="a list of mistakes")
    if items is None:
        return None
    if len(items) < MIN_MISTAKES:
        f.issue("mistakes", f"needs at least {MIN_MISTAKES} mistakes, one per distractor")
        return None
    built: list[Mistake] = []
    ok = True
    for index, item in enumerate(items):
        name = f"mistakes[{index}]"
        if not isinstance(item, LineMap):
            f.issue(
                name,
                f"each mistake must be a mapping, got {describe(item)}",
                line=items.line_of(index),
            )
            ok = False
            continue
        before = len(report.issues)
        sub = Fields(
            report,
            item,
            required=MISTAKE_REQUIRED,
            problem_id=f.problem_id,
            prefix=f"{f.prefix}{name}.",
        )
        mistake_name = sub.text("name")
        says = sub.text("says")
        pairs = _replacements(report, sub, code)
        if len(report.issues) > before or not (mistake_name and says and pairs):
            ok = False
            continue
        built.append(Mistake(name=mistake_name, says=says, replace=pairs))
    names = [m.name for m in built]
    if ok and len(set(names)) != len(names):
        f.issue("mistakes", "two mistakes share a name")
        ok = False
    return tuple(built) if ok else None


def _replacements(
    report: Report, sub: Fields, code: str | None
) -> tuple[tuple[str, str], ...] | None:
    items = sub.sequence("replace", what="a list of {find, with} mappings")
    if items is None:
        return None
    if not items:
        sub.issue("replace", "must rewrite the code at least once")
        return None
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        if not isinstance(item, LineMap):
            sub.issue(
                "replace",
                f"each replacement must be a mapping, got {describe(item)}",
                line=items.line_of(index),
            )
            return None
        rep = Fields(
            report,
            item,
            required=REPLACE_REQUIRED,
            problem_id=sub.problem_id,
            prefix=f"{sub.prefix}replace[{index}].",
        )
        find = rep.text("find")
        put = item.get("with")
        if "with" not in item:
            return None
        if not isinstance(put, str):
            rep.issue("with", f"expected a string (it may be empty: ''), got {describe(put)}")
            return None
        if find is None:
            return None
        if code is not None and find not in code:
            rep.issue("find", f"{find!r} does not occur in the template's code")
            return None
        pairs.append((find, put))
    return tuple(pairs)
