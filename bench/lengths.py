"""Length of st_ad's generated gradient against the hand-written adjoint, in lines.

Run from the repository root:

    python bench/lengths.py [--problems lorenz,rosenbrock]

(``python bench/run.py`` prints it too, unless given ``--no-lengths``.)

For each problem it generates the typed reverse-mode module for the problem's arguments
(``st_ad.source(f, *args, wrt=..., mode="reverse")``: generation only, nothing is compiled)
and counts the lines of its gradient entry point ``<f>_grad``; for the hand-written numba
adjoint of ``bench/run.py`` it counts the lines of its source. Both are counted the same way:
from the ``def`` line to the function's last line, comments and docstrings included, blank
lines and decorators not. Issue 10 targets generated / hand-written <= 2 on Lennard-Jones,
RK4 Lorenz and Rosenbrock.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = 2.0
TARGETED = ("lj", "lorenz", "rosenbrock")


def function_lines(source: str, name: str) -> int:
    """Non-blank lines of the top-level function ``name`` in ``source``, from its ``def`` to
    the last line of its body (decorators excluded)."""
    lines = source.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(f"def {name}("))
    count = 1
    for line in lines[start + 1 :]:
        if line.strip() and not line.startswith((" ", "\t")):
            break  # the next top-level statement
        count += bool(line.strip())
    return count


def hand_written() -> dict:
    """The hand-written adjoint of each problem (the function itself, not bench/run.py's
    lambda that negates the Lennard-Jones forces)."""
    sys.path.insert(0, REPO_ROOT)
    from bench.array_problems import logdet_grad_nb, logistic_grad_nb, mlp_loss_grad_nb
    from tests.problems import lj_forces_nb, lorenz_rk4_grad_nb, rosenbrock_grad_nb

    return {
        "lj": lj_forces_nb,
        "lj_calls": lj_forces_nb,
        "lorenz": lorenz_rk4_grad_nb,
        "rosenbrock": rosenbrock_grad_nb,
        "mlp": mlp_loss_grad_nb,
        "logistic": logistic_grad_nb,
        "logdet": logdet_grad_nb,
    }


def run_lengths(keys: list[str] | None = None) -> list[dict]:
    sys.path.insert(0, REPO_ROOT)
    import st_ad
    from bench.run import make_problems

    hands = hand_written()
    rows = []
    for p in make_problems():
        if keys is not None and p.key not in keys:
            continue
        generated = st_ad.source(p.f, *p.args, wrt=p.wrt, mode="reverse")
        hand = hands[p.key]
        hand_source = inspect.getsource(getattr(hand, "py_func", hand))
        ours = function_lines(generated, f"{p.f.__name__}_grad")
        theirs = function_lines(hand_source, hand.__name__)
        rows.append(dict(label=p.label, key=p.key, st_ad=ours, hand=theirs))
    return rows


def format_rows(rows: list[dict]) -> str:
    out = [
        "| problem | st_ad `f_grad` lines | hand-written lines | ratio | target <= 2 |",
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = r["st_ad"] / r["hand"]
        verdict = ("met" if ratio <= TARGET else "missed") if r["key"] in TARGETED else ""
        out.append(f"| {r['label']} | {r['st_ad']} | {r['hand']} | {ratio:.2f} | {verdict} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", help="comma-separated keys (default: all)")
    opts = parser.parse_args()
    keys = opts.problems.split(",") if opts.problems else None
    print(format_rows(run_lengths(keys)))


if __name__ == "__main__":
    main()
