"""Runner latency through the HTTP API, against a cold ``python -c`` measured in the same run.

    python benchmarks/runner.py [--requests 200] [--cold 10] [--url URL] [--strict]

Starts ``python -m runner serve`` on a free port with a fresh cache (unless ``--url``),
sends distinct learning-rate snippets one after another (each a cache miss, isolation on),
then sends them again (cache hits), then runs a sample of the same snippets as a fresh
``python -c`` subprocess each, the approach of snekbox-style runners. Machines are noisy, so
the speed-up is judged against that baseline from this very run. Prints the figures, the
targets (warm p50 <= 30 ms and >= 50x faster than cold; cached p50 <= 2 ms) and the
isolation layers that were active. ``--strict`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from runner.client import RunnerClient  # noqa: E402

WARM_P50_MS = 30.0
SPEEDUP = 50.0
CACHED_P50_MS = 2.0

TEMPLATES = (
    """import torch
from torch import nn
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD([
    {{"params": model[0].parameters(), "lr": {lr}}},
    {{"params": model[2].parameters()}},
], lr=0.1)
print([g["lr"] for g in opt.param_groups])
""",
    """import torch
torch.manual_seed({i})
w = torch.randn(3, requires_grad=True)
opt = torch.optim.AdamW([w], lr={lr}, weight_decay=0.01)
loss = (w ** 2).sum()
loss.backward()
opt.step()
print(w)
""",
    """import torch
opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr={lr})
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
for _ in range(3):
    opt.step()
    sched.step()
print(sched.get_last_lr())
""",
    """import torch
from torch import nn
layers = [nn.Linear(4, 4) for _ in range(4)]
groups = [{{"params": l.parameters(), "lr": {lr} * 0.8 ** i}} for i, l in enumerate(layers)]
opt = torch.optim.Adam(groups)
print([round(g["lr"], 6) for g in opt.param_groups])
""",
)


def snippet(i: int) -> str:
    """Distinct code for every ``i``, cycling through typical quiz shapes."""
    return TEMPLATES[i % len(TEMPLATES)].format(i=i, lr=round(0.001 * (1 + i), 6))


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


def cold_runs(codes: list[str]) -> list[float]:
    """One fresh interpreter per snippet, the no-zygote baseline."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    latencies = []
    for code in codes:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env=env)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def main(args: argparse.Namespace) -> int:
    proc = None
    workdir = tempfile.TemporaryDirectory(prefix="lrquiz-bench-")
    url = args.url
    if url is None:
        proc, url = start_runner(Path(workdir.name) / "cache.db")
    try:
        async with RunnerClient(
            url, os.environ.get("LRQUIZ_RUNNER_TOKEN") if args.url else None
        ) as client:
            health = await wait_ready(client)
            base = int(time.time() * 1000) % 10**6 * 10**4  # distinct across runs on --url
            await timed_runs(client, [snippet(base + i) for i in range(-20, 0)], False)
            codes = [snippet(base + i) for i in range(args.requests)]
            warm = await timed_runs(client, codes, expect_cached=False)
            cached = await timed_runs(client, codes, expect_cached=True)
            health = await client.health()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
        workdir.cleanup()
    cold = cold_runs(codes[: args.cold])

    warm_p50, warm_p95 = percentile(warm, 50), percentile(warm, 95)
    cached_p50, cached_p95 = percentile(cached, 50), percentile(cached, 95)
    cold_p50 = statistics.median(cold)
    speedup = cold_p50 / warm_p50
    active = sorted(k for k, v in health["isolation"].items() if v)
    missing = health.get("isolation_missing", {})
    print(
        f"runner benchmark  python {health['runtime'].get('python')}  "
        f"torch {health['torch']}  cpus {os.cpu_count()}  slots {health['queue']['slots']}"
    )
    print(
        f"uncached (warm zygote, isolation on)  n={len(warm):<4} "
        f"p50 {warm_p50:7.2f} ms  p95 {warm_p95:7.2f} ms"
    )
    print(
        f"cached                                n={len(cached):<4} "
        f"p50 {cached_p50:7.2f} ms  p95 {cached_p95:7.2f} ms"
    )
    print(
        f"cold `python -c` per snippet          n={len(cold):<4} "
        f"p50 {cold_p50:7.1f} ms  (baseline, same run)"
    )
    print(f"speed-up warm vs cold: {speedup:.0f}x")
    print(f"isolation active ({len(active)}): {', '.join(active)}")
    if missing:
        print("isolation missing: " + "; ".join(f"{k}: {v}" for k, v in sorted(missing.items())))
    checks = [
        (f"warm p50 <= {WARM_P50_MS:g} ms", warm_p50 <= WARM_P50_MS),
        (f"warm >= {SPEEDUP:g}x faster than cold", speedup >= SPEEDUP),
        (f"cached p50 <= {CACHED_P50_MS:g} ms", cached_p50 <= CACHED_P50_MS),
    ]
    for label, passed in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}")
    return 1 if args.strict and not all(passed for _, passed in checks) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="distinct snippets to time")
    parser.add_argument("--cold", type=int, default=10, help="cold subprocess runs")
    parser.add_argument("--url", help="benchmark this running runner instead of starting one")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    sys.exit(asyncio.run(main(parser.parse_args())))
