"""The deployment files say only what the code can do.

There is no container engine on the test machines, so the images are not built here.
What can be checked is: every command the files run is a real `lrquiz` command line
(parsed by the real parser, and its `--help` run), every variable they set is one the code
reads, every path they copy exists, every extra they install is declared, the health
checks probe the ports the commands listen on, and the systemd units pass
`systemd-analyze verify`. The health check paths themselves are fetched from the real
processes in tests/slack, tests/discord and tests/runner `test_metrics.py`.
"""

from __future__ import annotations

import ast
import http.server
import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from bot.cli import build_parser

from .compose import COMPOSE, REPO, healthcheck_url, services

DOCKERFILE = REPO / "Dockerfile"
SYSTEMD = REPO / "deploy" / "systemd"
VENV_LRQUIZ = "/opt/lrquiz/.venv/bin/lrquiz"
# Read by a deployment file itself, not by lrquiz.
FILE_ONLY_VARS = {"LRQUIZ_RUN_ARGS"}
# The PostgreSQL image's own variables.
POSTGRES_VARS = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}


def _source_text() -> str:
    files = [p for d in ("bot", "runner", "storage", "problems") for p in (REPO / d).rglob("*.py")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


SOURCE = _source_text()


def assert_read_by_code(name: str, where: str) -> None:
    assert f'"{name}"' in SOURCE, f"{where}: lrquiz never reads {name}"


def assert_lrquiz_command(argv: list[str], where: str) -> None:
    """A real command line: the parser accepts it whole, and its command's --help runs."""
    assert argv[0] == "lrquiz", f"{where}: {argv} does not run lrquiz"
    try:
        build_parser().parse_args(argv[1:])
    except SystemExit as error:
        raise AssertionError(f"{where}: lrquiz refuses {shlex.join(argv)}") from error
    words = [w for w in argv[1:] if not w.startswith("-")][:2]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *words, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, f"{where}: lrquiz {' '.join(words)} --help: {done.stderr}"


# --- compose.yaml -------------------------------------------------------------------------


def lrquiz_services() -> dict[str, dict]:
    return {name: s for name, s in services().items() if "build" in s}


def test_compose_runs_real_lrquiz_commands() -> None:
    built = lrquiz_services()
    assert set(built) == {"runner", "slack", "discord"}
    for name, service in built.items():
        assert_lrquiz_command(service["command"], f"compose.yaml: {name}")


def test_compose_sets_only_variables_lrquiz_reads() -> None:
    compose_text = COMPOSE.read_text(encoding="utf-8")
    for name, service in services().items():
        for variable in service.get("environment", {}):
            if name == "postgres":
                assert variable in POSTGRES_VARS
            else:
                assert_read_by_code(variable, f"compose.yaml: {name}")
    # every ${VAR} it takes from .env is in the example .env a newcomer copies
    example = (REPO / "deploy" / "env.example").read_text(encoding="utf-8")
    for variable in set(re.findall(r"\$\{(\w+)", compose_text)):
        assert re.search(rf"^#? ?{variable}=", example, re.M), f"env.example lacks {variable}"


def test_compose_health_checks_probe_the_ports_the_commands_listen_on() -> None:
    built = lrquiz_services()
    slack = urlparse(healthcheck_url("slack"))
    command = built["slack"]["command"]
    assert str(slack.port) == command[command.index("--port") + 1]
    discord = urlparse(healthcheck_url("discord"))
    assert str(discord.port) == str(built["discord"]["environment"]["LRQUIZ_METRICS_PORT"])
    runner = urlparse(healthcheck_url("runner"))
    from runner.cli import DEFAULT_PORT

    assert runner.port == DEFAULT_PORT and "--port" not in built["runner"]["command"]
    for name in built:
        assert urlparse(healthcheck_url(name)).hostname == "127.0.0.1"
    # the bots reach the runner at the runner's service name and port
    bot_env = built["slack"]["environment"]
    assert urlparse(bot_env["LRQUIZ_RUNNER_URL"]).port == DEFAULT_PORT
    assert bot_env["LRQUIZ_DB"].startswith("postgresql://")


def test_compose_builds_stages_the_dockerfile_has() -> None:
    stages = set(re.findall(r"^FROM \S+ AS (\w+)$", DOCKERFILE.read_text(), re.M))
    for name, service in lrquiz_services().items():
        assert service["build"]["target"] in stages, name


# --- Dockerfile ---------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current += stripped.removesuffix("\\").strip() + " "
        if not stripped.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def test_dockerfile_copies_paths_that_exist() -> None:
    copies = [args for op, args in dockerfile_instructions() if op == "COPY"]
    assert copies
    for args in copies:
        if args.startswith("--from="):
            continue
        *sources, _ = args.split()
        for source in sources:
            assert (REPO / source).exists(), f"Dockerfile: COPY {source}: no such path"


def test_dockerfile_installs_declared_extras_and_the_pinned_cpu_torch() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    runs = [args for op, args in dockerfile_instructions() if op == "RUN"]
    installed = [m for args in runs for m in re.findall(r'"/tmp/lrquiz\[([\w,]+)\]"', args)]
    assert installed, "no pip install of the project"
    for group in installed:
        for extra in group.split(","):
            assert extra in extras, f"Dockerfile installs the undeclared extra {extra!r}"
    [torch_run] = [args for args in runs if "torch==" in args]
    pin = re.search(r"torch==([\w.]+)", torch_run).group(1)
    assert f"torch=={pin}" in extras["runner"]
    assert '--index-url "${TORCH_INDEX_URL}"' in torch_run
    [default] = [a for op, a in dockerfile_instructions() if a.startswith("TORCH_INDEX_URL=")]
    assert default == "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu"


VALUED_PIP_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-c", "--constraint"}


def stage_pip_installs() -> dict[str, list[list[str]]]:
    """The words after `pip install` of every RUN, by build stage."""
    found: dict[str, list[list[str]]] = {}
    stage = ""
    for op, args in dockerfile_instructions():
        if op == "FROM":
            stage = args.rsplit(" AS ", 1)[1]
        elif op == "RUN":
            for command in args.split("&&"):
                words = shlex.split(command)
                if words[:2] == ["pip", "install"]:
                    found.setdefault(stage, []).append(words[2:])
    return found


def third_party_imports(directory: Path) -> set[str]:
    """Top-level modules `directory` imports that are neither stdlib nor lrquiz's own."""
    modules = set()
    for path in directory.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    first_party = {"bot", "problems", "runner", "storage"}
    return {m for m in modules if m not in sys.stdlib_module_names and m not in first_party}


def distribution(requirement: str) -> str:
    """`psycopg[binary]>=3.2` -> `psycopg`: the name as a module would spell it."""
    return re.match(r"[\w.-]+", requirement).group(0).lower().replace("-", "_")


def test_the_bot_image_installs_what_both_storage_engines_import() -> None:
    """The bot image serves LRQUIZ_DB=postgresql://… (compose.yaml sets it): every package
    storage/ imports must come from the dependencies or the extras the image installs. It
    once installed asyncpg, which lrquiz never imports, and not psycopg, which it does."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    [bot_install] = stage_pip_installs()["bot"]
    [extras] = [re.fullmatch(r"/tmp/lrquiz\[([\w,]+)\]", w)[1] for w in bot_install if "[" in w]
    provided = {distribution(r) for r in project["dependencies"]}
    for extra in extras.split(","):
        provided |= {distribution(r) for r in project["optional-dependencies"][extra]}
    missing = third_party_imports(REPO / "storage") - provided
    assert not missing, f"the bot image lacks {sorted(missing)}: install the extra with it"


def test_the_images_install_only_the_project_and_the_pinned_torch() -> None:
    """Anything else pip installs is a dependency pyproject.toml does not declare."""
    for stage, installs in stage_pip_installs().items():
        for words in installs:
            values = {i + 1 for i, w in enumerate(words) if w in VALUED_PIP_OPTIONS}
            packages = [w for i, w in enumerate(words) if i not in values and w[0] != "-"]
            for package in packages:
                assert package.startswith("/tmp/lrquiz[") or (
                    stage == "runner" and package.startswith("torch==")
                ), f"Dockerfile stage {stage}: pip installs {package}, not declared by lrquiz"


def test_dockerfile_commands_and_health_check_are_real() -> None:
    instructions = dockerfile_instructions()
    commands = [json.loads(args) for op, args in instructions if op == "CMD"]
    assert len(commands) == 2  # bot, runner
    for argv in commands:
        assert_lrquiz_command(argv, "Dockerfile CMD")
    [health] = [args for op, args in instructions if op == "HEALTHCHECK"]
    probe = json.loads(health.split("CMD", 1)[1])
    copied = [args.split() for op, args in instructions if op == "COPY"]
    assert ["deploy/healthcheck.py", f"/usr/local/bin/{probe[0]}"] in copied
    assert urlparse(probe[1]).path == "/v1/health"
    for op, args in instructions:
        if op == "ENV":
            for variable in re.findall(r"(\w+)=", args):
                if not variable.startswith(("PYTHON", "PIP_")):
                    assert_read_by_code(variable, "Dockerfile ENV")


def test_the_health_probe_fails_on_a_dead_port() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "healthcheck.py"), "http://127.0.0.1:9/health"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1 and "127.0.0.1:9/health" in done.stderr


def installed_executables() -> list[tuple[Path, str]]:
    """(source, name) of each file the Dockerfile copies into /usr/local/bin."""
    found = []
    for op, args in dockerfile_instructions():
        if op == "COPY" and not args.startswith("--from="):
            *sources, destination = args.split()
            if destination.startswith("/usr/local/bin/"):
                found += [(REPO / s, destination.rsplit("/", 1)[1]) for s in sources]
    return found


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_health_probe_runs_by_name_as_the_health_checks_run_it(tmp_path: Path) -> None:
    """HEALTHCHECK and compose exec `lrquiz-healthcheck URL` directly (no shell, no python
    in front): without a #! line that is "exec format error", so every check fails."""
    [(source, name)] = installed_executables()
    probe = tmp_path / name
    shutil.copy(source, probe)
    probe.chmod(0o755)  # the Dockerfile's chmod
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        live = f"http://127.0.0.1:{server.server_port}/health"
        for url, code in ((live, 0), ("http://127.0.0.1:9/health", 1)):
            done = subprocess.run([str(probe), url], capture_output=True, text=True, timeout=30)
            assert done.returncode == code, (url, done.stderr)
    finally:
        server.shutdown()
        server.server_close()


# --- systemd ------------------------------------------------------------------------------


def unit_values(path: Path, key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(f"{key}=")
    ]


def env_example(name: str) -> dict[str, str]:
    values = {}
    for line in (SYSTEMD / f"{name}.env.example").read_text(encoding="utf-8").splitlines():
        line = line.lstrip("# ")
        if re.match(r"^[A-Z_]+=", line):
            key, value = line.split("=", 1)
            values[key] = value
    return values


@pytest.mark.parametrize("instance", ["slack", "discord"])
def test_bot_unit_runs_a_real_command_with_its_example_environment(instance: str) -> None:
    unit = SYSTEMD / "lrquiz-bot@.service"
    [exec_start] = unit_values(unit, "ExecStart")
    [env_file] = unit_values(unit, "EnvironmentFile")
    assert env_file == "/etc/lrquiz/%i.env"
    env = env_example(instance)
    expanded = exec_start.replace("%i", instance).replace(
        "$LRQUIZ_RUN_ARGS", env.get("LRQUIZ_RUN_ARGS", "")
    )
    argv = shlex.split(expanded)
    assert argv[0] == VENV_LRQUIZ
    assert_lrquiz_command(["lrquiz", *argv[1:]], f"lrquiz-bot@{instance}")
    for variable in env:
        if variable not in FILE_ONLY_VARS:
            assert_read_by_code(variable, f"{instance}.env.example")


def test_runner_unit_runs_a_real_command() -> None:
    unit = SYSTEMD / "lrquiz-runner.service"
    [exec_start] = unit_values(unit, "ExecStart")
    argv = shlex.split(exec_start)
    assert argv[0] == VENV_LRQUIZ
    assert_lrquiz_command(["lrquiz", *argv[1:]], "lrquiz-runner.service")
    for line in unit_values(unit, "Environment"):
        assert_read_by_code(line.split("=", 1)[0], "lrquiz-runner.service")
    for variable in env_example("runner"):
        assert_read_by_code(variable, "runner.env.example")
    # no hardening option that would switch a sandbox layer off
    text = unit.read_text(encoding="utf-8")
    for option in (
        "RestrictNamespaces",
        "ProtectControlGroups",
        "ProtectKernelTunables",
        "PrivateUsers",
        "SystemCallFilter",
        "MemoryDenyWriteExecute",
    ):
        assert not re.search(rf"^{option}=", text, re.M), option
    assert unit_values(unit, "Delegate") == ["yes"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """`systemd-analyze verify` with the ExecStart binary pointed at this machine's lrquiz
    (the units name /opt/lrquiz/.venv, which does not exist here). It exits 0 even for
    options it ignores, so any output at all is a failure."""
    lrquiz = shutil.which("lrquiz")
    assert lrquiz, "the lrquiz console script is not installed"
    targets = {
        "lrquiz-runner.service": "lrquiz-runner.service",
        "lrquiz-bot@.service": "lrquiz-bot@slack.service",
    }
    paths = []
    for source, target in targets.items():
        text = (SYSTEMD / source).read_text(encoding="utf-8").replace(VENV_LRQUIZ, lrquiz)
        (tmp_path / target).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / target))
    done = subprocess.run(
        ["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr


def test_compose_file_is_plain_yaml_with_merge_keys_resolved() -> None:
    """The anchors (x-bot, x-bot-env) resolve: each bot has the shared environment."""
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    for name in ("slack", "discord"):
        service = data["services"][name]
        assert service["environment"]["LRQUIZ_RUNNER_URL"] == "http://runner:8765"
        assert service["depends_on"]["runner"]["condition"] == "service_healthy"
        assert service["restart"] == "unless-stopped"


def test_dockerfile_base_image_and_apt_packages_fit() -> None:
    """The base image's Python satisfies requires-python, and every package apt installs
    exists in this Debian release (the image's bookworm), when apt-cache can tell."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    text = DOCKERFILE.read_text(encoding="utf-8")
    image = re.search(r"^ARG PYTHON_IMAGE=python:(\d+)\.(\d+)-slim-(\w+)$", text, re.M)
    assert image, "the base image is not a pinned python:X.Y-slim-<debian> tag"
    wanted = re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"])
    assert (int(image[1]), int(image[2])) >= (int(wanted[1]), int(wanted[2]))
    packages = [
        word
        for op, args in dockerfile_instructions()
        if op == "RUN" and "apt-get install" in args
        for word in args.split("apt-get install", 1)[1].split("&&")[0].split()
        if not word.startswith("-")
    ]
    assert packages == ["libseccomp2"]
    release = Path("/etc/os-release")
    if shutil.which("apt-cache") is None or f"({image[3]})" not in release.read_text():
        pytest.skip(f"no apt-cache for Debian {image[3]} here")
    for package in packages:
        shown = subprocess.run(
            ["apt-cache", "show", package], capture_output=True, text=True, timeout=60
        )
        assert shown.returncode == 0 and f"Package: {package}" in shown.stdout, package


# --- deploy/check_images.py (run by hand with podman, never in CI) -------------------------


def test_the_image_check_script_starts_and_what_it_drives_exists() -> None:
    """Only its --help runs here (it builds images); the fakes and helpers it borrows from
    tests/slack must still exist under the names it uses."""
    script = REPO / "deploy" / "check_images.py"
    done = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0 and "--stand-in-base" in done.stdout, done.stderr
    from tests.slack import support
    from tests.slack.fake_slack import FakeSlack

    for name in ("RUNNING", "action_body", "all_text", "button", "command_body", "signed_headers"):
        assert hasattr(support, name), name
    assert callable(FakeSlack().response_url)
    assert "Real output (PyTorch" in (REPO / "bot" / "real_output.py").read_text()


def test_compose_keeps_dockers_seccomp_profile_on_the_runner() -> None:
    """Granted SYS_ADMIN, Docker's default seccomp profile allows unshare, mount and setns:
    under it (moby's default.json, loaded by podman) all 20 layers were active. Switching it
    off only widens what the runner's own HTTP process may call."""
    runner = services()["runner"]
    assert "seccomp=unconfined" not in runner["security_opt"]
    assert "SYS_ADMIN" in runner["cap_add"] and runner["cap_drop"] == ["ALL"]


def test_the_readmes_docker_run_grants_what_compose_grants() -> None:
    """Someone copying the README's `docker run` gets the runner compose runs: the same
    capabilities and security options, Docker's seccomp profile left on."""
    readme = (REPO / "README.md").read_text()
    command = re.search(r"```bash\n(docker run [^`]*?lrquiz runner serve[^`]*?)```", readme)
    assert command is not None, "README: the runner's docker run example"
    words = shlex.split(command.group(1).replace("\\\n", " "))
    granted = {words[i + 1] for i, word in enumerate(words) if word == "--cap-add"}
    options = [words[i + 1] for i, word in enumerate(words) if word == "--security-opt"]
    runner = services()["runner"]
    assert granted == set(runner["cap_add"])
    assert options == runner["security_opt"]
