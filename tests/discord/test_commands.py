"""The /lrquiz records commands, and handler failures that must never reach the player raw."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.conversation import core
from bot.discord import deliver
from bot.discord.render import NO_GUILD

from .support import ANN, BOB, EPHEMERAL, GUILD_ID, Harness


def _embed(h: Harness, sent) -> dict:
    callback = h.callback(sent)
    assert callback.body["type"] == 4
    return callback.data["embeds"][0]


async def _play_one_right(h: Harness, user) -> None:
    _, message = await h.start_run(user, "challenge")
    problem = await h.current_problem(message)
    await h.click(user, message, problem.answer)


async def test_help_lists_every_command(h: Harness) -> None:
    sent = await h.slash(ANN, "help")
    assert h.callback(sent).data["flags"] & EPHEMERAL
    text = _embed(h, sent)["description"]
    commands = ("challenge", "test", "practice", "learn", "review", "leaderboard", "stats")
    for command in (*commands, "badges"):
        assert f"/lrquiz {command}" in text


async def test_leaderboard_is_public_ranks_this_server_and_takes_a_period(h: Harness) -> None:
    empty = await h.slash(ANN, "leaderboard")
    assert "No answers yet" in _embed(h, empty)["description"]
    await _play_one_right(h, ANN)
    sent = await h.slash(
        BOB, "leaderboard", options=[{"type": 3, "name": "period", "value": "week"}]
    )
    embed = _embed(h, sent)
    assert not h.callback(sent).data.get("flags", 0) & EPHEMERAL
    assert embed["title"] == "🏆 Leaderboard — this week"
    board = await h.service.leaderboard("discord", str(GUILD_ID))
    assert [row.name for row in board.rows] == ["Ann"]
    assert embed["description"].splitlines() == [
        f"🥇 <@{ANN.id}> — **{board.rows[0].points} pts** · 1/1 correct (100%)",  # not pinged
        f"<@{BOB.id}> has no points in this period yet.",
    ]


async def test_stats_for_yourself_and_for_another_member(h: Harness) -> None:
    await _play_one_right(h, ANN)
    [ann] = (await h.service.leaderboard("discord", str(GUILD_ID))).rows
    mine = _embed(h, await h.slash(ANN, "stats"))
    assert mine["title"] == "📊 Stats for Ann"
    sections = mine["description"].split("\n\n")
    assert [s.splitlines()[0] for s in sections] == [
        f"**Points:** {ann.points}",
        "**By kind**",
        "**By difficulty**",
        "**Mastery by topic (predicted share right)**",
        "**Badges:** none yet",
    ]
    assert "**Accuracy:** 1/1 correct (100%)" in sections[0]
    assert ": 1/1 correct (100%)" in sections[1] and ": 1/1 correct (100%)" in sections[2]
    assert "👉 Weakest topic: **" in sections[3] and "`/lrquiz suggest`" in sections[3]
    assert "**🔁 Reviews due:** 0 of 1 card · predicted recall 100%" in sections[3]  # just seen

    user = ANN.member()["user"]
    resolved = {"users": {user["id"]: user}, "members": {user["id"]: ANN.member()}}
    option = [{"type": 6, "name": "member", "value": user["id"]}]
    theirs = _embed(h, await h.slash(BOB, "stats", options=option, resolved=resolved))
    assert theirs["title"] == "📊 Stats for Ann"

    bob = BOB.member()["user"]
    resolved = {"users": {bob["id"]: bob}, "members": {bob["id"]: BOB.member()}}
    nobody = await h.slash(
        ANN, "stats", options=[{"type": 6, "name": "member", "value": bob["id"]}], resolved=resolved
    )
    assert h.note(nobody) == f"<@{BOB.id}> hasn't played here yet."  # a mention, not a ping


async def test_dashboard_is_a_private_signed_link_for_this_server(h: Harness) -> None:
    sent = await h.slash(ANN, "dashboard")
    assert h.callback(sent).data["flags"] & EPHEMERAL
    assert f"/discord/{GUILD_ID}/?t=" in h.note(sent)


async def test_badges_shows_earned_and_still_to_earn(h: Harness) -> None:
    embed = _embed(h, await h.slash(ANN, "badges"))
    assert embed["title"] == "🎖️ Your badges"
    streak, earned, todo = embed["description"].split("\n\n")
    assert streak.startswith("**Daily streak:** none yet") and earned == "**Earned:** none yet"
    assert todo.startswith("**Still to earn**\n")
    assert "• 🎖️ **Learning Rate Differential Master** — " in todo


async def test_a_handler_bug_becomes_a_friendly_message_and_a_logged_traceback(
    h: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(h.service, "find_player", broken)
    with caplog.at_level(logging.ERROR):
        sent = await h.slash(ANN, "stats")
    assert h.note(sent) == core.TROUBLE
    record = next(r for r in caplog.records if r.name == "bot.conversation.core")
    assert record.exc_info and "database on fire" in str(record.exc_info[1])


async def test_a_slow_database_is_deferred_within_the_three_seconds(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliver, "ACK_BUDGET_S", 0.05)
    real = h.service.leaderboard

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.3)
        return await real(*args, **kwargs)

    monkeypatch.setattr(h.service, "leaderboard", slow)
    sent = await h.slash(ANN, "leaderboard")
    assert h.callback(sent).body["type"] == 5  # "thinking…", in time
    edit = [c for c in h.api.for_token(sent.token) if c.method == "PATCH"]
    assert len(edit) == 1 and "Leaderboard" in edit[0].body["embeds"][0]["title"]


async def test_a_button_no_handler_knows_is_answered_at_once(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    started = time.monotonic()
    sent = await h.click_id(ANN, message, "something-from-an-old-version")
    assert time.monotonic() - started < 1.0  # not a fallback near Discord's 3 s limit
    assert h.callback(sent).body["type"] == 4  # answered directly, not deferred
    assert h.note(sent) == core.GONE


async def test_direct_messages_play_in_their_own_workspace(h: Harness) -> None:
    sent = await h.slash(ANN, "challenge", dm=True)
    message = h.original(sent)
    assert "Question 1/5" in message.text
    problem = await h.current_problem(message)
    guild_click = await h.click(ANN, message, problem.answer)  # another workspace: refused
    assert "belongs to someone else" in h.note(guild_click)
    await h.click(ANN, message, problem.answer, dm=True)
    assert "✅ Correct!" in message.text
    board = await h.service.leaderboard("discord", "dm")
    assert [row.name for row in board.rows] == ["Ann"]
    assert (await h.service.leaderboard("discord", str(GUILD_ID))).rows == []
    denied = await h.slash(ANN, "post", group="lrquiz-admin", dm=True)
    assert h.note(denied) == NO_GUILD


async def test_suggest_shows_today_s_set_privately_and_start_plays_it(h: Harness) -> None:
    sent = await h.slash(ANN, "suggest")
    assert h.callback(sent).data["flags"] & EPHEMERAL
    listed = h.original(sent)
    embed = _embed(h, sent)
    assert embed["title"].startswith("🎯 Today's suggestions · 2026-05-28")
    assert embed["description"].count("predicted)") == 3
    assert [b["label"] for row in listed.components for b in row["components"]] == ["Start"]
    run_sent = await h.click(ANN, listed, "Start")
    run = h.original(run_sent)
    assert "Question 1/3" in run.text and "Today's suggestions for you" in run.text
    await h.play(ANN, run)
    assert "✅ Done for today" in str(_embed(h, await h.slash(ANN, "suggest")))
    assert "/lrquiz suggest" in _embed(h, await h.slash(ANN, "help"))["description"]
