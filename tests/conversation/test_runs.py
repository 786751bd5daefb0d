"""What a start or a click on a run does, decided once for every platform."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import actions as a
from bot.conversation.core import Conversation
from bot.conversation.screens import Notice, RunScreen
from bot.engine.clock import FakeClock
from bot.service import GameService
from tests.storage.support import scalar

from .support import RecordingReplier, actor, envelope, text


async def start(conversation: Conversation, who=None) -> RunScreen:
    replier = RecordingReplier()
    await conversation.handle(envelope(a.StartRun("challenge"), who), replier)
    screen = replier.last
    assert isinstance(screen, RunScreen) and screen.question is not None
    assert replier.shown[-1].replace is False  # a new private message
    return screen


async def click(conversation: Conversation, action: a.Action, who=None, key: str | None = ""):
    replier = RecordingReplier()
    await conversation.handle(envelope(action, who, key), replier)
    return replier


def wrong_letters(screen: RunScreen) -> list[str]:
    problem = screen.question.problem  # type: ignore[union-attr]
    return [letter for letter in problem.choices if letter != problem.answer]


async def test_a_wrong_answer_keeps_the_question_with_a_note(conversation: Conversation) -> None:
    question = await start(conversation)
    wrong = wrong_letters(question)[0]
    replier = await click(conversation, a.Answer(question.session_id, 0, wrong))
    shown = replier.last
    assert isinstance(shown, RunScreen) and shown.question is not None
    assert replier.shown[-1].replace is True  # the clicked message is replaced
    assert shown.note is not None and f"{wrong} is not it. 1 attempt left." in shown.note.plain()
    assert shown.question.tried == (wrong,)


async def test_the_same_wrong_letter_twice_costs_no_attempt(
    conversation: Conversation, service: GameService
) -> None:
    question = await start(conversation)
    wrong = wrong_letters(question)[0]
    await click(conversation, a.Answer(question.session_id, 0, wrong))
    again = (await click(conversation, a.Answer(question.session_id, 0, wrong))).last
    assert isinstance(again, RunScreen) and again.question is not None
    assert f"already tried {wrong}" in again.note.plain()  # type: ignore[union-attr]
    run = await service.session(question.session_id)
    assert run.current.attempts == (wrong,) and run.current.is_open  # type: ignore[union-attr]


async def test_a_redelivered_click_changes_nothing_and_shows_the_same(
    conversation: Conversation, service: GameService, db_path: Path
) -> None:
    question = await start(conversation)
    wrong = wrong_letters(question)[0]
    first = await click(conversation, a.Answer(question.session_id, 0, wrong), key="click-1")
    second = await click(conversation, a.Answer(question.session_id, 0, wrong), key="click-1")
    assert first.last == second.last  # the same outcome, note included
    assert scalar(db_path, "SELECT COUNT(*) FROM attempts") == 1
    run = await service.session(question.session_id)
    assert run.current.attempts == (wrong,)  # type: ignore[union-attr]


async def test_a_redelivered_start_starts_one_run(
    conversation: Conversation, db_path: Path
) -> None:
    for _ in range(2):
        await conversation.handle(envelope(a.StartRun("test"), key="cmd-1"), RecordingReplier())
    assert scalar(db_path, "SELECT COUNT(*) FROM sessions") == 1


async def test_someone_elses_run_is_refused_privately(
    conversation: Conversation, service: GameService
) -> None:
    question = await start(conversation)
    replier = await click(conversation, a.Hint(question.session_id, 0), actor("bob"))
    notice = replier.last
    assert isinstance(notice, Notice) and "belongs to someone else" in text(notice)
    assert replier.shown[-1].replace is False  # ann's message is left alone
    run = await service.session(question.session_id)
    assert not run.current.hint_used  # type: ignore[union-attr]


async def test_a_click_after_the_deadline_reveals_the_answer(
    conversation: Conversation, clock: FakeClock
) -> None:
    question = await start(conversation)
    clock.advance(121)
    shown = (await click(conversation, a.Answer(question.session_id, 0, "A"))).last
    assert isinstance(shown, RunScreen) and shown.reveal is not None
    assert shown.reveal.outcome == "expired"
    assert "Time's up" in shown.note.plain()  # type: ignore[union-attr]


async def test_an_unknown_run_is_refused_privately(conversation: Conversation) -> None:
    notice = (await click(conversation, a.Next("nope"))).last
    assert isinstance(notice, Notice) and "no quiz run" in text(notice)


async def test_writes_refused_by_the_database_are_explained(
    conversation: Conversation, service: GameService
) -> None:
    question = await start(conversation)
    await service.db.run(lambda conn: conn.execute("PRAGMA query_only = ON"))
    notice = (await click(conversation, a.Answer(question.session_id, 0, "A"))).last
    assert isinstance(notice, Notice) and notice.tone == "error"
    assert "couldn't save that" in text(notice) and "read-only" in text(notice)
    # Reads go on: the leaderboard, stats and badges need no write.
    for read in (a.ShowLeaderboard(), a.ShowStats(), a.ShowBadges(), a.ShowHelp()):
        shown = (await click(conversation, read)).last
        assert not isinstance(shown, Notice), shown


async def test_expire_closes_only_a_question_whose_time_is_up(
    conversation: Conversation, clock: FakeClock
) -> None:
    """A front end that times questions itself (the terminal) sends Expire at its deadline."""
    question = await start(conversation)
    early = (await click(conversation, a.Expire(question.session_id))).last
    assert isinstance(early, RunScreen) and early.question is not None  # still open
    clock.advance(121)
    late = (await click(conversation, a.Expire(question.session_id))).last
    assert isinstance(late, RunScreen) and late.reveal is not None
    assert late.reveal.outcome == "expired"
