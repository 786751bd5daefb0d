"""Live questions: posted publicly, one locked-in answer each, closed once at the deadline.

A question is stored as open only once its message exists, so a post the platform refuses
leaves nothing behind to be scored.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.engine import live
from bot.engine.live import LiveState, live_results
from bot.service import Step

from .actions import Envelope, LiveAnswer, LiveHint
from .context import Context, delivery, person
from .output import PUBLIC_BUDGET_S, show_with_output
from .ports import DeliveryFailed, Replier
from .screens import (
    Bold,
    LiveClosedScreen,
    LiveQuestionScreen,
    Notice,
    Person,
    When,
    rich,
    rich_from_data,
    rich_to_data,
)

log = logging.getLogger(__name__)


class Live:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def publish(
        self,
        workspace: str,
        channel: str,
        poster: int | None = None,
        posted_by: Person | None = None,
        pack_id: str | None = None,
        problem_id: str | None = None,
    ) -> LiveState:
        """Post a question now, then store it; DeliveryFailed or ValueError (unknown id)."""
        service = self.ctx.service
        state = service.new_live(pack_id, problem_id)
        problem = service.pack(state.pack_id).problem(state.problem_id)
        ref = await self.ctx.platform.post(channel, LiveQuestionScreen(state, problem, posted_by))
        await service.open_live(state, self.ctx.name, workspace, poster, ref)
        self.ctx.poke_deadlines()
        return state

    async def accept(self, envelope: Envelope, action: LiveAnswer | LiveHint) -> Step[Any]:
        pack_of = self.ctx.service.pack

        if isinstance(action, LiveAnswer):
            kind = "live-answer"

            def operation(s: LiveState, p: int, now: float) -> tuple[LiveState, Any]:
                return live.answer_live(s, pack_of(s.pack_id), p, action.letter, now)

        else:
            kind = "live-hint"

            def operation(s: LiveState, p: int, now: float) -> tuple[LiveState, Any]:
                return live.hint_live(s, pack_of(s.pack_id), p, now)

        def describe(step: Step[Any]) -> dict[str, Any]:
            if step.error is not None:
                return {"notice": rich_to_data(rich(str(step.error))), "tone": "warning"}
            if isinstance(step.result, live.LiveAnswer):
                text = rich(
                    "🔒 You locked in ",
                    Bold(step.result.letter),
                    ". The answer is revealed ",
                    When(step.after.deadline),
                    ".",
                )
            else:
                text = rich(
                    "💡 ", Bold("Hint:"), f" {step.result}\nUsing the hint halves your points."
                )
            return {"notice": rich_to_data(text), "tone": "info"}

        return await self.ctx.service.step_live(
            delivery(envelope), kind, action.live_id, operation, describe
        )

    async def finish(self, replier: Replier, step: Step[Any]) -> None:
        await replier.show(Notice(rich_from_data(step.shown["notice"]), step.shown["tone"]))

    async def closed_by_deadline(self, state: LiveState) -> None:
        """Edit the public message: the answer, the tally per letter, who was right first."""
        ctx, service = self.ctx, self.ctx.service
        ref = await service.message_ref(ctx.name, "live", state.id)
        if ref is None:
            return  # posted by another front end sharing the database
        pack = service.pack(state.pack_id)
        problem = pack.problem(state.problem_id)
        results = live_results(state, pack)
        first = None
        if results.first_right is not None:
            who = await service.player(results.first_right)
            first = person(who) if who is not None else None
        screen = LiveClosedScreen(state, problem, results, first, None)

        async def edit(shown: LiveClosedScreen) -> None:
            await ctx.platform.edit(ref, shown)

        try:
            await show_with_output(edit, screen, problem, ctx.runner, PUBLIC_BUDGET_S)
        except DeliveryFailed as failed:
            log.warning(
                "live question %s closed; its post could not be updated: %s", state.id, failed
            )
