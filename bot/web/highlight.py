"""Server-side code highlighting (Pygments) and inline `code` in prompts, both escaped.

Highlighting on the server keeps the bank readable without JavaScript and adds no
client-side library; the two token colour sets follow the page theme.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")


def highlight_python(code: str) -> Markup:
    # Pygments escapes the source itself; its output is the markup we trust.
    return Markup(highlight(code, PythonLexer(), _FORMATTER))


def prose(text: str) -> Markup:
    """Escape author text, then show `backticked` spans as code (as the chat front ends do)."""
    escaped = str(escape(text))
    return Markup(_INLINE_CODE.sub(r"<code>\1</code>", escaped))


def pygments_css() -> str:
    """Token colours for the light and the dark theme, scoped by the page's data-theme."""
    light = HtmlFormatter(style="default").get_style_defs('[data-theme="light"] .highlight')
    dark = HtmlFormatter(style="github-dark").get_style_defs('[data-theme="dark"] .highlight')
    return f"{light}\n{dark}\n"
