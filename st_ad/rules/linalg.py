"""Products: ``np.dot`` and ``@`` for scalars, vectors and matrices.

The tangent is bilinear; the cotangents depend on the operand ranks, which only numba's typing
knows, so they are runtime helpers (st_ad/runtime/linalg.py) resolved at compile time.
"""

from __future__ import annotations

import gast
import numpy

from .registry import Rule, register
from .sym import np, st


def _dot_jvp(c, a, b, da, db):
    return np.dot(da, b) + np.dot(a, db)


def _dot_vjp(g, c, a, b):
    return st.dot_vjp_a(g, a, b), st.dot_vjp_b(g, a, b)


def _matmul_jvp(c, a, b, da, db):
    return da @ b + a @ db


register(["dot", numpy.dot], Rule("dot", _dot_jvp, _dot_vjp, diff=(0, 1)))
register([gast.MatMult, numpy.matmul], Rule("matmul", _matmul_jvp, _dot_vjp, diff=(0, 1)))
