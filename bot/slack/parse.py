"""Slack payloads → typed actions. Every shape check of what Slack sends lives here.

A slash command's text is parsed into an action (admin arguments included); a click's
action id and value into another. `MalformedRequest` names what is missing, so HTTP mode
answers 400 instead of failing inside a handler. The delivery id is the trigger_id: Slack
makes a new one for every command and click, and repeats it only on a redelivery.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import parse_qs

from bot.conversation import actions as a
from bot.conversation.screens import EditorScreen
from bot.engine.modes import MODES
from bot.engine.schedule import FORMATS, ScheduleError
from storage.refs import MessageRef

from . import ids

PLATFORM = "slack"
MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
# With should_escape on, Slack sends a picked channel as <#C123|name> (<#C123> or <#C123|>
# for some private channels); a bare id is accepted too.
CHANNEL_RE = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]{6,}$")
HERE = ("here", "this")
ACTION_RE = re.compile(r"^lrquiz_")  # every button of ours; the rest is parsed in `click`
SCHEDULE_ADD_USAGE = (
    "`/lrquiz admin schedule add <HH:MM> <time-zone> <#channel> [weekdays] [pack] [card|live]`"
)
POST_USAGE = (
    "Post a live question now with `/lrquiz admin post [problem-id] now`, today's daily "
    "challenge with `/lrquiz admin post daily [#channel] [time-zone]`, or post later with "
    "`/lrquiz admin schedule add …` (see `/lrquiz admin`)."
)
CHANGE_VERBS = {
    "remove": "remove",
    "rm": "remove",
    "delete": "remove",
    "pause": "pause",
    "resume": "resume",
}


class MalformedRequest(ValueError):
    """What Slack sent is not a command or click of ours; the message names what is off."""


def _text(data: dict[str, Any], *path: str) -> str:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        raise MalformedRequest(f"{'.'.join(path)} is missing")
    return value


def form_body(body: str) -> dict[str, Any]:
    """The fields of a form-encoded request; a click's JSON `payload` decoded (HTTP mode)."""
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    if "payload" in fields:
        try:
            payload = json.loads(fields["payload"])
        except ValueError:
            raise MalformedRequest("payload is not JSON") from None
        if not isinstance(payload, dict):
            raise MalformedRequest("payload is not a JSON object")
        return payload
    return fields


# --- slash commands -------------------------------------------------------------------


def command(body: dict[str, Any], pack_ids: Collection[str] = ()) -> a.Envelope:
    """`/lrquiz …` as an envelope; MalformedRequest when a required field is absent.
    `pack_ids` tells a pack apart from weekdays or a time zone in admin arguments."""
    actor = a.Actor(
        PLATFORM,
        _text(body, "team_id"),
        _text(body, "user_id"),
        body.get("user_name") or body["user_id"],
        str(body.get("channel_id") or ""),
    )
    words = str(body.get("text") or "").split()
    data = {"response_url": str(body.get("response_url") or "")}
    if body.get("trigger_id"):  # opens a modal (views.open) for 3 seconds
        data["trigger_id"] = str(body["trigger_id"])
    reply = MessageRef(actor.channel, "", data)
    key = f"cmd:{body['trigger_id']}" if body.get("trigger_id") else None
    return a.Envelope(actor, command_action(words, actor.channel, pack_ids), key, reply)


def command_action(words: list[str], here: str, pack_ids: Collection[str] = ()) -> a.Action:
    sub = words[0].lower() if words else "help"
    args = words[1:]
    if sub in ("suggest", "suggestions"):
        return a.ShowSuggestion()
    if sub in MODES:
        return a.StartRun(sub)
    if sub in ("leaderboard", "lb", "top"):
        return a.ShowLeaderboard(args[0].lower() if args else "all")
    if sub == "stats":
        if not args:
            return a.ShowStats()
        match = MENTION_RE.match(args[0])
        if match is None:
            return a.BadInput("Mention someone, like `/lrquiz stats @name`.")
        return a.ShowStats(match.group(1), match.group(2) or "")
    if sub == "badges":
        return a.ShowBadges()
    if sub in ("dashboard", "web"):
        return a.ShowDashboard()
    if sub == "run":
        return a.OpenSnippetEditor()
    if sub == "admin":
        try:
            return admin_action(args, here, pack_ids)
        except ScheduleError as error:
            return a.BadInput(f"⚠️ {error}")
    return a.ShowHelp(None if sub in ("help", "?") else " ".join(words))


def parse_channel(text: str, here: str) -> str:
    """A channel id from what an admin typed; ScheduleError names anything else."""
    if text.lower() in HERE and here:
        return here
    match = CHANNEL_RE.match(text)
    if match is not None:
        return match.group(1)
    if CHANNEL_ID_RE.match(text):
        return text
    raise ScheduleError(
        f"channel {text!r} is not a channel I can read; pick it from Slack's #-autocomplete "
        "so it arrives as a link, or write `here` for this channel"
    )


def looks_like_channel(text: str) -> bool:
    return text.startswith(("<#", "#")) or text.lower() in HERE or bool(CHANNEL_ID_RE.match(text))


def admin_action(args: list[str], here: str, pack_ids: Collection[str]) -> a.Action:
    sub = args[0].lower() if args else ""
    rest = args[1:]
    if sub == "post":
        if rest and rest[0].lower() == "daily":
            return post_daily(rest[1:], here, pack_ids)
        if not rest or rest[-1].lower() != "now" or len(rest) > 2:
            return a.BadInput(POST_USAGE)
        return a.PostLive(None, rest[0] if len(rest) == 2 else None)
    if sub == "schedule":
        return schedule_action(rest, here, pack_ids)
    if sub == "snippets":
        if not rest:
            return a.SetSnippets(None)
        if rest[0].lower() not in ("on", "off") or len(rest) > 1:
            return a.BadInput("Use `/lrquiz admin snippets on` or `snippets off`.")
        return a.SetSnippets(rest[0].lower() == "on")
    if sub == "announce":
        if not rest:
            return a.SetAnnounce(None)
        choice = rest[0].lower()
        if choice not in ("on", "off") or len(rest) > 2:
            return a.BadInput("Use `/lrquiz admin announce on [#channel]` or `announce off`.")
        channel = parse_channel(rest[1], here) if len(rest) == 2 else None
        return a.SetAnnounce(choice == "on", channel)
    return a.ShowHelp(None if sub in ("", "help") else f"admin {' '.join(args)}", admin=True)


def post_daily(args: list[str], here: str, pack_ids: Collection[str]) -> a.Action:
    """`post daily [#channel] [time-zone] [pack]`, in any order the words make clear."""
    channel, zone, pack = None, None, None
    for token in args:
        if looks_like_channel(token) and channel is None:
            channel = parse_channel(token, here)
        elif token in pack_ids and pack is None:
            pack = token
        elif zone is None:
            zone = token  # checked (and named if wrong) when the card is posted
        else:
            raise ScheduleError(
                f"{token!r} is one value too many; use "
                "`/lrquiz admin post daily [#channel] [time-zone] [pack]`"
            )
    return a.PostDaily(channel, zone, pack)


def schedule_action(args: list[str], here: str, pack_ids: Collection[str]) -> a.Action:
    verb = args[0].lower() if args else "list"
    if verb == "add":
        return schedule_add(args[1:], here, pack_ids)
    if verb in ("list", "ls"):
        return a.ListSchedules()
    if verb not in CHANGE_VERBS:
        return a.BadInput(
            f"I don't know “schedule {verb}”; use schedule add, list, pause ID, "
            "resume ID or remove ID."
        )
    if len(args) != 2:
        return a.BadInput(
            f"Name one schedule: `/lrquiz admin schedule {verb} ID` "
            "(the ids are in `/lrquiz admin schedule list`)."
        )
    return a.ChangeSchedule(CHANGE_VERBS[verb], args[1])


def schedule_add(args: list[str], here: str, pack_ids: Collection[str]) -> a.AddSchedule:
    needed = ("time of day (HH:MM)", "time zone", "channel")
    if len(args) < len(needed):
        raise ScheduleError(f"{needed[len(args)]} is missing; use {SCHEDULE_ADD_USAGE}")
    time_of_day, timezone, channel_text, *extra = args
    channel = parse_channel(channel_text, here)
    fmt, pack_id, rest = "card", None, []
    for token in extra:
        if token.lower() in FORMATS:
            fmt = token.lower()
        elif token in pack_ids and pack_id is None:
            pack_id = token
        else:
            rest.append(token)
    # What is left is positional: weekdays, then the pack (both validated when stored).
    room = 1 if pack_id is not None else 2
    if len(rest) > room:
        raise ScheduleError(
            f"{' '.join(rest[room:])!r} is more than I understand; use {SCHEDULE_ADD_USAGE}"
        )
    weekdays = rest[0] if rest else "daily"
    if len(rest) == 2:
        pack_id = rest[1]
    return a.AddSchedule(time_of_day, timezone, channel, weekdays, pack_id, fmt)


# --- button clicks --------------------------------------------------------------------


def click(body: dict[str, Any]) -> a.Envelope | None:
    """A block_actions click as an envelope; None for a button that is not ours."""
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise MalformedRequest("user.id is missing")
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise MalformedRequest("actions is missing")
    action = actions[0]
    action_id = action.get("action_id")
    if not isinstance(action_id, str):
        raise MalformedRequest("actions[0].action_id is missing")
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    actor = a.Actor(
        PLATFORM,
        str(team),
        user["id"],
        user.get("username") or user.get("name") or user["id"],
        str(channel),
    )
    parsed = click_action(action_id, str(action.get("value") or ""))
    if parsed is None:
        return None
    url = str(body.get("response_url") or "")
    data: dict[str, Any] = {"response_url": url}
    if container.get("is_ephemeral") is False or action_id in ids.CARD_BUTTONS:
        data["replace"] = False  # a public message (a card): never replace it
    if body.get("trigger_id"):
        data["trigger_id"] = str(body["trigger_id"])
    trigger = body.get("trigger_id") or action.get("action_ts")
    key = f"act:{user['id']}:{action_id}:{trigger}" if trigger else None
    return a.Envelope(actor, parsed, key, MessageRef(actor.channel, "", data))


def click_action(action_id: str, value: str) -> a.Action | None:
    answer = ids.ANSWER_RE.match(action_id)
    if answer is not None:
        session_id, index = ids.parse_question_value(value)
        return a.Answer(session_id, index, answer.group(1))
    if action_id == ids.HINT:
        session_id, index = ids.parse_question_value(value)
        return a.Hint(session_id, index)
    if action_id == ids.EDIT:
        session_id, index = ids.parse_question_value(value)
        return a.EditSnippet(session_id, index) if session_id and index is not None else None
    if action_id == ids.REOPEN:
        return a.ReopenDraft()
    live = ids.LIVE_ANSWER_RE.match(action_id)
    simple: dict[str, Any] = {
        ids.NEXT: a.Next,
        ids.QUIT: a.Quit,
        ids.LIVE_HINT: a.LiveHint,
        ids.DAILY_START: a.StartDaily,
        ids.DAILY_BOARD: a.DailyLeaderboard,
        ids.SUGGEST_START: a.StartSuggested,
        ids.LIVE_EDIT: a.EditLiveSnippet,
    }
    if live is not None:
        return a.LiveAnswer(value, live.group(1))
    if action_id in simple and value:
        return simple[action_id](value)
    return None


# --- the Edit & run modal -------------------------------------------------------------


def submission(body: dict[str, Any]) -> a.Envelope:
    """A submitted Edit & run modal (view_submission) as a RunSnippet envelope."""
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        raise MalformedRequest("user.id is missing")
    view = body.get("view")
    if not isinstance(view, dict):
        raise MalformedRequest("view is missing")
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(ids.CODE_BLOCK) or {}).get(ids.CODE_INPUT) or {}
    code = field.get("value")
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        raise MalformedRequest("view.private_metadata is not JSON") from None
    if not isinstance(meta, dict):
        raise MalformedRequest("view.private_metadata is not a JSON object")
    session_id, index = meta.get("s"), meta.get("i")
    if not isinstance(session_id, str) or not isinstance(index, int):
        session_id, index = None, None
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    actor = a.Actor(
        PLATFORM,
        str(team),
        user["id"],
        user.get("username") or user.get("name") or user["id"],
        str(meta.get("c") or ""),
    )
    action = a.RunSnippet(code if isinstance(code, str) else "", session_id, index)
    return a.Envelope(actor, action, None, MessageRef(actor.channel, "", {}))


def editor_of(body: dict[str, Any], envelope: a.Envelope, max_chars: int) -> EditorScreen:
    """The editor a submission came from, holding what was submitted (to show it again)."""
    action = envelope.action
    assert isinstance(action, a.RunSnippet)
    title = ((body.get("view") or {}).get("title") or {}).get("text") or "Run a snippet"
    return EditorScreen(str(title), action.code, max_chars, action.session_id, action.index)
