"""Names and emoji every front end uses for kinds, outcomes and periods."""

from __future__ import annotations

KIND_LABELS = {
    "conceptual": "🧠 Conceptual",
    "predict-output": "🖨️ Predict Output",
    "hyperparameter": "🎛️ Hyperparameter",
    "metrics": "📈 Metrics",
    "debug": "🔧 Debug",
}
OUTCOME_LABELS = {
    "correct": "✅ Correct!",
    "wrong": "❌ Not this time.",
    "expired": "⏰ Time's up!",
    "skipped": "⏭️ Skipped.",
}
# Why a daily suggestion was chosen (bot/engine/suggest.py), e.g. "🔁 due for review".
SUGGESTION_REASONS = {
    "review": "🔁 due for review",
    "weakest": "🎯 your weakest topic",
    "level": "📈 at your level",
}
PERIOD_TITLES = {"day": "today", "week": "this week", "month": "this month", "all": "all time"}


def clock_text(seconds: float) -> str:
    """m:ss, rounding up so a question never shows 0:00 while it is still open."""
    whole = int(seconds + 0.999)
    return f"{whole // 60}:{whole % 60:02d}"
