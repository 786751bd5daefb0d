"""What a chat bot counts for its operator, in Prometheus form (scraped at /metrics).

One `BotMetrics` per conversation, with a registry of its own (so two bots in one test
process never mix their numbers). The conversation layer calls it at the two moments
every platform action passes through: accepted (committed, ready to be acknowledged) and
finished (answered). Platform calls and scheduled posts are counted by thin wrappers
(`CountedPlatform`, `counting_fire`) so no adapter needs its own hooks.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from bot.conversation.ports import DeliveryFailed
from bot.engine.errors import GameError
from storage.errors import WriteRefused

if TYPE_CHECKING:
    from bot.conversation.actions import Envelope
    from bot.conversation.ports import Platform
    from bot.conversation.screens import Rich, Screen
    from storage.refs import MessageRef

# Slack and Discord both give an app 3 s to acknowledge; the buckets straddle that.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
OUTCOMES = ("ok", "refused", "write_refused", "delivery_failed", "error")


def outcome_of(error: BaseException | None) -> str:
    """How an action ended, as an operator reads it: `refused` is the game saying no
    (shown to the player), `write_refused` the database refusing to store it."""
    if error is None:
        return "ok"
    if isinstance(error, GameError):
        return "refused"
    if isinstance(error, WriteRefused):
        return "write_refused"
    if isinstance(error, DeliveryFailed):
        return "delivery_failed"
    return "error"


def lrquiz_version() -> str:
    try:
        return version("lrquiz")
    except PackageNotFoundError:
        return "unknown"


class BotMetrics:
    """Every series one bot process exposes, in a registry of its own."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # CPU, memory, open files of this process
        GCCollector(registry=registry)
        PlatformCollector(registry=registry)
        Gauge(
            "lrquiz_build_info",
            "lrquiz version and platform",
            ["version", "platform"],
            registry=registry,
        ).labels(lrquiz_version(), platform).set(1)
        self.actions = Counter(
            "lrquiz_actions",
            "Platform actions (clicks, commands) handled, by action type and outcome",
            ["platform", "action", "outcome"],
            registry=registry,
        )
        self.ack_seconds = Histogram(
            "lrquiz_action_ack_seconds",
            "From an action's receipt to it being committed, when the platform is acknowledged",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.reply_seconds = Histogram(
            "lrquiz_action_reply_seconds",
            "From an action's receipt to its answer being delivered",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.write_refusals = Counter(
            "lrquiz_storage_write_refusals",
            "Actions the database refused to store (disk full, read-only, locked)",
            ["platform"],
            registry=registry,
        )
        self.delivery_failures = Counter(
            "lrquiz_delivery_failures",
            "Posts and edits the platform refused or could not be reached for",
            ["platform", "operation", "transient"],
            registry=registry,
        )
        self.scheduled_posts = Counter(
            "lrquiz_scheduled_posts",
            "Scheduled daily cards and live questions fired, by outcome",
            ["platform", "format", "outcome"],
            registry=registry,
        )
        self.http_requests = Counter(
            "lrquiz_http_requests",
            "HTTP requests served (Slack HTTP mode: /slack/events, 401 a bad signature)",
            ["path", "code"],
            registry=registry,
        )
        self.http_seconds = Histogram(
            "lrquiz_http_request_seconds",
            "From an HTTP request's arrival to its response (for /slack/events: to Slack's ack)",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        for outcome in ("posted", "failed"):  # present from the start, so rate() works
            for form in ("card", "live"):
                self.scheduled_posts.labels(platform, form, outcome)
        # Children resolved once: a labels() lookup takes a lock and hashes every time.
        self.ack = self.ack_seconds.labels(platform)
        self.reply = self.reply_seconds.labels(platform)
        self.refusals = self.write_refusals.labels(platform)
        self._counted: dict[tuple[str, str], Any] = {}

    def received(self, envelope: Envelope) -> ActionTimer:
        """Start timing an action the moment the conversation receives it."""
        return ActionTimer(self, type(envelope.action).__name__, time.perf_counter())

    def counted(self, action: str, outcome: str) -> None:
        child = self._counted.get((action, outcome))
        if child is None:
            child = self._counted[action, outcome] = self.actions.labels(
                self.platform, action, outcome
            )
        child.inc()

    def unknown(self) -> None:
        """A button this bot cannot read (answered at once with "no longer active")."""
        self.counted("Unknown", "ok")

    def delivery_failed(self, operation: str, failed: DeliveryFailed) -> None:
        transient = "true" if failed.transient else "false"
        self.delivery_failures.labels(self.platform, operation, transient).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The Prometheus text format of everything counted, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class ActionTimer:
    """One action on its way through: accepted once, finished once."""

    def __init__(self, metrics: BotMetrics, action: str, started: float) -> None:
        self.metrics = metrics
        self.action = action
        self.started = started

    def accepted(self) -> None:
        self.metrics.ack.observe(time.perf_counter() - self.started)

    def finished(self, error: BaseException | None) -> None:
        m = self.metrics
        m.reply.observe(time.perf_counter() - self.started)
        outcome = outcome_of(error)
        m.counted(self.action, outcome)
        if outcome == "write_refused":
            m.refusals.inc()
        elif isinstance(error, DeliveryFailed):
            m.delivery_failed("reply", error)


class CountedPlatform:
    """The platform port, counting the public posts and edits it could not deliver."""

    def __init__(self, inner: Platform, metrics: BotMetrics) -> None:
        self.inner = inner
        self.metrics = metrics
        self.name = inner.name

    async def post(self, channel: str, screen: Screen) -> MessageRef:
        try:
            return await self.inner.post(channel, screen)
        except DeliveryFailed as failed:
            self.metrics.delivery_failed("post", failed)
            raise

    async def edit(self, ref: MessageRef, screen: Screen) -> None:
        try:
            await self.inner.edit(ref, screen)
        except DeliveryFailed as failed:
            self.metrics.delivery_failed("edit", failed)
            raise

    async def is_admin(self, actor: Any) -> bool:
        return await self.inner.is_admin(actor)

    async def channel_problem(self, actor: Any, channel: str) -> Rich | None:
        return await self.inner.channel_problem(actor, channel)


Fire = Callable[[Any, Any], Awaitable[None]]


def counting_fire(metrics: BotMetrics, fire: Fire) -> Fire:
    """The scheduler's callback, counting each occurrence posted or failed."""

    async def counted(schedule: Any, occurrence: Any) -> None:
        form = schedule.spec.format
        try:
            await fire(schedule, occurrence)
        except Exception:
            metrics.scheduled_posts.labels(metrics.platform, form, "failed").inc()
            raise
        metrics.scheduled_posts.labels(metrics.platform, form, "posted").inc()

    return counted
