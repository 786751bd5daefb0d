"""Find pack files, read them, and hand back validated Packs or every issue found.

`check_packs` never raises (the `problems check` command reports per file);
`load_pack`/`load_packs` raise one PackError carrying all issues.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import PackError, PackIssue
from .model import Pack
from .validate import build_pack
from .yamlsource import LineMap, YamlSyntaxError, parse_yaml

PACK_GLOB = "*.yaml"
DEFAULT_PACK_ID = "lr-differential"
PACKAGE_DIR = Path(__file__).resolve().parent

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class PackResult:
    """The outcome for one file: a Pack, or the issues that stopped it."""

    file: str
    pack: Pack | None
    issues: tuple[PackIssue, ...]
    id_line: int | None = None  # where the pack's `id:` key is, for cross-file messages

    @property
    def ok(self) -> bool:
        return self.pack is not None and not self.issues


def display_path(path: PathLike) -> str:
    """The path relative to the working directory when inside it: short, clickable output."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read(path: Path, name: str) -> PackResult:
    def failed(message: str, line: int | None = None) -> PackResult:
        return PackResult(name, None, (PackIssue(name, line, None, None, message),))

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return failed("file not found")
    except IsADirectoryError:
        return failed("is a directory, expected a .yaml file")
    except UnicodeDecodeError as exc:
        return failed(f"cannot read file: not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return failed(f"cannot read file: {exc.strerror or exc}")
    try:
        data = parse_yaml(text)
    except YamlSyntaxError as exc:
        return failed(exc.message, exc.line)
    pack, issues = build_pack(data, name)
    id_line = data.line_of("id") if isinstance(data, LineMap) else None
    return PackResult(name, pack if not issues else None, tuple(issues), id_line)


def expand_paths(paths: Iterable[PathLike]) -> tuple[list[Path], list[PackIssue]]:
    """Files as given plus the *.yaml files of directories, each file once, in order."""
    files: list[Path] = []
    issues: list[PackIssue] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob(PACK_GLOB))
            if not found:
                issues.append(
                    PackIssue(display_path(path), None, None, None, "directory has no *.yaml packs")
                )
        else:
            found = [path]
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, issues


def check_packs(paths: Iterable[PathLike]) -> list[PackResult]:
    """One result per file; a pack id already used by an earlier file is an issue too."""
    files, dir_issues = expand_paths(paths)
    results = [PackResult(issue.file, None, (issue,)) for issue in dir_issues]
    owners: dict[str, str] = {}
    for file in files:
        result = _read(file, display_path(file))
        if result.pack is not None:
            owner = owners.setdefault(result.pack.id, result.file)
            if owner != result.file:
                issue = PackIssue(
                    result.file,
                    result.id_line,
                    None,
                    "id",
                    f"pack id {result.pack.id!r} is already used by {owner}",
                )
                result = PackResult(result.file, None, (issue,))
        results.append(result)
    return results


def load_pack(path: PathLike) -> Pack:
    """Load and validate one pack file; raises PackError listing every issue in it."""
    result = _read(Path(path), display_path(path))
    if result.pack is None:
        raise PackError(result.issues)
    return result.pack


def load_packs(paths: Iterable[PathLike]) -> list[Pack]:
    """Load files and directories of packs; raises one PackError with all issues of all files."""
    results = check_packs(paths)
    issues = [issue for result in results for issue in result.issues]
    if issues:
        raise PackError(issues)
    return [result.pack for result in results if result.pack is not None]


def shipped_pack_paths() -> list[Path]:
    """The packs installed with the `problems` package, sorted by file name."""
    return sorted(PACKAGE_DIR.glob(PACK_GLOB))


def default_packs() -> list[Pack]:
    return load_packs(shipped_pack_paths())


def default_pack() -> Pack:
    """The seed's `lr-differential` pack."""
    for pack in default_packs():
        if pack.id == DEFAULT_PACK_ID:
            return pack
    raise LookupError(f"shipped pack {DEFAULT_PACK_ID!r} is missing from {PACKAGE_DIR}")
