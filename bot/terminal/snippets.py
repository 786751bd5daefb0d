"""Edit & run in a terminal: where the edited code comes from, and `lrquiz run-snippet`.

On a terminal the snippet opens in `$VISUAL` or `$EDITOR` (a temporary .py file); without
one, lines are typed at the prompt. On a pipe the code is read from stdin: after `e`, the
lines up to one holding only `.` (or the end of input). The conversation decides the rest
(limits, the run log, the result), exactly as for Discord and Slack.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.conversation.actions import Action, Actor, ReopenDraft, RunSnippet
from bot.conversation.core import Conversation
from bot.conversation.screens import EditorScreen, SnippetRefused, SnippetResultScreen

from . import parse
from .deliver import TerminalReplier
from .input import Reader

END = "."  # a line with only a dot ends code typed or piped after `e`
TYPE_CODE = "Type the code; a line with only . runs it:"
AGAIN = "Edit it again? [Y/n] "
Say = Callable[[str], None]


def editor_command() -> list[str] | None:
    """The player's editor ($VISUAL, else $EDITOR), split like a shell would."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return None


def in_editor(command: list[str], code: str) -> str:
    """Open `code` in the editor, and the file as saved when it exits (blocking)."""
    with tempfile.TemporaryDirectory(prefix="lrquiz-") as folder:
        path = Path(folder) / "snippet.py"
        path.write_text(code, encoding="utf-8")
        try:
            finished = subprocess.run([*command, str(path)], check=False)
        except OSError as error:
            raise ValueError(f"could not start the editor {command[0]!r}: {error}") from None
        if finished.returncode != 0:
            raise ValueError(
                f"the editor {command[0]!r} exited with status {finished.returncode}; "
                "nothing was run"
            )
        return path.read_text(encoding="utf-8", errors="replace")


async def typed_lines(reader: Reader) -> str:
    """Lines up to a lone `.` or the end of input, as one snippet."""
    lines: list[str] = []
    while True:
        line = await reader.read()
        if line is None or line.strip() == END:
            break
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


async def edited_code(editor: EditorScreen, reader: Reader, say: Say) -> str:
    command = editor_command() if reader.interactive else None
    if command is not None:
        return await asyncio.to_thread(in_editor, command, editor.code)
    if reader.interactive:
        say(f"No $EDITOR is set. {TYPE_CODE}")
    return await typed_lines(reader)


async def edit_and_run(
    conversation: Conversation,
    player: Actor,
    replier: TerminalReplier,
    reader: Reader,
    first: Action,
    say: Say,
) -> SnippetResultScreen | SnippetRefused | None:
    """Open the editor `first` asks for, run what comes back, and on a terminal offer the
    editor again (with exactly that text) when it was refused. The last result, or None
    when no editor opened (switched off, say)."""
    replier.editor, replier.snippet = None, None
    await conversation.handle(parse.envelope(player, first), replier)
    while replier.editor is not None:
        editor, replier.editor = replier.editor, None
        try:
            code = await edited_code(editor, reader, say)
        except ValueError as error:  # the editor would not start, or failed: nothing runs
            say(f"⚠️ {error}")
            break
        action = RunSnippet(code, editor.session_id, editor.index)
        await conversation.handle(parse.envelope(player, action), replier)
        refused = replier.snippet
        if not (isinstance(refused, SnippetRefused) and refused.reopen and reader.interactive):
            break
        again = await reader.read(AGAIN)
        if again is None or again.strip().lower() not in ("", "y", "yes"):
            break
        await conversation.handle(parse.envelope(player, ReopenDraft()), replier)
    return replier.snippet


def read_source(source: str) -> str:
    """The snippet in FILE, or stdin for `-`; ValueError naming the file otherwise."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{source}: not a UTF-8 text file") from None
    except OSError as error:
        raise ValueError(f"{source}: {error.strerror or error}") from None


def exit_status(shown: SnippetResultScreen | SnippetRefused | None) -> int:
    """0 when the snippet ran fine, 1 when it ended with an error status, 2 when it did
    not run at all (refused, or no runner)."""
    if isinstance(shown, SnippetResultScreen) and shown.outcome.available:
        return 0 if shown.outcome.status == "ok" else 1
    return 2
