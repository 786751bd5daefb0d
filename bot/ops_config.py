"""`--metrics-port N` / `--metrics-host HOST` for the chat bots, and their environment.

Kept apart from `ops_http` so that registering the flags (every `lrquiz` start) imports
neither aiohttp nor prometheus_client.
"""

from __future__ import annotations

import argparse
import os

PORT_ENV = "LRQUIZ_METRICS_PORT"
HOST_ENV = "LRQUIZ_METRICS_HOST"
DEFAULT_HOST = "127.0.0.1"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--metrics-port N` / `--metrics-host`, defaulting to $LRQUIZ_METRICS_PORT/_HOST."""
    parser.add_argument(
        "--metrics-port",
        type=port_number,
        default=None,
        metavar="N",
        help=f"serve /health and /metrics on this port (default: ${PORT_ENV}, else none; "
        "0 picks a free port)",
    )
    parser.add_argument(
        "--metrics-host",
        default=None,
        metavar="HOST",
        help=f"address for --metrics-port (default: ${HOST_ENV} or {DEFAULT_HOST})",
    )


def port_number(text: str) -> int:
    """argparse type for a TCP port (0: pick a free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535: {text}")
    return value


def wanted(args: argparse.Namespace) -> tuple[str, int] | None:
    """Where to serve, from the flags, else the environment; ValueError naming a bad value."""
    port = args.metrics_port
    if port is None:
        text = os.environ.get(PORT_ENV, "").strip()
        if not text:
            return None
        try:
            port = port_number(text)
        except argparse.ArgumentTypeError as error:
            raise ValueError(f"{PORT_ENV}: {error}") from None
    host = args.metrics_host or os.environ.get(HOST_ENV, "").strip() or DEFAULT_HOST
    return host, port
