"""Edit & run, decided once for every platform: what opens, what may run, what is logged."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.conversation import actions as a
from bot.conversation.core import Conversation
from bot.conversation.screens import (
    EditorScreen,
    Notice,
    Refusal,
    RunScreen,
    SnippetRefused,
    SnippetResultScreen,
    When,
)
from bot.conversation.snippets import STARTER, SnippetLimits
from bot.engine.clock import FakeClock
from bot.service import GameService
from problems.loader import default_pack
from problems.model import Pack
from runner.client import RunnerClient
from storage.snippets import Who, code_hash, finish_run, start_run
from tests.storage.support import Services, connect, query

from .support import PLATFORM, RecordingPlatform, RecordingReplier, actor, envelope, text

# Edit & run's claim and log are SQL of their own: both engines run them.
pytestmark = pytest.mark.both_engines


@pytest.fixture(scope="module")
def shipped() -> Pack:
    return default_pack()


@pytest.fixture
async def service(db_path: Path, services: Services, shipped: Pack) -> GameService:
    """The shipped pack: its predict-output and debug problems carry code."""
    return await services.open(db_path, [shipped])


async def send(conversation: Conversation, action: a.Action, who=None) -> RecordingReplier:
    replier = RecordingReplier()
    await conversation.handle(envelope(action, who), replier)
    return replier


async def submit(conversation: Conversation, code: str, who=None, **where) -> tuple:
    """Submit an editor: what `accept` says (the refusal a modal keeps) and what is shown."""
    accepted = await conversation.accept(envelope(a.RunSnippet(code, **where), who))
    replier = RecordingReplier()
    await accepted.finish(replier)
    return accepted.refused, replier.last


async def seed_runs(service: GameService, who: Who, n: int, at: float, status: str = "ok"):
    """Runs already in the log (as a busy user or workspace would have them)."""

    def add(conn) -> None:
        for _ in range(n):
            finish_run(conn, start_run(conn, who, "free", "print(1)", at), status, 5.0, at)

    await service.db.transact(add)


async def code_reveal(conversation: Conversation) -> RunScreen:
    """A practice run answered up to the reveal of its first question with code (half the
    shipped pack has code, so a run of 5 without any, about 1 in 25, starts another)."""
    for _ in range(20):
        screen = (await send(conversation, a.StartRun("practice"))).last
        assert isinstance(screen, RunScreen)
        for _ in range(5):
            assert screen.question is not None
            problem = screen.question.problem
            if problem.code:
                # Its code is not for running while the question is open.
                opened = await send(
                    conversation, a.EditSnippet(screen.session_id, screen.question.index)
                )
                assert opened.editors == [] and "Answer the question first" in text(opened.last)
            answered = await send(
                conversation, a.Answer(screen.session_id, screen.question.index, problem.answer)
            )
            screen = answered.last
            assert isinstance(screen, RunScreen) and screen.reveal is not None
            if screen.reveal.problem.code:
                return screen
            screen = (await send(conversation, a.Next(screen.session_id))).last
            if not isinstance(screen, RunScreen) or screen.question is None:
                break  # the run ended without code
    raise AssertionError("20 practice runs without a question with code")


async def test_a_reveal_opens_an_editor_with_its_code(conversation: Conversation) -> None:
    reveal = await code_reveal(conversation)
    assert reveal.reveal is not None
    opened = await send(conversation, a.EditSnippet(reveal.session_id, reveal.reveal.index))
    [editor] = opened.editors
    assert editor.code == reveal.reveal.problem.code
    assert (editor.session_id, editor.index) == (reveal.session_id, reveal.reveal.index)
    assert editor.max_chars == 4000 and editor.title.startswith("Edit & run")
    free = await send(conversation, a.OpenSnippetEditor())
    assert free.editors == [EditorScreen("Run a snippet", STARTER, 4000)]


async def test_someone_elses_run_is_not_theirs_to_edit(
    conversation: Conversation, db_path: Path
) -> None:
    reveal = await code_reveal(conversation)
    assert reveal.reveal is not None
    where = {"session_id": reveal.session_id, "index": reveal.reveal.index}
    bob = actor("bob")
    opened = await send(conversation, a.EditSnippet(**where), bob)
    assert opened.editors == [] and "belongs to someone else" in text(opened.last)
    refused, shown = await submit(conversation, "print(1)", bob, **where)
    assert refused is None and isinstance(shown, SnippetResultScreen)
    assert shown.original is None and not shown.from_question  # run as Bob's own snippet
    assert query(db_path, "SELECT user_id, source FROM snippet_runs") == [("bob", "free")]


async def test_without_a_runner_the_run_says_so_is_logged_and_not_counted(
    conversation: Conversation, db_path: Path
) -> None:
    reveal = await code_reveal(conversation)
    assert reveal.reveal is not None
    where = {"session_id": reveal.session_id, "index": reveal.reveal.index}
    code = (reveal.reveal.problem.code or "") + "\nprint('changed')"
    for _ in range(12):  # more than the per-user limit: none of them really ran
        refused, shown = await submit(conversation, code, **where)
        assert refused is None
    assert isinstance(shown, SnippetResultScreen) and shown.from_question
    assert not shown.outcome.available and "no runner is configured" in shown.outcome.reason
    assert shown.original is not None and not shown.original.available
    problem_id = reveal.reveal.problem.id
    rows = query(
        db_path, "SELECT user_id, source, code_sha256, code_chars, status FROM snippet_runs"
    )
    assert set(rows) == {
        ("ann", f"problem:{problem_id}", code_hash(code), len(code), "unavailable")
    }
    assert len(rows) == 12
    conn = connect(db_path)
    try:
        cursor = conn.execute("SELECT * FROM snippet_runs LIMIT 1")
        columns = {column[0] for column in cursor.description}
    finally:
        conn.close()
    assert "code" not in columns and "code_sha256" in columns  # a hash, never the code


async def test_ten_runs_per_ten_minutes_then_the_next_moment_is_named(
    conversation: Conversation, service: GameService, clock: FakeClock
) -> None:
    t0 = clock.now()
    ann = Who(PLATFORM, "W1", "ann")
    await seed_runs(service, ann, 4, t0 - 500)
    await seed_runs(service, ann, 6, t0 - 100)
    refused, shown = await submit(conversation, "print(2)")
    assert isinstance(shown, SnippetRefused) and shown.reopen
    assert refused == shown.reason
    assert "used your 10 runs per 10 minutes" in refused.plain()
    assert When(t0 - 500 + 600) in refused.parts  # when the oldest of the ten leaves the window
    clock.advance(101)
    refused, shown = await submit(conversation, "print(3)")
    assert refused is None and isinstance(shown, SnippetResultScreen)
    # Bob is not Ann: his own quota.
    refused, _ = await submit(conversation, "print(4)", actor("bob"))
    assert refused is None


async def test_one_run_at_a_time_and_a_crashed_claim_expires(
    conversation: Conversation, service: GameService, clock: FakeClock
) -> None:
    ann = Who(PLATFORM, "W1", "ann")
    await service.db.transact(
        lambda conn: start_run(conn, ann, "free", "while 1: pass", clock.now())
    )
    refused, _ = await submit(conversation, "print(1)")
    assert refused is not None and "still running; one run at a time" in refused.plain()
    clock.advance(SnippetLimits().stale_s + 1)  # that process died without finishing it
    refused, _ = await submit(conversation, "print(1)")
    assert refused is None


async def test_a_workspace_shares_one_hundred_runs(
    conversation: Conversation, service: GameService, clock: FakeClock
) -> None:
    t0 = clock.now()
    for n in range(10):
        await seed_runs(service, Who(PLATFORM, "W1", f"user{n}"), 10, t0 - 60 + n)
    refused, _ = await submit(conversation, "print(1)", actor("newcomer"))
    assert refused is not None and "This workspace has used its 100 runs" in refused.plain()
    assert When(t0 - 60 + 600) in refused.parts
    other, _ = await submit(conversation, "print(1)", actor("newcomer", workspace="W2"))
    assert other is None


async def test_too_long_code_is_refused_and_the_draft_is_exactly_the_text(
    conversation: Conversation, db_path: Path
) -> None:
    code = "# " + "é" * 3999 + "\n"  # 4002 characters
    refused, shown = await submit(conversation, code, session_id="nope", index=3)
    assert refused is not None and "4,002 characters" in refused.plain()
    assert isinstance(shown, SnippetRefused) and shown.reopen
    reopened = await send(conversation, a.ReopenDraft())
    [editor] = reopened.editors
    assert (editor.code, editor.session_id, editor.index) == (code, "nope", 3)
    bobs = await send(conversation, a.ReopenDraft(), actor("bob"))
    assert bobs.editors[0].code == STARTER  # never someone else's text
    empty, _ = await submit(conversation, "  \n\t")
    assert empty is not None and "no code to run" in empty.plain()
    assert query(db_path, "SELECT count(*) FROM snippet_runs") == [(0,)]


async def test_an_admin_switches_edit_and_run_off_and_on(
    conversation: Conversation, platform: RecordingPlatform
) -> None:
    denied = await send(conversation, a.SetSnippets(False))
    assert denied.last == Refusal("not-admin")
    platform.admins.add("boss")
    boss = actor("boss")
    off = await send(conversation, a.SetSnippets(False), boss)
    assert "off in this workspace" in text(off.last)
    opened = await send(conversation, a.OpenSnippetEditor())
    assert opened.editors == [] and "switched off" in text(opened.last)
    refused, shown = await submit(conversation, "print(1)")
    assert refused is not None and isinstance(shown, SnippetRefused) and not shown.reopen
    elsewhere = await send(conversation, a.OpenSnippetEditor(), actor(workspace="W2"))
    assert len(elsewhere.editors) == 1  # another workspace is not affected
    state = await send(conversation, a.SetSnippets(None), boss)
    assert "off" in text(state.last)
    on = await send(conversation, a.SetSnippets(True), boss)
    assert isinstance(on.last, Notice) and "10 runs per 10 minutes" in text(on.last)
    assert len((await send(conversation, a.OpenSnippetEditor())).editors) == 1


async def test_a_runner_that_is_down_is_said_plainly(
    service: GameService, platform: RecordingPlatform, db_path: Path
) -> None:
    """A real client against a port nobody listens on: the learner hears it is down, the
    run is logged as unavailable, and no host or port reaches them."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with RunnerClient(f"http://127.0.0.1:{port}") as down:
        talk = Conversation(service, platform, down)
        try:
            refused, shown = await submit(talk, "print(1)")
        finally:
            await talk.stop()
    assert refused is None and isinstance(shown, SnippetResultScreen)
    assert shown.outcome.reason == "the runner is not reachable right now"
    assert str(port) not in repr(shown)
    assert query(db_path, "SELECT status FROM snippet_runs") == [("unavailable",)]
