"""Edit & run: a learner changes a snippet (or writes one) and runs it in the sandbox.

Every decision is here, once: which code an editor opens with, what a submission may be
(size, the workspace switch, per-user and per-workspace limits, one run at a time), what is
logged, and what the learner sees. The limits are read and the run is claimed in one
transaction before the platform is told "received", so a refused submission can keep its
editor open (Slack answers the submission itself with the error) and two processes on one
database cannot both let a user past a limit.

The runner is asked with a per-user client key so its slots are shared fairly between
learners; a learner's code is never stored (only its SHA-256) and never shown to anyone
but them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.engine.errors import GameError, NotYourSession, UnknownSession
from bot.real_output import RealOutput, fetch_real_output
from problems.model import Problem
from storage.actions import record_done, record_pending
from storage.snippets import (
    UNAVAILABLE,
    Draft,
    RecentRuns,
    Who,
    finish_run,
    load_draft,
    recent_runs,
    save_draft,
    set_snippets_enabled,
    snippets_enabled,
    start_run,
)

from .actions import (
    Actor,
    EditLiveSnippet,
    EditSnippet,
    Envelope,
    OpenSnippetEditor,
    RunSnippet,
    SetSnippets,
)
from .context import Context
from .ports import DeliveryFailed, Replier
from .screens import (
    EditorScreen,
    Notice,
    Rich,
    SnippetOutcome,
    SnippetRefused,
    SnippetResultScreen,
    When,
    rich,
)

log = logging.getLogger(__name__)

FREE_TITLE = "Run a snippet"
STARTER = "import torch\n\nprint(torch.__version__)\n"
RUN_TIMEOUT_S = 5.0  # the runner's default; snippets here are small by design
# The whole wait for the runner (queueing included), beyond which the learner is told.
WAIT_S = 40.0
OFF = "🔒 Edit & run is switched off in this workspace (an admin can switch it on again)."
AGAIN = "⏳ That submission was already received; its result is shown once, above."
# How a submission is recorded by its delivery id, so a redelivery never runs it twice
# (no payload: the code is never stored).
KIND = "snippet-run"

Finish = Callable[[Replier], Awaitable[None]]


@dataclass(frozen=True)
class SnippetLimits:
    """What a community admin can count on. `max_chars` fits Discord's 4000-character
    modal input; `stale_s` is when an unfinished run is taken for a crashed process's."""

    per_user: int = 10
    per_workspace: int = 100
    window_s: float = 600.0
    max_chars: int = 4000
    stale_s: float = 90.0


class SnippetRunner(Protocol):
    async def run(
        self,
        code: str,
        *,
        timeout_s: float | None = None,
        seed: int | None = None,
        client: str | None = None,
    ) -> Any: ...


def who(actor: Actor) -> Who:
    return Who(actor.platform, actor.workspace, actor.user_id)


def client_key(actor: Actor) -> str:
    """The runner's fairness key: one per learner, e.g. "slack:T123:U456"."""
    return f"{actor.platform}:{actor.workspace}:{actor.user_id}"


def minutes(seconds: float) -> str:
    n = round(seconds / 60)
    return f"{n} minute" + ("" if n == 1 else "s")


def size_problem(code: str, limits: SnippetLimits) -> Rich | None:
    """Why this text cannot be run at all (pure)."""
    if not code.strip():
        return rich("⚠️ There is no code to run: the editor was empty.")
    if len(code) > limits.max_chars:
        return rich(
            f"⚠️ Your code is {len(code):,} characters; Edit & run takes at most "
            f"{limits.max_chars:,}. Shorten it and run it again."
        )
    return None


def limit_problem(recent: RecentRuns, limits: SnippetLimits, now: float) -> Rich | None:
    """Why this user may not start a run now, and when they may (pure)."""
    if recent.user_running_since is not None:
        return rich(
            "⏳ Your previous snippet is still running; one run at a time. "
            "Submit again when its result is shown."
        )
    window = minutes(limits.window_s)
    if len(recent.user_starts) >= limits.per_user:
        allowed = recent.user_starts[len(recent.user_starts) - limits.per_user] + limits.window_s
        return rich(
            f"⏳ You have used your {limits.per_user} runs per {window}; your next run is allowed ",
            When(allowed),
            " (",
            When(allowed, "long"),
            ").",
        )
    if recent.workspace_count >= limits.per_workspace:
        offset = recent.workspace_count - limits.per_workspace
        allowed = recent.workspace_starts[min(offset, len(recent.workspace_starts) - 1)]
        allowed += limits.window_s
        return rich(
            f"⏳ This workspace has used its {limits.per_workspace} runs per {window}; "
            "the next run is allowed ",
            When(allowed),
            " (",
            When(allowed, "long"),
            ").",
        )
    return None


def outcome_of(result: Any) -> SnippetOutcome:
    return SnippetOutcome(
        True,
        status=result.status,
        stdout=result.stdout,
        stderr=result.stderr,
        duration_ms=result.duration_ms,
        truncated=result.truncated,
        torch_version=str(result.runtime.get("torch", "?")),
    )


@dataclass(frozen=True)
class Claimed:
    """A submission accepted for running (`run_id`; `problem` when it edits a question's
    code), or refused with `refused`."""

    run_id: int | None
    refused: Rich | None = None
    reopen: bool = True
    problem: Problem | None = None


class Snippets:
    def __init__(self, ctx: Context, limits: SnippetLimits | None = None) -> None:
        self.ctx = ctx
        self.limits = limits or SnippetLimits()

    @property
    def service(self):
        return self.ctx.service

    async def enabled(self, actor: Actor) -> bool:
        return await self.service.db.run(
            lambda conn: snippets_enabled(conn, actor.platform, actor.workspace)
        )

    # --- opening the editor -----------------------------------------------------------------

    async def problem_of(self, actor: Actor, session_id: str, index: int) -> Problem:
        """The problem of a revealed question of the actor's own run; the code of an open
        one is not for editing (running it would answer a predict-output question)."""
        session = await self.service.session(session_id)
        player = await self.service.find_player(actor.platform, actor.workspace, actor.user_id)
        if session.player_id != player:
            raise NotYourSession()
        if not 0 <= index < len(session.questions):
            raise UnknownSession(session_id)
        question = session.questions[index]
        if question.is_open and not session.is_finished:
            raise ValueError("Answer the question first: Edit & run opens on its reveal.")
        return self.service.pack(session.pack_id).problem(question.problem_id)

    async def editor_for(self, envelope: Envelope) -> EditorScreen | Notice:
        """The editor an Edit & run button, `/lrquiz run` or a Reopen button opens."""
        actor, action = envelope.actor, envelope.action
        if not await self.enabled(actor):
            return Notice(rich(OFF), "warning")
        max_chars = self.limits.max_chars
        if isinstance(action, EditSnippet):
            try:
                problem = await self.problem_of(actor, action.session_id, action.index)
            except ValueError as error:
                return Notice(rich(f"⚠️ {error}"), "warning")
            if not problem.code:
                return Notice(rich("⚠️ This question has no code to edit."), "warning")
            title = f"Edit & run: {problem.title or problem.id}"
            return EditorScreen(title, problem.code, max_chars, action.session_id, action.index)
        if isinstance(action, EditLiveSnippet):
            state = await self.service.live(action.live_id)
            if state.is_open:
                return Notice(rich("⚠️ Edit & run opens once the question has closed."), "warning")
            problem = self.service.pack(state.pack_id).problem(state.problem_id)
            if not problem.code:
                return Notice(rich("⚠️ This question has no code to edit."), "warning")
            return EditorScreen(
                f"Edit & run: {problem.title or problem.id}", problem.code, max_chars
            )
        if isinstance(action, OpenSnippetEditor):
            return EditorScreen(FREE_TITLE, STARTER, max_chars)
        draft = await self.service.db.run(lambda conn: load_draft(conn, who(actor)))
        if draft is None:  # nothing submitted yet: a fresh editor
            return EditorScreen(FREE_TITLE, STARTER, max_chars)
        title = FREE_TITLE if draft.session_id is None else "Edit & run"
        return EditorScreen(title, draft.code, max_chars, draft.session_id, draft.index)

    async def open(self, envelope: Envelope, replier: Replier) -> None:
        shown = await self.editor_for(envelope)
        if isinstance(shown, Notice):
            await replier.show(shown)
            return
        try:
            await replier.open_editor(shown)
        except DeliveryFailed as failed:
            log.info("could not open an editor for %s: %s", envelope.actor.user_id, failed)
            await replier.show(
                Notice(rich("⚠️ I couldn't open the editor in time; please click again."), "error")
            )

    # --- submitting ---------------------------------------------------------------------------

    async def claim(self, envelope: Envelope, action: RunSnippet) -> Claimed:
        """Check the submission and claim a run, in one transaction; the learner's text is
        kept as their draft either way, so a reopened editor shows exactly it."""
        actor, limits = envelope.actor, self.limits
        now = self.service.clock.now()
        problem: Problem | None = None
        if action.session_id is not None and action.index is not None:
            # An old or foreign question's id: run the text as a free snippet.
            with contextlib.suppress(GameError, ValueError, KeyError):
                problem = await self.problem_of(actor, action.session_id, action.index)
        source = f"problem:{problem.id}" if problem is not None else "free"

        def transaction(conn: Any) -> Claimed:
            mine = who(actor)
            key = envelope.key
            if key is not None and not record_pending(conn, actor.platform, key, KIND, {}, now):
                return Claimed(None, rich(AGAIN), reopen=False)  # redelivered: ran already
            save_draft(conn, mine, Draft(action.code, action.session_id, action.index), now)
            if not snippets_enabled(conn, actor.platform, actor.workspace):
                return Claimed(None, rich(OFF), reopen=False)
            refused = size_problem(action.code, limits)
            if refused is None:
                recent = recent_runs(
                    conn,
                    mine,
                    now - limits.window_s,
                    now - limits.stale_s,
                    limits.per_workspace,
                )
                refused = limit_problem(recent, limits, now)
            if refused is not None:
                if key is not None:
                    record_done(conn, actor.platform, key, KIND, {"status": "refused"}, now)
                return Claimed(None, refused)
            return Claimed(start_run(conn, mine, source, action.code, now), problem=problem)

        return await self.service.db.transact(transaction)

    async def finish_run(
        self, envelope: Envelope, replier: Replier, action: RunSnippet, claimed: Claimed
    ) -> None:
        if claimed.run_id is None:
            assert claimed.refused is not None
            await replier.show(SnippetRefused(claimed.refused, claimed.reopen))
            return
        problem = claimed.problem
        original_task = asyncio.ensure_future(
            fetch_real_output(self.ctx.runner, problem) if problem is not None else _none()
        )
        outcome = SnippetOutcome(False, reason="the run was interrupted")
        try:
            outcome = await self.execute(envelope.actor, action.code)
        finally:  # also when interrupted: the claim must not outlive the run
            status = outcome.status if outcome.available else UNAVAILABLE
            await self._log_end(envelope, claimed.run_id, status, outcome.duration_ms)
        original = await original_task
        title = f"Your edit of {problem.title or problem.id}" if problem else "Your snippet"
        await replier.show(SnippetResultScreen(title, outcome, original, problem is not None))

    async def _log_end(
        self, envelope: Envelope, run_id: int, status: str, duration_ms: float | None
    ) -> None:
        now = self.service.clock.now()
        platform, key = envelope.actor.platform, envelope.key

        def transaction(conn: Any) -> None:
            finish_run(conn, run_id, status, duration_ms, now)
            if key is not None:
                record_done(conn, platform, key, KIND, {"status": status}, now)

        await self.service.db.transact(transaction)

    async def execute(self, actor: Actor, code: str) -> SnippetOutcome:
        """Run the code for this learner; every runner failure becomes a reason to show."""
        runner: SnippetRunner | None = self.ctx.runner  # type: ignore[assignment]
        if runner is None:
            return SnippetOutcome(False, reason="no runner is configured here, so code cannot run")
        try:
            result = await asyncio.wait_for(
                runner.run(code, timeout_s=RUN_TIMEOUT_S, client=client_key(actor)), WAIT_S
            )
        except TimeoutError:
            return SnippetOutcome(False, reason="the runner did not answer in time")
        except Exception as error:  # details (hosts, ports) go to the log, not to the learner
            log.warning("the runner failed a snippet for %s: %s", actor.user_id, error)
            rejected = getattr(error, "status", None) in (400, 413)
            reason = (
                "the runner refused this code (too large?)"
                if rejected
                else "the runner is not reachable right now"
            )
            return SnippetOutcome(False, reason=reason)
        return outcome_of(result)

    # --- the admin switch -----------------------------------------------------------------------

    async def switch(self, actor: Actor, action: SetSnippets) -> Notice:
        if action.on is not None:
            now = self.service.clock.now()
            on = action.on
            await self.service.db.transact(
                lambda conn: set_snippets_enabled(conn, who(actor), on, now)
            )
        on = await self.enabled(actor)
        limits = self.limits
        if not on:
            return Notice(rich("🔒 Edit & run is off in this workspace."), "ok")
        return Notice(
            rich(
                f"▶️ Edit & run is on: {limits.per_user} runs per {minutes(limits.window_s)} "
                f"per member (one at a time), {limits.per_workspace} per workspace, "
                f"{limits.max_chars:,} characters of code."
            ),
            "ok",
        )


async def _none() -> RealOutput | None:
    return None
