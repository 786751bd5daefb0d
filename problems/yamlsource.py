"""Parse YAML while remembering the line of every key, so issues can point at it.

PyYAML's plain loaders drop source positions and silently keep the last of two
duplicate keys; problem authors need both, so mappings and sequences come back
as dict/list subclasses that carry their lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode


class LineMap(dict[Any, Any]):
    """A YAML mapping plus the 1-based line of itself, each key and any repeated key."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}
        # (key, line of the repeat, line of the first occurrence)
        self.duplicates: list[tuple[Any, int, int]] = []

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineSeq(list[Any]):
    """A YAML sequence plus the 1-based line of itself and of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) that builds LineMap/LineSeq containers."""


def _construct_map(loader: _LineLoader, node: MappingNode) -> Iterator[LineMap]:
    data = LineMap(node.start_mark.line + 1)
    yield data
    loader.flatten_mapping(node)  # resolve `<<: *anchor` merge keys like SafeLoader does
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                "found an unhashable key",
                key_node.start_mark,
            ) from None
        line = key_node.start_mark.line + 1
        if key in data.key_lines:
            data.duplicates.append((key, line, data.key_lines[key]))
        else:
            data.key_lines[key] = line
        data[key] = loader.construct_object(value_node, deep=True)


def _construct_seq(loader: _LineLoader, node: SequenceNode) -> Iterator[LineSeq]:
    data = LineSeq(node.start_mark.line + 1)
    yield data
    for child in node.value:
        data.item_lines.append(child.start_mark.line + 1)
        data.append(loader.construct_object(child, deep=True))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


class YamlSyntaxError(ValueError):
    """The text is not one valid YAML document; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse_yaml(text: str) -> Any:
    """One YAML document as LineMap/LineSeq/scalars; None for an empty document."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.problem:
            context = exc.context
            if exc.context_mark and exc.problem_mark and exc.context_mark.line != mark.line:
                context += f" that starts on line {exc.context_mark.line + 1}"
            detail = f"{exc.problem} ({context})"
        raise YamlSyntaxError(f"invalid YAML: {detail}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:  # e.g. ReaderError for control characters
        raise YamlSyntaxError(f"invalid YAML: {exc}", None) from None
    except RecursionError:
        raise YamlSyntaxError("invalid YAML: nested too deeply", None) from None
