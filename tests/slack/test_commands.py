"""Every /lrquiz subcommand through Bolt's dispatch, answered ephemerally via response_url."""

from __future__ import annotations

import pytest

from .support import Harness, action_ids, all_text


async def test_help_for_empty_help_and_unknown_text(slack: Harness) -> None:
    for text in ("", "help"):
        reply = await slack.command(text)
        assert reply["response_type"] == "ephemeral"
        assert "/lrquiz challenge" in all_text(reply)
        assert "/lrquiz leaderboard" in all_text(reply)
        assert "I don't know" not in all_text(reply)
    reply = await slack.command("dance please")
    body = all_text(reply)
    assert "I don't know “dance please”" in body
    assert "/lrquiz stats [@user]" in body


async def test_ack_is_immediate_and_empty(slack: Harness) -> None:
    """The HTTP answer to the command is a bare ack; the content comes via response_url."""
    from .support import command_body

    url, key = slack.fake.response_url()
    response = await slack.dispatch(command_body("help", url))
    assert response.status == 200
    assert response.body == ""
    await slack.fake.response(key)


@pytest.mark.parametrize("mode", ["challenge", "test", "practice", "learn"])
async def test_every_mode_starts_an_ephemeral_run(slack: Harness, mode: str) -> None:
    reply = await slack.command(mode)
    assert reply["response_type"] == "ephemeral"
    assert reply["replace_original"] is False
    ids = action_ids(reply)
    assert ids[:4] == [f"lrquiz_answer_{x}" for x in "ABCD"]
    assert ("lrquiz_hint" in ids) == (mode != "test")  # test mode: no hints
    assert ids[-1] == "lrquiz_quit"
    text = all_text(reply)
    total = 10 if mode == "test" else 5
    assert f"Question 1/{total}" in text
    timed = mode in ("challenge", "test")
    assert ("<!date^" in text) == timed
    if timed:
        assert "(2:00 left)" in text
    attempts = 2 if mode == "challenge" else 1
    assert f"{attempts} attempt" in text
    if mode == "learn":
        assert "📘 *Learning rate differential in PyTorch*" in text
    # The run and its response_url are in storage, keyed by the run's id only.
    session = await slack.session_of(reply)
    assert session.mode == mode
    ref = await slack.service.message_ref("slack", "run", session.id)
    assert ref is not None and ref.data["response_url"].startswith(slack.fake.url)
    for element in reply["blocks"][-1]["elements"]:
        assert element["value"].split(":")[0] == session.id  # ids only


async def test_leaderboard_periods_and_own_row(slack: Harness) -> None:
    empty = await slack.command("leaderboard")
    assert "Leaderboard — all time" in all_text(empty)
    assert "No answers yet" in all_text(empty)

    # Two players score; the leaderboard mentions them (mentions follow renames).
    for user, name in (("U1", "ann"), ("U2", "bob")):
        question = await slack.command("challenge", user=user, name=name)
        letter = await slack.right_letter(question)
        await slack.press(question, f"lrquiz_answer_{letter}", user=user, name=name)
    for period, title in (("day", "today"), ("week", "this week"), ("month", "this month")):
        board = all_text(await slack.command(f"leaderboard {period}"))
        assert f"Leaderboard — {title}" in board
        assert "<@U1>" in board and "<@U2>" in board
        assert "pts* · 1/1 correct (100%)" in board

    bad = all_text(await slack.command("leaderboard fortnight"))
    assert "Unknown period 'fortnight'" in bad


async def test_stats_self_other_and_unknown(slack: Harness) -> None:
    mine = all_text(await slack.command("stats"))
    assert "Stats for <@U1>" in mine and "No answers yet" in mine
    assert "By kind" not in mine  # nothing to break down yet

    question = await slack.command("challenge", user="U2", name="bob")
    letter = await slack.right_letter(question)
    await slack.press(question, f"lrquiz_answer_{letter}", user="U2", name="bob")

    theirs = all_text(await slack.command("stats <@U2|bob>"))
    assert "Stats for <@U2>" in theirs
    assert "*Accuracy:* 1/1 correct (100%)" in theirs
    assert "By kind" in theirs and "By difficulty" in theirs

    nobody = all_text(await slack.command("stats <@U9|zed>"))
    assert "<@U9> hasn't played here yet." in nobody
    # Looking someone up does not create them.
    assert await slack.service.find_player("slack", "T1", "U9") is None

    bad = all_text(await slack.command("stats bob"))
    assert "Mention someone" in bad


async def test_badges_before_any(slack: Harness) -> None:
    text = all_text(await slack.command("badges"))
    assert "Your badges" in text and "*Earned:* none yet" in text
    assert "*Still to earn*\n• 🎖️ *Learning Rate Differential Master* — " in text


async def test_own_rank_below_the_top_ten_in_every_period(slack: Harness) -> None:
    """Eleven players right on one question each; the caller got theirs wrong."""
    from storage.users import PlayerRef

    service = slack.service
    for n in range(11):
        player = await service.player_id(PlayerRef("slack", "T1", f"U{100 + n}", f"p{n}"))
        run = await service.start(player, "challenge", seed=7)
        problem = service.pack(run.pack_id).problem(run.problem_ids[0])
        await service.answer(run.id, player, problem.answer)
    me = await service.player_id(PlayerRef("slack", "T1", "U1", "ann"))
    run = await service.start(me, "challenge", seed=7)
    problem = service.pack(run.pack_id).problem(run.problem_ids[0])
    wrong = next(x for x in "ABCD" if x != problem.answer)
    for letter in (wrong, next(x for x in "ABCD" if x not in (wrong, problem.answer))):
        await service.answer(run.id, me, letter)

    boards = {}
    for period, title in (
        ("day", "today"),
        ("week", "this week"),
        ("month", "this month"),
        ("all", "all time"),
    ):
        board = all_text(await slack.command(f"leaderboard {period}"))
        assert f"Leaderboard — {title}" in board
        assert board.count(" pts* · ") == 11  # ten rows and the caller's own line
        assert board.endswith("\n…\n12. <@U1> — *0 pts* · 0/1 correct (0%)")
        boards[period] = board
    # Equal points and accuracy: a deterministic order, the same every time.
    assert all_text(await slack.command("leaderboard")) == boards["all"]
    assert "🥇 <@U100>" in boards["all"] and "\n10. <@U109>" in boards["all"]
    # Someone with no points in the period gets a line saying so.
    stranger = all_text(await slack.command("leaderboard week", user="U9", name="zed"))
    assert stranger.endswith("\n<@U9> has no points in this period yet.")


async def test_stats_show_mastery_and_reviews_after_answers(slack: Harness) -> None:
    question = await slack.command("challenge")
    letter = await slack.right_letter(question)
    await slack.press(question, f"lrquiz_answer_{letter}")
    text = all_text(await slack.command("stats"))
    assert "*Mastery by topic (predicted share right)*" in text
    assert "Weakest topic:" in text and "*🔁 Reviews due:* 0 of 1 card" in text
    assert "`/lrquiz suggest`: 3 problems picked for you today" in text


async def test_review_mode_and_the_dashboard_link(slack: Harness) -> None:
    review = all_text(await slack.command("review"))
    assert "Question 1/" in review
    link = all_text(await slack.command("dashboard"))
    assert "Your lrquiz dashboard" in link and "/slack/T1/?t=" in link
    assert "admin pages" not in link  # U1 is no admin


async def test_suggest_lists_today_s_set_and_its_start_button_plays_it(slack: Harness) -> None:
    listed = await slack.command("suggest")
    assert listed["response_type"] == "ephemeral"
    text = all_text(listed)
    assert "🎯 *Today's suggestions for you*" in text and "predicted)" in text
    assert text.count("📈 at your level") == 3  # a new player: nothing due, no weak topic yet
    assert action_ids(listed) == ["lrquiz_suggest_start"]
    run = await slack.press(listed, "lrquiz_suggest_start")
    assert "Question 1/3" in all_text(run) and "Today's suggestions for you" in all_text(run)
    session = await slack.session_of(run)
    assert session.mode == "suggested"
    assert "▶ Resume" in all_text(await slack.command("suggest"))
    await slack.play(run)
    assert "Done for today" in all_text(await slack.command("suggest"))
    again = await slack.command("suggested")  # the mode's own name starts it too
    assert "already did today's suggestions" in all_text(again)
