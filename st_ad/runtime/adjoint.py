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


def unfolded(test):  # pragma: no cover
    """``test`` itself, hidden from numba's constant folding (``analysis/folding.py``)."""


@overload(unfolded)  # not inlined: numba folds branches before it inlines overloads
def _unfolded(test):
    return lambda test: test


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
    # Sum g over the axes numpy broadcast x along (leading axes and size-1 axes); any rank.
    nd = g.ndim
    g_shape = np.array(g.shape)
    x_shape = np.ones(nd, np.int64)
    x_shape[nd - x.ndim :] = np.array(x.shape)
    for d in range(nd):
        if x_shape[d] != 1 and x_shape[d] != g_shape[d]:
            raise ValueError("st_ad: a cotangent does not have the shape of its value")
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


@register_jitable
def _fit_1d(g, x):
    out = np.zeros(x.shape, g.dtype)
    out[0] = np.sum(g)
    return out


@register_jitable
def _fit_2d(g, x):
    out = np.zeros(x.shape, g.dtype)
    rows = x.shape[0] != 1
    cols = x.shape[1] != 1
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            out[i if rows else 0, j if cols else 0] += g[i, j]
    return out


@register_jitable
def _fit_3d(g, x):
    out = np.zeros(x.shape, g.dtype)
    a, b, c = x.shape[0] != 1, x.shape[1] != 1, x.shape[2] != 1
    for i in range(g.shape[0]):
        for j in range(g.shape[1]):
            for k in range(g.shape[2]):
                out[i if a else 0, j if b else 0, k if c else 0] += g[i, j, k]
    return out


def _fit(g, x):  # pragma: no cover
    """``g`` summed over the axes where ``x`` (of the same rank) has size 1."""


@register_jitable
def _check_broadcast(g, x):
    # g must be a broadcast of x: a mismatch is a bug the sum below would hide
    for d in range(x.ndim):
        if x.shape[d] != 1 and x.shape[d] != g.shape[d]:
            raise ValueError("st_ad: a cotangent does not have the shape of its value")


@overload(_fit, inline="always")
def _fit_impl(g, x):
    fit = {1: _fit_1d, 2: _fit_2d, 3: _fit_3d}.get(x.ndim, _sum_to_shape)

    def impl(g, x):
        if g.shape == x.shape:
            return g
        _check_broadcast(g, x)
        return fit(g, x)

    return impl


def unbroadcast(g, x):  # pragma: no cover
    """The cotangent ``g`` of a broadcast result, summed back to the shape of operand ``x``.

    The ranks decide the work at compile time: leading axes (which x lacks) are summed with
    ``np.sum(g, 0)``; axes where x has size 1 are summed by a loop of g's rank, after a
    shape check that is the whole cost when nothing was broadcast."""


@overload(unbroadcast, inline="always")
def _unbroadcast(g, x):
    if isinstance(x, _SCALARS):
        if isinstance(g, types.Array):
            return lambda g, x: _in_float_type_of(np.sum(g), x)
        return lambda g, x: _in_float_type_of(g, x)
    if isinstance(x, types.Array) and isinstance(g, types.Array):
        extra = g.ndim - x.ndim
        if extra == 0:
            return lambda g, x: _in_float_type_of(_fit(g, x), x)
        if extra == 1:
            return lambda g, x: _in_float_type_of(_fit(np.sum(g, 0), x), x)
        if extra == 2:
            return lambda g, x: _in_float_type_of(_fit(np.sum(np.sum(g, 0), 0), x), x)
        return lambda g, x: _in_float_type_of(_sum_to_shape(g, x), x)
    if isinstance(x, types.Array):  # a scalar cotangent of an array operand
        return lambda g, x: _in_float_type_of(np.full(x.shape, g), x)
    return lambda g, x: g


def _in_float_type_of(g, x):  # pragma: no cover
    """``g`` in ``x``'s float type: numba computes ``2.0 * x`` in float64 for float32 ``x``,
    and a float32 value's cotangent should stay float32."""


@overload(_in_float_type_of, inline="always")
def _in_float_type_of_impl(g, x):
    dtype = x.dtype if isinstance(x, types.Array) else x
    if not isinstance(dtype, types.Float):
        return lambda g, x: g
    if isinstance(g, types.Array) and g.dtype != dtype:
        return lambda g, x: g.astype(dtype)
    if isinstance(g, types.Float) and g != dtype:
        scalar = as_dtype(dtype).type
        return lambda g, x: scalar(g)
    return lambda g, x: g


def broadcast_like(d, z):  # pragma: no cover
    """The tangent ``d`` broadcast to the shape of ``z`` (the value it is the tangent of)."""


@overload(broadcast_like, inline="always")
def _broadcast_like(d, z):
    if not isinstance(z, types.Array):
        return lambda d, z: d
    if isinstance(d, types.Array) and d.ndim == z.ndim:

        def impl(d, z):
            if d.shape == z.shape:
                return d
            return np.broadcast_to(d, z.shape).copy()

        return impl
    return lambda d, z: np.broadcast_to(d, z.shape).copy()


def add_cotangent(acc, c):  # pragma: no cover
    """``acc + c`` (in place for arrays); a ``None`` cotangent (from a user's rule) adds
    nothing."""


@overload(add_cotangent, inline="always")
def _add_cotangent(acc, c):
    if isinstance(c, (types.NoneType, types.Omitted)) or c is None:
        return lambda acc, c: acc
    if isinstance(acc, types.Array):

        def impl(acc, c):
            acc += c
            return acc

        return impl
    return lambda acc, c: acc + c


def stop_gradient(x):
    """``x``, seen by st_ad as a constant: no derivative flows through it."""
    return x


@overload(stop_gradient, inline="always")
def _stop_gradient(x):
    return lambda x: x


def cast_like(d, y):  # pragma: no cover
    """The tangent ``d`` in the float type of ``y``: numba computes ``0.5 * x`` in float64
    even for float32 ``x``, and a float32 value should have a float32 tangent."""


@overload(cast_like, inline="always")
def _cast_like(d, y):
    if isinstance(y, types.Array) and isinstance(d, types.Array) and d.dtype != y.dtype:
        dtype = y.dtype
        return lambda d, y: d.astype(dtype)
    if isinstance(y, types.Float) and isinstance(d, types.Float) and d != y:
        scalar = as_dtype(y).type
        return lambda d, y: scalar(d)
    return lambda d, y: d
