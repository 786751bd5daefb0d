"""The Discord front end: a thin adapter from Discord events to the game service."""
