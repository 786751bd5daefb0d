"""compose.yaml itself, up with podman-compose: `deploy/check_images.py --compose`.

The images under test stand in for the `build:` sections (an override names them), a fake
Slack runs as one more service in compose's network (the bot's auth.test and response_url
posts go there), and the rest is compose.yaml as a user runs it: its .env variables, its
capabilities, cgroup mounts, volumes, health checks, service names and published port.

Two podman facts shape the check, both said in the README: podman-compose skips
`depends_on: condition: service_healthy` on podman before 4.6 (it warns "doesn't support
healthy"), and podman runs health checks from systemd timers, so without systemd they run
only when asked (`podman healthcheck run`): the check asks, service by service.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from check_images import REPO, CheckFailed, get, run, say, wait_for

PROJECT = "lrquiz"  # compose.yaml's `name:`
PG_STAND_IN = "localhost/lrquiz-postgres-stand-in:15"

# The official postgres image's first-start contract (POSTGRES_USER, POSTGRES_DB,
# POSTGRES_PASSWORD; pg_isready on PATH), rebuilt from Debian's PostgreSQL for a host that
# cannot pull postgres:16-bookworm.
PG_ENTRYPOINT = """#!/bin/sh
set -eu
BIN=/usr/lib/postgresql/15/bin
PGDATA=/var/lib/postgresql/data
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  chown postgres /tmp/pwfile
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile \\
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE \\"$POSTGRES_DB\\" OWNER \\"$POSTGRES_USER\\";" \\
    | runuser -u postgres -- "$BIN/postgres" --single -D "$PGDATA" postgres >/dev/null
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*'
"""
PG_CONTAINERFILE = """ARG BASE
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \\
    && rm -rf /var/lib/apt/lists/*
COPY entrypoint.sh /usr/local/bin/pg-stand-in
RUN chmod 0755 /usr/local/bin/pg-stand-in
ENV PATH=/usr/lib/postgresql/15/bin:$PATH
EXPOSE 5432
CMD ["pg-stand-in"]
"""
# tests/slack's fake Slack, listening in compose's network, and GET /responses so that this
# script (outside the network) reads what the bot posted to response_url.
FAKE_SLACK = """import asyncio, sys
from aiohttp import web
sys.path.insert(0, "/srv")
from tests.slack.fake_slack import FakeSlack

fake = FakeSlack()

async def responses(request):
    return web.json_response([{"key": p.key, "body": p.body} for p in fake.responses])

async def app():
    fake._changed = asyncio.Condition()
    application = web.Application()
    application.add_routes([
        web.route("*", "/api/{method}", fake._api),
        web.post("/response/{key}", fake._response),
        web.get("/responses", responses),
    ])
    return application

web.run_app(app(), host="0.0.0.0", port=8080)
"""
SNIPPET = "import os, torch\nprint(torch.arange(3.0).mul(0.5).tolist(), os.getuid(), os.getpid())\n"


def pg_stand_in(podman: list[str], host: list[str], base: str, workdir: Path) -> str:
    if run([*podman, "image", "exists", PG_STAND_IN]).returncode == 0:
        return PG_STAND_IN
    context = workdir / "pg-stand-in"
    context.mkdir()
    (context / "entrypoint.sh").write_text(PG_ENTRYPOINT)
    (context / "Containerfile").write_text(PG_CONTAINERFILE)
    argv = [*podman, "build", "--format", "docker", *host, "--build-arg", f"BASE={base}"]
    done = run([*argv, "-t", PG_STAND_IN, str(context)])
    if done.returncode != 0:
        raise CheckFailed(f"building the PostgreSQL stand-in: {done.stderr[-400:]}")
    say(f"compose: {PG_STAND_IN} built (Debian's PostgreSQL 15) for postgres:16-bookworm")
    return PG_STAND_IN


def containers_conf(host: list[str], workdir: Path) -> dict[str, str]:
    """podman-compose passes no per-host flags: the same ones as a CONTAINERS_CONF file."""
    if not host:
        return {}
    ulimits = [host[i + 1] for i, word in enumerate(host) if word == "--ulimit"]
    lines = ["[containers]", f"default_ulimits = {json.dumps(ulimits)}"]
    if "--runtime" in host:
        lines += ["[engine]", f'runtime = "{host[host.index("--runtime") + 1]}"']
    conf = workdir / "containers.conf"
    conf.write_text("\n".join(lines) + "\n")
    return {"CONTAINERS_CONF": str(conf)}


def compose_project(workdir: Path, images: dict[str, str], postgres: str | None) -> Path:
    """compose.yaml as it is, its .env, and an override naming the images under test."""
    project = workdir / "compose"
    project.mkdir()
    shutil.copy(REPO / "compose.yaml", project / "compose.yaml")
    (project / "fake_slack.py").write_text(FAKE_SLACK)
    env = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "LRQUIZ_RUNNER_TOKEN": secrets.token_urlsafe(24),
        "SLACK_BOT_TOKEN": "xoxb-check-compose",
        "SLACK_SIGNING_SECRET": secrets.token_urlsafe(16),
    }
    (project / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    override: dict[str, Any] = {
        "services": {
            "slack": {
                "image": images["bot"],
                "environment": {"SLACK_API_URL": "http://fake-slack:8080/api/"},
            },
            "runner": {"image": images["runner"]},
            "fake-slack": {
                "image": images["bot"],
                "command": ["python3", "/srv/fake_slack.py"],
                "volumes": [
                    f"{REPO / 'tests'}:/srv/tests:ro",
                    f"{project / 'fake_slack.py'}:/srv/fake_slack.py:ro",
                ],
                "ports": ["127.0.0.1:18080:8080"],
                "tmpfs": ["/data"],  # not an anonymous volume that `down -v` would leave
            },
        }
    }
    if postgres:
        override["services"]["postgres"] = {"image": postgres}
    (project / "override.yaml").write_text(yaml.safe_dump(override))
    return project


def wait_healthy(podman: list[str], names: list[str], timeout: float = 180.0) -> None:
    """Run each health check until it passes (podman without systemd never runs them)."""
    end = time.monotonic() + timeout
    waiting = list(names)
    while waiting and time.monotonic() < end:
        waiting = [n for n in waiting if run([*podman, "healthcheck", "run", n]).returncode != 0]
        time.sleep(2 if waiting else 0)
    if waiting:
        raise CheckFailed(f"compose: never healthy: {waiting}")


def slack_round_trip(secret: str) -> str:
    """/lrquiz practice over compose's published port, answered until real output shows."""
    from tests.slack.support import RUNNING, action_body, all_text, button, command_body
    from tests.slack.support import signed_headers as sign

    keys = iter(range(1, 100))

    def ask(body_for: Any) -> dict:
        key = f"c{next(keys)}"
        body = body_for(f"http://fake-slack:8080/response/{key}")
        request = urllib.request.Request(
            "http://127.0.0.1:3000/slack/events", data=body.encode(), headers=sign(body, secret)
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            if answer.status != 200:
                raise CheckFailed(f"compose: POST /slack/events answered {answer.status}")
        for _ in range(300):
            _, text = get("http://127.0.0.1:18080/responses")
            posted = [p["body"] for p in json.loads(text) if p["key"] == key]
            if posted and (RUNNING not in all_text(posted[0]) or len(posted) > 1):
                return posted[-1]
            time.sleep(0.1)
        raise CheckFailed("compose: the bot posted nothing to response_url")

    question = ask(lambda url: command_body("practice", url))
    for _ in range(5):
        value = button(question, "lrquiz_answer_A")["value"]
        reveal = ask(lambda url, v=value: action_body("lrquiz_answer_A", v, url))
        text = all_text(reveal)
        if "Real output (PyTorch 2.13.0)" in text:
            shown = text.split("Real output (PyTorch 2.13.0)", 1)[1].split("Solution")[0]
            return " ".join(shown.replace("```", " ").strip("* \n").split())
        value = button(reveal, "lrquiz_next")["value"]
        question = ask(lambda url, v=value: action_body("lrquiz_next", v, url))
    raise CheckFailed("compose: five practice questions and none showed real output")


def check_compose(
    podman: list[str],
    host: list[str],
    images: dict[str, str],
    base: str,
    stand_in: bool,
    workdir: Path,
    keep: bool,
) -> None:
    podman_compose = os.environ.get("PODMAN_COMPOSE") or shutil.which("podman-compose")
    if podman_compose is None:
        raise CheckFailed("--compose needs podman-compose (pip install podman-compose)")
    if "--profile" not in run([podman_compose, "--help"]).stdout:
        # Debian 12's 1.0.3 has no profiles, and compose.yaml's bots are profiles
        raise CheckFailed(f"{podman_compose} has no --profile: pip install podman-compose>=1.1")
    if run(["stat", "-fc", "%T", "/sys/fs/cgroup"]).stdout.strip() != "tmpfs":
        raise CheckFailed("--compose: compose.yaml mounts cgroup v1 hierarchies; this host is v2")
    postgres = pg_stand_in(podman, host, base, workdir) if stand_in else None
    project = compose_project(workdir, images, postgres)
    env = {**os.environ, **containers_conf(host, workdir)}
    compose = [podman_compose, "-f", "compose.yaml", "-f", "override.yaml", "--profile", "slack"]
    up = run([*compose, "up", "-d"], cwd=project, env=env, timeout=600)
    skipped = [line for line in up.stderr.splitlines() if "support healthy" in line]
    if up.returncode != 0:
        raise CheckFailed(f"podman-compose up: {up.stderr[-600:]}")
    say(f"compose: up; {len(skipped)} service_healthy conditions skipped by podman-compose")
    try:
        names = [f"{PROJECT}_{s}_1" for s in ("postgres", "runner", "slack")]
        wait_healthy(podman, names)
        say(f"compose: {', '.join(names)} healthy (their own health checks)")
        health = wait_for("http://127.0.0.1:3000/health", timeout=60)
        say(f"compose: slack /health on 127.0.0.1:3000: {json.dumps(health)}")
        secret = (project / ".env").read_text().split("SLACK_SIGNING_SECRET=")[1].split()[0]
        shown = slack_round_trip(secret)
        say(f"compose: /lrquiz practice, answered: real output from runner:8765: {shown!r}")
        snippet = run(
            [*podman, "exec", "-i", f"{PROJECT}_slack_1", "lrquiz", "run-snippet", "-"],
            input=SNIPPET,
            timeout=120,
        )
        if snippet.returncode != 0 or "ran fine" not in snippet.stdout:
            last = (snippet.stderr.strip().splitlines() or ["(nothing)"])[-1]
            raise CheckFailed(
                f"compose: lrquiz run-snippet in the slack container (PostgreSQL, "
                f"runner:8765): rc {snippet.returncode}: {last}"
            )
        say("compose: lrquiz run-snippet in the slack container ran on runner:8765")
    finally:
        if not keep:
            run([*compose, "down", "-v"], cwd=project, env=env, timeout=300)
