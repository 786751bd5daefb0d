"""The conversation layer: every decision Discord, Slack and the terminal make alike, once.

Adapters parse a platform event into an `Envelope` (who, a typed action, its delivery id,
where to reply), hand it to `Conversation.handle`, and render and deliver the neutral
screens it sends back through their `Replier` (the answer to this event) and `Platform`
(public posts, later edits). No adapter decides what a click means.
"""
