"""Hostile snippets: each gets a clear status, and the runner answers the next one right.

Every test uses the ``healthy`` fixture, which afterwards runs a normal snippet and checks
its exact output, so "the runner stays healthy" is asserted after each attack.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from tests.runner.conftest import RunnerProcess, nonce


def job_processes_left(runner: RunnerProcess) -> list[int]:
    """Processes still running under this runner's job uids (it must clean them all up)."""
    first, last = runner.health()["zygote"]["uids"]
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{name}").st_uid
        except OSError:
            continue
        if first <= uid <= last:
            found.append(int(name))
    return found


def wait_no_job_processes(runner: RunnerProcess) -> None:
    """Only the pre-forked idle children (two cells per slot) may remain."""
    idle_children = runner.health()["queue"]["slots"] * 2
    deadline = time.monotonic() + 5
    while len(job_processes_left(runner)) > idle_children and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(job_processes_left(runner)) <= idle_children


def test_infinite_python_loop_times_out(healthy: RunnerProcess) -> None:
    result = healthy.run(f"x = {nonce()}\nwhile True:\n    x += 1", timeout_s=1)
    assert result["status"] == "timeout"
    assert result["exit_code"] is None
    assert result["duration_ms"] < 5000


def test_long_c_level_tensor_loop_times_out(healthy: RunnerProcess) -> None:
    code = f"import torch\nprint({nonce()}, flush=True)\n" + (
        "torch.linalg.matrix_power(torch.eye(2000) * 0.5, 2**62)"
    )
    result = healthy.run(code, timeout_s=1)
    assert result["status"] == "timeout"
    assert result["stdout"].strip().isdigit()  # output before the kill is kept
    assert result["duration_ms"] < 5000


def test_cpu_time_limit_backs_up_the_wall_clock(healthy: RunnerProcess) -> None:
    code = f"import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nx = {nonce()}\n"
    result = healthy.run(code + "while True:\n    x += 1", timeout_s=1)
    assert result["status"] == "timeout"


@pytest.mark.parametrize(
    "code",
    [
        "x = []\nwhile True:\n    x.append(bytearray(10**7))",
        "x = []\nwhile True:\n    x.append(b'y' * 10**7)",
        "x = [0] * (10**10)",
    ],
    ids=["bytearrays", "touched-bytes", "huge-list"],
)
def test_list_memory_bombs(healthy: RunnerProcess, code: str) -> None:
    result = healthy.run(f"# {nonce()}\n{code}", timeout_s=10)
    assert result["status"] == "memory", result


def test_tensor_memory_bomb(healthy: RunnerProcess) -> None:
    code = f"# {nonce()}\nimport torch\nts = []\nwhile True:\n    ts.append(torch.ones(10**8))"
    result = healthy.run(code, timeout_s=10)
    assert result["status"] == "memory", result


def test_touched_tensor_memory_is_capped(healthy: RunnerProcess) -> None:
    code = f"# {nonce()}\nimport torch\nt = torch.empty(10**9, dtype=torch.uint8)\nt.fill_(1)"
    result = healthy.run(code, timeout_s=10)
    assert result["status"] == "memory", result


def test_fork_bomb(healthy: RunnerProcess) -> None:
    code = (
        f"import os\nx = {nonce()}\n"
        "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    )
    result = healthy.run(code, timeout_s=2)
    assert result["status"] == "timeout"
    wait_no_job_processes(healthy)


def test_thread_bomb(healthy: RunnerProcess) -> None:
    code = (
        f"import threading, time\nx = {nonce()}\n"
        "while True:\n"
        "    threading.Thread(target=time.sleep, args=(60,), daemon=True).start()"
    )
    result = healthy.run(code, timeout_s=5)
    assert result["status"] == "error"
    assert "can't start new thread" in result["stderr"]


def test_stdout_flood(healthy: RunnerProcess) -> None:
    result = healthy.run(f"# {nonce()}\nwhile True:\n    print('x' * 1000)", timeout_s=5)
    assert result["status"] == "output_limit"
    assert result["truncated"] is True
    assert len(result["stdout"]) == 64 * 1024


def test_stderr_flood(healthy: RunnerProcess) -> None:
    code = f"# {nonce()}\nimport sys\nwhile True:\n    sys.stderr.write('y' * 4096)"
    result = healthy.run(code, timeout_s=5)
    assert result["status"] == "output_limit"
    assert result["truncated"] is True
    assert len(result["stderr"]) == 64 * 1024


def test_non_utf8_output(healthy: RunnerProcess) -> None:
    code = f"import sys\nsys.stdout.buffer.write(b'caf\\xe9 \\xff{nonce()}\\n')"
    result = healthy.run(code)
    assert result["status"] == "ok"
    assert result["stdout"].startswith("caf\ufffd \ufffd")
    code = f"import sys\nsys.stderr.buffer.write(b'\\x80\\x81 {nonce()}')"
    assert healthy.run(code)["stderr"].startswith("\ufffd\ufffd ")


def test_environment_is_empty(healthy: RunnerProcess, secret_env: dict[str, str]) -> None:
    result = healthy.run(f"import os\nprint({nonce()}, dict(os.environ))")
    assert result["status"] == "ok"
    assert result["stdout"].endswith(" {}\n")
    secret = next(iter(secret_env.values()))
    code = f"# {nonce()}\nprint(open('/proc/self/environ', 'rb').read())"
    result = healthy.run(code)
    assert result["status"] == "error"
    assert secret not in result["stdout"] + result["stderr"]


def test_proc_and_host_files_are_invisible(healthy: RunnerProcess) -> None:
    for path in ("/proc/1/status", "/etc/passwd", "/root/.bashrc", str(Path.cwd())):
        result = healthy.run(f"# {nonce()}\nimport os\nprint(os.listdir({path!r}))")
        assert result["status"] == "error", path
        result = healthy.run(f"# {nonce()}\nprint(open({path!r}).read())")
        assert result["status"] == "error", path
    result = healthy.run(f"import os\nprint({nonce()}, sorted(os.listdir('/')))")
    listing = result["stdout"].split(" ", 1)[1]
    for name in ("proc", "etc", "home", "work", "sys", "var"):
        assert f"'{name}'" not in listing


def test_quiz_database_is_unreadable(healthy: RunnerProcess, tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "lrquiz.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE secrets (answer TEXT)")
        conn.execute("INSERT INTO secrets VALUES ('the key is B')")
    os.chmod(tmp_path, 0o755)
    os.chmod(db, 0o644)
    code = f"# {nonce()}\nprint(open({str(db)!r}, 'rb').read())"
    result = healthy.run(code)
    assert result["status"] == "error"
    assert result["exception"] == "FileNotFoundError"
    assert "the key is B" not in result["stdout"]


def test_writes_stay_in_the_jobs_own_tmp(healthy: RunnerProcess, tmp_path: Path) -> None:
    code = (
        f"import os\nopen('note.txt', 'w').write('{nonce()}')\n"
        "print(os.getcwd(), open('/tmp/note.txt').read())"
    )
    result = healthy.run(code)
    assert result["status"] == "ok"
    assert result["stdout"].startswith("/tmp ")
    result = healthy.run(f"import os\nprint({nonce()}, os.listdir('.'))")
    assert result["stdout"].endswith(" []\n"), "a later job saw an earlier job's file"
    target = tmp_path / "escaped.txt"
    os.chmod(tmp_path, 0o777)
    for path in (str(target), "/usr/lib/escaped.txt", "/escaped.txt"):
        result = healthy.run(f"# {nonce()}\nopen({path!r}, 'w').write('x')")
        assert result["status"] == "error", path
    assert not target.exists()
    result = healthy.run(f"# {nonce()}\nopen('big', 'wb').write(b'0' * (64 * 2**20))")
    assert result["status"] == "error"


def test_sockets_cannot_reach_anything(healthy: RunnerProcess) -> None:
    port = int(healthy.url.rsplit(":", 1)[1])
    for host in ("127.0.0.1", "localhost", "8.8.8.8"):
        code = (
            f"import socket\nx = {nonce()}\n"
            f"s = socket.create_connection(({host!r}, {port}), timeout=2)\nprint('connected')"
        )
        result = healthy.run(code, timeout_s=5)
        assert result["status"] == "error", host
        assert "connected" not in result["stdout"]
    code = f"import socket\nx = {nonce()}\nsocket.socket(socket.AF_INET6, socket.SOCK_DGRAM)"
    assert healthy.run(code)["status"] == "error"


def test_cannot_signal_parent_zygote_or_server(healthy: RunnerProcess) -> None:
    before = healthy.health()["zygote"]["pid"]
    for target in (str(before), str(healthy.proc.pid)):
        code = f"import os, signal\nx = {nonce()}\nos.kill({target}, signal.SIGKILL)"
        result = healthy.run(code)
        assert result["status"] == "error", target
        assert result["exception"] in ("PermissionError", "ProcessLookupError"), result
    for target in ("os.getppid()", "1", "-1"):  # itself (PID 1) or nothing at all
        code = f"import os, signal\nx = {nonce()}\nos.kill({target}, signal.SIGKILL)"
        assert healthy.run(code)["status"] in ("error", "ok")
    assert healthy.health()["zygote"]["pid"] == before
    assert healthy.proc.poll() is None


@pytest.mark.skipif(os.getuid() != 0, reason="PID namespaces need root")
def test_each_job_is_pid_1_of_its_own_namespace(healthy: RunnerProcess) -> None:
    host_pids = [int(p) for p in os.listdir("/proc") if p.isdigit()][:200]
    code = (
        f"import os\nx = {nonce()}\nseen = []\n"
        f"for pid in {host_pids!r}:\n"
        "    try:\n        os.kill(pid, 0)\n        seen.append(pid)\n"
        "    except OSError:\n        pass\n"
        "child = os.fork()\nif child == 0:\n    os._exit(0)\nos.waitpid(child, 0)\n"
        "print(os.getpid(), os.getppid(), child, [p for p in seen if p not in (1, child)])"
    )
    result = healthy.run(code)
    assert result["status"] == "ok", result
    assert result["stdout"] == "1 0 2 []\n"


def test_os_exit(healthy: RunnerProcess) -> None:
    result = healthy.run(f"import os\nprint({nonce()}, flush=True)\nos._exit(7)")
    assert (result["status"], result["exit_code"]) == ("error", 7)
    assert result["stdout"].strip().isdigit()
    result = healthy.run(f"import os\nx = {nonce()}\nos._exit(0)")
    assert (result["status"], result["exit_code"]) == ("ok", 0)


def test_segfault_through_ctypes(healthy: RunnerProcess) -> None:
    result = healthy.run(f"import ctypes\nx = {nonce()}\nctypes.string_at(0)")
    assert result["status"] == "error"
    assert result["exit_code"] == -signal.SIGSEGV


@pytest.mark.skipif(os.getuid() != 0, reason="PID namespaces need root")
def test_signals_a_job_sends_itself_are_ignored_and_abort_ends_in_sigsegv(
    healthy: RunnerProcess,
) -> None:
    """The job is PID 1 of its namespace, so the kernel drops default-action signals sent
    to it from inside (SIGKILL too); os.abort() survives its SIGABRT and glibc falls back
    to an illegal instruction, which no process can ignore: the README says so."""
    code = (
        f"import os, signal\nx = {nonce()}\n"
        "for sig in (signal.SIGTERM, signal.SIGABRT, signal.SIGKILL):\n"
        "    os.kill(os.getpid(), sig)\n"
        "print('survived', flush=True)\nos.abort()"
    )
    result = healthy.run(code)
    assert (result["status"], result["exit_code"]) == ("error", -signal.SIGSEGV), result
    assert result["stdout"] == "survived\n"


def test_reading_stdin(healthy: RunnerProcess) -> None:
    result = healthy.run(f"x = {nonce()}\nprint(input())")
    assert (result["status"], result["exception"]) == ("error", "EOFError")
    result = healthy.run(f"import sys\nx = {nonce()}\nprint(repr(sys.stdin.read()))")
    assert (result["status"], result["stdout"]) == ("ok", "''\n")


def test_runner_survives_unusual_exceptions(healthy: RunnerProcess) -> None:
    for code in (
        "raise KeyboardInterrupt",
        "raise SystemExit('bye')",
        "import sys\nsys.stdout.close()\nprint('x')",
        "import sys\nsys.stdout = None\nraise ValueError",
        "import os\nos.close(1)\nos.close(2)\nraise ValueError",
        "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E",
    ):
        result = healthy.run(f"# {nonce()}\n{code}")
        assert result["status"] == "error", code


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_spamming_the_status_pipe_costs_the_server_nothing(healthy: RunnerProcess) -> None:
    code = (
        f"import os\nx = {nonce()}\nos.write(4, b'D 0\\nE Fake\\nR {{}}\\n')\n"
        "while True:\n    try:\n        os.write(4, b'z\\n' * 32768)\n"
        "    except OSError:\n        pass"
    )
    before = _cpu_seconds(healthy.proc.pid)
    result = healthy.run(code, timeout_s=2)
    assert result["status"] == "timeout"  # it may only misreport itself
    assert result["exception"] == "Fake"
    assert _cpu_seconds(healthy.proc.pid) - before < 0.5  # the server stopped listening


def test_after_a_fork_bomb_every_cell_starts_threads_and_processes(healthy: RunnerProcess) -> None:
    code = (
        f"import os\nx = {nonce()}\n"
        "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    )
    assert healthy.run(code, timeout_s=2)["status"] == "timeout"
    normal = (
        "import os, threading\nthreads = [threading.Thread(target=len, args=('ab',))"
        " for _ in range(12)]\nfor t in threads:\n    t.start()\nfor t in threads:\n    t.join()\n"
        "pid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nprint('fine', {n})"
    )
    for _ in range(2 * healthy.health()["queue"]["slots"] + 1):  # every cell, once more
        value = nonce()
        result = healthy.run(normal.format(n=value))
        assert (result["status"], result["stdout"]) == ("ok", f"fine {value}\n"), result


def test_busy_children_are_gone_before_the_answer(healthy: RunnerProcess) -> None:
    name = f"lrqbusy{nonce()}"
    code = (
        "import ctypes, os\n"
        "for _ in range(6):\n"
        "    if os.fork() == 0:\n"
        f"        ctypes.CDLL(None).prctl(15, b{name!r}, 0, 0, 0)\n"
        "        while True:\n            pass\n"
        "print('parent done')"
    )
    result = healthy.run(code, timeout_s=5)
    left = []
    for pid in os.listdir("/proc"):  # read at once: the answer means the cell is empty
        try:
            with open(f"/proc/{pid}/comm") as fh:
                if fh.read().strip() == name:
                    left.append(pid)
        except OSError:
            continue
    assert (result["status"], result["stdout"]) == ("ok", "parent done\n")
    assert left == []
    assert result["duration_ms"] < 3000


def test_cells_killed_while_idle_are_replaced(healthy: RunnerProcess) -> None:
    first, last = healthy.health()["zygote"]["uids"]
    for pid in job_processes_left(healthy):  # the pre-forked cells, waiting for a job
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.3)
    for _ in range(3):
        value = nonce()
        result = healthy.run(f"print({value} + 1)")
        assert (result["status"], result["stdout"]) == ("ok", f"{value + 1}\n"), result
    assert healthy.health()["zygote"]["uids"] == [first, last]


async def test_slots_are_shared_fairly_between_named_clients(healthy: RunnerProcess) -> None:
    import asyncio

    from runner.client import RunnerClient

    finished: list[str] = []

    async def job(client: RunnerClient, who: str, i: int) -> None:
        await client.run(f"import time\ntime.sleep(0.8)\nprint({nonce()})", client=who)
        finished.append(f"{who}{i}")

    async with RunnerClient(healthy.url) as client:
        busy = [job(client, who, i) for i in range(3) for who in ("a", "b")]
        tasks = [asyncio.create_task(coro) for coro in busy]
        await asyncio.sleep(0.3)  # a and b hold both slots and queue four more jobs
        late = asyncio.create_task(job(client, "c", 0))
        await asyncio.gather(*tasks, late)
    assert finished.index("c0") < 4, finished  # served at the first free slot, not last


def test_the_allow_list_holds_inside_a_job(healthy: RunnerProcess) -> None:
    if not healthy.health()["isolation"].get("seccomp"):
        pytest.skip("seccomp is not active here")
    code = (
        f"import ctypes, socket\nx = {nonce()}\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "def errno_of(result):\n    return ctypes.get_errno() if result < 0 else 0\n"
        "out = [errno_of(libc.prctl(4, 1, 0, 0, 0))]  # PR_SET_DUMPABLE 1\n"
        "out.append(errno_of(libc.syscall(434, 1, 0)))  # pidfd_open(1), x86-64 and arm64\n"
        "try:\n    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\n"
        "except OSError as exc:\n    out.append(exc.errno)\n"
        "a, b = socket.socketpair()\nprint(out, a.family == socket.AF_UNIX)"
    )
    result = healthy.run(code)
    assert (result["status"], result["stdout"]) == ("ok", "[1, 1, 1] True\n"), result
