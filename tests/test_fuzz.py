"""The differential fuzzer's CI batch: a fixed seed and program count on two workers.

Each program is generated deterministically (``tests/fuzz/generate.py``), checked in every
mode in a worker process with its own caches (``tests/fuzz/pool.py``), and the test fails
listing each program that was ``wrong value``, ``wrong derivative`` or ``crash`` with its
source (``unsupported`` and ``kink`` are reported, not failures). Sized to take at most about
two minutes on a two-core machine. Reproduce one program with
``python -m tests.fuzz --seed SEED --start INDEX --n 1``.
"""

from tests.fuzz.outcome import FAILURES
from tests.fuzz.report import outcome_table, reason_table
from tests.fuzz.runner import run_batch

SEED = 7
COUNT = 8  # the suite's slowest test: CI stays under 20 minutes on two cores (24 took 3+ min)
JOBS = 2
SIZE = 16  # target lines of f: smaller programs compile faster


def test_fuzz_batch() -> None:
    results = run_batch(SEED, COUNT, jobs=JOBS, size=SIZE)
    print(f"\nst_ad fuzz batch: seed {SEED}, {COUNT} programs, size {SIZE}\n")
    print(outcome_table(results))
    for status in ("unsupported", "crash"):
        table = reason_table(results, status)
        if table:
            print("\n" + table)
    bad = [r for r in results if r.status in FAILURES]
    details = [
        f"--- seed {SEED} index {r.index}: {r.status}\n{r.outcome.report()}\n\n{r.program.text()}"
        for r in bad
    ]
    assert not bad, f"{len(bad)} of {COUNT} fuzz programs failed:\n\n" + "\n\n".join(details)
