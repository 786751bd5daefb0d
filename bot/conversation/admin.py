"""Admin commands: live questions and daily cards now, schedules, badge announcements.

Who is an admin is the platform's answer (Discord says in the event; Slack is asked). Each
command that changes something is recorded before it is acknowledged and carried out once
per delivery id: a redelivered command is answered with what the first one said.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.engine.schedule import ScheduleError, next_occurrence
from bot.scheduler import Schedules
from storage.refs import MessageRef
from storage.settings import WorkspaceSettings

from .actions import (
    Actor,
    AddSchedule,
    AdminAction,
    ChangeSchedule,
    Envelope,
    ListSchedules,
    PostDaily,
    PostLive,
    SetAnnounce,
    SetSnippets,
    ShowHelp,
)
from .cards import Cards
from .context import Context, actor_person, delivery
from .live import Live
from .ports import DeliveryFailed, Replier
from .screens import (
    Channel,
    Code,
    HelpScreen,
    Link,
    Notice,
    Refusal,
    Rich,
    SchedulesScreen,
    When,
    rich,
    rich_from_data,
    rich_to_data,
    schedule_text,
)
from .snippets import Snippets

log = logging.getLogger(__name__)

CHANGES = {"remove": "🗑️ Removed", "pause": "⏸️ Paused", "resume": "▶️ Resumed"}


def cannot_post(channel: str, reason: str) -> Notice:
    return Notice(
        rich(
            "⚠️ I couldn't post in ",
            Channel(channel),
            f" ({reason}). Invite the app there and let it post, then try again.",
        ),
        "error",
    )


class Admin:
    def __init__(self, ctx: Context, live: Live, cards: Cards, snippets: Snippets) -> None:
        self.ctx = ctx
        self.live = live
        self.cards = cards
        self.snippets = snippets
        self.schedules = Schedules(ctx.service, ctx.name)

    async def accept(self, envelope: Envelope) -> dict[str, Any] | None:
        """Record a changing command before it is acknowledged; its earlier answer if this
        is a redelivery (an empty one while the first delivery is still at work)."""
        if isinstance(envelope.action, ListSchedules):
            return None
        return await self.ctx.service.begin_action(
            delivery(envelope), _kind(envelope.action), _payload(envelope)
        )

    async def finish(
        self, envelope: Envelope, replier: Replier, earlier: dict[str, Any] | None
    ) -> None:
        if earlier is not None:
            if "refusal" in earlier:
                await replier.show(Refusal(earlier["refusal"]))
            elif "notice" in earlier:
                await replier.show(Notice(rich_from_data(earlier["notice"]), earlier["tone"]))
            else:
                await replier.show(Notice(rich("⏳ Still working on that command…")))
            return
        action = envelope.action
        refusal = await self.refusal(envelope.actor)
        if refusal is not None:
            if not isinstance(action, ListSchedules):
                await self._done(envelope, {"refusal": refusal.reason})
            await replier.show(refusal)
            return
        if isinstance(action, ListSchedules):
            await replier.show(await self.schedule_list(envelope.actor))
            return
        notice = await self._carry_out(envelope, action)
        await self._done(envelope, {"notice": rich_to_data(notice.text), "tone": notice.tone})
        await replier.show(notice)

    async def help(self, envelope: Envelope, replier: Replier, action: ShowHelp) -> None:
        refusal = await self.refusal(envelope.actor)
        note = rich(f"I don't know “{action.unknown}”.") if action.unknown else None
        await replier.show(refusal or HelpScreen(note, admin=True))

    async def dashboard(self, envelope: Envelope, replier: Replier) -> None:
        """A link signed for this person and workspace; admin pages only for admins."""
        from bot.web.links import DEFAULT_TTL_S, dashboard_link
        from bot.web.secret import base_url, load_secret

        actor, service = envelope.actor, self.ctx.service
        admin = not actor.direct and await self.refusal(actor) is None
        now = service.clock.now()
        url = dashboard_link(
            base_url(),
            load_secret(service.db.path),
            actor.platform,
            actor.workspace,
            actor.user_id,
            admin,
            now,
            DEFAULT_TTL_S,
        )
        pages = "your progress, the leaderboard" + (" and the admin pages" if admin else "")
        await replier.show(
            Notice(
                rich(
                    f"📊 Your lrquiz dashboard ({pages}), only for you, until ",
                    When(now + DEFAULT_TTL_S, "long"),
                    f":\n{url}",
                )
            )
        )

    async def refusal(self, actor: Actor) -> Refusal | None:
        if actor.direct:
            return Refusal("direct-message")
        allowed = actor.is_admin
        if allowed is None:
            allowed = await self.ctx.platform.is_admin(actor)
        return None if allowed else Refusal("not-admin")

    async def _done(self, envelope: Envelope, shown: dict[str, Any]) -> None:
        await self.ctx.service.finish_action(delivery(envelope), _kind(envelope.action), shown)

    async def _carry_out(self, envelope: Envelope, action: AdminAction) -> Notice:
        handlers: dict[type, Callable[[Actor, Any], Awaitable[Notice]]] = {
            PostLive: self.post_live,
            PostDaily: self.post_daily,
            AddSchedule: self.schedule_add,
            ChangeSchedule: self.schedule_change,
            SetAnnounce: self.announce,
            SetSnippets: self.snippets.switch,
        }
        try:
            return await handlers[type(action)](envelope.actor, action)
        except ValueError as error:  # a ScheduleError, or an unknown pack or problem id
            return Notice(rich(f"⚠️ {error}"), "warning")

    # --- posting now --------------------------------------------------------------------

    async def post_live(self, actor: Actor, action: PostLive) -> Notice:
        channel = action.channel or actor.channel
        poster = await self.ctx.service.find_player(actor.platform, actor.workspace, actor.user_id)
        try:
            state = await self.live.publish(
                actor.workspace,
                channel,
                poster,
                actor_person(actor),
                problem_id=action.problem_id,
            )
        except DeliveryFailed as failed:
            return cannot_post(channel, failed.reason)
        return Notice(
            rich(
                "📣 Posted live question ",
                Code(state.problem_id),
                " in ",
                Channel(channel),
                "; it closes ",
                When(state.deadline),
                ".",
            ),
            "ok",
        )

    async def post_daily(self, actor: Actor, action: PostDaily) -> Notice:
        channel = action.channel or actor.channel
        zone = action.timezone or await self.schedules.home_timezone(actor.workspace)
        try:
            posting, ref, posted = await self.cards.publish(
                actor.workspace, channel, zone, action.pack_id
            )
        except DeliveryFailed as failed:
            return cannot_post(channel, failed.reason)
        daily = posting.daily
        where: tuple[Any, ...] = (" in ", Channel(channel))
        if ref is None:
            return Notice(
                rich(
                    f"📅 The daily challenge for {daily.local_date} is being posted",
                    *where,
                    " right now.",
                )
            )
        link = (" ", Link(ref, actor.workspace))
        if not posted:
            return Notice(
                rich(
                    f"📅 The daily challenge for {daily.local_date} is already posted",
                    *where,
                    "; it closes ",
                    When(daily.ends_at, "long"),
                    ".",
                    *link,
                )
            )
        return Notice(
            rich(
                f"📅 Posted the daily challenge for {daily.local_date} ({zone})",
                *where,
                "; it closes ",
                When(daily.ends_at, "long"),
                ".",
                *link,
            ),
            "ok",
        )

    # --- schedules ----------------------------------------------------------------------

    async def schedule_add(self, actor: Actor, action: AddSchedule) -> Notice:
        channel = action.channel or actor.channel
        problem = await self.ctx.platform.channel_problem(actor, channel)
        if problem is not None:
            return Notice(problem, "warning")
        creator = await self.ctx.service.find_player(actor.platform, actor.workspace, actor.user_id)
        added = await self.schedules.add(
            actor.workspace,
            channel,
            action.time_of_day,
            action.timezone,
            action.weekdays,
            action.pack_id,
            action.format,
            creator,
        )
        self.ctx.poke_schedules()
        first = next_occurrence(added.spec, self.ctx.service.clock.now()).at
        return Notice(
            rich(
                "🗓️ Added schedule ",
                Code(added.id),
                ": ",
                *schedule_text(added).parts,
                ". First post ",
                When(first),
                " (",
                When(first, "long"),
                ").",
            ),
            "ok",
        )

    async def schedule_list(self, actor: Actor) -> SchedulesScreen:
        now = self.ctx.service.clock.now()
        items = await self.schedules.list(actor.workspace)
        return SchedulesScreen(
            tuple((s, None if s.paused else next_occurrence(s.spec, now).at) for s in items)
        )

    async def schedule_change(self, actor: Actor, action: ChangeSchedule) -> Notice:
        verb = action.verb
        if verb not in CHANGES:
            raise ScheduleError(f"{verb!r} is not pause, resume or remove")
        schedule = await self.schedules.get(actor.workspace, action.schedule_id.strip())
        change = {
            "remove": self.schedules.remove,
            "pause": self.schedules.pause,
            "resume": self.schedules.resume,
        }[verb]
        await change(actor.workspace, schedule.id)
        self.ctx.poke_schedules()
        return Notice(
            rich(
                f"{CHANGES[verb]} schedule ",
                Code(schedule.id),
                ": ",
                *schedule_text(schedule).parts,
                ".",
            ),
            "ok",
        )

    # --- announcements ------------------------------------------------------------------

    async def announce(self, actor: Actor, action: SetAnnounce) -> Notice:
        service = self.ctx.service
        current = await service.settings(actor.platform, actor.workspace)
        if action.on is None:
            return Notice(announce_state(current))
        if action.channel is not None:
            problem = await self.ctx.platform.channel_problem(actor, action.channel)
            if problem is not None:
                return Notice(problem, "warning")
        # "on" without a channel announces where each badge is earned; "off" keeps nothing.
        updated = WorkspaceSettings(action.on, action.channel if action.on else None)
        await service.update_settings(actor.platform, actor.workspace, updated)
        return Notice(announce_state(updated), "ok")


def announce_state(settings: WorkspaceSettings) -> Rich:
    if not settings.announce_badges:
        return rich("🔕 Badge announcements are off.")
    if settings.announce_channel:
        return rich("📣 Badge announcements are on, in ", Channel(settings.announce_channel), ".")
    return rich("📣 Badge announcements are on, in the channel where each badge is earned.")


def _kind(action: Any) -> str:
    return "admin-" + type(action).__name__.lower()


def _payload(envelope: Envelope) -> dict[str, Any]:
    """The whole envelope as data, so a restart can finish a command a crash interrupted."""
    return {
        "type": type(envelope.action).__name__,
        "action": dataclasses.asdict(envelope.action),
        "actor": dataclasses.asdict(envelope.actor),
        "reply": dataclasses.asdict(envelope.reply) if envelope.reply is not None else None,
    }


def envelope_from_payload(payload: dict[str, Any], key: str) -> Envelope | None:
    """The envelope `_payload` stored, or None if this code no longer knows its action."""
    action_type = ADMIN_ACTIONS.get(payload.get("type", ""))
    if action_type is None:
        return None
    reply = MessageRef(**payload["reply"]) if payload.get("reply") else None
    return Envelope(Actor(**payload["actor"]), action_type(**payload["action"]), key, reply)


ADMIN_ACTIONS: dict[str, type] = {
    cls.__name__: cls
    for cls in (PostLive, PostDaily, AddSchedule, ChangeSchedule, SetAnnounce, SetSnippets)
}
