"""Personal runs: what a start or a click does, and the screen the player sees after it.

Every click is applied by the service in one transaction together with its delivery id and
the handle to edit the player's message later. What the player is told about it (a wrong
answer, a refusal) is decided here, stored with the click, and shown again unchanged if the
platform delivers the same click twice.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.dailies import DailyChallenges
from bot.engine import game
from bot.engine.errors import (
    NotYourSession,
    SessionFinished,
    UnknownSession,
)
from bot.engine.game import AnswerResult
from bot.engine.modes import rules_for
from bot.engine.state import SessionState
from bot.engine.views import question_view, reveal_view, summary_view
from bot.service import PlayerOperation, Step
from storage.refs import MessageRef

from .actions import Answer, Envelope, Expire, Hint, Next, RunAction, StartDaily
from .announce import announce_badges
from .context import Context, delivery
from .output import show_with_output
from .ports import DeliveryFailed, Replier
from .screens import Bold, Notice, Rich, RunScreen, rich, rich_from_data, rich_to_data

log = logging.getLogger(__name__)


def wrong_note(letter: str, attempts_left: int) -> Rich:
    noun = "attempt" if attempts_left == 1 else "attempts"
    return rich("❌ ", Bold(letter), f" is not it. {attempts_left} {noun} left.")


def _operation(action: RunAction, ctx: Context) -> tuple[str, PlayerOperation[Any]]:
    pack_of = ctx.service.pack
    if isinstance(action, Answer):
        return "answer", lambda s, p, now: game.answer(
            s, pack_of(s.pack_id), p, action.letter, now, action.index
        )
    if isinstance(action, Hint):
        return "hint", lambda s, p, now: game.take_hint(s, pack_of(s.pack_id), p, now, action.index)
    if isinstance(action, Next):
        return "next", lambda s, p, now: (game.advance(s, pack_of(s.pack_id), p, now), None)
    if isinstance(action, Expire):
        return "expire", lambda s, p, now: (game.expire(s, pack_of(s.pack_id), now), None)
    return "quit", lambda s, p, now: (game.abandon(s, p, now), None)


def _describe_click(step: Step[Any]) -> dict[str, Any]:
    """What the player is told about a click, beyond the run's new state (pure; stored)."""
    run = step.after if isinstance(step.after, SessionState) else None
    shown: dict[str, Any] = {"session_id": run.id if run else None}
    error = step.error
    if isinstance(error, UnknownSession | NotYourSession) or (
        error is not None and run is not None and run.player_id != step.player_id
    ):
        refusal = error if isinstance(error, UnknownSession) else NotYourSession()
        shown["private"] = rich_to_data(rich(str(refusal)))
    elif isinstance(error, SessionFinished):
        pass  # a double click on Next after the last question: show where the run is
    elif error is not None:
        shown["note"] = rich_to_data(rich(str(error)))
    elif isinstance(step.result, AnswerResult) and not step.result.closed:
        shown["note"] = rich_to_data(wrong_note(step.result.letter, step.result.attempts_left))
    return shown


class Runs:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.dailies = DailyChallenges(ctx.service)

    @property
    def service(self):
        return self.ctx.service

    # Each action is accepted (applied and committed) before the platform is told it was
    # received, then finished (rendered and delivered) after.

    async def accept_start(
        self, envelope: Envelope, mode: str, pack_id: str | None = None
    ) -> Step[None]:
        return await self.service.start_for(
            delivery(envelope), mode, lambda s: {"session_id": s.after.id}, pack_id
        )

    async def finish_start(self, replier: Replier, step: Step[None]) -> None:
        if step.after is None:  # replayed, and the run no longer exists
            await replier.show(Notice(rich(str(UnknownSession(step.shown["session_id"])))))
            return
        self.ctx.poke_deadlines()
        await self.show(replier, step.after, replace=False)

    async def accept_click(self, envelope: Envelope, action: RunAction) -> Step[Any]:
        kind, operation = _operation(action, self.ctx)
        return await self.service.step_run(
            delivery(envelope), kind, action.session_id, operation, _describe_click
        )

    async def finish_click(self, envelope: Envelope, replier: Replier, step: Step[Any]) -> None:
        if "private" in step.shown or step.after is None:
            text = step.shown.get("private") or rich_to_data(rich(str(UnknownSession(""))))
            await replier.show(Notice(rich_from_data(text), "warning"))
            return
        self.ctx.poke_deadlines()  # Next opened a question with a new deadline
        note = rich_from_data(step.shown["note"]) if "note" in step.shown else None
        await self.show(replier, step.after, note, replace=True)
        if step.finished_now:
            await announce_badges(self.ctx, step.after, envelope.actor.channel)

    async def accept_daily(self, envelope: Envelope, action: StartDaily) -> Step[None]:
        """A card's Start: the clicker's own run of the day (new, or resumed)."""

        def describe(step: Step[None]) -> dict[str, Any]:
            if step.error is not None:
                return {"private": rich_to_data(rich(str(step.error)))}
            return {"session_id": step.after.id, "resumed": step.before is not None}

        return await self.dailies.start_for(delivery(envelope), action.daily_id, describe)

    async def finish_daily(self, replier: Replier, action: StartDaily, step: Step[None]) -> None:
        if "private" in step.shown or step.after is None:
            text = step.shown.get("private") or rich_to_data(rich("This run no longer exists."))
            await replier.show(Notice(rich_from_data(text), "warning"))
            return
        self.ctx.poke_deadlines()
        daily = await self.dailies.get(action.daily_id)
        note = (
            rich("▶ Resuming your daily challenge.")
            if step.shown.get("resumed")
            else rich(
                f"📅 Daily challenge {daily.local_date}: your own run, only you see it. Good luck!"
            )
        )
        await self.show(replier, step.after, note, replace=False)

    def screen(self, session: SessionState, note: Rich | None = None) -> RunScreen:
        """The run as it stands, without real output (see `show`)."""
        pack = self.service.pack(session.pack_id)
        current = session.current
        summary = summary_view(session, pack) if session.is_finished else None
        if current is not None and current.is_open and not session.is_finished:
            view = question_view(session, pack)
            intro = pack if rules_for(session.mode).show_summary_first and view.index == 0 else None
            return RunScreen(session.id, question=view, note=note, intro=intro)
        if current is None or (session.is_finished and current.outcome in (None, "skipped")):
            return RunScreen(session.id, summary=summary, note=note)  # quit before answering
        reveal = reveal_view(session, pack)
        return RunScreen(session.id, reveal=reveal, summary=summary, note=note)

    async def show(
        self,
        replier: Replier,
        session: SessionState,
        note: Rich | None = None,
        *,
        replace: bool,
    ) -> None:
        screen = self.screen(session, note)
        problem = screen.reveal.problem if screen.reveal is not None else None
        first = [True]

        async def show_once(shown: RunScreen) -> None:
            # The first showing answers the click; a later one replaces that answer.
            await replier.show(shown, replace=replace or not first[0])
            first[0] = False

        await show_with_output(show_once, screen, problem, self.ctx.runner)

    async def closed_by_deadline(self, session: SessionState) -> None:
        """Nobody clicked before the deadline: reveal it in the run's stored message."""
        ctx = self.ctx
        ref = await self.service.message_ref(ctx.name, "run", session.id)
        if ref is not None:
            screen = self.screen(session)
            problem = screen.reveal.problem if screen.reveal is not None else None

            async def edit(shown: RunScreen, ref: MessageRef = ref) -> None:
                await ctx.platform.edit(ref, shown)

            try:
                await show_with_output(edit, screen, problem, ctx.runner)
            except DeliveryFailed as failed:
                log.warning("run %s closed; could not update its message: %s", session.id, failed)
        if session.is_finished:  # e.g. a streak kept by a timed-out last question
            await announce_badges(ctx, session, ref.channel_id if ref is not None else "")
