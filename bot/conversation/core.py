"""The conversation: one entry point for every platform action, and its background loops.

An adapter calls `accept(envelope)` *before* it tells the platform "received": accepting
applies and commits the action (a click, a new run), or records it (an admin command), in
one short transaction. Then it acknowledges, and calls `finish(replier)` of what `accept`
returned to render and deliver. A crash at any instant therefore loses no acknowledged
action, and `recover()` finishes recorded commands that a crash interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.deadlines import DeadlineWatcher
from bot.engine.errors import GameError
from bot.metrics import ActionTimer, BotMetrics, CountedPlatform, counting_fire
from bot.real_output import Runner
from bot.scheduler import DEFAULT_GRACE_S, Scheduler
from bot.service import GameService
from bot.suggestions import MODE as SUGGESTED
from storage.actions import pending_actions
from storage.errors import WriteRefused
from storage.refs import MessageRef

from . import actions as a
from .admin import Admin, envelope_from_payload
from .cards import Cards
from .context import Context
from .live import Live
from .ports import Platform, Replier
from .records import Records
from .runs import Runs
from .screens import Notice, Rich, rich
from .snippets import SnippetLimits, Snippets
from .suggest import SuggestedRuns

log = logging.getLogger(__name__)

TROUBLE = "⚠️ Something went wrong on our side and it has been logged. Please try again."
GONE = "This button is no longer active. Start again with /lrquiz."
# Interrupted commands older than this are not finished on restart: their reply handles
# (Discord tokens last 15 minutes, Slack response_urls 30) would be gone anyway.
RECOVER_WITHIN_S = 14 * 60.0

Finish = Callable[[Replier], Awaitable[None]]


@dataclass(frozen=True)
class Accepted:
    """An action accepted (committed) and ready to be answered. `refused` says why a
    submitted editor was refused, for platforms that keep the editor open with the reason
    (Slack's `response_action: errors`) instead of calling `finish`."""

    finish: Finish
    refused: Rich | None = None


def explain(error: BaseException) -> Notice:
    """What the player is told when an action could not be done."""
    if isinstance(error, GameError):
        return Notice(rich(str(error)), "warning")
    if isinstance(error, WriteRefused):
        return Notice(
            rich(
                f"⚠️ I couldn't save that: {error}. The leaderboard and stats still work; "
                "please tell whoever runs this bot."
            ),
            "error",
        )
    return Notice(rich(TROUBLE), "error")


class Conversation:
    def __init__(
        self,
        service: GameService,
        platform: Platform,
        runner: Runner | None = None,
        *,
        grace_s: float = DEFAULT_GRACE_S,
        max_sleep_s: float = 15.0,
        home_timezone: str | None = None,
        snippet_limits: SnippetLimits | None = None,
    ) -> None:
        self.metrics = BotMetrics(platform.name)
        platform = CountedPlatform(platform, self.metrics)
        self.ctx = Context(service, platform, runner, home_timezone=home_timezone)
        self.service = service
        service.variants.use_runner(runner)  # daily cards' fresh variants
        self.runs = Runs(self.ctx)
        self.suggested = SuggestedRuns(self.ctx, self.runs)
        self.records = Records(self.ctx)
        self.live = Live(self.ctx)
        self.cards = Cards(self.ctx, self.live, self.records)
        self.snippets = Snippets(self.ctx, snippet_limits)
        self.admin = Admin(self.ctx, self.live, self.cards, self.snippets)
        self.watcher = DeadlineWatcher(
            service,
            self.runs.closed_by_deadline,
            self.live.closed_by_deadline,
            max_sleep_s=max_sleep_s,
            platform=platform.name,
            on_daily_closed=self.cards.closed_by_day_end,
        )
        fire = counting_fire(self.metrics, self.cards.fire)
        self.scheduler = Scheduler(service, platform.name, fire, grace_s=grace_s)
        self.ctx.poke_deadlines = self.watcher.poke
        self.ctx.poke_schedules = self.scheduler.poke
        self._tasks: list[asyncio.Task[None]] = []

    # --- actions ------------------------------------------------------------------------

    async def accept(self, envelope: a.Envelope) -> Accepted:
        """Apply or record the action; never raises (a failure is explained at finish)."""
        timer = self.metrics.received(envelope)
        refused: Rich | None = None
        try:
            if isinstance(envelope.action, a.RunSnippet):
                finish, refused = await self._claim_snippet(envelope, envelope.action)
            else:
                finish = await self._accept(envelope)
        except Exception as error:
            finish = self._explaining(error)
        timer.accepted()
        return Accepted(self._guard(envelope, finish, timer), refused)

    async def _claim_snippet(
        self, envelope: a.Envelope, action: a.RunSnippet
    ) -> tuple[Finish, Rich | None]:
        """Limits checked and the run claimed before it is acknowledged; run at finish."""
        claimed = await self.snippets.claim(envelope, action)

        async def run(r: Replier) -> None:
            await self.snippets.finish_run(envelope, r, action, claimed)

        return run, claimed.refused

    async def handle(self, envelope: a.Envelope, replier: Replier) -> None:
        """Accept and finish at once, for front ends with nothing to acknowledge."""
        await (await self.accept(envelope)).finish(replier)

    async def unknown(self, replier: Replier) -> None:
        """A button this bot cannot read (an old layout, a foreign id): say so at once."""
        self.metrics.unknown()
        await replier.show(Notice(rich(GONE), "warning"))

    async def _accept(self, envelope: a.Envelope) -> Finish:
        action = envelope.action
        if isinstance(action, a.StartRun) and action.mode == SUGGESTED:
            # the day's stored set, not a fresh draw
            begun = await self.suggested.accept_start(envelope, a.StartSuggested(), action.pack_id)
            return lambda r: self.suggested.finish_start(r, begun)
        if isinstance(action, a.StartSuggested):
            begun = await self.suggested.accept_start(envelope, action)
            return lambda r: self.suggested.finish_start(r, begun)
        if isinstance(action, a.ShowSuggestion):
            shown = await self.suggested.accept_show(envelope)
            return lambda r: self.suggested.finish_show(r, shown)
        if isinstance(action, a.StartRun):
            started = await self.runs.accept_start(envelope, action.mode, action.pack_id)
            return lambda r: self.runs.finish_start(r, started)
        if isinstance(action, a.Answer | a.Hint | a.Next | a.Quit | a.Expire):
            step = await self.runs.accept_click(envelope, action)
            return lambda r: self.runs.finish_click(envelope, r, step)
        if isinstance(action, a.StartDaily):
            daily = await self.runs.accept_daily(envelope, action)
            return lambda r: self.runs.finish_daily(r, action, daily)
        if isinstance(action, a.LiveAnswer | a.LiveHint):
            locked = await self.live.accept(envelope, action)
            return lambda r: self.live.finish(r, locked)
        if isinstance(
            action,
            a.PostLive
            | a.PostDaily
            | a.AddSchedule
            | a.ListSchedules
            | a.ChangeSchedule
            | a.SetAnnounce
            | a.SetSnippets,
        ):
            earlier = await self.admin.accept(envelope)
            return lambda r: self.admin.finish(envelope, r, earlier)
        return self._read(envelope)

    def _read(self, envelope: a.Envelope) -> Finish:
        """Reads change nothing, so there is nothing to commit before acknowledging."""
        action = envelope.action
        records = self.records
        if isinstance(action, a.ShowLeaderboard):
            return lambda r: records.leaderboard(envelope, r, action)
        if isinstance(action, a.ShowStats):
            return lambda r: records.stats(envelope, r, action)
        if isinstance(action, a.ShowBadges):
            return lambda r: records.badges(envelope, r)
        if isinstance(action, a.ShowDashboard):
            return lambda r: self.admin.dashboard(envelope, r)
        if isinstance(action, a.DailyLeaderboard):
            return lambda r: self.cards.leaderboard(envelope, r, action)
        if isinstance(
            action, a.EditSnippet | a.EditLiveSnippet | a.OpenSnippetEditor | a.ReopenDraft
        ):
            return lambda r: self.snippets.open(envelope, r)
        if isinstance(action, a.BadInput):
            return lambda r: r.show(Notice(rich(action.message), "warning"))
        assert isinstance(action, a.ShowHelp), action
        if action.admin:  # the admin command list is for admins
            return lambda r: self.admin.help(envelope, r, action)
        return lambda r: records.help(r, action)

    @staticmethod
    def _explaining(error: BaseException) -> Finish:
        async def finish(replier: Replier) -> None:
            raise error

        return finish

    def _guard(
        self, envelope: a.Envelope, finish: Finish, timer: ActionTimer | None = None
    ) -> Finish:
        """Whatever goes wrong, the player is told something, and bugs are logged."""

        async def guarded(replier: Replier) -> None:
            try:
                await finish(replier)
            except BrokenPipeError:
                raise  # the terminal's reader went away (`| head`): the CLI ends quietly
            except Exception as error:
                if timer is not None:
                    timer.finished(error)
                if not isinstance(error, GameError | WriteRefused):
                    log.error(
                        "%s from %s failed",
                        type(envelope.action).__name__,
                        envelope.actor.user_id,
                        exc_info=error,
                    )
                with contextlib.suppress(Exception):
                    await replier.show(explain(error))
            else:
                if timer is not None:
                    timer.finished(None)

        return guarded

    # --- background ---------------------------------------------------------------------

    async def start(self, replier_for: Callable[[MessageRef | None], Replier] | None = None) -> int:
        """Close what fell due while we were down, finish interrupted commands, then keep
        closing deadlines and posting schedules. Returns how many deadlines were closed."""
        closed = await self.watcher.sweep()
        if replier_for is not None:
            await self.recover(replier_for)
        self._tasks = [
            asyncio.create_task(self.watcher.run_forever()),
            asyncio.create_task(self.scheduler.run_forever()),
        ]
        self.service.variants.start_refilling()  # fresh variants for adaptive runs
        return closed

    async def recover(self, replier_for: Callable[[MessageRef | None], Replier]) -> int:
        """Finish the admin commands a crash interrupted after they were acknowledged."""
        since = self.service.clock.now() - RECOVER_WITHIN_S
        pending = await self.service.db.run(
            lambda conn: pending_actions(conn, self.ctx.name, since)
        )
        finished = 0
        for stored in pending:
            envelope = envelope_from_payload(stored.payload, stored.key)
            if envelope is None:
                continue
            log.info("finishing %s %s interrupted by a restart", stored.kind, stored.key)
            await self._guard(envelope, lambda r, e=envelope: self.admin.finish(e, r, None))(
                replier_for(envelope.reply)
            )
            finished += 1
        return finished

    async def stop(self) -> None:
        await self.service.variants.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
