"""Products: cotangents of np.dot / ``@``, and ``np.inner`` (which numba lacks) with its
cotangents, for each pair of operand ranks (scalar, 1-D, 2-D)."""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

_SCALARS = (types.Float, types.Integer)


def _rank(t):
    return 0 if isinstance(t, _SCALARS) else t.ndim


def dot_vjp_a(g, a, b):  # pragma: no cover
    """Cotangent of ``a`` in ``c = np.dot(a, b)`` given the cotangent ``g`` of ``c``."""


def dot_vjp_b(g, a, b):  # pragma: no cover
    """Cotangent of ``b`` in ``c = np.dot(a, b)`` given the cotangent ``g`` of ``c``."""


@overload(dot_vjp_a)
def _dot_vjp_a(g, a, b):
    ranks = (_rank(a), _rank(b))
    if ranks[0] == 0:
        return lambda g, a, b: np.sum(g * b)
    if ranks[1] == 0:
        return lambda g, a, b: g * b
    if ranks == (1, 1):
        return lambda g, a, b: g * b
    if ranks == (2, 1):
        return lambda g, a, b: np.outer(g, b)
    if ranks == (1, 2):
        return lambda g, a, b: np.dot(b, g)
    if ranks == (2, 2):
        return lambda g, a, b: np.dot(g, b.T)
    raise TypingError(f"st_ad: np.dot of ranks {ranks} is not supported")


@overload(dot_vjp_b)
def _dot_vjp_b(g, a, b):
    ranks = (_rank(a), _rank(b))
    if ranks[0] == 0:
        return lambda g, a, b: g * a
    if ranks[1] == 0:
        return lambda g, a, b: np.sum(g * a)
    if ranks == (1, 1):
        return lambda g, a, b: g * a
    if ranks == (2, 1):
        return lambda g, a, b: np.dot(g, a)  # a.T @ g, without transposing a
    if ranks == (1, 2):
        return lambda g, a, b: np.outer(a, g)
    if ranks == (2, 2):
        return lambda g, a, b: np.dot(a.T, g)
    raise TypingError(f"st_ad: np.dot of ranks {ranks} is not supported")


@register_jitable
def matmul(a, b):
    """``np.matmul(a, b)``, which numba spells ``a @ b``."""
    return a @ b


def inner(a, b):  # pragma: no cover
    """``np.inner(a, b)`` for scalars, vectors and matrices (numba lacks it)."""


@overload(inner)
def _inner(a, b):
    ranks = (_rank(a), _rank(b))
    if 0 in ranks:
        return lambda a, b: a * b
    if ranks == (1, 1):
        return lambda a, b: np.dot(a, b)
    if ranks == (2, 1):
        return lambda a, b: np.dot(a, b)
    if ranks == (1, 2):
        return lambda a, b: np.dot(b, a)
    if ranks == (2, 2):
        return lambda a, b: np.dot(a, b.T)
    raise TypingError(f"st_ad: np.inner of ranks {ranks} is not supported")


def inner_vjp_a(g, a, b):  # pragma: no cover
    """Cotangent of ``a`` in ``c = np.inner(a, b)``."""


def inner_vjp_b(g, a, b):  # pragma: no cover
    """Cotangent of ``b`` in ``c = np.inner(a, b)``."""


@overload(inner_vjp_a)
def _inner_vjp_a(g, a, b):
    ranks = (_rank(a), _rank(b))
    if ranks[0] == 0:
        return lambda g, a, b: np.sum(g * b)
    if ranks[1] == 0 or ranks == (1, 1):
        return lambda g, a, b: g * b
    if ranks == (2, 1):
        return lambda g, a, b: np.outer(g, b)
    if ranks in ((1, 2), (2, 2)):
        return lambda g, a, b: np.dot(g, b)
    raise TypingError(f"st_ad: np.inner of ranks {ranks} is not supported")


@overload(inner_vjp_b)
def _inner_vjp_b(g, a, b):
    ranks = (_rank(a), _rank(b))
    if ranks[1] == 0:
        return lambda g, a, b: np.sum(g * a)
    if ranks[0] == 0 or ranks == (1, 1):
        return lambda g, a, b: g * a
    if ranks == (2, 1):
        return lambda g, a, b: np.dot(g, a)
    if ranks == (1, 2):
        return lambda g, a, b: np.outer(g, a)
    if ranks == (2, 2):
        return lambda g, a, b: np.dot(g.T, a)
    raise TypingError(f"st_ad: np.inner of ranks {ranks} is not supported")
