"""Products and linear algebra: dot, ``@``, vdot, inner, outer, trace, and the matrix-calculus
rules of numpy.linalg (inv, det, slogdet, solve, cholesky, eigh, lstsq).

Cotangents that depend on operand ranks, or that are more than a line, are runtime helpers
(st_ad/runtime/linalg.py, matrix.py, shape.py) resolved by numba at compile time.
"""

from __future__ import annotations

import gast
import numpy

from .registry import Rule, register, unsupported
from .sym import ZERO, Sym, const, linalg, np, st


def _rule(keys, name, jvp, vjp, diff=(0, 1), note="", **kw) -> Rule:
    return register(keys, Rule(name, jvp, vjp, diff=diff, family="linalg", note=note, **kw))


def _or_zeros(d, x):
    """A tangent as an expression: zeros shaped like ``x`` for an inactive one."""
    return st.zeros_adj(x) if d is ZERO else d


# products -------------------------------------------------------------------------------------
def _dot_jvp(c, a, b, da, db):
    return np.dot(da, b) + np.dot(a, db)


def _dot_vjp(g, c, a, b):
    return st.dot_vjp_a(g, a, b), st.dot_vjp_b(g, a, b)


def _matmul_jvp(c, a, b, da, db):
    return da @ b + a @ db


_rule([numpy.dot, ".dot"], "dot", _dot_jvp, _dot_vjp, note="scalars, vectors, matrices")
_rule([gast.MatMult], "matmul", _matmul_jvp, _dot_vjp, note="a @ b, 1-D and 2-D operands")
_rule(
    [numpy.matmul],
    "matmul",
    _matmul_jvp,
    _dot_vjp,
    impl="matmul",
    note="computed as a @ b (numba lacks np.matmul)",
)
_rule(
    [numpy.vdot],
    "vdot",
    lambda c, a, b, da, db: np.vdot(da, b) + np.vdot(a, db),
    lambda g, c, a, b: (g * b, g * a),
    note="operands of the same shape",
)
_rule(
    [numpy.inner],
    "inner",
    lambda c, a, b, da, db: st.inner(da, b) + st.inner(a, db),
    lambda g, c, a, b: (st.inner_vjp_a(g, a, b), st.inner_vjp_b(g, a, b)),
    impl="inner",
    note="scalars, vectors, matrices (computed by st.inner: numba lacks np.inner)",
)
_rule(
    [numpy.outer],
    "outer",
    lambda c, a, b, da, db: np.outer(da, b) + np.outer(a, db),
    lambda g, c, a, b: (np.dot(g, b), np.dot(a, g)),
    note="vectors",
)
_rule(
    [numpy.trace, ".trace"],
    "trace",
    lambda y, x, dx: np.trace(dx),
    lambda g, y, x: (st.trace_vjp(g, x),),
    diff=(0,),
)


# inverse and determinants -----------------------------------------------------------------------
_rule(
    [numpy.linalg.inv],
    "inv",
    lambda y, x, dx: st.inv_jvp(y, dx),  # -Y dX Y
    lambda g, y, x: (st.inv_vjp(g, y),),  # -Y^T G Y^T
    diff=(0,),
)
_rule(
    [numpy.linalg.det],
    "det",
    lambda y, x, dx: y * st.logdet_jvp(x, dx),  # det X tr(X^-1 dX)
    lambda g, y, x: (st.det_vjp(g, y, x),),  # g det X X^-T
    diff=(0,),
)


def _logdet_jvp(y, x, t, dx, dt):
    return st.logdet_jvp(x, dx)  # tr(X^-1 dX)


def _logdet_vjp(g, y, x, t):
    return st.slogdet_vjp(g, x), None  # g X^-T


_LOGDET = Rule("slogdet[1]", _logdet_jvp, _logdet_vjp, diff=(0,), family="linalg")
_rule(
    [numpy.linalg.slogdet],
    "slogdet",
    None,
    None,
    diff=(0,),
    params=("a",),
    parts=(None, _LOGDET),
    note="sign: no derivative; log abs det X: cotangent X^-T",
)


# solving --------------------------------------------------------------------------------------
def _solve_jvp(y, a, b, da, db):
    if da is ZERO and db is ZERO:
        return ZERO
    return linalg.solve(a, db - da @ y)  # A dx = db - dA x


def _solve_vjp(g, y, a, b):
    b_bar = linalg.solve(a.T, g)  # A^T b_bar = g
    return st.solve_vjp_a(b_bar, y), b_bar


_rule([numpy.linalg.solve], "solve", _solve_jvp, _solve_vjp, note="b a vector or a matrix")


def _lstsq_jvp(y, a, b, rcond, t, da, db, drcond, dt):
    if da is ZERO and db is ZERO:
        return ZERO
    return st.lstsq_jvp(a, b, y, _or_zeros(da, a), _or_zeros(db, b))


def _lstsq_vjp(g, y, a, b, rcond, t):
    return st.lstsq_vjp_a(g, a, b, y), st.lstsq_vjp_b(g, a, b, y), None, None


_LSTSQ_X = Rule("lstsq[0]", _lstsq_jvp, _lstsq_vjp, diff=(0, 1), family="linalg")
_LSTSQ_OTHER = unsupported(
    "lstsq[1:]",
    "only the solution of np.linalg.lstsq (element 0) is differentiated",
    "compute the residual from the solution: r = A @ x - b; np.sum(r * r)",
    diff=(0, 1),
)
_rule(
    [numpy.linalg.lstsq],
    "lstsq",
    None,
    None,
    params=("a", "b", "rcond"),
    parts=(_LSTSQ_X, _LSTSQ_OTHER, None, _LSTSQ_OTHER),
    note="the solution x, for A of full column rank",
)


# factorisations -------------------------------------------------------------------------------
_rule(
    [numpy.linalg.cholesky],
    "cholesky",
    lambda y, x, dx: st.cholesky_jvp(y, dx),
    lambda g, y, x: (st.cholesky_vjp(y, g),),
    diff=(0,),
    note="symmetric cotangent: valid for symmetric perturbations",
)


def _element(t: Sym, k: int) -> Sym:
    return t[const(k)]


_EIGVALS = Rule(
    "eigh[0]",
    lambda y, x, t, dx, dt: st.eigh_values_jvp(_element(t, 1), dx),
    lambda g, y, x, t: (st.eigh_values_vjp(_element(t, 1), g), None),
    diff=(0,),
    family="linalg",
)
_EIGVECS = Rule(
    "eigh[1]",
    lambda y, x, t, dx, dt: st.eigh_vectors_jvp(_element(t, 0), y, dx),
    lambda g, y, x, t: (st.eigh_vectors_vjp(_element(t, 0), y, g), None),
    diff=(0,),
    family="linalg",
)
_rule(
    [numpy.linalg.eigh],
    "eigh",
    None,
    None,
    diff=(0,),
    params=("a",),
    parts=(_EIGVALS, _EIGVECS),
    note="eigenvalues and eigenvectors; eigenvectors need distinct eigenvalues",
)
