"""Batches: generate programs, check them on the worker pool, optionally shrink failures.

Used by ``python -m tests.fuzz`` and by ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from .generate import DEFAULT_SIZE, generate
from .outcome import Check, Outcome
from .pool import DEFAULT_TIMEOUT, Done, Task, run_tasks
from .program import Program

SHRINK_TIMEOUT = 3600.0  # one program's whole shrink


@dataclasses.dataclass
class Result:
    """One program of a batch and its outcome (and minimal variant, if shrunk)."""

    index: int
    program: Program
    outcome: Outcome
    shrunk: object | None = None  # a ShrinkResult

    @property
    def status(self) -> str:
        return self.outcome.status


def crash_outcome(done: Done) -> Outcome:
    """The outcome of a task whose worker timed out or died."""
    label = done.task.program.label
    return Outcome(
        "crash",
        [Check("worker", "crash", done.error)],
        f"worker: {done.error}",
        done.seconds,
        label,
    )


def _tasks(seed: int, start: int, count: int, size: int, timeout: float) -> Iterator[Task]:
    for index in range(start, start + count):
        yield Task(index, generate(seed, index, size), timeout=timeout)


def run_batch(
    seed: int,
    count: int,
    *,
    start: int = 0,
    jobs: int = 1,
    size: int = DEFAULT_SIZE,
    timeout: float = DEFAULT_TIMEOUT,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Check programs ``start .. start + count - 1`` of batch ``seed``, in index order."""
    results = []
    for done in run_tasks(_tasks(seed, start, count, size, timeout), jobs):
        outcome = done.result if done.result is not None else crash_outcome(done)
        result = Result(done.task.key, done.task.program, outcome)
        results.append(result)
        if on_result:
            on_result(result)
    return sorted(results, key=lambda r: r.index)


def shrink_failures(
    results: list[Result],
    *,
    jobs: int = 1,
    attempts: int = 300,
    statuses: tuple[str, ...] = ("wrong value", "wrong derivative", "crash", "unsupported"),
    on_result: Callable[[Result], None] | None = None,
) -> None:
    """Shrink each failing program (one per distinct unsupported reason); sets ``shrunk``."""
    chosen, reasons = [], set()
    for r in results:
        if r.status not in statuses or r.outcome.checks[0].name == "worker":
            continue  # a timeout or a dead worker cannot be shrunk in-process
        if r.status == "unsupported":
            if r.outcome.reason in reasons:
                continue
            reasons.add(r.outcome.reason)
        chosen.append(r)
    by_index = {r.index: r for r in chosen}
    tasks = (
        Task(
            r.index,
            r.program,
            "shrink",
            SHRINK_TIMEOUT,
            {"outcome": r.outcome, "max_attempts": attempts},
        )
        for r in chosen
    )
    for done in run_tasks(tasks, jobs):
        r = by_index[done.task.key]
        r.shrunk = done.result
        if on_result:
            on_result(r)
