"""Reductions: sum, mean, prod, max/min, norm, var, std (each with or without ``axis``) and
cumsum. ``axis`` is a plain argument; where numba has no ``axis=`` form the primal itself is
computed by a runtime helper (``impl``).

A reduced cotangent is spread back over the reduced axis by ``st.unreduce``; without an axis
it is a scalar, which ``x_bar += g`` broadcasts.
"""

from __future__ import annotations

import numpy

from .registry import Rule, RuleError, register
from .sym import np, st


def _sum(z, axis):
    return np.sum(z) if axis is None else np.sum(z, axis)


def _mean(z, axis):
    return np.mean(z) if axis is None else st.mean(z, axis)


def _spread(g, x, axis):
    return g if axis is None else st.unreduce(g, x, axis)


def _count(x, axis):
    return x.attr("size") if axis is None else x.attr("shape")[axis.node]


def _reduction(keys, name, jvp, vjp, impl=None, note="", spreads=False, impl_if="axis") -> Rule:
    """``spreads``: without an axis the cotangent is a scalar, spread over x by the
    generator (the same summing-to-shape as for broadcasting, in reverse). ``impl`` computes
    the primal when the call passes ``impl_if`` (always, with ``impl_if=None``)."""
    note = "; ".join(n for n in ("axis=None or an int", note) if n)
    rule = Rule(
        name,
        jvp,
        vjp,
        diff=(0,),
        impl=impl,
        impl_if=impl_if,
        family="reduction",
        note=note,
        broadcasts=spreads,
    )
    return register(keys, rule)


# sum ------------------------------------------------------------------------------------------
def _sum_jvp(y, x, axis, dx, daxis):
    return _sum(dx, axis)


def _sum_vjp(g, y, x, axis=None):
    return _spread(g, x, axis), None


_reduction([numpy.sum, ".sum"], "sum", _sum_jvp, _sum_vjp, spreads=True)


# mean -----------------------------------------------------------------------------------------
def _mean_jvp(y, x, axis, dx, daxis):
    return _mean(dx, axis)


def _mean_vjp(g, y, x, axis=None):
    return _spread(g, x, axis) / _count(x, axis), None


_reduction([numpy.mean, ".mean"], "mean", _mean_jvp, _mean_vjp, impl="mean", spreads=True)


# prod -----------------------------------------------------------------------------------------
def _prod_jvp(y, x, axis, dx, daxis):
    return _sum(st.prod_partials(x, axis) * dx, axis)


def _prod_vjp(g, y, x, axis=None):
    return _spread(g, x, axis) * st.prod_partials(x, axis), None


_reduction(
    [numpy.prod, ".prod"],
    "prod",
    _prod_jvp,
    _prod_vjp,
    impl="prod",
    note="exact with zero factors (no division)",
)


# max and min ----------------------------------------------------------------------------------
def _extremum_jvp(y, x, axis, dx, daxis):
    return _sum(st.extremum_mask(x, y, axis) * dx, axis)


def _extremum_vjp(g, y, x, axis=None):
    return _spread(g, x, axis) * st.extremum_mask(x, y, axis), None


_reduction(
    [numpy.max, numpy.amax, ".max"],
    "max",
    _extremum_jvp,
    _extremum_vjp,
    impl="amax",
    note="derivative goes to the first arg-maximum",
)
_reduction(
    [numpy.min, numpy.amin, ".min"],
    "min",
    _extremum_jvp,
    _extremum_vjp,
    impl="amin",
    note="derivative goes to the first arg-minimum",
)


# var and std ----------------------------------------------------------------------------------
def _var_jvp(y, x, axis, dx, daxis):
    return 2.0 * _mean(st.centered(x, axis) * dx, axis)


def _var_vjp(g, y, x, axis=None):
    return 2.0 * _spread(g, x, axis) * st.centered(x, axis) / _count(x, axis), None


def _std_jvp(y, x, axis, dx, daxis):
    return _mean(st.centered(x, axis) * dx, axis) / y


def _std_vjp(g, y, x, axis=None):
    return _spread(g / y, x, axis) * st.centered(x, axis) / _count(x, axis), None


_reduction([numpy.var, ".var"], "var", _var_jvp, _var_vjp, impl="var", note="ddof=0")
_reduction([numpy.std, ".std"], "std", _std_jvp, _std_vjp, impl="std", note="ddof=0")


# norm -----------------------------------------------------------------------------------------
def _check_ord(ord_) -> None:
    value = getattr(ord_.node, "value", 0) if ord_ is not None else None
    if value not in (None, "fro"):
        raise RuleError(
            "np.linalg.norm is differentiated for the 2-norm of vectors and the Frobenius "
            "norm of matrices only",
            "leave out `ord` (or pass ord='fro'), or write the norm out, e.g. "
            "np.sum(np.abs(x)) for the 1-norm",
        )


def _norm_jvp(y, x, ord_, axis, dx, dord, daxis):
    _check_ord(ord_)
    return _sum(x * dx, axis) / y


def _norm_vjp(g, y, x, ord=None, axis=None):  # noqa: A002 - numpy's parameter name
    _check_ord(ord)
    return _spread(g / y, x, axis) * x, None, None


_reduction(
    [numpy.linalg.norm],
    "norm",
    _norm_jvp,
    _norm_vjp,
    impl="norm",
    impl_if=None,  # numba's own norm is wrong on negative-stride views (x[::-1])
    note="2-norm (vectors), Frobenius (matrices); axis=k for row/column norms",
)


# cumsum ---------------------------------------------------------------------------------------
def _cumsum_jvp(y, x, axis, dx, daxis):
    return np.cumsum(dx) if axis is None else np.cumsum(dx, axis)


def _cumsum_vjp(g, y, x, axis=None):
    return st.cumsum_vjp(g, x, axis), None


_reduction([numpy.cumsum, ".cumsum"], "cumsum", _cumsum_jvp, _cumsum_vjp)
