"""``lrquiz problems verify``: check every answer key against real PyTorch.

Each problem with code is run through the runner (seed 0) and judged by its verify mode:
``stdout`` — the real stdout equals the keyed choice, whitespace-normalised; ``exception``
— the raised exception's type, or "No error", matches the keyed choice; ``runs`` — the code
finishes without an exception. Mismatches are reported one line each, naming the problem,
the keyed answer and what really happened; any mismatch makes the exit status 1.

Templates (parametric problems) are checked by generating a sample of variants each
(seeds 0..N-1): a variant must come out sound (its code runs, enough named mistakes print
something else) and its key is then judged like any fixed problem's.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from problems.model import Pack, Problem, Template
from problems.variants import VariantError, find_template, generate_variant, variant_id
from runner.client import RunnerClient, RunnerUnavailable, RunResult
from runner.local import runner_client

TIMEOUT_S = 20.0
CONCURRENCY = 4
# Each variant runs its key and every mistake at once, so fewer variants run side by side.
VARIANT_CONCURRENCY = 2
VARIANTS_PER_TEMPLATE = 3
SHOWN_CHARS = 160


@dataclass(frozen=True)
class Verdict:
    """The outcome for one problem: ``ok`` plus, when not ok, what really happened."""

    pack_id: str
    problem_id: str
    ok: bool
    keyed: str
    actual: str
    duration_ms: float = 0.0
    variant: bool = False


def normalise(text: str) -> str:
    """Whitespace-insensitive form used to compare printed output with a choice."""
    return " ".join(text.split())


def _shown(text: str) -> str:
    text = normalise(text)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def _exception_name(result: RunResult) -> str | None:
    """The raised exception's bare type name, from the runner or the traceback's last line."""
    if result.exception:
        return result.exception.rsplit(".", 1)[-1]
    lines = result.stderr.strip().splitlines()
    if result.status != "error" or not lines:
        return None
    head = lines[-1].split(":", 1)[0].strip()
    return head.rsplit(".", 1)[-1] if head.isidentifier() or "." in head else None


def expected_exception(keyed: str) -> str | None:
    """``"AttributeError: ..."`` -> ``"AttributeError"``; ``"No error ..."`` -> None."""
    if keyed.strip().lower().startswith("no error"):
        return None
    return keyed.split(":", 1)[0].strip().rsplit(".", 1)[-1]


def _what_happened(result: RunResult) -> str:
    if result.status in ("timeout", "memory", "output_limit"):
        return f"status {result.status}"
    if result.status == "error":
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
        return f"raised {last}" if last else f"exited with {result.exit_code}"
    return f"printed {_shown(result.stdout)!r}" if result.stdout.strip() else "no error"


def judge(mode: str, keyed: str, result: RunResult) -> tuple[bool, str]:
    """Whether the run agrees with the keyed choice, and a description of the run."""
    if mode == "stdout":
        ok = result.status == "ok" and normalise(result.stdout) == normalise(keyed)
        if result.status == "ok":
            return ok, f"real output {_shown(result.stdout)!r}"
        return ok, _what_happened(result)
    if mode == "exception":
        wanted = expected_exception(keyed)
        if wanted is None:
            return result.status == "ok", _what_happened(result)
        raised = _exception_name(result)
        return raised == wanted, _what_happened(result)
    return result.status == "ok", _what_happened(result)


class Progress:
    """A one-line progress bar on a terminal; silent when stderr is not one."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.done, self.stream, self.width = total, 0, stream, width
        self.live = bool(getattr(stream, "isatty", lambda: False)())

    def step(self, label: str) -> None:
        self.done += 1
        if not self.live:
            return
        filled = self.width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\rverifying [{bar}] {self.done}/{self.total} {label[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()


async def verify_packs(
    packs: Sequence[Pack],
    client: RunnerClient,
    stream: TextIO = sys.stderr,
    variants: int = VARIANTS_PER_TEMPLATE,
) -> list[Verdict]:
    """Judge every code-bearing problem, then ``variants`` variants of every template."""
    jobs = [(pack, problem) for pack in packs for problem in pack.problems if problem.code]
    samples = [
        (pack, template, seed)
        for pack in packs
        for template in pack.templates
        for seed in range(variants)
    ]
    progress = Progress(len(jobs) + len(samples), stream)
    gate = asyncio.Semaphore(CONCURRENCY)
    variant_gate = asyncio.Semaphore(VARIANT_CONCURRENCY)

    def judged(pack: Pack, problem: Problem, result: RunResult, variant: bool) -> Verdict:
        ok, actual = judge(problem.verify_mode, problem.answer_text, result)
        progress.step(f"{pack.id}/{problem.id}")
        keyed = f"{problem.answer}: {problem.answer_text}"
        return Verdict(pack.id, problem.id, ok, keyed, actual, result.duration_ms, variant)

    async def one(pack: Pack, problem: Problem) -> Verdict:
        assert problem.code is not None
        async with gate:
            result = await client.run(problem.code, timeout_s=TIMEOUT_S, seed=0)
        return judged(pack, problem, result, variant=False)

    async def sample(pack: Pack, template: Template, seed: int) -> Verdict:
        name = variant_id(template.id, seed)
        async with variant_gate:
            try:
                problem = await generate_variant(template, seed, client, timeout_s=TIMEOUT_S)
            except VariantError as exc:
                progress.step(f"{pack.id}/{name}")
                return Verdict(pack.id, name, False, "a sound variant", str(exc), variant=True)
            assert problem.code is not None
            result = await client.run(problem.code, timeout_s=TIMEOUT_S, seed=0)
        return judged(pack, problem, result, variant=True)

    try:
        return list(
            await asyncio.gather(
                *(one(pack, problem) for pack, problem in jobs),
                *(sample(pack, template, seed) for pack, template, seed in samples),
            )
        )
    finally:
        progress.close()


def version_notes(packs: Sequence[Pack], torch_version: str) -> list[str]:
    """One line per pack whose recorded ``verified_torch`` is not the runner's release."""
    running = torch_version.split("+", 1)[0]
    if not running:
        return []
    return [
        f"note: pack {pack.id} records verified_torch {pack.verified_torch!r}, but the runner "
        f"has PyTorch {running}; update the pack once its keys hold"
        for pack in packs
        if pack.verified_torch and pack.verified_torch != running
    ]


def _load(paths: Sequence[str], stream: TextIO) -> list[Pack] | None:
    """The packs at ``paths`` (default: shipped), or None after one line per issue."""
    from problems.errors import PackError
    from problems.loader import load_packs, shipped_pack_paths

    try:
        return load_packs(paths or shipped_pack_paths())
    except PackError as exc:
        for issue in exc.issues or [exc]:
            print(f"lrquiz: error: {issue}", file=stream)
        return None


async def _verify(paths: list[str], runner_url: str | None, stream: TextIO, variants: int) -> int:
    packs = _load(paths, stream)
    if packs is None:
        return 1
    if not packs:
        print("lrquiz: error: no problem packs found", file=stream)
        return 1
    async with runner_client(runner_url) as client:
        try:
            verdicts = await verify_packs(packs, client, stream, variants)
        except RunnerUnavailable as exc:
            print(f"lrquiz: error: {exc}", file=stream)
            return 1
        torch_version = ""
        if verdicts:
            with contextlib.suppress(RunnerUnavailable):
                torch_version = (await client.health()).get("torch", "")
    bad = [v for v in verdicts if not v.ok]
    for verdict in bad:
        print(
            f"MISMATCH {verdict.pack_id}/{verdict.problem_id}: keyed {verdict.keyed!r}, "
            f"but {verdict.actual}",
            file=stream,
        )
    for note in version_notes(packs, torch_version):
        print(note, file=stream)
    where = f" with PyTorch {torch_version}" if torch_version else ""
    if verdicts:
        slowest = max(verdicts, key=lambda v: v.duration_ms)
        where += f" (slowest: {slowest.problem_id}, {slowest.duration_ms:.0f} ms)"
    if bad:
        print(f"problems verify: {len(bad)} of {len(verdicts)} keys disagree{where}", file=stream)
        return 1
    fixed = sum(not v.variant for v in verdicts)
    sampled = len(verdicts) - fixed
    templates = sum(len(pack.templates) for pack in packs)
    also = f" (and {sampled} variants of {templates} templates)" if sampled else ""
    print(f"problems verify: all {fixed} code-bearing keys hold{also}{where}", file=stream)
    return 0


def verify_command(
    paths: list[str], runner_url: str | None, variants: int = VARIANTS_PER_TEMPLATE
) -> int:
    """Entry point for ``lrquiz problems verify``; returns the exit status."""
    try:
        return asyncio.run(_verify(list(paths), runner_url, sys.stderr, variants))
    except KeyboardInterrupt:
        return 130
    except RunnerUnavailable as exc:
        print(f"lrquiz: error: {exc}", file=sys.stderr)
        return 1


def render_problem(problem: Problem) -> str:
    """A plain-text view of a generated problem for authors: question, key and solution."""
    lines = [
        f"{problem.id} · {problem.kind} · {problem.difficulty} · topic {problem.topic_name}",
        problem.prompt,
        "",
        *(f"    {line}" for line in (problem.code or "").rstrip().splitlines()),
        "",
        *(f"{letter}. {text}" for letter, text in problem.choices.items()),
        "",
        f"Key: {problem.answer}",
        f"Hint: {problem.hint}",
        "Solution:",
        *(f"  {n}. {step}" for n, step in enumerate(problem.solution.steps, 1)),
        f"  Final: {problem.solution.final}",
        f"  Quick check: {problem.solution.quick_check}",
        "  Common mistakes:",
        *(f"  - {mistake}" for mistake in problem.solution.common_mistakes),
    ]
    return "\n".join(lines)


async def _variant(template_id: str, seed: int, paths: list[str], runner_url: str | None) -> int:
    packs = _load(paths, sys.stderr)
    if packs is None:
        return 1
    try:
        template = find_template(packs, template_id)
    except KeyError:
        known = ", ".join(t.id for pack in packs for t in pack.templates) or "none"
        print(f"lrquiz: error: no template {template_id!r} (known: {known})", file=sys.stderr)
        return 1
    async with runner_client(runner_url) as client:
        try:
            problem = await generate_variant(template, seed, client, timeout_s=TIMEOUT_S)
        except (VariantError, RunnerUnavailable) as exc:
            print(f"lrquiz: error: {exc}", file=sys.stderr)
            return 1
    print(render_problem(problem))
    return 0


def variant_command(
    template_id: str, *, seed: int = 0, paths: Sequence[str] = (), runner_url: str | None = None
) -> int:
    """Entry point for ``lrquiz problems variant``; returns the exit status."""
    try:
        return asyncio.run(_variant(template_id, seed, list(paths), runner_url))
    except KeyboardInterrupt:
        return 130
