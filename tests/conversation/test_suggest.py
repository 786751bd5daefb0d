"""Personal daily suggestions through the conversation: one set per learner per day,
shown and started the same way on every platform, played once, new the next day."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import actions as a
from bot.conversation.core import Conversation
from bot.conversation.screens import Notice, RunScreen, SuggestionScreen
from bot.engine.clock import FakeClock
from bot.service import GameService
from tests.storage.support import play_run, query, scalar

from .support import RecordingReplier, actor, envelope, text

DAY = 86400.0


async def show(conversation: Conversation, who=None, key: str | None = "") -> SuggestionScreen:
    replier = RecordingReplier()
    await conversation.handle(envelope(a.ShowSuggestion(), who, key), replier)
    assert isinstance(replier.last, SuggestionScreen), replier.last
    return replier.last


async def start(conversation: Conversation, action: a.Action | None = None, who=None):
    replier = RecordingReplier()
    await conversation.handle(envelope(action or a.StartSuggested(), who), replier)
    return replier.last


def ids(screen: SuggestionScreen) -> list[str]:
    return [problem.id for problem, _ in screen.items]


async def test_the_day_s_set_is_stored_once_and_shown_the_same_all_day(
    conversation: Conversation, service: GameService, db_path: Path
) -> None:
    first = await show(conversation)
    assert first.status == "new" and len(first.items) == 3
    assert all(problem.id == s.problem_id for problem, s in first.items)
    # ratings move (a whole test run) but today's set does not
    ann = await service.find_player("chat", "W1", "ann")
    assert ann is not None
    run = await service.start(ann, "test", seed=3)
    await play_run(service, run.id, ann, lambda p: "A")
    again = await show(conversation)
    assert ids(again) == ids(first) and again.items == first.items
    assert scalar(db_path, "SELECT COUNT(*) FROM daily_suggestions") == 1
    # someone else gets their own set
    await show(conversation, actor("bob"))
    assert scalar(db_path, "SELECT COUNT(*) FROM daily_suggestions") == 2


async def test_start_plays_exactly_the_shown_set_once_and_resumes_in_between(
    conversation: Conversation, service: GameService
) -> None:
    listed = await show(conversation)
    screen = await start(conversation)
    assert isinstance(screen, RunScreen) and screen.question is not None
    assert "Today's suggestions for you" in screen.note.plain()  # type: ignore[union-attr]
    run = await service.session(screen.session_id)
    assert list(run.problem_ids) == ids(listed) and run.mode == "suggested"
    assert run.current.deadline is None  # untimed, like review  # type: ignore[union-attr]
    assert (await show(conversation)).status == "started"
    resumed = await start(conversation, a.StartRun("suggested"))  # the mode name works too
    assert isinstance(resumed, RunScreen) and resumed.session_id == screen.session_id
    assert "Resuming" in resumed.note.plain()  # type: ignore[union-attr]
    ann = run.player_id
    await play_run(service, run.id, ann, lambda p: p.answer)
    assert (await service.session(run.id)).points == 0  # a study set, not for the board
    done = await start(conversation)
    assert isinstance(done, Notice) and "already did today's suggestions" in text(done)
    assert (await show(conversation)).status == "done"


async def test_the_next_day_brings_a_new_set_without_yesterday_s_problems(
    conversation: Conversation, service: GameService, clock: FakeClock
) -> None:
    today = await show(conversation)
    screen = await start(conversation)
    ann = (await service.session(screen.session_id)).player_id
    await play_run(service, screen.session_id, ann, lambda p: p.answer)
    clock.advance(DAY)
    tomorrow = await show(conversation)
    assert tomorrow.local_date != today.local_date and tomorrow.status == "new"
    assert not set(ids(tomorrow)) & set(ids(today))  # right answers are not due yet


async def test_a_missed_problem_comes_back_first_once_its_review_is_due(
    conversation: Conversation, service: GameService, clock: FakeClock
) -> None:
    await show(conversation)  # creates ann
    ann = await service.find_player("chat", "W1", "ann")
    run = await service.start(ann, "test", seed=5)  # type: ignore[arg-type]
    missed = run.problem_ids[0]
    await play_run(service, run.id, ann, lambda p: "A" if p.id == missed else p.answer)
    clock.advance(1.5 * DAY)  # an Again is due after a day
    shown = await show(conversation)
    problem, why = shown.items[0]
    assert (problem.id, why.reason) == (missed, "review")
    assert all(s.reason != "review" for _, s in shown.items[1:])


async def test_a_start_button_from_yesterday_starts_today_s_set_and_says_so(
    conversation: Conversation, clock: FakeClock
) -> None:
    old = await show(conversation)
    clock.advance(DAY)
    screen = await start(conversation, a.StartSuggested(old.local_date))
    assert isinstance(screen, RunScreen)
    assert "A new day, so new suggestions" in screen.note.plain()  # type: ignore[union-attr]


async def test_a_redelivered_request_shows_the_same_list(
    conversation: Conversation, db_path: Path
) -> None:
    first = await show(conversation, key="cmd-9")
    second = await show(conversation, key="cmd-9")
    assert first == second
    assert query(db_path, "SELECT COUNT(*) FROM platform_actions WHERE key = 'cmd-9'") == [(1,)]
