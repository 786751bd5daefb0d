"""Live questions: an admin posts, everyone answers with ephemeral feedback, the deadline
edits the public message with the answer, the tally and who was right first."""

from __future__ import annotations

from bot.discord.render import DENIED
from problems.model import Problem
from runner.client import RunnerClient

from .fake_api import FakeDiscord
from .support import (
    ADMIN,
    ANN,
    BOB,
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    Harness,
    User,
    wrong_letters,
)


def problem_of_kind(h: Harness, kind: str) -> Problem:
    return next(p for p in h.service.pack().problems if p.kind == kind)


async def post(h: Harness, problem: Problem, user: User = ADMIN, channel: int | None = None):
    options = [{"type": 3, "name": "problem", "value": problem.id}]
    resolved = None
    if channel is not None:
        options.append({"type": 7, "name": "channel", "value": str(channel)})
        resolved = {
            "channels": {
                str(channel): {
                    "id": str(channel),
                    "type": 0,
                    "name": "announcements",
                    "permissions": "0",
                    "guild_id": str(GUILD_ID),
                }
            }
        }
    return await h.slash(user, "post", group="lrquiz-admin", options=options, resolved=resolved)


async def test_live_question_lifecycle(h: Harness, api: FakeDiscord) -> None:
    problem = problem_of_kind(h, "conceptual")
    sent = await post(h, problem)
    assert h.bot.conversation.watcher._wake.is_set()  # the watcher re-plans for the new deadline
    assert h.note(sent).startswith(f"📣 Posted live question `{problem.id}` in <#{CHANNEL_ID}>")
    [posted] = api.channel_posts(CHANNEL_ID)
    assert not posted.body.get("flags", 0) & EPHEMERAL
    message = api.channel_messages(CHANNEL_ID)[-1]  # the public post, not the admin's note
    labels = [c["label"] for row in message.components for c in row["components"]]
    assert labels == [*problem.choices, "Hint"]
    assert f"<t:{int(h.clock.now()) + problem.time_limit_s}:R>" in message.text
    assert f"<@{ADMIN.id}>" in message.content

    hint = await h.click(ANN, message, "Hint")
    assert problem.hint in h.note(hint)
    right = await h.click(ANN, message, problem.answer)
    assert h.note(right).startswith(f"🔒 You locked in **{problem.answer}**")
    again = await h.click(ANN, message, wrong_letters(problem)[0])
    assert "You already locked in" in h.note(again)
    h.clock.advance(5)
    await h.click(BOB, message, wrong_letters(problem)[0])
    h.clock.advance(5)
    await h.click(ADMIN, message, problem.answer)
    assert api.edits_of(message.id) == []  # nobody learns the answer before the deadline

    assert await h.bot.conversation.watcher.sweep() == 0
    h.clock.advance(problem.time_limit_s)
    assert await h.bot.conversation.watcher.sweep() == 1
    [edit] = api.edits_of(message.id)
    assert edit.path == f"/channels/{CHANNEL_ID}/messages/{message.id}"
    text = message.text
    assert "Live question closed" in text
    assert f"Answer: {problem.answer}." in text
    assert f"`{problem.answer}` ████████ 2 ✅" in text
    assert f"<@{ANN.id}> was first · 2/3 right" in text
    assert message.components == []

    late = await h.click_id(
        BOB, message, posted.body["components"][0]["components"][0]["custom_id"]
    )
    assert h.note(late) == "This question is already closed."


async def test_a_live_question_that_nobody_answers(h: Harness, api: FakeDiscord) -> None:
    problem = problem_of_kind(h, "conceptual")
    await post(h, problem)
    message = api.channel_messages(CHANNEL_ID)[-1]
    h.clock.advance(problem.time_limit_s + 1)
    await h.bot.conversation.watcher.sweep()
    assert "Nobody answered." in message.text


async def test_post_to_another_channel_and_show_real_output_at_the_close(
    api: FakeDiscord, db_path, clock, runner: RunnerClient
) -> None:
    h = await Harness.start(api, db_path, clock, runner)
    try:
        problem = problem_of_kind(h, "predict-output")
        sent = await post(h, problem, channel=OTHER_CHANNEL_ID)
        assert f"<#{OTHER_CHANNEL_ID}>" in h.note(sent)
        assert len(api.channel_posts(OTHER_CHANNEL_ID)) == 1
        message = api.channel_messages(OTHER_CHANNEL_ID)[-1]
        assert f"```py\n{(problem.code or '').strip()}" in message.text
        h.clock.advance(problem.time_limit_s)
        await h.bot.conversation.watcher.sweep()
        assert "Real output (PyTorch 2.13.0)" in message.text
    finally:
        await h.close()


async def test_a_channel_the_bot_cannot_post_in_is_explained(h: Harness, api: FakeDiscord) -> None:
    api.deny_channels.add(OTHER_CHANNEL_ID)
    sent = await post(h, problem_of_kind(h, "conceptual"), channel=OTHER_CHANNEL_ID)
    assert h.note(sent).startswith(f"⚠️ I couldn't post in <#{OTHER_CHANNEL_ID}>")


async def test_an_unknown_problem_id_is_a_friendly_error(h: Harness) -> None:
    options = [{"type": 3, "name": "problem", "value": "no-such-problem"}]
    sent = await h.slash(ADMIN, "post", group="lrquiz-admin", options=options)
    assert "has no problem 'no-such-problem'" in h.note(sent)


async def test_a_member_without_manage_server_is_denied(h: Harness, api: FakeDiscord) -> None:
    sent = await post(h, problem_of_kind(h, "conceptual"), user=BOB)
    assert h.note(sent) == DENIED
    assert h.callback(sent).data["flags"] & EPHEMERAL
    assert api.channel_posts(CHANNEL_ID) == []
