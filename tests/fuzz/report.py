"""Summaries of a batch: markdown tables, one file per failing program."""

from __future__ import annotations

import collections
import re
from pathlib import Path

from .outcome import SEVERITY, describe
from .runner import Result

ORDER = ("correct", "kink", "unsupported", "wrong value", "wrong derivative", "crash", "invalid")


def outcome_table(results: list[Result]) -> str:
    """Markdown table of outcome counts."""
    counts = collections.Counter(r.status for r in results)
    lines = ["| outcome | programs |", "|---|---:|"]
    for status in ORDER:
        if counts.get(status) or status in SEVERITY[:5]:
            lines.append(f"| {status} | {counts.get(status, 0)} |")
    lines.append(f"| **total** | {len(results)} |")
    kink_checks = sum(1 for r in results for c in r.outcome.checks if c.status == "kink")
    if kink_checks:
        lines.append("")
        lines.append(
            f"Kinks: {counts.get('kink', 0)} programs had derivative checks skipped "
            f"({kink_checks} checks) because finite differences at two steps "
            "disagreed."
        )
    return "\n".join(lines)


def reason_table(results: list[Result], status: str = "unsupported") -> str:
    """Markdown table of the reasons behind one outcome (the error's first line)."""
    counts = collections.Counter(r.outcome.reason for r in results if r.status == status)
    if not counts:
        return ""
    lines = [f"| {status}: reason | programs |", "|---|---:|"]
    for reason, n in counts.most_common():
        lines.append(f"| {reason.replace('|', '/')} | {n} |")
    return "\n".join(lines)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def failure_path(out: Path, seed: int, r: Result, minimal: bool = False) -> Path:
    suffix = "_min" if minimal else ""
    return out / "failures" / f"s{seed}_{r.index:05d}_{slug(r.status)}{suffix}.py"


def write_failure(out: Path, seed: int, r: Result) -> list[Path]:
    """The failing program as a case file (and its shrunk version); returns the paths."""
    path = failure_path(out, seed, r)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(r.program.text(note=describe(r.outcome, r.program.label)))
    paths = [path]
    if r.shrunk is not None:
        minimal = failure_path(out, seed, r, minimal=True)
        minimal.write_text(r.shrunk.text())
        paths.append(minimal)
    return paths


def summary(results: list[Result], seed: int, header: str, out: Path | None = None) -> str:
    """The whole markdown summary of a batch."""
    parts = [f"# st_ad fuzz run\n\n{header}", outcome_table(results)]
    for status in ("unsupported", "crash"):
        table = reason_table(results, status)
        if table:
            parts.append(table)
    failing = [r for r in results if r.status not in ("correct", "kink")]
    if failing:
        lines = ["## Failing programs", ""]
        for r in failing:
            where = f" -> `{failure_path(out, seed, r).name}`" if out else ""
            line = f"- index {r.index}: **{r.status}**: {r.outcome.reason}{where}"
            if r.shrunk is not None:
                s = r.shrunk
                n = len(s.program.source.strip().splitlines())
                line += (
                    f"; shrunk to {n} lines in {s.attempts} attempts ({s.accepted} kept,"
                    f" {s.seconds:.0f} s): `{failure_path(out, seed, r, True).name}`"
                    if out
                    else ""
                )
            lines.append(line)
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
