"""Benchmark st_ad gradients against numba primals and hand-written numba gradients.

Run from the repository root:

    python bench/run.py [--quick] [--no-jax] [--no-startup]

For each problem it times (after warm-up, median of repeats):
  * the numba-compiled primal,
  * st_ad's reverse-mode gradient ``st_ad.grad(f)``,
  * the hand-written numba gradient,
and the first-call time of st_ad (building the transform + first call, i.e.
source transformation, codegen and numba compilation). It also checks that the
st_ad gradient agrees with the hand-written one.

The scalar-loop problems (Lennard-Jones, RK4 Lorenz, Rosenbrock) come from
``tests/problems.py``; the array-level problems (MLP, logistic regression,
log-determinant) from ``bench/array_problems.py``. When st_ad cannot differentiate
a problem yet, its row reports "st_ad: not available (...)" and the script goes on;
only the scalar-loop problems count towards the exit status in that case.

The BLAS behind numpy and numba's ``@`` runs single-threaded unless
OPENBLAS_NUM_THREADS is set: on a small machine threaded BLAS on these sizes is
slower and very noisy (20x slower with one core busy elsewhere), which would swamp
the st_ad/hand-written ratios.

JAX is timed as an optional peer only when it is importable.

Then, unless ``--no-lengths``, it counts the lines of the generated gradient against the
hand-written one (``bench/lengths.py``); unless ``--no-first-call``, it times st_ad's first
gradient against the compile of the hand-written one, each in a fresh process with empty
caches (``bench/first_call.py``).

Last, unless ``--no-startup``, it measures the time to the first gradient in a fresh
process, with st_ad's on-disk cache cold and warm, against a plain cached njit function
(``bench/startup.py``; about 30 s).
"""

import argparse
import atexit
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any, NamedTuple

# must precede the first import of numpy/scipy, which fixes OpenBLAS's thread count
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from bench.array_problems import (  # noqa: E402
    LOGDET_N,
    LOGISTIC_M,
    LOGISTIC_N,
    MLP_BATCH,
    MLP_HIDDEN,
    MLP_IN,
    MLP_OUT,
    logdet,
    logdet_data,
    logdet_grad_nb,
    logdet_nb,
    logistic,
    logistic_data,
    logistic_grad_nb,
    logistic_nb,
    mlp_data,
    mlp_loss,
    mlp_loss_grad_nb,
    mlp_loss_nb,
)
from bench.call_problems import lj_energy_calls, lj_energy_calls_nb  # noqa: E402
from bench.first_call import format_rows as format_first_call  # noqa: E402
from bench.first_call import run_first_call  # noqa: E402
from bench.lengths import format_rows as format_lengths  # noqa: E402
from bench.lengths import run_lengths  # noqa: E402
from bench.startup import format_rows, run_startup  # noqa: E402
from tests.problems import (  # noqa: E402
    LORENZ_PARAMS,
    LORENZ_U0,
    lattice_positions,
    lj_energy,
    lj_energy_nb,
    lj_forces_nb,
    lorenz_rk4,
    lorenz_rk4_grad_nb,
    lorenz_rk4_nb,
    rosenbrock,
    rosenbrock_grad_nb,
    rosenbrock_nb,
    rosenbrock_point,
)

LJ_N = 1024
LORENZ_NSTEPS = 10_000
LORENZ_DT = 1e-4
ROSEN_N = 100_000


class Problem(NamedTuple):
    """One benchmark row: what st_ad differentiates, the numba baselines and the inputs."""

    label: str
    key: str  # name of the optional JAX peer
    f: Any  # plain-Python primal handed to st_ad.grad
    wrt: Any
    primal_nb: Any
    hand_nb: Any
    args: tuple
    target: float | None = None  # goal for st_ad/hand-written, printed next to the row
    required: bool = True  # st_ad failing here makes the exit status 1


def make_problems() -> list[Problem]:
    """Every benchmark row, in table order (also read by ``bench/first_call.py``)."""
    return [
        Problem(
            f"Lennard-Jones N={LJ_N}",
            "lj",
            lj_energy,
            0,
            lj_energy_nb,
            lambda pos: -lj_forces_nb(pos),
            (lattice_positions(LJ_N, seed=0),),
        ),
        Problem(
            f"Lennard-Jones N={LJ_N}, pair term in an @njit helper",
            "lj_calls",
            lj_energy_calls,
            0,
            lj_energy_calls_nb,
            lambda pos: -lj_forces_nb(pos),
            (lattice_positions(LJ_N, seed=0),),
            required=False,
        ),
        Problem(
            f"RK4 Lorenz {LORENZ_NSTEPS} steps",
            "lorenz",
            lorenz_rk4,
            (0, 1),
            lorenz_rk4_nb,
            lorenz_rk4_grad_nb,
            (LORENZ_U0.copy(), LORENZ_PARAMS.copy(), LORENZ_DT, LORENZ_NSTEPS),
        ),
        Problem(
            f"ext. Rosenbrock n={ROSEN_N}",
            "rosenbrock",
            rosenbrock,
            0,
            rosenbrock_nb,
            rosenbrock_grad_nb,
            (rosenbrock_point(ROSEN_N, seed=0),),
        ),
        # array-level problems: st_ad may not support all of their primitives yet
        Problem(
            f"MLP {MLP_IN}-{MLP_HIDDEN}-{MLP_OUT} batch {MLP_BATCH}",
            "mlp",
            mlp_loss,
            (0, 1, 2, 3),
            mlp_loss_nb,
            mlp_loss_grad_nb,
            mlp_data(seed=0),
            target=1.3,
            required=False,
        ),
        Problem(
            f"logistic regression {LOGISTIC_M}x{LOGISTIC_N}",
            "logistic",
            logistic,
            0,
            logistic_nb,
            logistic_grad_nb,
            logistic_data(seed=0),
            target=1.3,
            required=False,
        ),
        Problem(
            f"log-det {LOGDET_N}x{LOGDET_N} SPD",
            "logdet",
            logdet,
            0,
            logdet_nb,
            logdet_grad_nb,
            logdet_data(seed=0),
            target=2.0,
            required=False,
        ),
    ]


def median_time(fn, args, min_time=0.4, min_reps=15, max_reps=5000, warmup=3):
    """Median wall time (seconds) of ``fn(*args)`` over adaptive repeats."""
    for _ in range(warmup):
        fn(*args)
    times = []
    start = time.perf_counter()
    while len(times) < max_reps:
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
        if len(times) >= min_reps and time.perf_counter() - start >= min_time:
            break
    return statistics.median(times), len(times)


def max_rel_diff(a, b):
    """max |a - b| / max |b| over all leaves (tuples of arrays allowed)."""
    if isinstance(b, tuple):
        pairs = zip(a, b, strict=True)
        num = max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in pairs)
        den = max(float(np.max(np.abs(np.asarray(y)))) for y in b)
    else:
        num = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        den = float(np.max(np.abs(np.asarray(b))))
    return num / den if den > 0 else num


def fmt_ms(t):
    if t is None:
        return "n/a"
    ms = t * 1e3
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def fmt_ratio(a, b):
    if a is None or b is None:
        return "n/a"
    return f"{a / b:.2f}"


def fmt_target(target, grad, hand):
    """``<= target``, with whether the measured st_ad/hand-written ratio meets it."""
    if target is None:
        return ""
    if grad is None or hand is None:
        return f"<= {target:.1f}"
    return f"<= {target:.1f} ({'met' if grad / hand <= target else 'missed'})"


def first_line(exc):
    """``Type: first line of the message`` for a short error report."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


# ---------------------------------------------------------------------------
# Optional JAX peer
# ---------------------------------------------------------------------------


def make_jax_peers():
    """Return {problem: (grad_fn, args_converter)} for JAX, or {} if unavailable."""
    try:
        import jax
        import jax.numpy as jnp
    except Exception:
        return {}
    jax.config.update("jax_enable_x64", True)

    def lj_jax(pos):
        d = pos[:, None, :] - pos[None, :, :]
        r2 = jnp.sum(d * d, axis=-1)
        n = pos.shape[0]
        iu = jnp.triu(jnp.ones((n, n), dtype=bool), k=1)
        r2 = jnp.where(iu, r2, 1.0)
        inv6 = 1.0 / r2**3
        e = 4.0 * (inv6 * inv6 - inv6)
        return jnp.sum(jnp.where(iu, e, 0.0))

    def lorenz_jax(u0, params, dt, nsteps):
        sigma, rho, beta = params[0], params[1], params[2]

        def rhs(s):
            x, y, z = s[0], s[1], s[2]
            return jnp.stack([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

        def step(_, s):
            k1 = rhs(s)
            k2 = rhs(s + 0.5 * dt * k1)
            k3 = rhs(s + 0.5 * dt * k2)
            k4 = rhs(s + dt * k3)
            return s + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

        s = jax.lax.fori_loop(0, nsteps, step, u0)
        return s[0] * s[0] + s[1] + s[2]

    def rosen_jax(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def mlp_jax(W1, b1, W2, b2, X, Y):
        h = jnp.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        m = jnp.max(logits)
        lse = m + jnp.log(jnp.sum(jnp.exp(logits - m), axis=1))
        return jnp.sum(lse - jnp.sum(Y * logits, axis=1)) / X.shape[0]

    def logistic_jax(w, A, y):
        return jnp.sum(jnp.log(1.0 + jnp.exp(A @ w))) - y @ (A @ w)

    def logdet_jax(X, S):
        return jnp.sum(S * X) - jnp.log(jnp.linalg.det(X))

    def block(fn):
        def run(*args):
            return jax.block_until_ready(fn(*args))

        return run

    lj_g = jax.jit(jax.grad(lj_jax))
    lorenz_g = jax.jit(jax.grad(lorenz_jax, argnums=(0, 1)), static_argnums=(3,))
    rosen_g = jax.jit(jax.grad(rosen_jax))
    return {
        "lj": block(lj_g),
        "lorenz": block(lorenz_g),
        "rosenbrock": block(rosen_g),
        "mlp": block(jax.jit(jax.grad(mlp_jax, argnums=(0, 1, 2, 3)))),
        "logistic": block(jax.jit(jax.grad(logistic_jax))),
        "logdet": block(jax.jit(jax.grad(logdet_jax))),
        "version": f"{jax.__version__}, {jax.default_backend()}",
    }


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--no-jax", action="store_true", help="skip the optional JAX peer")
    ap.add_argument(
        "--warm-cache",
        action="store_true",
        help="use st_ad's normal on-disk cache (default: a fresh temporary cache directory, "
        "so first-call times include code generation and numba compilation)",
    )
    ap.add_argument(
        "--no-first-call",
        action="store_true",
        help="skip st_ad's first call against the hand-written gradient's compile, in fresh "
        "processes (bench/first_call.py)",
    )
    ap.add_argument(
        "--no-lengths",
        action="store_true",
        help="skip the lines of the generated gradient against the hand-written one "
        "(bench/lengths.py)",
    )
    ap.add_argument(
        "--no-startup",
        action="store_true",
        help="skip the time-to-first-gradient measurement in fresh processes (bench/startup.py)",
    )
    opts = ap.parse_args()
    if not opts.warm_cache:
        # st_ad writes generated modules (and numba caches them) under ST_AD_CACHE_DIR;
        # point it at an empty directory so the first call is a cold build.
        tmp_cache = tempfile.mkdtemp(prefix="st_ad_bench_cache_")
        atexit.register(shutil.rmtree, tmp_cache, ignore_errors=True)
        os.environ["ST_AD_CACHE_DIR"] = tmp_cache
    min_time = 0.1 if opts.quick else 0.4

    import numba

    import st_ad

    problems = make_problems()

    jax_peers = {} if opts.no_jax else make_jax_peers()

    rows = []
    checks = []
    for label, key, f, wrt, primal_nb, hand_nb, args, target, required in problems:
        print(f"[bench] {label} ...", file=sys.stderr, flush=True)
        row = {"label": label, "target": target, "required": required}

        # st_ad first call: transform build + first call (codegen + numba compile)
        t0 = time.perf_counter()
        try:
            g = st_ad.grad(f, wrt=wrt)
            g_out = g(*args)
            row["first"] = time.perf_counter() - t0
        except Exception as exc:  # report and continue with the other problems
            g = None
            row["first"] = None
            row["error"] = f"st_ad: not available ({first_line(exc)})"
            print(f"[bench]   {row['error']}", file=sys.stderr, flush=True)

        row["primal"], _ = median_time(primal_nb, args, min_time=min_time)
        row["hand"], _ = median_time(hand_nb, args, min_time=min_time)
        if g is not None:
            row["grad"], row["reps"] = median_time(g, args, min_time=min_time)
            try:
                checks.append((label, max_rel_diff(g_out, hand_nb(*args))))
            except Exception as exc:
                row["error"] = f"result check failed: {first_line(exc)}"
                checks.append((label, None))
        else:
            row["grad"] = None
            checks.append((label, None))

        if key in jax_peers:
            jargs = args
            try:
                row["jax"], _ = median_time(jax_peers[key], jargs, min_time=min_time)
                jref = hand_nb(*args)
                row["jax_diff"] = max_rel_diff(jax_peers[key](*jargs), jref)
            except Exception as exc:
                row["jax"] = None
                print(f"[bench]   jax failed: {exc}", file=sys.stderr, flush=True)
        rows.append(row)

    print()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"{platform.machine()} {os.cpu_count()} cpus, "
        f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
        + (f", jax {jax_peers['version']}" if jax_peers else "")
    )
    print()
    header = (
        "| problem | primal ms | st_ad grad ms | hand-written ms | grad/primal "
        "| st_ad/hand-written | target st_ad/hand | first-call s |"
    )
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if jax_peers:
        header += f" jax {jax_peers['version']} grad ms |"
        sep += "---:|"
    print(header)
    print(sep)
    for r in rows:
        first = "n/a" if r["first"] is None else f"{r['first']:.2f}"
        line = (
            f"| {r['label']} | {fmt_ms(r['primal'])} | {fmt_ms(r['grad'])} | {fmt_ms(r['hand'])} "
            f"| {fmt_ratio(r['grad'], r['primal'])} | {fmt_ratio(r['grad'], r['hand'])} "
            f"| {fmt_target(r['target'], r['grad'], r['hand'])} | {first} |"
        )
        if jax_peers:
            line += f" {fmt_ms(r.get('jax'))} |"
        print(line)
    print()
    cache_note = "warm on-disk cache" if opts.warm_cache else "cold: empty ST_AD_CACHE_DIR"
    print(
        "Times are medians after warm-up (time.perf_counter). first-call = st_ad.grad(f) "
        f"+ first call ({cache_note})."
    )
    print()
    print("Correctness (st_ad gradient vs hand-written, max|diff| / max|ref|):")
    ok = True
    for (label, d), r in zip(checks, rows, strict=True):
        if d is None:
            # a required problem failing fails the run; the array-level ones are reported only
            ok = ok and not r["required"]
            note = "" if r["required"] else " [not counted in the exit status]"
            print(f"  {label}: {r.get('error', 'st_ad FAILED')}{note}")
        else:
            flag = "ok" if d < 1e-9 else "MISMATCH"
            ok = ok and d < 1e-9
            print(f"  {label}: {d:.2e} {flag}")
    for r in rows:
        if "jax_diff" in r:
            print(f"  {r['label']}: jax vs hand-written {r['jax_diff']:.2e}")
    if not opts.no_lengths:
        print()
        print(format_lengths(run_lengths()))
    if not opts.no_first_call:
        sys.stdout.flush()
        print()
        print(format_first_call(run_first_call()))
    if not opts.no_startup:
        # fresh processes with caches of their own: not counted in the exit status
        sys.stdout.flush()
        startup_rows = run_startup()
        print()
        print(format_rows(startup_rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
