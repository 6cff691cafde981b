"""Worker processes that check programs, with a timeout per task and crash isolation.

Each worker is a fresh interpreter (``spawn``) with its own temporary ``ST_AD_CACHE_DIR`` and
``NUMBA_CACHE_DIR`` and ``NUMBA_OPT=0``, set before st_ad and numba are imported. A task that
runs past its timeout, or a worker that dies (segfault, out of memory), gives a ``crash``
outcome for that task and a new worker; the run continues. Workers are replaced after
``RECYCLE`` tasks to bound the memory numba's compiled code holds.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

from .program import Program

RECYCLE = 80
DEFAULT_TIMEOUT = 180.0


@dataclasses.dataclass
class Task:
    """Check ``program`` (``kind="check"``) or minimise it (``kind="shrink"``)."""

    key: Any
    program: Program
    kind: str = "check"
    timeout: float = DEFAULT_TIMEOUT
    options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Done:
    """A finished task: ``result`` is an ``Outcome`` (check) or a ``ShrinkResult``;
    ``error`` says why there is none (timeout, dead worker)."""

    task: Task
    result: Any = None
    error: str = ""
    seconds: float = 0.0


def _worker(conn: Connection, root: str) -> None:
    """Worker main loop: receive a task, run it, send the result; ``None`` ends it."""
    os.environ["ST_AD_CACHE_DIR"] = os.path.join(root, "st_ad")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(root, "numba")
    os.environ["ST_AD_FUZZ_WORKDIR"] = os.path.join(root, "programs")
    os.environ["NUMBA_OPT"] = "0"
    import warnings

    warnings.filterwarnings("ignore")  # numba's cannot-cache warnings at NUMBA_OPT=0
    from .check import check_program
    from .shrink import shrink

    while True:
        task = conn.recv()
        if task is None:
            return
        if task.kind == "shrink":
            result = shrink(task.program, **task.options)
        else:
            result = check_program(task.program, **task.options)
        conn.send(result)


class _Slot:
    """One worker process and the task it is running."""

    def __init__(self, ctx: Any) -> None:
        self.root = tempfile.mkdtemp(prefix="st_ad_fuzz_worker_")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, self.root), daemon=True)
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.started = 0.0
        self.done = 0

    def submit(self, task: Task) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def overdue(self) -> bool:
        return self.task is not None and time.monotonic() - self.started > self.task.timeout

    def stop(self, kill: bool = False) -> None:
        if not kill:
            try:
                self.conn.send(None)
                self.process.join(10)
            except (OSError, EOFError, BrokenPipeError):
                pass
        if self.process.is_alive():
            self.process.kill()
            self.process.join(10)
        self.conn.close()
        shutil.rmtree(self.root, ignore_errors=True)


def run_tasks(
    tasks: Iterable[Task], jobs: int = 1, on_done: Callable[[Done], None] | None = None
) -> Iterator[Done]:
    """Run ``tasks`` on ``jobs`` workers; yields each ``Done`` as it finishes (any order)."""
    ctx = multiprocessing.get_context("spawn")
    source = iter(tasks)
    pending: list[Task] = []

    def next_task() -> Task | None:
        if pending:
            return pending.pop()
        return next(source, None)

    first = next_task()
    if first is None:
        return
    pending.append(first)
    slots = [_Slot(ctx) for _ in range(max(1, jobs))]
    exhausted = False
    try:
        while not exhausted or any(s.task for s in slots):
            for k, slot in enumerate(slots):
                if slot.task is None and not exhausted:
                    task = next_task()
                    if task is None:
                        exhausted = True
                        continue
                    if slot.done >= RECYCLE:
                        slot.stop()
                        slots[k] = slot = _Slot(ctx)
                    slot.submit(task)
            if not any(s.task for s in slots):
                continue
            busy = [s for s in slots if s.task is not None]
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy], 1.0)
            for k, slot in enumerate(slots):
                if slot.task is None:
                    continue
                done = _collect(slot, ready)
                if done is None:
                    continue
                if on_done:
                    on_done(done)
                yield done
                if done.error:  # the worker is gone or stuck: replace it
                    slot.stop(kill=True)
                    slots[k] = _Slot(ctx)
                else:
                    slot.task = None
                    slot.done += 1
    finally:
        for slot in slots:
            slot.stop(kill=slot.task is not None)


def _collect(slot: _Slot, ready: list) -> Done | None:
    """The slot's finished task, if it finished, died or timed out."""
    task = slot.task
    seconds = time.monotonic() - slot.started
    if slot.conn in ready:
        try:
            return Done(task, slot.conn.recv(), seconds=seconds)
        except (EOFError, OSError):
            pass  # died while sending
    if slot.process.sentinel in ready or not slot.process.is_alive():
        if slot.conn.poll():
            try:
                return Done(task, slot.conn.recv(), seconds=seconds)
            except (EOFError, OSError):
                pass
        code = slot.process.exitcode
        return Done(task, error=f"worker process died (exit code {code})", seconds=seconds)
    if slot.overdue():
        return Done(task, error=f"timeout after {task.timeout:.0f} s", seconds=seconds)
    return None
