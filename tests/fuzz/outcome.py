"""Outcomes of checking a program: one ``Check`` per comparison, one class per program.

A program's class is the most severe of its checks: ``wrong value`` > ``wrong derivative`` >
``crash`` > ``unsupported`` > ``kink`` > ``correct`` (``invalid``: the program is outside the
subset: plain Python fails, or numba cannot type it). This module imports neither st_ad nor
numba, so the parent process of a batch can read outcomes without loading them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

SEVERITY = ("correct", "kink", "unsupported", "crash", "wrong derivative", "wrong value", "invalid")
FAILURES = ("wrong value", "wrong derivative", "crash")

_NOISE = [
    (re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+-]+)+"), "<path>"),  # file paths
    (re.compile(r"\(\d+\)"), "(N)"),  # numba's "(line)" after a path
    (re.compile(r"line \d+"), "line N"),
    (re.compile(r"'(\w+)\.\d+'"), r"'\1'"),  # numba's SSA versions: 'x.3'
    (re.compile(r"0x[0-9a-f]+"), "0x..."),
]


def normalize(text: str) -> str:
    """A message without what changes between programs: paths, line numbers, versions."""
    for pattern, replacement in _NOISE:
        text = pattern.sub(replacement, text)
    return text


@dataclasses.dataclass
class Check:
    """One comparison: ``status`` is ``ok`` or one of the program classes."""

    name: str
    status: str
    detail: str = ""


@dataclasses.dataclass
class Outcome:
    """The class of one program and every check behind it."""

    status: str
    checks: list[Check]
    reason: str = ""
    seconds: float = 0.0
    label: str = ""
    output: str = "scalar"
    float32: bool = False

    def failing(self) -> list[Check]:
        return [c for c in self.checks if c.status != "ok"]

    def report(self) -> str:
        """A readable account: the class, then each check that was not ok."""
        lines = [
            f"{self.label}: {self.status}" + (f" ({self.reason})" if self.reason else ""),
            f"  output {self.output}, {'float32' if self.float32 else 'float64'} arrays,"
            f" {self.seconds:.1f} s",
        ]
        for c in self.checks:
            mark = "  ok  " if c.status == "ok" else f"  {c.status.upper()}: "
            first, *rest = (c.detail or "").splitlines() or [""]
            lines.append(f"{mark}{c.name} {first}".rstrip())
            if c.status != "ok":
                lines.extend("        " + r for r in rest)
        return "\n".join(lines)


def classify(checks: Sequence[Check]) -> tuple[str, str]:
    """The program's class (the most severe check) and the reason (that check's first line)."""
    worst, reason = "correct", ""
    for c in checks:
        status = c.status if c.status != "ok" else "correct"
        if SEVERITY.index(status) > SEVERITY.index(worst):
            worst = status
            first = c.detail.splitlines()[0] if c.detail else ""
            reason = first if status == "unsupported" else f"{c.name}: {first}"
    return worst, normalize(reason)[:200]


def describe(outcome: Outcome, label: str, how: str = "") -> str:
    """A docstring for a kept case: where it came from and each failing check."""
    lines = [f"st_ad fuzzer case ({label}{', ' + how if how else ''}): {outcome.status}."]
    for c in outcome.failing():
        detail = c.detail.splitlines()
        lines.append("")
        lines.append(f"{c.name}: {c.status}: {detail[0] if detail else ''}")
        lines.extend("    " + d for d in detail[1:8])
    return "\n".join(lines)
