"""Terminal front end: the same game on stdin/stdout, no chat tokens needed."""
