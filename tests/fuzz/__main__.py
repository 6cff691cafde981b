"""Command line: ``python -m tests.fuzz --n 1000 --seed 1 [--jobs 2] [--shrink]``.

Runs programs ``start .. start + n - 1`` of batch ``seed`` in worker processes, prints a line
per program, and writes ``DIR/summary.md`` plus ``DIR/failures/*.py`` (each failing program as
a case file; ``*_min.py``: its shrunk version with ``--shrink``). ``--case FILE`` checks saved
cases instead (same as ``python -m tests.fuzz.check FILE``).

Nothing here imports st_ad or numba: the workers do, after setting their caches.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

from .generate import DEFAULT_SIZE
from .pool import DEFAULT_TIMEOUT
from .report import summary, write_failure
from .runner import Result, run_batch, shrink_failures


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tests.fuzz", description="Differential fuzzer for st_ad."
    )
    p.add_argument("--n", type=int, default=20, help="number of programs")
    p.add_argument("--seed", type=int, default=0, help="batch seed")
    p.add_argument("--start", type=int, default=0, help="index of the first program")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE, help="target lines of f")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per program")
    p.add_argument("--out", default="fuzz-out", help="folder for the summary and failures")
    p.add_argument("--shrink", action="store_true", help="shrink failing programs")
    p.add_argument("--shrink-attempts", type=int, default=300)
    p.add_argument(
        "--case",
        action="append",
        metavar="FILE",
        help="check saved case files instead of generating programs",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    opts = _parser().parse_args(argv)
    if opts.case:
        os.environ.setdefault("NUMBA_OPT", "0")
        from .check import main as check_main

        return check_main(opts.case)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    counts: collections.Counter = collections.Counter()
    start = time.perf_counter()

    def progress(r: Result) -> None:
        counts[r.status] += 1
        done = sum(counts.values())
        tally = ", ".join(f"{k} {v}" for k, v in counts.most_common())
        reason = f"  {r.outcome.reason[:90]}" if r.status != "correct" else ""
        print(
            f"[{done:>5}/{opts.n}] #{r.index:<5} {r.status:<16} {r.outcome.seconds:6.1f} s"
            f"{reason}   ({tally})",
            flush=True,
        )
        if r.status not in ("correct", "kink"):
            write_failure(out, opts.seed, r)

    results = run_batch(
        opts.seed,
        opts.n,
        start=opts.start,
        jobs=opts.jobs,
        size=opts.size,
        timeout=opts.timeout,
        on_result=progress,
    )
    elapsed = time.perf_counter() - start
    if opts.shrink:

        def shrunk(r: Result) -> None:
            s = r.shrunk
            if s is None:
                print(f"shrink #{r.index}: no result (timeout or dead worker)", flush=True)
                return
            n = len(s.program.source.strip().splitlines())
            print(
                f"shrink #{r.index}: {r.status} -> {n} lines, {s.attempts} attempts, "
                f"{s.seconds:.0f} s",
                flush=True,
            )
            write_failure(out, opts.seed, r)

        shrink_failures(results, jobs=opts.jobs, attempts=opts.shrink_attempts, on_result=shrunk)
    per_program = elapsed * opts.jobs / max(1, len(results))
    header = (
        f"seed {opts.seed}, programs {opts.start}..{opts.start + opts.n - 1}, size "
        f"{opts.size}, {opts.jobs} worker(s): {elapsed:.0f} s "
        f"({per_program:.1f} s per program per worker)"
    )
    text = summary(results, opts.seed, header, out)
    (out / "summary.md").write_text(text)
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
