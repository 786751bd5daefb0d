"""The images' install step, replayed without a container engine: the files the
Dockerfile's source stage copies are enough to build lrquiz, and the installed package (not
this checkout) finds its problem packs and dashboard templates and runs its CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from .compose import REPO
from .test_files import dockerfile_instructions


def source_stage_copies() -> list[tuple[str, str]]:
    """(source, destination) of every COPY in the `source` stage."""
    copies, stage = [], None
    for op, args in dockerfile_instructions():
        if op == "FROM":
            stage = re.search(r" AS (\w+)$", args).group(1)
        elif op == "COPY" and stage == "source":
            *sources, destination = args.split()
            copies += [(source, destination) for source in sources]
    return copies


def test_the_copied_source_builds_and_the_installed_package_works(tmp_path: Path) -> None:
    source = tmp_path / "src"  # WORKDIR /src
    source.mkdir()
    for name, destination in source_stage_copies():
        target = source / (name if destination.endswith("/") else destination)
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / name, target)
    wheels = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "-q"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)]
    subprocess.run(build, check=True, timeout=300)
    [wheel] = wheels.glob("lrquiz-*.whl")
    installed = tmp_path / "site"
    install = [*pip, "install", "--no-deps", "--target", str(installed), str(wheel)]
    subprocess.run(install, check=True, timeout=300)
    probe = textwrap.dedent(
        f"""
        import sys
        # only the installed copy: no editable finder, no checkout on the path
        sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f)]
        sys.path = [{str(installed)!r}] + [p for p in sys.path if p and p != {str(REPO)!r}]
        import bot, problems
        from problems.loader import default_packs
        from bot.cli import build_parser
        assert bot.__file__.startswith({str(installed)!r}), bot.__file__
        packs = default_packs()
        assert packs and all(pack.problems for pack in packs)
        from importlib.resources import files
        assert files("bot.web").joinpath("templates/base.html").is_file()
        assert files("problems").joinpath("pack.schema.json").is_file()
        build_parser().parse_args(["runner", "serve", "--host", "0.0.0.0"])
        print("ok", len(packs))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
