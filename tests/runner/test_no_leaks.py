"""Nothing of one job reaches another: code and output stay out of every later or concurrent job.

A hostile job looks for another job's marker three ways: objects reachable through the
garbage collector, every frame up its own stack (the zygote's loop it was forked from), and
a raw scan of the memory around its heap objects (freed buffers keep their bytes).
"""

from __future__ import annotations

import threading
import time

from tests.runner.conftest import RunnerProcess, nonce

# The needle is assembled at run time so this snippet's own code never contains a marker.
SCANNER = r"""
import ctypes, gc, os, sys
needle = ("lrq" + "-mark-").encode()
found = set()
import re
pattern = re.compile(re.escape(needle) + rb"([0-9]+)-")
def note(blob):
    if needle in blob:
        found.update(m.decode() for m in pattern.findall(blob))
for obj in gc.get_objects():
    for value in (getattr(obj, "__dict__", None), obj):
        try:
            text = repr(value)[:100000]
        except Exception:
            continue
        note(text.encode("utf-8", "replace"))
frame = sys._getframe()
while frame is not None:
    for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
        try:
            note(repr(value).encode("utf-8", "replace"))
        except Exception:
            pass
    frame = frame.f_back
libc = ctypes.CDLL(None, use_errno=True)
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
r, w = os.pipe()
page = 4096
starts = sorted({id(o) // (1 << 20) for o in gc.get_objects()})
pages = set()
for mb in starts:
    for p in range((mb << 20) // page - 256, ((mb + 1) << 20) // page + 256):
        pages.add(p)
for p in sorted(pages):
    if libc.write(w, p * page, page) == page:
        note(os.read(r, page))
print("scanned", len(pages) > 1000, sorted(found))
"""


def marked(tag: int, extra: str = "") -> str:
    return f'MARK = "lrq-mark-{tag}-code"\nprint("lrq-mark-{tag}-out")\n{extra}'


def scan(runner: RunnerProcess) -> str:
    result = runner.run(f"# {nonce()}\n{SCANNER}", timeout_s=20)
    assert result["status"] == "ok", result
    return result["stdout"]


def test_no_job_sees_an_earlier_or_concurrent_jobs_code_or_output(
    healthy: RunnerProcess,
) -> None:
    slots = healthy.health()["queue"]["slots"]
    earlier = [nonce() + 100000 for _ in range(2 * slots)]
    for tag in earlier:  # one finished job per cell, so every cell has one behind it
        assert healthy.run(marked(tag))["stdout"] == f"lrq-mark-{tag}-out\n"
    running = nonce() + 100000
    answers: list[dict] = []
    busy = threading.Thread(
        target=lambda: answers.append(
            healthy.run(marked(running, "import time\ntime.sleep(3)"), timeout_s=10)
        )
    )
    busy.start()
    time.sleep(0.5)  # the marked job has started and printed
    try:
        for _ in range(2 * slots):
            assert scan(healthy) == "scanned True []\n"
    finally:
        busy.join()
    assert answers[0]["stdout"] == f"lrq-mark-{running}-out\n"


def test_the_scanner_finds_a_marker_it_may_see(healthy: RunnerProcess) -> None:
    """The scan works: a job's own marker is found (so an empty result above means absent)."""
    tag = nonce() + 100000
    code = f'x = "lrq-mark-{tag}-own"\n{SCANNER}'
    result = healthy.run(code, timeout_s=20)
    assert result["status"] == "ok", result
    assert result["stdout"] == f"scanned True ['{tag}']\n"
