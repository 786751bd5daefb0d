"""``lrquiz runner serve``: argument parsing and the server's lifetime.

``register`` plugs into the main ``lrquiz`` CLI; ``runner/__main__.py`` reuses the same
parser so ``python -m runner serve`` works without the bot package installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from typing import Any

from runner.limits import Limits
from runner.sandbox import OPTIONAL_LAYERS

DEFAULT_PORT = 8765
TOKEN_ENV = "LRQUIZ_RUNNER_TOKEN"
MAX_SLOTS = 16  # each runner owns 128 job uids: four generations x two cells per slot


class ServeError(Exception):
    """A startup problem reported as one ``lrquiz: error:`` line."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _slots(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_SLOTS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SLOTS}: {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535: {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to start unless every sandbox layer is active",
    )
    parser.add_argument(
        "--cache",
        metavar="PATH",
        help="result cache database (':memory:' for none; default $LRQUIZ_RUNNER_CACHE "
        "or ~/.local/share/lrquiz/runner-cache.db)",
    )
    parser.add_argument(
        "--cache-memory-mb", type=_positive_int, default=64, help="result cache in memory"
    )
    parser.add_argument(
        "--cache-disk-mb", type=_positive_int, default=512, help="result cache on disk"
    )
    parser.add_argument(
        "--slots",
        type=_slots,
        default=max(1, min(os.cpu_count() or 1, MAX_SLOTS)),
        help="snippets run at the same time (default: CPU count)",
    )
    parser.add_argument(
        "--max-queue", type=_positive_int, default=16, help="waiting jobs before 503"
    )
    parser.add_argument("--memory-mb", type=_positive_int, default=defaults.memory_mb)
    parser.add_argument("--max-timeout", type=_positive_float, default=defaults.max_timeout_s)
    parser.add_argument("--restart-after-jobs", type=_positive_int, default=5000)
    parser.add_argument("--restart-after-s", type=_positive_float, default=3600.0)
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="LAYER",
        choices=OPTIONAL_LAYERS,
        help="switch off one sandbox layer on a host where it misbehaves (repeatable; "
        "reported in /v1/health): " + ", ".join(OPTIONAL_LAYERS),
    )
    parser.add_argument(
        "--max-connections", type=_positive_int, default=256, help="open HTTP connections"
    )
    parser.add_argument(
        "--read-timeout",
        type=_positive_float,
        default=10.0,
        help="seconds a client has to send a request's head, and then its body",
    )
    parser.add_argument("--die-with-parent", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=serve_command)


def register(subparsers: Any) -> None:
    """Add ``runner serve`` to the main ``lrquiz`` CLI."""
    runner_parser = subparsers.add_parser("runner", help="the PyTorch runner service")
    runner_sub = runner_parser.add_subparsers(dest="runner_command", metavar="COMMAND")
    runner_sub.required = True
    serve = runner_sub.add_parser("serve", help="serve the runner HTTP API v1")
    add_serve_arguments(serve)


def serve_command(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_serve(args))
    except ServeError as exc:
        print(f"lrquiz: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from runner import server
    from runner.cache import ResultCache, default_cache_path
    from runner.service import RunService
    from runner.supervisor import Supervisor, SupervisorConfig, ZygoteDied

    if args.die_with_parent:
        from runner import libc

        with contextlib.suppress(OSError):
            libc.prctl(libc.PR_SET_PDEATHSIG, signal.SIGTERM)
    token = os.environ.get(TOKEN_ENV) or None
    if not server.is_loopback(args.host) and not token:
        raise ServeError(f"binding to {args.host} needs a token: set {TOKEN_ENV}")
    import importlib.util

    # fail fast here rather than in the zygote, without paying ~190 MB to import torch
    if importlib.util.find_spec("torch") is None:
        raise ServeError("PyTorch is not installed (pip install 'lrquiz[runner]')")
    limits = Limits(memory_mb=args.memory_mb, max_timeout_s=args.max_timeout)
    limits = Limits(
        **{**limits.to_json(), "default_timeout_s": min(limits.default_timeout_s, args.max_timeout)}
    )
    supervisor = Supervisor(
        SupervisorConfig(
            limits=limits,
            slots=args.slots,
            max_queue=args.max_queue,
            restart_after_jobs=args.restart_after_jobs,
            restart_after_s=args.restart_after_s,
            disabled=tuple(args.without),
        )
    )
    cache = ResultCache(
        args.cache if args.cache is not None else default_cache_path(),
        memory_bytes=args.cache_memory_mb * 1024 * 1024,
        disk_bytes=args.cache_disk_mb * 1024 * 1024,
    )
    site_runner: web.AppRunner | None = None
    listener: asyncio.Server | None = None
    try:
        if args.require_isolation:
            try:
                await supervisor.start()
            except ZygoteDied as exc:
                raise ServeError(f"the sandbox could not start: {exc}") from None
            active, reasons = supervisor.isolation()
            missing = sorted(k for k, v in active.items() if not v)
            if missing:
                detail = "; ".join(f"{k}: {reasons.get(k, 'unavailable')}" for k in missing)
                raise ServeError(f"--require-isolation: missing layers: {detail}")
        else:
            supervisor.start_background()
        await cache.open()
        app = server.make_app(
            RunService(supervisor, cache),
            token,
            max_connections=args.max_connections,
            read_timeout_s=args.read_timeout,
        )
        try:
            site_runner, listener = await server.listen(app, args.host, args.port)
        except OSError as exc:
            raise ServeError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
        port = listener.sockets[0].getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"lrquiz runner listening on http://{host}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return 0
    finally:
        if listener is not None:
            listener.close()
        if site_runner is not None:
            await site_runner.cleanup()
        await supervisor.close()
        await cache.close()
