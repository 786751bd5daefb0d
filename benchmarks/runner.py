"""Runner cost through the HTTP API, against cold interpreters measured in the same run.

    python benchmarks/runner.py [--requests 200] [--cold 10] [--throughput 60] [--strict]

Starts ``python -m runner serve`` on a free port with a fresh cache and every isolation
layer it can get, then measures on a realistic quiz snippet (a model, an optimizer with
two parameter groups, one training step; each request distinct, so a cache miss):

- warm latency, one request at a time (p50/p95), and cached latency;
- the same snippets as a fresh ``python -c`` each, and as a fresh interpreter in new
  PID/net/mount/IPC/UTS namespaces via ``unshare(1)`` (the snekbox/nsjail approach; root
  only), both in this run, so speed-ups are ratios on this machine at this moment;
- throughput with 1, 2, 4 and 8 concurrent clients, and the ceiling on 1 -> 2 scaling that
  the CPU per job sets: machine-wide busy time per job (kernel threads and this client
  included) over the time one client takes per job is how many cores one client already
  keeps busy;
- the runner's memory: PSS of the front end alone, and of it with zygote and cells.

Targets: warm p50 <= 20 ms, >= 100x faster than a cold interpreter, 2 clients >= 1.7x
the throughput of 1 (on two or more cores), cached p50 <= 2 ms. ``--strict`` exits 1 when
a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.procstat import TICK, cpu_seconds, machine_busy_seconds, stat  # noqa: E402
from runner.client import RunnerClient  # noqa: E402

WARM_P50_MS = 20.0
SPEEDUP = 100.0
SCALING_1_TO_2 = 1.7
CACHED_P50_MS = 2.0

SNIPPET = """import torch
from torch import nn
torch.manual_seed({i})
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD([
    {{"params": model[0].parameters(), "lr": {lr}}},
    {{"params": model[2].parameters(), "lr": {lr} * 10}},
], lr=0.1, momentum=0.9)
loss = nn.functional.mse_loss(model(torch.randn(16, 4)), torch.zeros(16, 2))
opt.zero_grad()
loss.backward()
opt.step()
print([g["lr"] for g in opt.param_groups], round(loss.item(), 4))
"""


def snippet(i: int) -> str:
    """Distinct code for every ``i`` (a different learning rate and seed)."""
    return SNIPPET.format(i=i, lr=round(0.001 * (1 + i % 1000), 6))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start_runner(cache: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LRQUIZ_RUNNER_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "serve", "--port", "0", "--cache", str(cache)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(REPO),
    )
    assert proc.stdout is not None
    match = re.search(r"listening on (http://\S+)", proc.stdout.readline())
    if not match:
        proc.kill()
        raise SystemExit("runner did not start")
    return proc, match.group(1)


async def wait_ready(client: RunnerClient) -> dict:
    deadline = time.monotonic() + 120
    while True:
        try:
            health = await client.health()
            if health.get("ok"):
                return health
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("runner did not become ready")
        await asyncio.sleep(0.1)


async def timed_runs(client: RunnerClient, codes: list[str], expect_cached: bool) -> list[float]:
    latencies = []
    for code in codes:
        started = time.perf_counter()
        result = await client.run(code)
        latencies.append((time.perf_counter() - started) * 1000)
        if result.status != "ok" or result.cached != expect_cached:
            raise SystemExit(f"unexpected result {result.status} cached={result.cached}")
    return latencies


async def throughput(url: str, clients: int, codes: list[str]) -> float:
    """Jobs per second with ``clients`` sending back to back (each its own connection)."""
    chunks = [codes[i::clients] for i in range(clients)]

    async def one(chunk: list[str]) -> None:
        async with RunnerClient(url) as client:
            await timed_runs(client, chunk, expect_cached=False)

    started = time.perf_counter()
    await asyncio.gather(*(one(chunk) for chunk in chunks))
    return len(codes) / (time.perf_counter() - started)


def cold_runs(codes: list[str], prefix: list[str]) -> list[float]:
    """One fresh interpreter per snippet, optionally inside ``prefix`` (e.g. unshare)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    latencies = []
    for code in codes:
        started = time.perf_counter()
        subprocess.run(
            [*prefix, sys.executable, "-c", code], check=True, capture_output=True, env=env
        )
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


SNIPPET_CPU = """
import contextlib, io, sys, time, torch
torch.set_num_threads(1)
codes = sys.stdin.read().split("\\0")
for code in codes[:5]:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, {"__name__": "__main__"})
started = time.process_time()
for code in codes[5:]:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<snippet>", "exec"), {"__name__": "__main__"})
print((time.process_time() - started) / (len(codes) - 5) * 1000)
"""


def snippet_cpu_ms(codes: list[str]) -> float:
    """CPU the snippets take by themselves, executed in one warm interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET_CPU],
        input="\0".join(codes),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    return float(done.stdout)


def snekbox_prefix() -> tuple[list[str] | None, str]:
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "unshare(1) not installed"
    if os.getuid() != 0:
        return None, "needs root"
    flags = ["--fork", "--pid", "--net", "--mount", "--ipc", "--uts", "--mount-proc"]
    return [unshare, *flags], ""


@dataclass(frozen=True)
class Accounting:
    """CPU seconds and minor page faults of the front end, the zygote and its reaped cells."""

    server: float = 0.0
    zygote: float = 0.0
    cells: float = 0.0
    cell_faults: int = 0
    zygote_faults: int = 0

    def __sub__(self, other: Accounting) -> Accounting:
        return Accounting(
            self.server - other.server,
            self.zygote - other.zygote,
            self.cells - other.cells,
            self.cell_faults - other.cell_faults,
            self.zygote_faults - other.zygote_faults,
        )

    @property
    def total(self) -> float:
        return self.server + self.zygote + self.cells


def runner_accounting(server: int, zygote: int) -> Accounting:
    """From /proc: cells are the zygote's children, counted once it has reaped them."""
    front, zyg = stat(server) or [0] * 14, stat(zygote) or [0] * 14
    return Accounting(
        server=(front[10] + front[11]) / TICK,
        zygote=(zyg[10] + zyg[11]) / TICK,
        cells=(zyg[12] + zyg[13]) / TICK,
        cell_faults=zyg[7],
        zygote_faults=zyg[6],
    )


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


async def main(args: argparse.Namespace) -> int:
    workdir = tempfile.TemporaryDirectory(prefix="lrquiz-bench-")
    proc, url = start_runner(Path(workdir.name) / "cache.db")
    base = int(time.time() * 1000) % 10**6 * 10**4
    try:
        async with RunnerClient(url) as client:
            health = await wait_ready(client)
            await timed_runs(client, [snippet(base + i) for i in range(-30, 0)], False)
            codes = [snippet(base + i) for i in range(args.requests)]
            warm = await timed_runs(client, codes, expect_cached=False)
            cached = await timed_runs(client, codes, expect_cached=True)
        zygote = health["zygote"]["pid"]
        before = runner_accounting(proc.pid, zygote)
        machine_before, client_before = machine_busy_seconds(), cpu_seconds(os.getpid())
        cpu_started = time.perf_counter()
        async with RunnerClient(url) as client:
            cpu_codes = [snippet(base - 100 - i) for i in range(args.cpu)]
            await timed_runs(client, cpu_codes, expect_cached=False)
        interval_ms = (time.perf_counter() - cpu_started) / args.cpu * 1000
        machine_ms = (machine_busy_seconds() - machine_before) / args.cpu * 1000
        client_ms = (cpu_seconds(os.getpid()) - client_before) / args.cpu * 1000
        spent = runner_accounting(proc.pid, zygote) - before
        cpu_per_job = spent.total / args.cpu * 1000
        rates = {}
        offset = args.requests
        for clients in (1, 2, 4, 8):
            batch = [snippet(base + offset + i) for i in range(args.throughput)]
            offset += args.throughput
            rates[clients] = await throughput(url, clients, batch)
        front_pss = pss_kb(proc.pid)
        total_pss = sum(pss_kb(pid) for pid in descendants(proc.pid))
    finally:
        proc.terminate()
        proc.wait(30)
        workdir.cleanup()
    snippet_ms = snippet_cpu_ms(codes[:60])
    sample = codes[: args.cold]
    cold = cold_runs(sample, [])
    prefix, snekbox_reason = snekbox_prefix()
    snekbox = cold_runs(sample, prefix) if prefix else []

    warm_p50, warm_p95 = percentile(warm, 50), percentile(warm, 95)
    cached_p50, cached_p95 = percentile(cached, 50), percentile(cached, 95)
    cold_p50 = statistics.median(cold)
    speedup = cold_p50 / warm_p50
    scaling = rates[2] / rates[1]
    active = sorted(k for k, v in health["isolation"].items() if v)
    missing = health.get("isolation_missing", {})
    print(
        f"runner benchmark  python {health['runtime'].get('python')}  "
        f"torch {health['torch']}  cpus {os.cpu_count()}  slots {health['queue']['slots']}"
    )
    print(f"snippet: a model, SGD with two parameter groups, one step ({len(warm)} distinct)")
    print(f"warm (uncached, isolation on)    p50 {warm_p50:7.2f} ms  p95 {warm_p95:7.2f} ms")
    print(f"cached                           p50 {cached_p50:7.2f} ms  p95 {cached_p95:7.2f} ms")
    print(f"cold `python -c`                 p50 {cold_p50:7.1f} ms  (baseline, n={len(cold)})")
    if snekbox:
        snekbox_p50 = statistics.median(snekbox)
        print(
            f"cold python in unshare(1) nspaces p50 {snekbox_p50:6.1f} ms  "
            f"(snekbox-style baseline, n={len(snekbox)})"
        )
    else:
        print(f"cold snekbox-style baseline skipped: {snekbox_reason}")
    print(f"speed-up warm vs cold: {speedup:.0f}x")
    if snekbox:
        print(f"speed-up warm vs snekbox-style: {statistics.median(snekbox) / warm_p50:.0f}x")
    print(
        "throughput (jobs/s)  "
        + "  ".join(f"{c} client{'s' if c > 1 else ''}: {r:6.1f}" for c, r in rates.items())
    )
    print(f"scaling 1 -> 2 clients: {scaling:.2f}x")
    print(
        f"CPU per job: runner {cpu_per_job:.1f} ms (front end + zygote + cell), of which the "
        f"snippet itself {snippet_ms:.1f} ms (warm interpreter, same run); "
        f"overhead {cpu_per_job - snippet_ms:.1f} ms"
    )
    print(
        f"  split per job: front end {spent.server / args.cpu * 1000:.1f} ms, zygote "
        f"{spent.zygote / args.cpu * 1000:.1f} ms with {spent.zygote_faults / args.cpu:.0f} page "
        f"faults, cell {spent.cells / args.cpu * 1000:.1f} ms with "
        f"{spent.cell_faults / args.cpu:.0f}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    # One client at a time already keeps more than one core busy: the next cell is forked and
    # sandboxed on the other core while a job runs. Two clients cannot use more than two.
    cores_busy = machine_ms / interval_ms
    print(
        f"machine CPU per job, 1 client: {machine_ms:.1f} ms (runner, this client "
        f"{client_ms:.1f} ms, kernel threads) every {interval_ms:.1f} ms: {cores_busy:.2f} "
        f"cores busy, so {os.cpu_count()} cores allow at most "
        f"{(os.cpu_count() or 1) / cores_busy:.2f}x from 1 client to more"
    )
    print(f"PSS  front end {front_pss / 1024:6.1f} MB   runner total {total_pss / 1024:6.1f} MB")
    print(f"isolation active ({len(active)}): {', '.join(active)}")
    if missing:
        print("isolation missing: " + "; ".join(f"{k}: {v}" for k, v in sorted(missing.items())))
    checks = [
        (f"warm p50 <= {WARM_P50_MS:g} ms", warm_p50 <= WARM_P50_MS),
        (f"warm >= {SPEEDUP:g}x faster than cold", speedup >= SPEEDUP),
        (f"cached p50 <= {CACHED_P50_MS:g} ms", cached_p50 <= CACHED_P50_MS),
    ]
    if (os.cpu_count() or 1) >= 2 and health["queue"]["slots"] >= 2:
        checks.append((f"1 -> 2 clients >= {SCALING_1_TO_2:g}x", scaling >= SCALING_1_TO_2))
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")
    return 1 if args.strict and not all(passed for _, passed in checks) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="distinct snippets to time")
    parser.add_argument("--cold", type=int, default=10, help="cold interpreter runs per kind")
    parser.add_argument("--throughput", type=int, default=60, help="jobs per concurrency level")
    parser.add_argument("--cpu", type=int, default=100, help="jobs to measure CPU per job")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    sys.exit(asyncio.run(main(parser.parse_args())))
