"""Products: cotangents of np.dot / ``@``, and ``np.inner`` (which numba lacks) with its
cotangents, for each pair of operand ranks (scalar, 1-D, 2-D)."""

from __future__ import annotations

import functools

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

_SCALARS = (types.Float, types.Integer)


def _rank(t):
    return 0 if isinstance(t, _SCALARS) else t.ndim


def _table(scalar_a: str, scalar_b: str, **by_ranks: str) -> dict[tuple[int, int], str]:
    """``{(rank of a, rank of b): expression}``: a scalar operand first (``scalar_a`` when
    ``a`` is one, then ``scalar_b``), then the vector and matrix cases ``r11``, ``r21``..."""
    table = {(ra, 0): scalar_b for ra in (1, 2)}
    table.update({(0, rb): scalar_a for rb in (0, 1, 2)})
    table.update({(int(k[1]), int(k[2])): v for k, v in by_ranks.items()})
    return table


# Each product and cotangent as one expression per pair of operand ranks. The overloads
# below compile them; codegen/specialise.py writes them into code whose ranks are known.
RANKED = {
    "dot_vjp_a": _table(
        "np.sum(g * b)",
        "g * b",
        r11="g * b",
        r21="np.outer(g, b)",
        r12="np.dot(b, g)",
        r22="np.dot(g, b.T)",
    ),
    "dot_vjp_b": _table(
        "g * a",
        "np.sum(g * a)",
        r11="g * a",
        r21="np.dot(g, a)",
        r12="np.outer(a, g)",
        r22="np.dot(a.T, g)",
    ),
    "inner": _table(
        "a * b",
        "a * b",
        r11="np.dot(a, b)",
        r21="np.dot(a, b)",
        r12="np.dot(b, a)",
        r22="np.dot(a, b.T)",
    ),
    "inner_vjp_a": _table(
        "np.sum(g * b)",
        "g * b",
        r11="g * b",
        r21="np.outer(g, b)",
        r12="np.dot(g, b)",
        r22="np.dot(g, b)",
    ),
    "inner_vjp_b": _table(
        "g * a",
        "np.sum(g * a)",
        r00="np.sum(g * a)",
        r11="g * a",
        r21="np.dot(g, a)",
        r12="np.outer(g, a)",
        r22="np.dot(g.T, a)",
    ),
}


@functools.cache
def _compiled(helper: str, params: str, ranks: tuple[int, int]):
    source = RANKED[helper].get(ranks)
    if source is None:
        raise TypingError(f"st_ad: {helper} of ranks {ranks} is not supported")
    return eval(f"lambda {params}: {source}", {"np": np})  # noqa: S307 (our own table)


def dot_vjp_a(g, a, b):  # pragma: no cover
    """Cotangent of ``a`` in ``c = np.dot(a, b)`` given the cotangent ``g`` of ``c``."""


def dot_vjp_b(g, a, b):  # pragma: no cover
    """Cotangent of ``b`` in ``c = np.dot(a, b)`` given the cotangent ``g`` of ``c``."""


@overload(dot_vjp_a)
def _dot_vjp_a(g, a, b):
    return _compiled("dot_vjp_a", "g, a, b", (_rank(a), _rank(b)))


@overload(dot_vjp_b)
def _dot_vjp_b(g, a, b):
    return _compiled("dot_vjp_b", "g, a, b", (_rank(a), _rank(b)))


@register_jitable
def matmul(a, b):
    """``np.matmul(a, b)``, which numba spells ``a @ b``."""
    return a @ b


def inner(a, b):  # pragma: no cover
    """``np.inner(a, b)`` for scalars, vectors and matrices (numba lacks it)."""


@overload(inner)
def _inner(a, b):
    return _compiled("inner", "a, b", (_rank(a), _rank(b)))


def inner_vjp_a(g, a, b):  # pragma: no cover
    """Cotangent of ``a`` in ``c = np.inner(a, b)``."""


def inner_vjp_b(g, a, b):  # pragma: no cover
    """Cotangent of ``b`` in ``c = np.inner(a, b)``."""


@overload(inner_vjp_a)
def _inner_vjp_a(g, a, b):
    return _compiled("inner_vjp_a", "g, a, b", (_rank(a), _rank(b)))


@overload(inner_vjp_b)
def _inner_vjp_b(g, a, b):
    return _compiled("inner_vjp_b", "g, a, b", (_rank(a), _rank(b)))
