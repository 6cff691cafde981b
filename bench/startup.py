"""Time to first gradient in a fresh process, with st_ad's on-disk cache cold and warm.

Run from the repository root:

    python bench/startup.py [--problems lj,rosenbrock] [--repeats 3]

(``python bench/run.py`` runs it too, after its own table, unless given ``--no-startup``.)

Every measurement is a new ``python -c`` process (``sys.executable``) with
``ST_AD_CACHE_DIR`` and ``NUMBA_CACHE_DIR`` pointing into a temporary directory made for
the run (and deleted at the end). The child takes ``time.perf_counter()`` as the first
statement of its script, before ``import numpy``, ``import numba`` and ``import st_ad``, and
stops the clock when the first value comes back; it prints its times as JSON on its last
line. The parent also times the whole subprocess (interpreter start-up and exit included).

For each problem (same sizes as ``bench/run.py``), with cache directories of its own:

  * cold: empty cache directories; ``import st_ad``, ``st_ad.grad(f)``, one call;
  * warm: the same in new processes, with the cache the cold process left (median of
    ``--repeats``);
  * reference: ``import numba`` and one call of the plain ``numba.njit(cache=True)(f)``,
    whose cache a separate process filled first (median of ``--repeats``).

Warm and reference processes alternate, so that load from elsewhere on the machine falls
on both alike.

Target: warm <= 1.5 x reference (child times). Before anything is timed, one process
imports st_ad and tests.problems, so that Python's own bytecode cache (``__pycache__``) is
current and the cold figure is about st_ad's and numba's caches only.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = 1.5


class StartupProblem(NamedTuple):
    label: str
    func: str  # name of the plain-Python primal in tests/problems.py
    wrt: object
    setup: str  # child code binding ``args`` (runs inside the timed region, on both sides)


# the sizes of bench/run.py
PROBLEMS = {
    "lj": StartupProblem(
        "Lennard-Jones N=1024",
        "lj_energy",
        0,
        "from tests.problems import lattice_positions\nargs = (lattice_positions(1024, seed=0),)",
    ),
    "rosenbrock": StartupProblem(
        "ext. Rosenbrock n=100000",
        "rosenbrock",
        0,
        "from tests.problems import rosenbrock_point\nargs = (rosenbrock_point(100_000, seed=0),)",
    ),
    "lorenz": StartupProblem(
        "RK4 Lorenz 10000 steps",
        "lorenz_rk4",
        (0, 1),
        "from tests.problems import LORENZ_PARAMS, LORENZ_U0\n"
        "args = (LORENZ_U0.copy(), LORENZ_PARAMS.copy(), 1e-4, 10_000)",
    ),
}
DEFAULT_PROBLEMS = ("lj", "rosenbrock")

# The child scripts. The clock starts before anything else is imported; ``imports`` ends
# after the imports, ``build`` after the data and the (st_ad or numba) dispatcher exist,
# ``first`` is the time to the first value returned.
_CHILD_HEAD = """\
import time
_t0 = time.perf_counter()
import sys
sys.path.insert(0, {root!r})
"""

_CHILD_TAIL = """\
_t3 = time.perf_counter()
import json
import numpy as np
_leaves = out if isinstance(out, tuple) else (out,)
_check = float(sum(np.sum(np.asarray(v, dtype=np.float64) ** 2) for v in _leaves))
print(json.dumps({{"imports": _t1 - _t0, "build": _t2 - _t1, "call": _t3 - _t2,
                  "first": _t3 - _t0, "check": _check}}))
"""

CHILD_GRAD = (
    _CHILD_HEAD
    + """\
import numpy
import st_ad
from tests.problems import {func}
_t1 = time.perf_counter()
{setup}
g = st_ad.grad({func}, wrt={wrt!r})
_t2 = time.perf_counter()
out = g(*args)
"""
    + _CHILD_TAIL
)

CHILD_REFERENCE = (
    _CHILD_HEAD
    + """\
import numpy
import numba
from tests.problems import {func}
_t1 = time.perf_counter()
{setup}
f_nb = numba.njit(cache=True)({func})
_t2 = time.perf_counter()
out = f_nb(*args)
"""
    + _CHILD_TAIL
)

CHILD_PRIME = "import sys\nsys.path.insert(0, {root!r})\nimport st_ad\nimport tests.problems\n"


class ChildError(RuntimeError):
    pass


def _child_env(cache_root):
    env = dict(os.environ)
    env["ST_AD_CACHE_DIR"] = os.path.join(cache_root, "st_ad")
    env["NUMBA_CACHE_DIR"] = os.path.join(cache_root, "numba")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # as bench/run.py
    return env


def run_child(code, cache_root):
    """Run ``code`` in a fresh interpreter with its caches under ``cache_root``.

    Returns the child's JSON record (None if it printed none) with ``wall`` added: the
    parent's time for the whole subprocess."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=_child_env(cache_root),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise ChildError(f"child exited with {proc.returncode}:\n{tail}")
    lines = proc.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise ChildError(f"child printed no timings: {proc.stdout.strip()[-200:]!r}")
    record = json.loads(lines[-1])
    record["wall"] = wall
    return record


def _median_record(records):
    return {k: statistics.median(r[k] for r in records) for k in records[0]}


def _cache_files(path):
    return sum(len(files) for _, _, files in os.walk(path))


def _measure_problem(p, cache_root, repeats, log):
    """The cold, warm and reference rows of one problem (caches under ``cache_root``)."""
    fmt = dict(root=REPO_ROOT, func=p.func, wrt=p.wrt, setup=p.setup)
    grad_code = CHILD_GRAD.format(**fmt)
    ref_code = CHILD_REFERENCE.format(**fmt)
    grad_cache = os.path.join(cache_root, "grad")
    ref_cache = os.path.join(cache_root, "reference")

    def note(text):
        print(f"[startup] {p.label}: {text}", file=log, flush=True)

    cold = {"problem": p.label, "case": "cold", "n": 1}
    warm = {"problem": p.label, "case": "warm", "n": repeats}
    ref = {"problem": p.label, "case": "reference", "n": repeats}
    note("cold ...")
    try:
        cold.update(run_child(grad_code, grad_cache))
        cold["cache_files"] = _cache_files(grad_cache)
    except ChildError as exc:
        cold["error"] = str(exc)
        warm["error"] = "not run: the cold process failed"
        note(str(exc))
    note("filling the plain njit function's cache ...")
    try:  # untimed
        run_child(ref_code, ref_cache)
    except ChildError as exc:
        ref["error"] = str(exc)
        note(str(exc))
    # warm and reference processes alternate, so that load from elsewhere on the machine
    # falls on both alike
    records = {"warm": [], "reference": []}
    for k in range(repeats):
        for row, code, cache in ((warm, grad_code, grad_cache), (ref, ref_code, ref_cache)):
            if "error" in row:
                continue
            note(f"{row['case']} {k + 1}/{repeats} ...")
            try:
                records[row["case"]].append(run_child(code, cache))
            except ChildError as exc:
                row["error"] = str(exc)
                note(str(exc))
    for row in (warm, ref):
        if "error" not in row:
            row.update(_median_record(records[row["case"]]))
    if "error" not in warm and "error" not in ref:
        warm["ratio"] = warm["first"] / ref["first"]
        warm["wall_ratio"] = warm["wall"] / ref["wall"]
        if abs(warm["check"] - cold["check"]) > 1e-12 * abs(cold["check"]):
            warm["error"] = "the warm process's gradient differs from the cold one's"
    return [cold, warm, ref]


def run_startup(problems=DEFAULT_PROBLEMS, repeats=3, log=sys.stderr):
    """Measure every problem in ``problems`` (keys of PROBLEMS); return the table rows.

    Each row is a dict: problem, case ("cold", "warm", "reference"), n (processes timed),
    first / imports / build / call (the child's times, medians over n), wall (the parent's
    time for the whole process, median), ratio (warm / reference, warm rows only), check
    (sum of squares of the value returned), error (when a child failed)."""
    root = tempfile.mkdtemp(prefix="st_ad_startup_")
    rows = []
    try:
        try:
            subprocess.run(
                [sys.executable, "-c", CHILD_PRIME.format(root=REPO_ROOT)],
                env=_child_env(os.path.join(root, "prime")),
                cwd=REPO_ROOT,
                capture_output=True,
                check=True,
            )
        except subprocess.CalledProcessError:
            pass  # the cold process below fails the same way and reports it
        for key in problems:
            rows.extend(_measure_problem(PROBLEMS[key], os.path.join(root, key), repeats, log))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return rows


def format_rows(rows):
    """The rows as a markdown table, with a line on the method."""
    out = [
        "Time to first gradient in a fresh process (python -c; times in s; child = from the "
        "child's first statement to the first value returned, before `import numpy`):",
        "",
        "| problem | case | n | child: first value | imports | build | first call "
        "| process wall | ratio to reference (child / wall) | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "error" in r and "first" not in r:
            out.append(f"| {r['problem']} | {r['case']} | {r['n']} | failed | | | | | | |")
            continue
        ratio = target = ""
        if "ratio" in r:
            ratio = f"{r['ratio']:.2f} / {r['wall_ratio']:.2f}"
            target = f"<= {TARGET} ({'met' if r['ratio'] <= TARGET else 'missed'})"
        elif r["case"] == "warm":
            target = f"<= {TARGET}"
        out.append(
            f"| {r['problem']} | {r['case']} | {r['n']} | {r['first']:.3f} | {r['imports']:.3f} "
            f"| {r['build']:.3f} | {r['call']:.3f} | {r['wall']:.3f} | {ratio} | {target} |"
        )
    out.append("")
    out.append(
        "cold: empty ST_AD_CACHE_DIR and NUMBA_CACHE_DIR, st_ad.grad(f) + one call; "
        "warm: the same with the cache the cold process left; reference: import numba and one "
        "call of numba.njit(cache=True)(f) from its filled cache. n > 1: medians. "
        f"Target: warm <= {TARGET} x reference (child times)."
    )
    for r in rows:
        if "cache_files" in r:
            out.append(f"  {r['problem']}: the cold process left {r['cache_files']} cache files")
    for r in rows:
        if "error" in r:
            out.append(f"  {r['problem']} {r['case']}: {r['error'].splitlines()[0]}")
            out.extend(f"    {line}" for line in r["error"].splitlines()[1:])
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--problems",
        default=",".join(DEFAULT_PROBLEMS),
        help=f"comma-separated, among {', '.join(PROBLEMS)} (default: %(default)s)",
    )
    ap.add_argument("--repeats", type=int, default=3, help="warm and reference processes")
    opts = ap.parse_args(argv)
    keys = [k.strip() for k in opts.problems.split(",") if k.strip()]
    unknown = [k for k in keys if k not in PROBLEMS]
    if unknown:
        ap.error(f"unknown problem(s) {', '.join(unknown)}; choose among {', '.join(PROBLEMS)}")
    rows = run_startup(keys, repeats=opts.repeats)
    print()
    print(f"python {platform.python_version()}, {platform.machine()} {os.cpu_count()} cpus")
    print()
    print(format_rows(rows), flush=True)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
