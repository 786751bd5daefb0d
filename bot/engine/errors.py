"""Typed game errors: each one is a rule a player ran into, with a message fit to show them."""

from __future__ import annotations


class GameError(Exception):
    """Base class; `str(error)` is a friendly one-line message for the player."""


class UnknownSession(GameError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"There is no quiz run with id {session_id!r}; start a new one.")
        self.session_id = session_id


class NotYourSession(GameError):
    def __init__(self) -> None:
        super().__init__("This quiz run belongs to someone else; start your own to play.")


class SessionFinished(GameError):
    def __init__(self) -> None:
        super().__init__("This quiz run is already finished; start a new one to play again.")


class QuestionClosed(GameError):
    """The question no longer takes answers: it was answered, ran out of attempts or time."""

    def __init__(self, reason: str = "closed") -> None:
        messages = {
            "expired": "Time's up: this question closed at its deadline.",
            "closed": "This question is already closed.",
            "stale": "That button belongs to an earlier question.",
        }
        super().__init__(messages.get(reason, messages["closed"]))
        self.reason = reason


class NoAttemptsLeft(GameError):
    def __init__(self) -> None:
        super().__init__("You have no attempts left on this question.")


class AlreadyTried(GameError):
    """A letter tried before on this question (a double click): refused, costs no attempt."""

    def __init__(self, letter: str) -> None:
        super().__init__(f"You already tried {letter} on this question; pick another letter.")
        self.letter = letter


class InvalidChoice(GameError):
    def __init__(self, letter: str, allowed: list[str]) -> None:
        super().__init__(f"{letter!r} is not a choice here; pick one of {', '.join(allowed)}.")
        self.letter = letter


class HintsNotAllowed(GameError):
    def __init__(self, mode: str) -> None:
        super().__init__(f"Hints are not available in {mode} mode.")


class NothingToAdvance(GameError):
    def __init__(self) -> None:
        super().__init__("Answer the current question first.")
