"""Imports and warm-up the zygote performs once, so every forked job starts hot.

Threads are pinned to one *before* any torch work: an OpenMP pool used by the parent
deadlocks forked children. Modules snippets commonly import are loaded here so children
never pay for (or, when the filesystem is hidden, fail at) the import. The workload touches
the code paths quiz snippets use: modules, optimizers with parameter groups, schedulers,
autograd and tensor printing.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import warnings

PRELOAD = (
    "abc",
    "argparse",
    "array",
    "bisect",
    "collections",
    "collections.abc",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "gc",
    "hashlib",
    "heapq",
    "inspect",
    "io",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "pprint",
    "random",
    "re",
    "statistics",
    "string",
    "struct",
    "textwrap",
    "threading",
    "time",
    "traceback",
    "types",
    "typing",
    "unittest",
    "warnings",
    "weakref",
    "ctypes",
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.autograd",
    "torch.utils.data",
    "torch.nn.init",
    "torch.nn.utils",
    "torch.nn.utils.parametrize",
    "torch.linalg",
    "torch.distributions",
    "torch.func",
    "torch.testing",
)

WORKLOAD = """
import torch
from torch import nn
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2))
groups = [
    {"params": model[0].parameters(), "lr": 1e-3},
    {"params": model[3].parameters(), "lr": 1e-2, "weight_decay": 0.0},
]
for opt_cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.RMSprop):
    opt = opt_cls(groups if opt_cls is not torch.optim.SGD else model.parameters(), lr=0.1)
    schedulers = [
        torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5),
        torch.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.9 ** e),
    ]
    for _ in range(2):
        loss = nn.functional.mse_loss(model(torch.randn(5, 4)), torch.zeros(5, 2))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        for sched in schedulers:
            sched.step()
    print([g["lr"] for g in opt.param_groups], opt.state_dict()["param_groups"][0]["lr"])
torch.optim.lr_scheduler.CosineAnnealingLR(torch.optim.SGD(model.parameters(), lr=1), 10).step()
torch.optim.lr_scheduler.OneCycleLR(torch.optim.SGD(model.parameters(), lr=1), 1, 10).step()
for p in model.named_parameters():
    print(p[0], p[1].shape, p[1].requires_grad)
x = torch.linspace(0, 1, 7, requires_grad=True)
print(x, x.sum().item(), torch.tensor([1, 2]), torch.tensor(3.5), torch.ones(2, 2) @ torch.eye(2))
print(model, model[0].weight, model[0].weight.grad, torch.arange(2000).float())
import numpy as np
print(np.arange(3) * 0.5, np.random.rand(2), float(np.float64(1.5)))
"""


def preload() -> list[str]:
    """Import ``PRELOAD``; returns the modules that failed (e.g. optional ones missing)."""
    missing = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    return missing


def warm_up() -> None:
    """Run the workload a few times with output discarded."""
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    code = compile(WORKLOAD, "<warm-up>", "exec")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            exec(code, {"__name__": "__warmup__"})
