"""The read-only web dashboard: leaderboards, learner profiles, the problem bank, admin pages."""
