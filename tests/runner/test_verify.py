"""``problems verify`` against a real runner: shipped packs hold, wrong keys are named."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from problems.loader import load_packs, shipped_pack_paths
from problems.variants import find_template, generate_variant
from runner import verify
from runner.client import RunnerClient, RunResult
from tests.runner.conftest import RunnerProcess

PACKS = Path(__file__).parent / "packs"


def test_shipped_packs_match_real_pytorch(
    runner: RunnerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify.verify_command([], runner.url) == 0
    err = capsys.readouterr().err
    assert "MISMATCH" not in err
    templates = sum(len(pack.templates) for pack in load_packs(shipped_pack_paths()))
    assert templates >= 15
    assert f"(and {3 * templates} variants of {templates} templates) with PyTorch 2.13.0" in err


def test_good_keys_pass(runner: RunnerProcess, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify.verify_command([str(PACKS / "good-keys.yaml")], runner.url) == 0
    assert "all 3 code-bearing keys hold" in capsys.readouterr().err


def test_wrong_keys_are_reported_with_real_output(
    runner: RunnerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify.verify_command([str(PACKS)], runner.url) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    mismatches = [line for line in lines if line.startswith("MISMATCH")]
    assert len(mismatches) == 3
    output, exception, no_error = mismatches
    assert "runner-wrong-keys/wrong-output" in output
    assert "keyed 'B: [0.01]'" in output and "real output '[0.1]'" in output
    assert "wrong-exception" in exception and "AttributeError" in exception
    assert "wrong-no-error" in no_error and "ValueError" in no_error
    assert lines[-1].startswith("problems verify: 3 of 6 keys disagree")


def test_bad_pack_and_dead_runner_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nproblems: 3\n")
    assert verify.verify_command([str(broken)], "http://127.0.0.1:9") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err and all(line.startswith("lrquiz: error:") for line in err)
    assert verify.verify_command([str(PACKS / "good-keys.yaml")], "http://127.0.0.1:9") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lrquiz: error: runner at")


def _result(status: str, stdout: str = "", stderr: str = "", exc: str | None = None) -> RunResult:
    code = 0 if status == "ok" else 1
    return RunResult(status, stdout, stderr, code, 1.0, False, False, {}, exc)


def test_judging_rules() -> None:
    assert verify.judge("stdout", "[0.01,\n 0.001]", _result("ok", "[0.01, 0.001]\n"))[0]
    assert not verify.judge("stdout", "0.1", _result("error", "0.1\n"))[0]
    keyed = "AttributeError: 'ReLU' object has no attribute 'parameters'"
    raised = _result("error", stderr="Traceback...\nAttributeError: nope\n")
    assert verify.judge("exception", keyed, raised)[0]
    assert verify.judge(
        "exception", "torch.AcceleratorError: x", _result("error", exc="AcceleratorError")
    )[0]
    assert verify.judge("exception", "No error, code runs", _result("ok"))[0]
    assert not verify.judge("exception", "No error", raised)[0]
    assert not verify.judge("exception", keyed, _result("timeout"))[0]
    assert verify.judge("runs", "whatever", _result("ok", "x"))[0]


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    plain, tty = io.StringIO(), Tty()
    for stream in (plain, tty):
        bar = verify.Progress(2, stream)
        bar.step("pack/one")
        bar.step("pack/two")
        bar.close()
    assert plain.getvalue() == ""
    assert "verifying [" in tty.getvalue() and "2/2" in tty.getvalue()


def test_a_pack_verified_on_another_release_gets_a_note(
    runner: RunnerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (PACKS / "good-keys.yaml").read_text(encoding="utf-8")
    old = tmp_path / "old-release.yaml"
    old.write_text(text.replace("\nsummary:", '\nverified_torch: "2.0.0"\nsummary:', 1))
    assert verify.verify_command([str(old)], runner.url) == 0
    err = capsys.readouterr().err
    assert "records verified_torch '2.0.0', but the runner has PyTorch 2.13.0" in err
    assert "all 3 code-bearing keys hold with PyTorch 2.13.0 (slowest: " in err
    # The shipped pack records the release it holds on, so it gets no note.
    assert verify.version_notes(load_packs(shipped_pack_paths()), "2.13.0+cpu") == []


UNSOUND_TEMPLATE = """
templates:
  - id: t-unsound
    kind: predict-output
    difficulty: easy
    params:
      lr: ["0.1", "0.2"]
    prompt: What is printed for ${lr}?
    code: |
      import torch
      print(abs(${lr}))
    hint: abs of a positive number.
    steps: ["It prints ${answer}."]
    mistakes:
      - {name: a, says: Negating it, replace: [{find: "abs(${lr})", with: "abs(-${lr})"}]}
      - {name: b, says: Doubling it, replace: [{find: "abs(${lr})", with: "2 * ${lr}"}]}
      - {name: c, says: Dropping abs, replace: [{find: "abs(${lr})", with: "${lr}"}]}
"""


def test_a_template_whose_mistakes_print_the_key_is_named(
    runner: RunnerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two of the three mistakes print the key, so no variant can get three distractors."""
    text = (PACKS / "good-keys.yaml").read_text(encoding="utf-8") + UNSOUND_TEMPLATE
    pack = tmp_path / "unsound.yaml"
    pack.write_text(text, encoding="utf-8")
    assert verify.verify_command([str(pack)], runner.url, variants=2) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    mismatches = [line for line in lines if line.startswith("MISMATCH")]
    assert [m.split(":")[0] for m in mismatches] == [
        "MISMATCH runner-good-keys/t-unsound.s0",
        "MISMATCH runner-good-keys/t-unsound.s1",
    ]
    assert "only 1 mistakes print something other than the key" in mismatches[0]
    assert lines[-1].startswith("problems verify: 2 of 5 keys disagree")


def test_variant_previews_the_problem_the_game_would_get(
    runner: RunnerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    assert verify.variant_command("t-steplr-two-groups", seed=4, runner_url=runner.url) == 0
    out = capsys.readouterr().out
    template = find_template(load_packs(shipped_pack_paths()), "t-steplr-two-groups")

    async def generate():
        async with RunnerClient(runner.url) as client:
            return await generate_variant(template, 4, client)

    problem = asyncio.run(generate())
    assert out.startswith("t-steplr-two-groups.s4 · predict-output · medium · topic schedulers")
    assert f"Key: {problem.answer}\n" in out
    for letter, text in problem.choices.items():
        assert f"{letter}. {text}\n" in out
    assert "(that reading prints " in out


def test_variant_of_an_unknown_template_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert verify.variant_command("t-nope", runner_url="http://127.0.0.1:9") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lrquiz: error: no template 't-nope' (known: t-")
