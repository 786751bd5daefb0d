"""SQLite-dialect SQL rewritten for PostgreSQL: the one place the two dialects differ.

The storage modules keep ONE copy of their SQL, written for SQLite. This module rewrites a
statement once (results are cached) into what PostgreSQL accepts with the same meaning:

- placeholders: `?` becomes `$1, $2, ...`; `:name` becomes one `$n` per distinct name, so
  `(:platform IS NULL OR platform = :platform)` lets PostgreSQL infer the type from the
  comparison;
- `INSERT OR IGNORE` becomes `INSERT ... ON CONFLICT DO NOTHING`; `NOT INDEXED` is dropped
  and `CROSS JOIN t ON` is `JOIN t ON` (planner hints PostgreSQL has no use for, or
  refuses); `BEGIN IMMEDIATE` is a plain `BEGIN` (the
  PostgreSQL connection's transactions are SERIALIZABLE);
- functions: `date(t, 'unixepoch' [, 'start of month' | 'weekday 0', '-6 days'])`,
  `strftime(fmt, t, 'unixepoch')`, scalar `max(a, b)` / `min(a, b)`, `ifnull`,
  `json_array_length`, `json_each` (of an array: its `value` column as text),
  `group_concat`;
- DDL: `REAL` is `DOUBLE PRECISION` (PostgreSQL's REAL is 4 bytes), `INTEGER PRIMARY KEY`
  an identity column, every table gets a `rowid` column (SQLite's implicit one, which
  queries may order by), and a trigger of the form
  `BEGIN SELECT RAISE(ABORT, 'msg') WHERE cond; ... END` becomes a PL/pgSQL trigger
  function raising an integrity error (SQLSTATE 23000) with the same message.

Anything SQLite-only that has no rule here raises DialectError naming the construct, so a
new query fails loudly in the PostgreSQL test run instead of meaning something else.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


class DialectError(Exception):
    """A SQLite construct this layer has no PostgreSQL form for."""


Key = str | int  # a parameter's name, or the index of a `?`


@dataclass(frozen=True)
class Translated:
    """PostgreSQL text plus where each `$n`'s value comes from in the caller's parameters.

    `sources[n - 1]` is (key, null_test): the parameter's name or `?` index, and whether
    `$n` is the boolean "that parameter is None". A placeholder tested with IS [NOT] NULL
    becomes such a boolean, because PostgreSQL cannot infer a type for `$1 IS NULL`.
    """

    sql: str
    sources: tuple[tuple[Key, bool], ...]
    named: bool
    positional: int  # number of `?` placeholders
    writes: bool = False  # INSERT / UPDATE / DELETE: its rowcount counts as changes


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<string>'(?:[^']|'')*')
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<cast>::)
  | (?P<named>:[A-Za-z_][A-Za-z0-9_]*)
  | (?P<qmark>\?)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<op>\|\||<>|!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Tok:
    kind: str
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


def _tokens(sql: str) -> list[_Tok]:
    return [_Tok(m.lastgroup or "op", m.group()) for m in _TOKEN.finditer(sql)]


def _significant(tokens: list[_Tok], start: int) -> int:
    """Index of the next token at or after `start` that is not space or comment."""
    while start < len(tokens) and tokens[start].kind in ("space", "comment"):
        start += 1
    return start


def _closing(tokens: list[_Tok], open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i
    raise DialectError("unbalanced parentheses")


def _split_args(tokens: list[_Tok]) -> list[list[_Tok]]:
    args: list[list[_Tok]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        if tok.text == "," and depth == 0:
            args.append([])
        else:
            args[-1].append(tok)
    return args if any(args) else []


def _literal(arg: list[_Tok]) -> str | None:
    """The value of an argument that is a single string literal, else None."""
    real = [t for t in arg if t.kind not in ("space", "comment")]
    if len(real) == 1 and real[0].kind == "string":
        return real[0].text[1:-1].replace("''", "'")
    return None


_UTC = "(to_timestamp({0}) AT TIME ZONE 'UTC')"
_STRFTIME = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH24", "%M": "MI", "%S": "SS"}


class _Rewriter:
    def __init__(self) -> None:
        self.sources: list[tuple[Key, bool]] = []
        self.positional = 0
        self.named = False

    def _placeholder(self, key: Key, tokens: list[_Tok], i: int) -> tuple[str, int]:
        """`$n` for the placeholder at `i` (and the index after it), folding IS [NOT] NULL."""
        at = _significant(tokens, i + 1)
        negate = False
        test = at < len(tokens) and tokens[at].upper == "IS"
        if test:
            at = _significant(tokens, at + 1)
            if at < len(tokens) and tokens[at].upper == "NOT":
                negate = True
                at = _significant(tokens, at + 1)
            test = at < len(tokens) and tokens[at].upper == "NULL"
        source = (key, test)
        if source not in self.sources or isinstance(key, int):
            self.sources.append(source)
        number = len(self.sources) if isinstance(key, int) else self.sources.index(source) + 1
        if not test:
            return f"${number}", i + 1
        return (f"(NOT ${number})" if negate else f"${number}"), at + 1

    def rewrite(self, tokens: list[_Tok]) -> str:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.kind in ("qmark", "named"):
                named = tok.kind == "named"
                if (self.positional and named) or (self.named and not named):
                    raise DialectError("a statement mixes ? and :name placeholders")
                self.named = named
                if named:
                    key: Key = tok.text[1:]
                else:
                    key = self.positional
                    self.positional += 1
                text, i = self._placeholder(key, tokens, i)
                out.append(text)
                continue
            elif tok.kind == "word":
                nxt = _significant(tokens, i + 1)
                upper = tok.upper
                if upper == "NOT" and nxt < len(tokens) and tokens[nxt].upper == "INDEXED":
                    i = nxt + 1
                    continue
                if upper == "CROSS" and _cross_join_with_on(tokens, nxt):
                    i = nxt  # SQLite's join-order hint; PostgreSQL wants a plain JOIN ... ON
                    continue
                if nxt < len(tokens) and tokens[nxt].text == "(" and upper in _FUNCTIONS:
                    end = _closing(tokens, nxt)
                    args = _split_args(tokens[nxt + 1 : end])
                    out.append(_FUNCTIONS[upper](self, args))
                    i = end + 1
                    continue
                out.append(tok.text)
            else:
                out.append(tok.text)
            i += 1
        return "".join(out)

    def arg(self, arg: list[_Tok]) -> str:
        return self.rewrite(arg).strip()

    # --- functions -------------------------------------------------------------------

    def date(self, args: list[list[_Tok]]) -> str:
        mods = [_literal(a) for a in args[1:]]
        if not args or not mods or mods[0] != "unixepoch" or None in mods:
            raise DialectError("date() is translated only as date(seconds, 'unixepoch', ...)")
        at = _UTC.format(self.arg(args[0]))
        rest = [m.lower() for m in mods[1:] if m is not None]
        if rest == []:
            day = at
        elif rest == ["start of month"]:
            day = f"date_trunc('month', {at})"
        elif rest == ["weekday 0", "-6 days"]:  # the Monday starting the ISO week
            day = f"date_trunc('week', {at})"
        else:
            raise DialectError(f"date() modifiers {rest} have no PostgreSQL rule yet")
        return f"to_char({day}, 'YYYY-MM-DD')"

    def strftime(self, args: list[list[_Tok]]) -> str:
        fmt = _literal(args[0]) if args else None
        if fmt is None or len(args) != 3 or _literal(args[2]) != "unixepoch":
            raise DialectError("strftime() is translated only as strftime('fmt', t, 'unixepoch')")
        pattern = re.sub(r"%.", lambda m: _strftime_code(m.group()), fmt.replace("'", "''"))
        return f"to_char({_UTC.format(self.arg(args[1]))}, '{pattern}')"

    def scalar(self, name: str, aggregate: str, args: list[list[_Tok]]) -> str:
        joined = ", ".join(self.arg(a) for a in args)
        return f"{name if len(args) > 1 else aggregate}({joined})"

    def plain(self, name: str, args: list[list[_Tok]], wrap: str = "{}") -> str:
        joined = ", ".join(
            wrap.format(self.arg(a)) if n == 0 else self.arg(a) for n, a in enumerate(args)
        )
        return f"{name}({joined})"

    def group_concat(self, args: list[list[_Tok]]) -> str:
        sep = self.arg(args[1]) if len(args) > 1 else "','"
        return f"string_agg(CAST({self.arg(args[0])} AS TEXT), {sep})"


def _cross_join_with_on(tokens: list[_Tok], join_at: int) -> bool:
    if join_at >= len(tokens) or tokens[join_at].upper != "JOIN":
        return False
    depth = 0
    for tok in tokens[join_at + 1 :]:
        depth += tok.text == "("
        depth -= tok.text == ")"
        if depth < 0:
            return False
        if depth == 0 and tok.kind == "word":
            if tok.upper == "ON":
                return True
            if tok.upper in ("JOIN", "WHERE", "GROUP", "ORDER", "LIMIT", "UNION", "USING"):
                return False
    return False


def _strftime_code(code: str) -> str:
    if code not in _STRFTIME:
        raise DialectError(f"strftime() code {code} has no PostgreSQL rule yet")
    return _STRFTIME[code]


_FUNCTIONS = {
    "DATE": _Rewriter.date,
    "STRFTIME": _Rewriter.strftime,
    "MAX": lambda r, a: r.scalar("GREATEST", "MAX", a),
    "MIN": lambda r, a: r.scalar("LEAST", "MIN", a),
    "IFNULL": lambda r, a: r.plain("COALESCE", a),
    "JSON_ARRAY_LENGTH": lambda r, a: r.plain("json_array_length", a, "CAST({} AS json)"),
    "JSON_EACH": lambda r, a: r.plain("json_array_elements_text", a, "CAST({} AS json)"),
    "GROUP_CONCAT": _Rewriter.group_concat,
}
_UNSUPPORTED = ("JULIANDAY", "IIF", "INSTR", "PRINTF", "TYPEOF", "TOTAL", "LAST_INSERT_ROWID")


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> Translated:
    """One DML statement (or BEGIN/COMMIT) in PostgreSQL's dialect."""
    tokens = _tokens(sql)
    words = [t.upper for t in tokens if t.kind == "word"]
    for name in _UNSUPPORTED:
        if name in words:
            raise DialectError(f"{name.lower()}() has no PostgreSQL rule yet")
    if words[:2] == ["BEGIN", "IMMEDIATE"]:
        return Translated("BEGIN", (), False, 0)
    if "PRAGMA" in words[:1]:
        raise DialectError(f"PRAGMA is SQLite-only: {sql.strip()[:60]}")
    ignore = False
    if words[:3] == ["INSERT", "OR", "IGNORE"]:
        ignore = True
        first = next(i for i, t in enumerate(tokens) if t.upper == "OR")
        second = next(i for i, t in enumerate(tokens) if t.upper == "IGNORE")
        tokens = tokens[:first] + tokens[second + 1 :]
    elif words[:2] == ["INSERT", "OR"] or words[:1] == ["REPLACE"]:
        raise DialectError("INSERT OR REPLACE has no PostgreSQL rule; use ON CONFLICT DO UPDATE")
    rewriter = _Rewriter()
    text = rewriter.rewrite(tokens).rstrip().rstrip(";")
    if ignore:
        text += " ON CONFLICT DO NOTHING"
    writes = bool(words) and words[0] in ("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH")
    return Translated(text, tuple(rewriter.sources), rewriter.named, rewriter.positional, writes)


# --- DDL -------------------------------------------------------------------------------

_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+(BEFORE|AFTER)\s+"
    r"(INSERT|UPDATE|DELETE)\s+ON\s+(\w+)\s+BEGIN\s+(.*)\bEND\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_INSERT_STEP = re.compile(r"INSERT\s+INTO\s+\w+", re.IGNORECASE)
_RAISE = re.compile(
    r"SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'((?:[^']|'')*)'\s*\)\s+WHERE\s+(.*)",
    re.IGNORECASE | re.DOTALL,
)


@functools.lru_cache(maxsize=4096)
def is_ddl(sql: str) -> bool:
    words = [t.upper for t in _tokens(sql) if t.kind == "word"][:3]
    return words[:1] in (["CREATE"], ["ALTER"], ["DROP"])


@functools.lru_cache(maxsize=256)
def translate_ddl(sql: str) -> tuple[str, ...]:
    """One SQLite DDL statement as the PostgreSQL statements with the same effect."""
    trigger = _TRIGGER.match(sql.strip())
    if trigger:
        return _trigger(*trigger.groups())
    tokens = _tokens(sql)
    words = [t.upper for t in tokens if t.kind == "word"]
    if "TRIGGER" in words[:4]:
        raise DialectError(
            "only triggers of the form BEGIN SELECT RAISE(ABORT, ...) WHERE ...; "
            "(or INSERT INTO ...;) END have a PostgreSQL rule"
        )
    if words[-2:] == ["WITHOUT", "ROWID"] or words[-1:] == ["STRICT"]:
        raise DialectError("WITHOUT ROWID / STRICT tables have no PostgreSQL rule yet")
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.upper == "REAL":
            out.append("DOUBLE PRECISION")
        elif tok.upper == "INTEGER" and _followed_by(tokens, i, ("PRIMARY", "KEY")):
            out.append("BIGINT GENERATED BY DEFAULT AS IDENTITY")
        else:
            out.append(tok.text)
    text = "".join(out).strip().rstrip(";")
    if words[:2] == ["CREATE", "TABLE"]:
        text = _with_rowid(text, tokens)
    translated = translate(text)
    return (translated.sql,)


def _followed_by(tokens: list[_Tok], i: int, words: tuple[str, ...]) -> bool:
    at = i
    for word in words:
        at = _significant(tokens, at + 1)
        if at >= len(tokens) or tokens[at].upper != word:
            return False
    return True


def _with_rowid(text: str, tokens: list[_Tok]) -> str:
    """SQLite's implicit rowid as a real column: an alias of an INTEGER PRIMARY KEY, else an
    identity column that numbers rows in insertion order."""
    integer_key = re.search(
        r"\b(\w+)\s+INTEGER\s+PRIMARY\s+KEY\b", "".join(t.text for t in tokens), re.IGNORECASE
    )
    close = text.rfind(")")
    if integer_key:
        column = f"rowid BIGINT GENERATED ALWAYS AS ({integer_key.group(1)}) STORED"
    else:
        column = "rowid BIGINT GENERATED BY DEFAULT AS IDENTITY"
    return f"{text[:close].rstrip()},\n    {column}\n{text[close:]}"


def _trigger(name: str, when: str, event: str, table: str, body: str) -> tuple[str, ...]:
    steps: list[str] = []
    for statement in (s.strip() for s in _split_statements(body)):
        match = _RAISE.match(statement)
        if match:
            message, condition = match.groups()
            translated = translate(condition)
            steps.append(
                f"    IF {translated.sql} THEN\n"
                f"        RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = '{message}';\n"
                "    END IF;\n"
            )
        elif _INSERT_STEP.match(statement):
            translated = translate(statement)
            steps.append(f"    {translated.sql};\n")
        else:
            raise DialectError(
                f"trigger {name}: only SELECT RAISE(ABORT, ...) WHERE ... and "
                "INSERT INTO ... steps have a PostgreSQL rule"
            )
        if translated.sources:
            raise DialectError(f"trigger {name}: placeholders in a trigger")
    result = "OLD" if event.upper() == "DELETE" else "NEW"
    function = (
        f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $lrquiz$\n"
        f"BEGIN\n{''.join(steps)}    RETURN {result};\nEND\n$lrquiz$"
    )
    trigger = (
        f"CREATE TRIGGER {name} {when.upper()} {event.upper()} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()"
    )
    return function, trigger


def _split_statements(body: str) -> list[str]:
    parts: list[str] = [""]
    for tok in _tokens(body):
        if tok.text == ";":
            parts.append("")
        else:
            parts[-1] += tok.text
    return [p for p in parts if p.strip()]
