"""`lrquiz play --daily`, `lrquiz stats` and `lrquiz badges` as a player runs them."""

from __future__ import annotations

from pathlib import Path

from tests.terminal.support import assert_clean, cli_env, drive, query, right, run_cli


def test_daily_once_a_day_with_a_streak_then_stats_and_badges(tmp_path: Path) -> None:
    db = tmp_path / "quiz.db"
    env = cli_env(tmp_path, TZ="Europe/Berlin")
    played = drive(tmp_path, db, right, "--daily", env=env)
    assert "📅 Daily challenge 20" in played.stdout
    assert "Score: 5/5 correct" in played.stdout
    assert "🔥 Daily streak: 1 day" in played.stdout
    assert query(db, "SELECT timezone, channel_id FROM dailies") == [("Europe/Berlin", "terminal")]

    again = run_cli(
        tmp_path,
        "play",
        "--daily",
        "--user",
        "ann",
        "--db",
        str(db),
        "--runner",
        "off",
        stdin="a\n",
        env=env,
    )
    assert_clean(again)
    assert "You already played today's challenge" in again.stdout
    assert "Question 1/" not in again.stdout

    stats = run_cli(tmp_path, "stats", "--user", "ann", "--db", str(db), env=env)
    assert_clean(stats)
    assert "📊 ann:" in stats.stdout and "5/5 correct (100%)" in stats.stdout
    assert "🔥 Daily streak: 1 day" in stats.stdout
    assert "By kind:" in stats.stdout and "By difficulty:" in stats.stdout
    assert "Learning Rate Differential Master" in stats.stdout

    badges = run_cli(tmp_path, "badges", "--user", "ann", "--db", str(db), env=env)
    assert_clean(badges)
    assert "🎖️ Learning Rate Differential Master" in badges.stdout
    assert "✨ Flawless" in badges.stdout


def test_stats_for_someone_who_never_played(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "stats", "--user", "zed", "--db", str(tmp_path / "q.db"))
    assert_clean(result)
    assert "zed has not played here yet" in result.stdout


def test_a_bad_time_zone_falls_back_to_the_system_zone_or_utc(tmp_path: Path) -> None:
    env = cli_env(tmp_path, TZ="Not/AZone")
    played = drive(tmp_path, tmp_path / "q.db", right, "--daily", env=env)
    assert "Score: 5/5 correct" in played.stdout
    [(zone,)] = query(tmp_path / "q.db", "SELECT timezone FROM dailies")
    assert zone != "Not/AZone"
