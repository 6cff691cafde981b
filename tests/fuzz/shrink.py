"""Minimise a failing program while it keeps failing the same way.

``shrink(program)`` tries the simplifications of ``mutate.py`` greedily: a variant is kept when
it still runs in plain Python to a finite value and still fails with the same class (for
``unsupported`` and ``crash``: the same error), and with nothing more severe, in the mode
that failed, checked alone (the cheapest failing mode: jvp, grad, vjp, value_and_grad; ``dot``
needs vjp and jvp). Variants must also pass ``mutate.well_formed`` (no undefined names, loop
variables not read after their loops, no ``y -= y[::-1]``). After each kept variant the
simplifications resume from the same position in the new program's list. At most
``max_attempts`` variants are checked with st_ad.

``python -m tests.fuzz.shrink CASE.py [--attempts N] [-o OUT.py]`` shrinks a saved case.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .check import check_program
from .generate import evaluates
from .mutate import simplifications, unused_helpers_removed, well_formed
from .outcome import Check, Outcome, describe, normalize
from .program import Program

MAX_ATTEMPTS = 300
CANDIDATE_TIMEOUT = 120  # seconds for one variant's check
EVALUATE_TIMEOUT = 10  # seconds for its plain Python run
_COST = {"jvp": 1, "grad": 2, "vjp": 3, "value_and_grad": 4}


@dataclasses.dataclass
class ShrinkResult:
    """The smallest failing variant found and how it was found."""

    program: Program
    outcome: Outcome
    original: Outcome
    attempts: int  # variants checked with st_ad
    skipped: int  # variants rejected by plain Python (error, non-finite value)
    accepted: int
    seconds: float

    def text(self) -> str:
        """The minimal program as a case file; its docstring says what goes wrong."""
        return self.program.text(
            note=describe(self.outcome, self.program.label, f"shrunk in {self.attempts} attempts")
        )


def failing_modes(outcome: Outcome) -> tuple[tuple[str, ...], Check] | None:
    """The cheapest modes that reproduce the outcome's class, and the check that failed."""
    best = None
    for c in outcome.checks:
        if c.status != outcome.status:
            continue
        head = c.name.split(".")[0]
        modes = ("vjp", "jvp") if head == "dot" else (head,)
        cost = sum(_COST[m] for m in modes)
        if best is None or cost < best[0]:
            best = (cost, modes, c)
    return None if best is None else (best[1], best[2])


def failure_key(check: Check) -> str:
    """What must stay the same: the error's first line (unsupported) or kind (crash)."""
    first = normalize(check.detail.splitlines()[0]) if check.detail else ""
    if check.status == "unsupported":
        return first
    if check.status == "crash":
        return first.split(":")[0]
    return check.status


class _Timeout(BaseException):
    """Raised by the alarm; not an ``Exception``, so the checker does not classify it."""


@contextlib.contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def handler(signum, frame):  # noqa: ARG001
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def shrink(
    program: Program,
    outcome: Outcome | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    candidate_timeout: int = CANDIDATE_TIMEOUT,
    log: bool = False,
) -> ShrinkResult:
    """Minimise ``program`` (see the module docstring)."""
    start = time.perf_counter()
    original = outcome or check_program(program)
    chosen = failing_modes(original)
    if chosen is None:
        return ShrinkResult(program, original, original, 0, 0, 0, 0.0)
    modes, check = chosen
    key = failure_key(check)
    tried = {program.source + repr(program.wrt)}
    attempts = skipped = accepted = 0
    best, best_outcome = program, original

    def runs(candidate: Program) -> bool:
        if not well_formed(candidate):
            return False
        try:
            with _deadline(EVALUATE_TIMEOUT):
                return evaluates(candidate)
        except _Timeout:
            return False

    def still_fails(candidate: Program) -> Outcome | None:
        try:
            with _deadline(candidate_timeout):
                result = check_program(candidate, modes)
        except _Timeout:
            return None
        same = result.status == check.status and any(
            c.status == check.status and failure_key(c) == key for c in result.checks
        )
        return result if same else None

    # One pass walks the simplifications in order; after a kept variant it resumes at the
    # same position in the new program's list. Passes repeat while they keep something.
    resume, kept_in_pass = 0, False
    while attempts < max_attempts:
        position, restarted = 0, False
        for position, candidate in enumerate(simplifications(best)):
            if position < resume:
                continue
            signature = candidate.source + repr(candidate.wrt) + repr(candidate.args)
            if signature in tried:
                continue
            tried.add(signature)
            if not runs(candidate):
                skipped += 1
                continue
            attempts += 1
            result = still_fails(candidate)
            if log:
                print(
                    f"  attempt {attempts}: {'kept' if result else 'no'} "
                    f"({len(candidate.source.splitlines())} lines)",
                    flush=True,
                )
            if result is not None:
                best, best_outcome = unused_helpers_removed(candidate), result
                accepted += 1
                resume, kept_in_pass, restarted = position, True, True
                break
            if attempts >= max_attempts:
                break
        if restarted:
            continue
        if not kept_in_pass:
            break
        resume, kept_in_pass = 0, False
    best = best.replace(label=program.label)
    return ShrinkResult(
        best, best_outcome, original, attempts, skipped, accepted, time.perf_counter() - start
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Shrink a failing st_ad fuzz case.")
    parser.add_argument("case", help="a case file (.py)")
    parser.add_argument("--attempts", type=int, default=MAX_ATTEMPTS)
    parser.add_argument("-o", "--output", help="write the minimal case here")
    opts = parser.parse_args(argv)
    program = Program.from_file(opts.case)
    result = shrink(program, max_attempts=opts.attempts, log=True)
    print(
        f"{result.original.status} -> {result.outcome.status}: {result.attempts} attempts "
        f"({result.accepted} kept, {result.skipped} invalid) in {result.seconds:.0f} s"
    )
    text = result.text()
    if opts.output:
        Path(opts.output).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
