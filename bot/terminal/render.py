"""Engine views as plain terminal text."""

from __future__ import annotations

import textwrap

from bot.engine.stats import StatsView
from bot.engine.views import QuestionView, RevealView, SummaryView
from bot.labels import KIND_LABELS, OUTCOME_LABELS, clock_text
from bot.real_output import RealOutput
from problems.model import Badge, Pack

RULE = "─" * 64


def code_block(code: str) -> str:
    return "\n".join(f"    │ {line}" for line in code.rstrip("\n").splitlines())


def question(view: QuestionView, now: float) -> str:
    problem = view.problem
    level = problem.level or problem.difficulty
    header = f"Question {view.number}/{view.total} · {KIND_LABELS[problem.kind]} · {level}"
    lines = [RULE, header]
    if problem.title:
        lines.append(problem.title)
    lines += ["", textwrap.fill(problem.prompt, 72)]
    if problem.code:
        lines += ["", code_block(problem.code)]
    lines.append("")
    lines += [
        textwrap.fill(text, 72, initial_indent=f"  {letter}. ", subsequent_indent="     ")
        for letter, text in problem.choices.items()
    ]
    lines.append("")
    lines.append(status_line(view, now))
    return "\n".join(lines)


def status_line(view: QuestionView, now: float) -> str:
    parts = []
    left = view.seconds_left(now)
    if left is not None:
        parts.append(f"⏱ {clock_text(left)} remaining")
    noun = "attempt" if view.attempts_left == 1 else "attempts"
    parts.append(f"{view.attempts_left} {noun} left")
    if view.tried:
        parts.append("tried " + ", ".join(view.tried))
    keys = "A-D to answer" + (", h for a hint" if view.hints_allowed else "") + ", q to quit"
    parts.append(keys)
    return " · ".join(parts)


def wrong(view: QuestionView) -> str:
    noun = "attempt" if view.attempts_left == 1 else "attempts"
    return f"❌ Not quite. {view.attempts_left} {noun} left."


def hint(text: str) -> str:
    return f"💡 Hint: {text}"


def reveal(view: RevealView, real: RealOutput | None) -> str:
    problem = view.problem
    solution = problem.solution
    lines = [OUTCOME_LABELS.get(view.outcome, view.outcome)]
    if view.outcome == "correct" and view.points:
        lines[0] += f" +{view.points} points" + (" (hint used)" if view.hint_used else "")
    if view.repeat:
        lines[0] += " (no points: you already scored this problem this week)"
    lines.append(f"Answer: {problem.answer}. {problem.answer_text}")
    if real is not None:
        lines += ["", real.heading + ":"]
        lines.append(code_block(real.text) if real.available else f"    ({real.reason})")
    lines += ["", "Solution"]
    lines += [
        f"  {n}. {textwrap.fill(step, 68, subsequent_indent='     ')}"
        for n, step in enumerate(solution.steps, start=1)
    ]
    lines.append(f"  Final answer: {solution.final}")
    if solution.quick_check:
        lines.append(f"  Quick check: {solution.quick_check}")
    if solution.common_mistakes:
        lines.append("  Common mistakes:")
        lines += [f"    • {mistake}" for mistake in solution.common_mistakes]
    return "\n".join(lines)


def summary(view: SummaryView) -> str:
    lines = [RULE, f"{view.mode.capitalize()} finished · {view.pack_title}"]
    if not view.completed:
        lines[-1] = f"{view.mode.capitalize()} ended early · {view.pack_title}"
    lines.append(f"Score: {view.correct}/{view.total} correct")
    if view.scored:
        lines.append(f"Points: {view.points}")
    for badge in view.badges:
        lines.append(f"{badge.emoji} Badge earned: {badge.name} — {badge.description}")
    return "\n".join(lines)


def learn_intro(pack: Pack) -> str:
    return "\n".join([RULE, f"📘 {pack.title}", "", pack.summary.strip(), ""])


def stats(view: StatsView, streak: int | None = None) -> str:
    """A player's record: points, accuracy by kind and by difficulty, streak and badges."""
    lines = [
        RULE,
        f"📊 {view.name}: {view.points} points, "
        f"{view.overall.correct}/{view.overall.answered} correct "
        f"({view.overall.ratio:.0%})",
    ]
    if streak is not None:
        lines.append(f"🔥 Daily streak: {streak} day{'s' if streak != 1 else ''}")
    lines.append("By kind:")
    lines += [
        f"  {KIND_LABELS[kind]:<22} {acc.correct}/{acc.answered}"
        for kind, acc in view.by_kind.items()
    ]
    lines.append("By difficulty:")
    lines += [
        f"  {difficulty:<22} {acc.correct}/{acc.answered}"
        for difficulty, acc in view.by_difficulty.items()
    ]
    lines += learning(view)
    lines.append(badges(view.badges))
    return "\n".join(lines)


def learning(view: StatsView) -> list[str]:
    """Mastery per topic, the weakest topic and spaced review, once there are answers."""
    lines = []
    if view.mastery:
        lines.append("Mastery by topic (predicted share right):")
        lines += [
            f"  {KIND_LABELS.get(m.topic, m.topic):<22} {m.success:.0%}, "
            f"{m.answers} answer{'s' if m.answers != 1 else ''}"
            for m in view.mastery
        ]
    if view.weakest is not None:
        lines.append(
            f"🎯 Weakest topic: {KIND_LABELS.get(view.weakest.topic, view.weakest.topic)} "
            "(lrquiz play --mode review)"
        )
    if view.cards:
        recall = (
            f" · predicted recall {view.predicted_recall:.0%}"
            if view.predicted_recall is not None
            else ""
        )
        lines.append(f"🔁 Reviews due: {view.reviews_due} of {view.cards} cards{recall}")
    return lines


def badges(earned: tuple[tuple[Badge, int], ...]) -> str:
    if not earned:
        return "No badges yet. A perfect challenge earns the first one."
    lines = ["Badges:"]
    for badge, times in earned:
        extra = f" ×{times}" if times > 1 else ""
        lines.append(f"  {badge.emoji} {badge.name}{extra} — {badge.description}")
    return "\n".join(lines)
