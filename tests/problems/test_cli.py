"""`lrquiz problems check|verify` as the main CLI wires it: register(), then args.func(args)."""

from __future__ import annotations

import argparse
import sys
import types

import pytest

from problems.cli import register
from problems.loader import default_pack

from .corpus import BAD_PACKS, VALID_PACK


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="lrquiz")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


def test_check_without_paths_checks_the_shipped_packs(capsys) -> None:
    assert run(["problems", "check"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    count = len(default_pack().problems)
    assert count >= 40
    assert f"lr-differential.yaml: pack 'lr-differential', {count} problems" in err
    assert err.startswith("ok  ")


def test_check_good_file(write_pack, capsys) -> None:
    path = write_pack(VALID_PACK)
    assert run(["problems", "check", str(path)]) == 0
    assert capsys.readouterr().err == f"ok  {path}: pack 'mini', 1 problem\n"


def test_check_bad_file_prints_one_line_per_issue(write_pack, capsys) -> None:
    path = write_pack(VALID_PACK.replace("    answer: A\n", "    answer: E\n"))
    assert run(["problems", "check", str(path)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        f"{path}:12: problem 'q1': field 'answer': 'E' is not one of the choices A, B"
    )
    assert lines[-1] == "problems check: 1 issue in 1 of 1 file"


def test_check_mixed_paths_reports_each_file_and_fails(write_pack, tmp_path, capsys) -> None:
    good = write_pack(VALID_PACK, "good.yaml")
    assert run(["problems", "check", str(good), str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"ok  {good}: pack 'mini', 1 problem" in err
    assert f"{tmp_path / 'missing.yaml'}: file not found" in err


def test_check_whole_bad_corpus_never_tracebacks(capsys) -> None:
    assert run(["problems", "check", str(BAD_PACKS)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    files = {path.name for path in BAD_PACKS.glob("*.yaml")}
    reported = {line.split(":", 1)[0].rsplit("/", 1)[-1] for line in err.splitlines()[:-1]}
    assert reported == files, "every bad file is named in the report"
    assert err.splitlines()[-1].startswith("problems check: ")


def test_check_duplicate_pack_ids_across_files(write_pack, capsys) -> None:
    first = write_pack(VALID_PACK, "a.yaml")
    second = write_pack(VALID_PACK, "b.yaml")
    assert run(["problems", "check", str(first), str(second)]) == 1
    err = capsys.readouterr().err
    assert f"ok  {first}" in err
    assert f"{second}:1: field 'id': pack id 'mini' is already used by {first}" in err


def test_verify_without_runner_package_says_how_to_install(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "runner.verify", None)  # makes the import fail
    assert run(["problems", "verify"]) == 2
    assert capsys.readouterr().err == (
        "lrquiz: problems verify needs the runner package (pip install 'lrquiz[runner]')\n"
    )


def test_verify_delegates_to_the_runner(monkeypatch) -> None:
    calls = []

    def verify_command(*, paths, runner_url, variants):
        calls.append((paths, runner_url, variants))
        return 1

    fake = types.ModuleType("runner.verify")
    fake.verify_command = verify_command  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runner.verify", fake)
    assert run(["problems", "verify", "a.yaml", "--runner", "http://runner:8765"]) == 1
    assert run(["problems", "verify", "--variants", "10"]) == 1
    assert calls == [(["a.yaml"], "http://runner:8765", 3), ([], None, 10)]


def test_verify_refuses_a_negative_variant_count(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        run(["problems", "verify", "--variants", "-1"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "invalid variant_count value: '-1'" in err and "Traceback" not in err


def test_problems_without_subcommand_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        run(["problems"])
    assert caught.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_variant_delegates_to_the_runner(monkeypatch) -> None:
    calls = []

    def variant_command(template, *, seed, paths, runner_url):
        calls.append((template, seed, paths, runner_url))
        return 0

    fake = types.ModuleType("runner.verify")
    fake.variant_command = variant_command  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "runner.verify", fake)
    assert run(["problems", "variant", "t-x", "--seed", "7", "--runner", "http://r:1"]) == 0
    assert run(["problems", "variant", "t-y"]) == 0
    assert calls == [("t-x", 7, [], "http://r:1"), ("t-y", 0, [], None)]
