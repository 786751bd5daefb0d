"""Personal daily suggestions: showing today's set and playing it, for every front end.

The day is the learner's local day: the terminal's own zone, else the workspace's (its
first schedule's, as for streaks). What is shown is stored with the request, so a
redelivered command shows the same list.
"""

from __future__ import annotations

from typing import Any

from bot.engine.schedule import local_date
from bot.engine.suggest import Suggestion
from bot.scheduler import Schedules
from bot.service import Step
from bot.suggestions import Suggestions, TodaysSuggestion

from .actions import Actor, Envelope, StartSuggested
from .context import Context, delivery
from .ports import Replier
from .runs import Runs
from .screens import Bold, Notice, Rich, SuggestionScreen, rich, rich_from_data, rich_to_data


class SuggestedRuns:
    def __init__(self, ctx: Context, runs: Runs) -> None:
        self.ctx = ctx
        self.runs = runs
        self.suggestions = Suggestions(ctx.service)
        self.schedules = Schedules(ctx.service, ctx.name)

    async def today(self, actor: Actor) -> str:
        zone = self.ctx.home_timezone or await self.schedules.home_timezone(actor.workspace)
        return local_date(self.ctx.service.clock.now(), zone).isoformat()

    async def accept_show(self, envelope: Envelope) -> Step[None]:
        day = await self.today(envelope.actor)
        return await self.suggestions.show_for(delivery(envelope), day, _describe_show)

    async def finish_show(self, replier: Replier, step: Step[None]) -> None:
        shown = step.shown
        pack = self.ctx.service.pack(shown["pack_id"])
        known = {p.id: p for p in pack.problems}
        items = tuple(
            (known[pid], Suggestion(pid, reason, topic, success))
            for pid, reason, topic, success in shown["items"]
            if pid in known
        )
        await replier.show(SuggestionScreen(shown["day"], pack, items, shown["status"]))

    async def accept_start(
        self, envelope: Envelope, action: StartSuggested, pack_id: str | None = None
    ) -> Step[None]:
        day = await self.today(envelope.actor)
        pack = self.ctx.service.pack(pack_id)

        def describe(step: Step[None]) -> dict[str, Any]:
            if step.error is not None:
                return {"private": rich_to_data(rich(str(step.error)))}
            if step.before is not None:
                return {"session_id": step.after.id, "note": rich_to_data(RESUMING)}
            problems = [pack.problem(pid) for pid in step.after.problem_ids]
            stale = action.local_date is not None and action.local_date != day
            return {"session_id": step.after.id, "note": rich_to_data(intro(problems, stale))}

        return await self.suggestions.start_for(delivery(envelope), day, describe, pack.id)

    async def finish_start(self, replier: Replier, step: Step[None]) -> None:
        if "private" in step.shown or step.after is None:
            text = step.shown.get("private") or rich_to_data(rich("This run no longer exists."))
            await replier.show(Notice(rich_from_data(text), "warning"))
            return
        note = rich_from_data(step.shown["note"])
        await self.runs.show(replier, step.after, note, replace=False)


RESUMING = rich("▶ Resuming today's suggestions.")


def intro(problems: list, stale: bool) -> Rich:
    """The note above the first question: what today's set is and why."""
    head = "🌅 A new day, so new suggestions. " if stale else ""
    titles = ", ".join(p.title or p.id for p in problems)
    return rich(head, "🎯 ", Bold("Today's suggestions for you"), f": {titles}.")


def _describe_show(step: Step[None]) -> dict[str, Any]:
    today: TodaysSuggestion = step.after
    found = today.suggestion
    return {
        "day": found.local_date,
        "pack_id": found.pack_id,
        "status": today.status,
        "items": [[s.problem_id, s.reason, s.topic, s.success] for s in found.items],
    }
