"""Adjoint bookkeeping: zero adjoints, resets, and summing a cotangent back to an operand's
shape ("unbroadcast"). Each dispatches on numba types at compile time."""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable
from numba.np.numpy_support import as_dtype

_SCALARS = (types.Float, types.Integer, types.Boolean)


def _float_dtype(dtype):
    return dtype if isinstance(dtype, types.Float) else types.float64


def zeros_adj(x):  # pragma: no cover
    """A zero derivative shaped like ``x``: 0.0 for a scalar, zeros of x's shape for an array."""


def _zero(t):
    """A literal zero of float type ``t`` (``x * 0.0`` would not fold: it is NaN for inf)."""
    return as_dtype(t).type(0.0) if isinstance(t, types.Float) else 0.0


@overload(zeros_adj, inline="always")
def _zeros_adj(x):
    if isinstance(x, _SCALARS):
        zero = _zero(x)
        return lambda x: zero
    if isinstance(x, types.Array):
        dtype = _float_dtype(x.dtype)
        return lambda x: np.zeros(x.shape, dtype)
    raise TypingError(f"st_ad: no derivative for a value of type {x}")


def keep(x):  # pragma: no cover
    """``x`` as it is now: arrays are copied, because the reverse sweep restores arrays in
    place."""


@overload(keep, inline="always")
def _keep(x):
    if isinstance(x, types.Array):
        return lambda x: x.copy()
    return lambda x: x


def reset(x_bar):  # pragma: no cover
    """Zero an adjoint: a new 0.0 for a scalar, an in-place fill for an array."""


@overload(reset, inline="always")
def _reset(x_bar):
    if isinstance(x_bar, _SCALARS):
        zero = _zero(x_bar)
        return lambda x_bar: zero
    if isinstance(x_bar, types.Array):

        def impl(x_bar):
            x_bar[...] = 0.0
            return x_bar

        return impl
    raise TypingError(f"st_ad: cannot reset an adjoint of type {x_bar}")


@register_jitable
def _sum_to_shape(g, x):
    # Sum g over the axes numpy broadcast x along (leading axes and size-1 axes).
    nd = g.ndim
    g_shape = np.array(g.shape)
    x_shape = np.ones(nd, np.int64)
    x_shape[nd - x.ndim :] = np.array(x.shape)
    out = np.zeros(x.size, g.dtype)
    g_flat = np.ascontiguousarray(g).ravel()
    for k in range(g.size):
        rest = k
        index = 0
        stride = 1
        for d in range(nd - 1, -1, -1):
            i = rest % g_shape[d]
            rest //= g_shape[d]
            if x_shape[d] != 1:
                index += i * stride
            stride *= x_shape[d]
        out[index] += g_flat[k]
    return out.reshape(x.shape)


def unbroadcast(g, x):  # pragma: no cover
    """The cotangent ``g`` of a broadcast result, summed back to the shape of operand ``x``."""


@overload(unbroadcast, inline="always")
def _unbroadcast(g, x):
    if isinstance(x, _SCALARS):
        if isinstance(g, types.Array):
            return lambda g, x: np.sum(g)
        return lambda g, x: g
    if isinstance(x, types.Array) and isinstance(g, types.Array):
        if g.ndim == x.ndim:

            def impl(g, x):
                if g.shape == x.shape:
                    return g
                return _sum_to_shape(g, x)

            return impl
        return lambda g, x: _sum_to_shape(g, x)
    return lambda g, x: g
