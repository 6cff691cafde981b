"""Shared numerics for the st_ad test-suite: finite differences and comparisons.

Everything here evaluates the *plain Python* functions (never st_ad), in
float64: float32 array arguments are promoted before differencing so that the
reference is accurate even when the function under test runs in float32.
"""

import inspect
import os

# Tests check derivative values, not speed: compile without LLVM's optimisation passes, which
# halves the suite's time (nearly all of it is numba compiling generated code). Benchmarks
# (bench/) run at numba's default level. Set NUMBA_OPT yourself to override.
os.environ.setdefault("NUMBA_OPT", "0")

import numpy as np  # noqa: E402

FD_STEP = 1e-6


# ---------------------------------------------------------------------------
# argument helpers
# ---------------------------------------------------------------------------


def wrt_indices(fn, wrt):
    """Resolve ``wrt`` (int, parameter name, or tuple of those).

    Returns ``(indices, is_tuple)``.
    """
    params = list(inspect.signature(fn).parameters)

    def one(w):
        if isinstance(w, str):
            return params.index(w)
        return int(w)

    if isinstance(wrt, tuple):
        return tuple(one(w) for w in wrt), True
    return (one(wrt),), False


def is_scalar_arg(a):
    return not isinstance(a, np.ndarray)


def promote(a):
    """float32 arrays/scalars -> float64 copies; everything else copied/unchanged."""
    if isinstance(a, np.ndarray):
        if a.dtype == np.float32:
            return a.astype(np.float64)
        return a.copy()
    if isinstance(a, np.floating):
        return float(a)
    return a


def promote_args(args):
    return tuple(promote(a) for a in args)


def copy_args(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def _replace(args, i, value):
    out = list(args)
    out[i] = value
    return tuple(out)


def _eval(fn, args):
    return np.asarray(fn(*args), dtype=np.float64)


# ---------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------


def fd_partial(fn, args, i, h=FD_STEP):
    """Central-difference derivative of ``fn`` w.r.t. every element of ``args[i]``.

    Works for scalar- and array-valued ``fn``.  For a scalar argument the
    result has the output's shape; for an array argument of shape S it has
    shape ``S + output shape``.  The step is ``h * max(1, |x|)`` per element,
    and the exactly representable difference ``x_plus - x_minus`` is used as
    the denominator.
    """
    args = promote_args(args)
    x = args[i]
    if is_scalar_arg(x):
        x = float(x)
        step = h * max(1.0, abs(x))
        xp, xm = x + step, x - step
        fp = _eval(fn, _replace(args, i, xp))
        fm = _eval(fn, _replace(args, i, xm))
        return (fp - fm) / (xp - xm)
    out_shape = _eval(fn, args).shape
    jac = np.zeros(x.shape + out_shape)
    for idx in np.ndindex(*x.shape):
        step = h * max(1.0, abs(x[idx]))
        xp = x.copy()
        xm = x.copy()
        xp[idx] = x[idx] + step
        xm[idx] = x[idx] - step
        fp = _eval(fn, _replace(args, i, xp))
        fm = _eval(fn, _replace(args, i, xm))
        jac[idx] = (fp - fm) / (xp[idx] - xm[idx])
    return jac


def fd_grad(fn, args, wrt=0, h=FD_STEP):
    """Central-difference gradient of scalar-valued ``fn`` w.r.t. ``wrt``.

    Returns one float64 value/array for an int or str ``wrt``, a tuple for a
    tuple ``wrt`` (the convention of ``st_ad.grad``).
    """
    idxs, multi = wrt_indices(fn, wrt)
    grads = []
    for i in idxs:
        g = fd_partial(fn, args, i, h)
        grads.append(float(g) if is_scalar_arg(args[i]) else g)
    return tuple(grads) if multi else grads[0]


def fd_jvp(fn, args, wrt, tangents, h=FD_STEP):
    """Directional central difference  (f(x + h v) - f(x - h v)) / 2h.

    ``tangents`` is a sequence with one entry per wrt argument.  All wrt
    arguments are perturbed together.
    """
    idxs, _ = wrt_indices(fn, wrt)
    args = promote_args(args)
    scale = max([1.0] + [float(np.max(np.abs(args[i]))) for i in idxs])
    vnorm = max(float(np.max(np.abs(v))) for v in tangents)
    step = h * scale / vnorm if vnorm > 0 else h
    plus, minus = list(args), list(args)
    for i, v in zip(idxs, tangents, strict=True):
        v = np.asarray(v, dtype=np.float64) if not is_scalar_arg(args[i]) else float(v)
        plus[i] = args[i] + step * v
        minus[i] = args[i] - step * v
    return (_eval(fn, plus) - _eval(fn, minus)) / (2.0 * step)


def fd_vjp(fn, args, wrt, cotangent, h=FD_STEP):
    """Jacobian-transpose product J^T u from a full finite-difference Jacobian.

    Returns one value per wrt argument (tuple for a tuple ``wrt``).
    """
    idxs, multi = wrt_indices(fn, wrt)
    u = np.asarray(cotangent, dtype=np.float64)
    res = []
    for i in idxs:
        jac = fd_partial(fn, args, i, h)  # shape: arg shape + out shape
        if is_scalar_arg(args[i]):
            res.append(float(np.sum(jac * u)))
        else:
            axes = tuple(range(np.ndim(args[i]), jac.ndim))
            res.append(np.sum(jac * u, axis=axes) if axes else jac * u)
    return tuple(res) if multi else res[0]


# ---------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------


def as_tuple(value, multi):
    return tuple(value) if multi else (value,)


def max_abs(x):
    x = np.asarray(x, dtype=np.float64)
    return float(np.max(np.abs(x))) if x.size else 0.0


def assert_close(got, want, rtol, what=""):
    """Elementwise ``|got - want| <= rtol * (|want| + max(1, max|want|))``.

    The absolute part is scaled by the largest reference entry so tiny
    entries of an otherwise O(1) gradient don't demand impossible accuracy.
    """
    got_a = np.asarray(got, dtype=np.float64)
    want_a = np.asarray(want, dtype=np.float64)
    assert got_a.shape == want_a.shape, f"{what}: shape {got_a.shape} != {want_a.shape}"
    assert np.all(np.isfinite(got_a)), f"{what}: non-finite result {got_a}"
    atol = rtol * max(1.0, max_abs(want_a))
    np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=atol, err_msg=what)


def rel_err(got, want):
    """max |got - want| / max(1, max |want|)."""
    got_a = np.asarray(got, dtype=np.float64)
    want_a = np.asarray(want, dtype=np.float64)
    return max_abs(got_a - want_a) / max(1.0, max_abs(want_a))
