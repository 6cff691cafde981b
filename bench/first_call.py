"""First-call time of st_ad's gradient against the hand-written numba gradient's compile.

Run from the repository root:

    python bench/first_call.py [--problems lorenz,rosenbrock] [--repeats 1]

(``python bench/run.py`` runs it too, after its table, unless given ``--no-first-call``.)

Each measurement is a new process (``sys.executable``) with ``ST_AD_CACHE_DIR`` and
``NUMBA_CACHE_DIR`` pointing at empty directories of its own, so nothing is read back from a
cache. Before its clock starts, the child imports numpy, numba and st_ad, builds the
problem's arguments and compiles a one-line function, so that numba's own start-up (its
typing registries, LLVM) is outside the measurement on both sides. Then it times, to the
first value:

  * st_ad: ``st_ad.grad(f, wrt=...)`` and one call (source transformation, code generation,
    numba compilation of the generated gradient and of what it calls);
  * hand-written: one call of the hand-written ``@njit`` gradient of ``bench/run.py`` (numba
    compilation of it and of its helpers);
  * primal: one call of ``numba.njit(f)``, the function itself, for scale: a gradient written
    with the primal's NumPy operations cannot compile in less than the primal does.

The ratio st_ad / hand-written is the figure issue 10 targets (<= 2 on every problem).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = 2.0

CHILD = """
import os, sys, time, json
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, {repo!r})
import numba
import numpy as np
import st_ad
from bench.run import make_problems

problem = next(p for p in make_problems() if p.key == {key!r})
args = problem.args
numba.njit(lambda v: v + 1.0)(1.0)  # numba's start-up, outside the clock
t0 = time.perf_counter()
if {side!r} == "st_ad":
    st_ad.grad(problem.f, wrt=problem.wrt)(*args)
elif {side!r} == "primal":
    numba.njit(problem.f)(*args)
else:
    problem.hand_nb(*args)
print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""


def measure(key: str, side: str) -> float:
    """Seconds to the first gradient of problem ``key`` on ``side``, in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="st_ad_first_call_") as root:
        env = dict(os.environ)
        env["ST_AD_CACHE_DIR"] = os.path.join(root, "st_ad")
        env["NUMBA_CACHE_DIR"] = os.path.join(root, "numba")
        code = CHILD.format(repo=REPO_ROOT, key=key, side=side)
        child = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    if child.returncode != 0:
        raise RuntimeError(child.stderr.strip().splitlines()[-1])
    return json.loads(child.stdout.strip().splitlines()[-1])["seconds"]


def run_first_call(keys: list[str] | None = None, repeats: int = 1) -> list[dict]:
    sys.path.insert(0, REPO_ROOT)
    from bench.run import make_problems

    rows = []
    for p in make_problems():
        if keys and p.key not in keys:
            continue
        print(f"[first-call] {p.label} ...", file=sys.stderr, flush=True)
        row = {"label": p.label}
        for side in ("st_ad", "hand", "primal"):
            try:
                row[side] = statistics.median(measure(p.key, side) for _ in range(repeats))
            except Exception as exc:  # report and go on with the other problems
                row[side] = None
                row["error"] = f"{side}: {exc}"
        rows.append(row)
    return rows


def format_rows(rows: list[dict]) -> str:
    lines = [
        "First call, fresh process, empty caches (numba's start-up excluded on both sides):",
        "",
        "| problem | st_ad grad s | hand-written compile s | st_ad / hand | target "
        "| numba primal compile s |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        st, hand = r.get("st_ad"), r.get("hand")
        ratio = f"{st / hand:.1f}" if st and hand else "n/a"
        met = "" if not (st and hand) else ("met" if st / hand <= TARGET else "missed")
        cells = [f"{v:.2f}" if v is not None else "n/a" for v in (st, hand, r.get("primal"))]
        lines.append(
            f"| {r['label']} | {cells[0]} | {cells[1]} | {ratio} | <= {TARGET:.0f} {met} "
            f"| {cells[2]} |"
        )
        if "error" in r:
            lines.append(f"|   ({r['error']}) | | | | |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default="", help="comma-separated keys (default: all)")
    ap.add_argument("--repeats", type=int, default=1)
    opts = ap.parse_args()
    keys = [k for k in opts.problems.split(",") if k]
    print(format_rows(run_first_call(keys, opts.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
