"""The pure game engine: rules, state transitions and platform-neutral views.

Nothing here imports a chat SDK, a database driver or torch (a test guards it), so every
rule can be tested with a fake clock and reused unchanged by every front end.
"""
