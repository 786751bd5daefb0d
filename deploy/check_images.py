#!/usr/bin/env python3
"""Build lrquiz's two images with podman and run them as compose.yaml does.

Not part of CI: a clean build fetches about 1 GB and takes minutes, and it needs root and
podman. CI keeps tests/deploy's static checks, each of which stands for one defect this
script found. Run it from a checkout with the test extras installed (`.[test]`): the bot is
driven through tests/slack's fake Slack and signed requests. README, "Running in
production", "Checking the images" says how to call it.

Each step prints one line; the first failure stops the run with the container's log tail.
  runner  with podman's default capabilities and --require-isolation it refuses to start
          and names the missing layers; with compose.yaml's capabilities, seccomp and
          cgroup mounts every layer is active, the image's HEALTHCHECK passes and a real
          snippet runs (unprivileged uid, PID 1 of its own namespace); without one of
          SYS_ADMIN, SYS_CHROOT, SETUID or the cgroup mounts exactly the layers the
          README's table names are missing
  bot     Slack HTTP mode against the fake Slack, on SQLite and on PostgreSQL: /health,
          /metrics, the image's lrquiz-healthcheck, and a signed `/lrquiz practice` whose
          answered question shows its real output from the runner container
  compose with --compose, compose.yaml's slack profile up with podman-compose
          (deploy/check_compose.py says how)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
TAG = "check"
STAND_IN_BASE = "localhost/lrquiz-base:3.11-bookworm"
# What the official python image sets and a bare root file system lacks.
IMPORT_CHANGES = ["--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["python3"]']
SNIPPET = (
    "import os, torch\n"
    "w = torch.tensor([1.0, -2.0], requires_grad=True)\n"
    "opt = torch.optim.SGD([w], lr=0.1)\n"
    "(w ** 2).sum().backward()\n"
    "opt.step()\n"
    "print('w', [round(x, 3) for x in w.tolist()], 'uid', os.getuid(), 'pid', os.getpid())\n"
)


class CheckFailed(Exception):
    """One line saying which check failed and what was seen."""


def say(message: str) -> None:
    print(f"check-images: {message}", flush=True)


def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, text=True, capture_output=True, **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- what this host needs podman told --------------------------------------------------


def host_podman_args() -> list[str]:
    """Options for `podman run` and `podman build` that this host needs, each for a reason.

    crun (podman's default) refuses a cgroup v1 host whose cgroup2 hierarchy holds
    controllers ("cgroups in hybrid mode not supported"); runc runs there. Podman sets
    RLIMIT_NOFILE and RLIMIT_NPROC to 1048576, which needs CAP_SYS_RESOURCE when that is
    above the hard limit; without the capability (a sandboxed host) the host's own limits go.
    """
    args = []
    unified = Path("/sys/fs/cgroup/unified/cgroup.controllers")
    if unified.exists() and unified.read_text().split() and shutil.which("runc"):
        args += ["--runtime", "runc"]
    status = Path("/proc/self/status").read_text()
    effective = int(re.search(r"^CapEff:\s*(\w+)", status, re.M)[1], 16)
    cap_sys_resource = 24
    if not effective >> cap_sys_resource & 1:
        import resource

        files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        procs = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
        procs = pid_max if procs == resource.RLIM_INFINITY else min(procs, pid_max)
        args += ["--ulimit", f"nofile={files}:{files}", "--ulimit", f"nproc={procs}:{procs}"]
    return args


def pip_build_mounts(workdir: Path) -> list[str]:
    """This host's pip configuration, for the build's `pip install` steps only.

    `pip config list` (files and PIP_* variables) becomes one pip.conf mounted at
    /etc/pip.conf, and every local path it names (a CA bundle, a constraints file, a
    find-links or file:// index directory) is mounted read-only at the same path. Nothing
    is copied into an image; a host with no pip configuration mounts nothing.
    """
    listed = run([sys.executable, "-m", "pip", "config", "list"], check=True).stdout
    settings: dict[str, str] = {}
    for line in listed.splitlines():
        match = re.fullmatch(r"(?::env:|[\w-]+)\.([\w-]+)='(.*)'", line.strip())
        if match:
            settings[match[1]] = match[2]
    settings.pop("disable-pip-version-check", None)
    if not settings:
        return []
    paths: set[str] = set()
    for key in ("cert", "client-cert", "constraint", "find-links", "index-url", "extra-index-url"):
        for value in settings.get(key, "").split():
            path = value.removeprefix("file://")
            if path.startswith("/") and os.path.exists(path):
                path = os.path.realpath(path)
                # a file:// index's pages link to its files relatively (../../files/…)
                paths.add(os.path.dirname(path) if key.endswith("index-url") else path)
    conf = workdir / "pip.conf"
    conf.write_text("[global]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    mounts = ["-v", f"{conf}:/etc/pip.conf:ro"]
    for path in sorted(paths):
        mounts += ["-v", f"{path}:{path}:ro"]
    say(f"pip in the build uses this host's configuration: {', '.join(sorted(settings))}")
    return mounts


# --- the base image ----------------------------------------------------------------------


def dockerfile_base() -> str:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    return re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)[1]


def make_stand_in_base(podman: list[str], workdir: Path) -> str:
    """python:3.11-slim-bookworm rebuilt from Debian packages, for hosts that cannot pull it.

    Debian's python3 is 3.11 under /usr/bin with pip installing to /usr/local, like the
    official image's; two differences are bridged here, not in the Dockerfile: Debian marks
    its Python externally managed (PEP 668, so `pip install` as root would refuse) and has
    no `python` command.
    """
    if run([*podman, "image", "exists", STAND_IN_BASE]).returncode == 0:
        say(f"base: {STAND_IN_BASE} (already built)")
        return STAND_IN_BASE
    if shutil.which("debootstrap") is None:
        raise CheckFailed("--stand-in-base needs debootstrap (apt-get install debootstrap)")
    rootfs = workdir / "rootfs"
    say("base: debootstrap bookworm minbase + python3 python3-venv python3-pip (a minute)")
    done = run(
        [
            "debootstrap",
            "--variant=minbase",
            "--include=python3,python3-venv,python3-pip",
            "bookworm",
            str(rootfs),
            "http://deb.debian.org/debian",
        ]
    )
    if done.returncode != 0:
        raise CheckFailed(f"debootstrap failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    run(["chroot", str(rootfs), "apt-get", "clean"], check=True)
    shutil.rmtree(rootfs / "var/lib/apt/lists")
    (rootfs / "var/lib/apt/lists/partial").mkdir(parents=True)
    (rootfs / "usr/lib/python3.11/EXTERNALLY-MANAGED").unlink()
    (rootfs / "usr/bin/python").symlink_to("python3")
    tar = subprocess.Popen(
        ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
    )
    imported = subprocess.run(
        [*podman, "import", *IMPORT_CHANGES, "-", STAND_IN_BASE],
        stdin=tar.stdout,
        capture_output=True,
        text=True,
    )
    tar.wait()
    if imported.returncode != 0:
        raise CheckFailed(f"podman import failed: {imported.stderr.strip()}")
    shutil.rmtree(rootfs)
    say(f"base: {STAND_IN_BASE} imported, {image_size(podman, STAND_IN_BASE)}")
    return STAND_IN_BASE


def image_size(podman: list[str], image: str) -> str:
    size = int(run([*podman, "image", "inspect", "--format", "{{.Size}}", image]).stdout)
    return f"{size / 1e6:.0f} MB"


# --- building ----------------------------------------------------------------------------


def build(
    podman: list[str], host: list[str], target: str, base: str, mounts: list[str], log: Path
) -> str:
    image = f"localhost/lrquiz-{target}:{TAG}"
    argv = [*podman, "build", "--format", "docker", *host, "--target", target, "-t", image]
    argv += ["--build-arg", f"PYTHON_IMAGE={base}", *mounts]
    if os.environ.get("TORCH_INDEX_URL"):
        argv += ["--build-arg", f"TORCH_INDEX_URL={os.environ['TORCH_INDEX_URL']}"]
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run([*argv, str(REPO)], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text().splitlines()[-15:]
        raise CheckFailed(f"building {target} failed ({log}):\n" + "\n".join(tail))
    seconds = time.monotonic() - started
    say(f"built {image} in {seconds:.0f} s, {image_size(podman, image)} (log: {log})")
    return image


def check_nothing_of_the_host_kept(
    podman: list[str], host: list[str], base: str, images: Any, mounts: list[str]
) -> None:
    """The build's pip mounts leave at most empty mount points (buildah creates them): no
    path mounted from the host has content in an image that it had not in the base."""
    targets = [m.split(":")[1] for m in mounts if m != "-v"]
    code = (
        "import os, sys\n"
        "for p in sys.argv[1:]:\n"
        "    files = [os.path.join(d, f) for d, _, fs in os.walk(p) for f in fs] or [p]\n"
        "    if any(os.path.isfile(f) and os.stat(f).st_size for f in files):\n"
        "        print(p)\n"
    )

    def filled(image: str) -> set[str]:
        return set(in_image(podman, host, image, code, *targets).split())

    before = filled(base)
    for image in images:
        if kept := filled(image) - before:
            raise CheckFailed(f"{image} kept the host's {sorted(kept)}")


def in_image(podman: list[str], host: list[str], image: str, code: str, *args: str) -> str:
    argv = [*podman, "run", "--rm", *host, "--entrypoint", "python3", image, "-c", code, *args]
    done = run(argv)
    if done.returncode != 0:
        raise CheckFailed(f"{image}: python3 -c {code!r}: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


# --- containers --------------------------------------------------------------------------


@contextlib.contextmanager
def container(podman: list[str], name: str, argv: list[str], keep: bool) -> Iterator[str]:
    """`podman run -d` whose log is shown when a check inside fails."""
    run([*podman, "rm", "-f", "-v", "-t", "2", name])
    started = run([*podman, "run", "-d", "--name", name, *argv])
    if started.returncode != 0:
        raise CheckFailed(f"podman run {name}: {started.stderr.strip()}")
    try:
        yield name
    except CheckFailed:
        logs = run([*podman, "logs", "--tail", "15", name])
        say(f"{name}'s last lines:\n{logs.stdout}{logs.stderr}")
        raise
    finally:
        if not keep:
            run([*podman, "rm", "-f", "-v", "-t", "10", name])


def get(url: str, token: str = "", timeout: float = 5.0) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(url: str, token: str = "", timeout: float = 120.0, ok: bool = True) -> dict:
    """The JSON at `url` once it answers (and, with `ok`, says "ok": true)."""
    end = time.monotonic() + timeout
    seen = "no answer"
    while time.monotonic() < end:
        with contextlib.suppress(OSError, ValueError):
            status, body = get(url, token)
            seen = f"{status} {body[:300]}"
            data = json.loads(body)
            if not ok or data.get("ok") is True:
                return data
        time.sleep(1)
    raise CheckFailed(f"{url} did not become healthy in {timeout:.0f} s: {seen}")


def probe(podman: list[str], name: str, url: str) -> None:
    """The image's own health probe, exec'd as compose's health checks do."""
    done = run([*podman, "exec", name, "lrquiz-healthcheck", url])
    if done.returncode != 0:
        raise CheckFailed(f"{name}: lrquiz-healthcheck {url}: {done.stderr.strip()}")


# --- runner ------------------------------------------------------------------------------


def compose_service(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))["services"][name]


SECCOMP: list[str] = []  # --seccomp PROFILE.json: podman's default profile otherwise


def runner_privileges(cgroup_v1: bool) -> list[str]:
    """compose.yaml's runner capabilities, security options and cgroup mounts as podman
    flags (on a cgroup v2 host without the cgroup mounts, as the README says)."""
    service = compose_service("runner")
    args = [*SECCOMP, *(f"--cap-drop={c}" for c in service["cap_drop"])]
    args += [f"--cap-add={c}" for c in service["cap_add"]]
    args += [f"--security-opt={option}" for option in service["security_opt"]]
    for volume in service["volumes"]:
        if volume.startswith("/sys/fs/cgroup/") and cgroup_v1:
            args += ["-v", volume]
    return args


# README, "What the runner's sandbox needs": the layers each privilege enables.
WITHOUT = {
    "SYS_ADMIN": {"pidns", "netns", "mountns", "ipcns", "utsns", "fs_jail"},
    "SYS_CHROOT": {"fs_jail"},
    "SETUID": {"unprivileged_uid"},
    "cgroup mounts": {"cgroup_memory", "cgroup_pids"},
}


def check_each_privilege(podman: list[str], host: list[str], image: str) -> None:
    """compose.yaml's privileges less one at a time: /v1/health names exactly its layers."""
    for dropped, expected in WITHOUT.items():
        flags = [
            f
            for f in runner_privileges(cgroup_v1=dropped != "cgroup mounts")
            if f != f"--cap-add={dropped}"
        ]
        port, token = free_port(), secrets.token_urlsafe(16)
        argv = [*host, *flags, "-p", f"127.0.0.1:{port}:8765", "-e", f"LRQUIZ_RUNNER_TOKEN={token}"]
        argv += [image, "lrquiz", "runner", "serve", "--host", "0.0.0.0"]
        with container(podman, "lrquiz-check-privilege", argv, keep=False):
            health = wait_for(f"http://127.0.0.1:{port}/v1/health", token)
        missing = health.get("isolation_missing", {})
        if set(missing) != expected:
            raise CheckFailed(f"runner without {dropped}: missing {missing}, README: {expected}")
        reasons = sorted(set(missing.values()))
        say(f"runner without {dropped}: missing {sorted(missing)}: {'; '.join(reasons)}")


def check_runner_refuses_without_privileges(podman: list[str], host: list[str], image: str):
    done = run([*podman, "run", "--rm", *host, "-e", "LRQUIZ_RUNNER_TOKEN=x", image], timeout=120)
    line = (done.stderr.strip().splitlines() or [""])[-1]
    if done.returncode == 0 or "missing layers:" not in line:
        raise CheckFailed(f"runner without capabilities: rc {done.returncode}, {line!r}")
    layers = re.findall(r"(?:^|; )(\w+): ", line.split("missing layers: ", 1)[1])
    say(f"runner with podman's default capabilities refuses to start, missing {layers}")


def check_runner_snippet(runner_url: str, token: str, workdir: Path) -> None:
    snippet = workdir / "snippet.py"
    snippet.write_text(SNIPPET)
    env = {**os.environ, "LRQUIZ_RUNNER_TOKEN": token, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "bot.cli", "run-snippet", "--runner", runner_url]
    argv += ["--db", str(workdir / "run-snippet.db"), str(snippet)]
    done = run(argv, env=env, timeout=120, cwd=REPO)
    found = re.search(r"w \[0\.8, -1\.6\] uid (\d+) pid (\d+)", done.stdout)
    if done.returncode != 0 or not found:
        raise CheckFailed(f"lrquiz run-snippet: rc {done.returncode}: {done.stdout[-400:]}")
    uid, pid = int(found[1]), int(found[2])
    if uid == 0 or pid != 1:
        raise CheckFailed(f"the snippet ran as uid {uid}, pid {pid}: not sandboxed")
    say(f"lrquiz run-snippet against the container: ran fine as uid {uid}, pid {pid}")


# --- bot ---------------------------------------------------------------------------------


async def drive_slack(events_url: str, fake: Any, secret: str) -> str:
    """`/lrquiz practice`, answered until a question shows its real PyTorch output."""
    import aiohttp

    from tests.slack.support import RUNNING, action_body, all_text, button, command_body
    from tests.slack.support import signed_headers as sign

    async with aiohttp.ClientSession() as http:

        async def post(body: str) -> None:
            async with http.post(events_url, data=body, headers=sign(body, secret)) as answer:
                if answer.status != 200:
                    raise CheckFailed(f"POST /slack/events: {answer.status} {await answer.text()}")

        async def click(message: dict, action_id: str) -> dict:
            url, key = fake.response_url()
            await post(action_body(action_id, button(message, action_id)["value"], url))
            first = await fake.response(key)
            return await fake.response(key, count=2) if RUNNING in all_text(first) else first

        url, key = fake.response_url()
        await post(command_body("practice", url))
        question = await fake.response(key)
        if "Question 1/5" not in all_text(question):
            raise CheckFailed(f"/lrquiz practice answered {all_text(question)[:300]!r}")
        for _ in range(5):
            reveal = await click(question, "lrquiz_answer_A")
            text = all_text(reveal)
            if "Real output" in text:
                if "Real output (PyTorch 2.13.0" not in text:
                    raise CheckFailed(f"the reveal's real output: {text[-300:]!r}")
                shown = text.split("Real output (PyTorch 2.13.0)", 1)[1].split("Solution")[0]
                return " ".join(shown.replace("```", " ").strip("* \n").split())
            question = await click(reveal, "lrquiz_next")
    raise CheckFailed("five practice questions and none showed real output")


def check_bot(
    podman: list[str],
    host: list[str],
    image: str,
    db: str,
    runner_url: str,
    token: str,
    keep: bool,
) -> None:
    from tests.slack.fake_slack import FakeSlack

    async def main() -> None:
        fake = FakeSlack()
        await fake.start()
        port, secret = free_port(), secrets.token_urlsafe(16)
        # compose.yaml's command, on a free port of this host's network (the fake Slack,
        # the runner's published port and PostgreSQL are on 127.0.0.1)
        command = compose_service("slack")["command"]
        command = [*command[: command.index("--port") + 1], str(port)]
        env = {
            "SLACK_BOT_TOKEN": "xoxb-check-images",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": fake.api_url,
            "LRQUIZ_RUNNER_URL": runner_url,
            "LRQUIZ_RUNNER_TOKEN": token,
        }
        if db:
            env["LRQUIZ_DB"] = db
        argv = [*host, "--network", "host"]
        for key, value in env.items():
            argv += ["-e", f"{key}={value}"]
        engine = "PostgreSQL" if db else "SQLite in /data"
        name = "lrquiz-check-bot-pg" if db else "lrquiz-check-bot"
        try:
            with container(podman, name, [*argv, image, *command], keep):
                health = await asyncio.to_thread(
                    wait_for, f"http://127.0.0.1:{port}/health", "", 60
                )
                say(f"bot on {engine}: /health {json.dumps(health)}")
                status, metrics = get(f"http://127.0.0.1:{port}/metrics")
                if status != 200 or 'lrquiz_build_info{platform="slack"' not in metrics:
                    raise CheckFailed(f"bot /metrics: {status} {metrics[:200]!r}")
                probe(podman, name, f"http://127.0.0.1:{port}/health")
                say(f"bot on {engine}: /metrics serves lrquiz_build_info; lrquiz-healthcheck ok")
                shown = await drive_slack(f"http://127.0.0.1:{port}/slack/events", fake, secret)
                say(
                    f"bot on {engine}: /lrquiz practice, a question answered shows the real "
                    f"output from the runner container: {shown!r}"
                )
        finally:
            await fake.stop()

    asyncio.run(main())


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster of this host's binaries on a free loopback port, for one run."""
    from tests.pg_cluster import Cluster, pg_bin_dir

    bin_dir = pg_bin_dir()
    if bin_dir is None:
        raise CheckFailed("no PostgreSQL here (apt-get install postgresql) and no --postgres URL")
    cluster = Cluster(bin_dir, tcp=True).start()
    try:
        yield cluster.url()
    finally:
        cluster.stop()


# --- main --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stand-in-base",
        action="store_true",
        help=f"build on {STAND_IN_BASE}, made with debootstrap, for a host that cannot pull "
        "the Dockerfile's python image",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL for the bot (default: a "
        "throwaway cluster of this host's PostgreSQL binaries)",
    )
    parser.add_argument(
        "--compose",
        action="store_true",
        help="then bring compose.yaml up with podman-compose (the slack profile) and check it",
    )
    parser.add_argument(
        "--seccomp",
        metavar="PROFILE.json",
        help="run the runner under this seccomp profile, e.g. Docker's default, instead of "
        "podman's",
    )
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    args = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("podman") is None:
        print("check-images: needs root and podman", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    if args.seccomp:
        SECCOMP[:] = ["--security-opt", f"seccomp={Path(args.seccomp).resolve()}"]
    podman = ["podman"]
    host = host_podman_args()
    if host:
        say(f"this host needs: {shlex.join(host)}")
    workdir = Path(tempfile.mkdtemp(prefix="lrquiz-check-images-"))
    os.chmod(workdir, 0o755)
    try:
        base = make_stand_in_base(podman, workdir) if args.stand_in_base else dockerfile_base()
        mounts = pip_build_mounts(workdir)
        images = {
            t: build(podman, host, t, base, mounts, workdir / f"build-{t}.log")
            for t in ("bot", "runner")
        }
        torch = in_image(
            podman,
            host,
            images["runner"],
            "import torch; print(torch.__version__, torch.version.cuda)",
        )
        if not torch.endswith("None"):
            raise CheckFailed(f"the runner image's torch is not the CPU build: {torch}")
        in_image(podman, host, images["bot"], "import psycopg, slack_bolt, discord")
        check_nothing_of_the_host_kept(podman, host, base, images.values(), mounts)
        say(
            f"runner image: torch {torch.split()[0]} (no CUDA); bot image: psycopg, Slack, "
            "Discord import"
        )

        check_runner_refuses_without_privileges(podman, host, images["runner"])
        cgroup_v1 = run(["stat", "-fc", "%T", "/sys/fs/cgroup"]).stdout.strip() == "tmpfs"
        if cgroup_v1:
            check_each_privilege(podman, host, images["runner"])
        token, runner_port = secrets.token_urlsafe(24), free_port()
        runner_url = f"http://127.0.0.1:{runner_port}"
        argv = [*host, *runner_privileges(cgroup_v1), "-p", f"127.0.0.1:{runner_port}:8765"]
        argv += ["-e", f"LRQUIZ_RUNNER_TOKEN={token}", images["runner"]]
        if not cgroup_v1:
            argv += ["lrquiz", "runner", "serve", "--host", "0.0.0.0"]
        with container(podman, "lrquiz-check-runner", argv, args.keep) as runner:
            health = wait_for(f"{runner_url}/v1/health", token)
            missing = health.get("isolation_missing", {})
            allowed = set() if cgroup_v1 else {"cgroup_memory", "cgroup_pids"}
            if set(missing) - allowed:
                raise CheckFailed(f"runner with compose.yaml's privileges misses {missing}")
            active = sum(health["isolation"].values())
            say(
                f"runner with compose.yaml's privileges: {active}/{len(health['isolation'])} "
                f"layers active, missing {sorted(missing) or 'none'}"
            )
            healthcheck = run([*podman, "healthcheck", "run", runner])
            if healthcheck.returncode != 0:
                raise CheckFailed(f"the runner image's HEALTHCHECK: {healthcheck.stderr.strip()}")
            say("runner: the image's HEALTHCHECK passes (podman healthcheck run)")
            check_runner_snippet(runner_url, token, workdir)
            check_bot(podman, host, images["bot"], "", runner_url, token, args.keep)
            if args.postgres:
                check_bot(podman, host, images["bot"], args.postgres, runner_url, token, args.keep)
            else:
                with throwaway_postgres() as url:
                    check_bot(podman, host, images["bot"], url, runner_url, token, args.keep)
        if args.compose:
            sys.modules.setdefault("check_images", sys.modules[__name__])  # one CheckFailed
            from check_compose import check_compose

            check_compose(podman, host, images, base, args.stand_in_base, workdir, args.keep)
    except CheckFailed as failure:
        say(f"FAILED: {failure}")
        say(f"build logs kept in {workdir}")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    say("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
