"""Terminal front end: the same game on stdin/stdout, no chat tokens needed.

Like the Discord and Slack adapters it has a parser (`parse`: a typed line -> an action),
a renderer (`render`: a screen -> rich renderables) and a deliverer (`deliver`: the
Replier and Platform that put them on the terminal), around the conversation layer. A
terminal is a loop, not a stream of events, so `play` reads the next line against the
screen on show; `input` reads lines (with a live countdown on a terminal); `app` wires it
up for the CLI.
"""
