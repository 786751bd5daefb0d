"""The Slack front end: a thin adapter from Slack events to the game service."""
