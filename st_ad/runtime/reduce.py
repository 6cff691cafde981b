"""Reductions numba lacks (``axis=`` for mean, prod, max, min, var, std, norm) and the helpers
their derivatives need: spreading a reduced cotangent back over the reduced axis, the
extremum mask, the partials of a product, reverse cumulative sums.

Along an axis, an array is viewed as ``(before, n, after)`` so one loop serves every rank.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload, register_jitable


def _is_none(t) -> bool:
    return t is None or isinstance(t, (types.NoneType, types.Omitted))


@register_jitable
def _as3(x, axis):
    """``x`` as a C-contiguous (before, n, after) array, for a reduction along ``axis``."""
    ax = axis if axis >= 0 else axis + x.ndim
    before = 1
    after = 1
    for d in range(ax):
        before *= x.shape[d]
    for d in range(ax + 1, x.ndim):
        after *= x.shape[d]
    return np.ascontiguousarray(x).reshape((before, x.shape[ax], after))


def unreduce(g, x, axis):  # pragma: no cover
    """The cotangent ``g`` of a reduction of ``x`` along ``axis``, spread over x's shape."""


@overload(unreduce, inline="always")
def _unreduce(g, x, axis):
    if _is_none(axis) or not isinstance(g, types.Array):
        return lambda g, x, axis: g  # a scalar broadcasts in ``x_bar += g``
    return lambda g, x, axis: np.broadcast_to(np.expand_dims(g, axis), x.shape)


def mean(x, axis):  # pragma: no cover
    """``np.mean(x, axis)``."""


@overload(mean)
def _mean(x, axis):
    if _is_none(axis):
        return lambda x, axis: np.mean(x)
    return lambda x, axis: np.sum(x, axis) / x.shape[axis]


@register_jitable
def _larger(a, b):
    return b if b > a else a


@register_jitable
def _smaller(a, b):
    return b if b < a else a


@register_jitable
def _times(a, b):
    return a * b


def _reduce(kind, whole, combine):
    """``np.<kind>(x, axis)``: numba's ``whole(x)`` without an axis, else ``combine`` folded
    along the axis."""

    def stub(x, axis):  # pragma: no cover
        pass

    @overload(stub)
    def _impl(x, axis):
        if _is_none(axis) or x.ndim == 1:
            return lambda x, axis: whole(x)

        def impl(x, axis):
            out = np.sum(x, axis)  # the result's shape and dtype
            x3 = _as3(x, axis)
            o2 = out.reshape((x3.shape[0], x3.shape[2]))
            for p in range(x3.shape[0]):
                for q in range(x3.shape[2]):
                    acc = x3[p, 0, q]
                    for k in range(1, x3.shape[1]):
                        acc = combine(acc, x3[p, k, q])
                    o2[p, q] = acc
            return out

        return impl

    stub.__name__ = kind
    stub.__doc__ = f"``np.{kind}(x, axis)``."
    return stub


amax = _reduce("max", register_jitable(lambda x: np.max(x)), _larger)
amin = _reduce("min", register_jitable(lambda x: np.min(x)), _smaller)
prod = _reduce("prod", register_jitable(lambda x: np.prod(x)), _times)


def extremum_mask(x, y, axis):  # pragma: no cover
    """1.0 at the first position of each slice where ``x`` reaches its extremum ``y``."""


@overload(extremum_mask)
def _extremum_mask(x, y, axis):
    if _is_none(axis) or x.ndim == 1:

        def impl(x, y, axis):
            mask = np.zeros(x.shape, x.dtype)
            flat = mask.reshape(x.size)
            xs = np.ascontiguousarray(x).reshape(x.size)
            for k in range(x.size):
                if xs[k] == y:
                    flat[k] = 1.0
                    break
            return mask

        return impl

    def impl_axis(x, y, axis):
        x3 = _as3(x, axis)
        m3 = np.zeros(x3.shape, x.dtype)
        y2 = np.ascontiguousarray(y).reshape((x3.shape[0], x3.shape[2]))
        for p in range(x3.shape[0]):
            for q in range(x3.shape[2]):
                for k in range(x3.shape[1]):
                    if x3[p, k, q] == y2[p, q]:
                        m3[p, k, q] = 1.0
                        break
        return m3.reshape(x.shape)

    return impl_axis


@register_jitable
def _exclusive_products(v, out):
    """out[k] = product of v[j] for j != k, without dividing (exact with zeros)."""
    n = v.shape[0]
    acc = 1.0
    for k in range(n):
        out[k] = acc
        acc *= v[k]
    acc = 1.0
    for k in range(n - 1, -1, -1):
        out[k] *= acc
        acc *= v[k]


def prod_partials(x, axis):  # pragma: no cover
    """d prod(x, axis) / d x, shaped like ``x``: the product of the other factors."""


@overload(prod_partials)
def _prod_partials(x, axis):
    if _is_none(axis):

        def impl(x, axis):
            out = np.empty(x.size, x.dtype)
            _exclusive_products(np.ascontiguousarray(x).reshape(x.size), out)
            return out.reshape(x.shape)

        return impl

    def impl_axis(x, axis):
        x3 = _as3(x, axis)
        p3 = np.empty(x3.shape, x.dtype)
        column = np.empty(x3.shape[1], x.dtype)
        for p in range(x3.shape[0]):
            for q in range(x3.shape[2]):
                _exclusive_products(x3[p, :, q], column)
                p3[p, :, q] = column
        return p3.reshape(x.shape)

    return impl_axis


def centered(x, axis):  # pragma: no cover
    """``x - mean(x, axis)``, the mean broadcast back over ``axis``."""


@overload(centered)
def _centered(x, axis):
    if _is_none(axis) or x.ndim == 1:
        return lambda x, axis: x - np.mean(x)
    return lambda x, axis: x - np.expand_dims(np.sum(x, axis) / x.shape[axis], axis)


def var(x, axis):  # pragma: no cover
    """``np.var(x, axis)``."""


@overload(var)
def _var(x, axis):
    if _is_none(axis):
        return lambda x, axis: np.var(x)

    def impl(x, axis):
        c = centered(x, axis)
        return np.sum(c * c, axis) / x.shape[axis]

    return impl


def std(x, axis):  # pragma: no cover
    """``np.std(x, axis)``."""


@overload(std)
def _std(x, axis):
    return lambda x, axis: np.sqrt(var(x, axis))


def norm(x, ord, axis):  # pragma: no cover
    """``np.linalg.norm(x, None, axis)``: the 2-norm along ``axis``."""


@overload(norm)
def _norm(x, ord, axis):
    if _is_none(axis):
        # numba's norm of a 1-D view with a negative stride (x[::-1]) is garbage (numba
        # 0.68, BLAS nrm2 given the stride); a contiguous copy of such a view is right
        return lambda x, ord, axis: np.linalg.norm(np.ascontiguousarray(x))
    return lambda x, ord, axis: np.sqrt(np.sum(x * x, axis))


def cumsum_vjp(g, x, axis):  # pragma: no cover
    """Cotangent of ``x`` in ``y = np.cumsum(x, axis)``: reverse cumulative sums of ``g``."""


@overload(cumsum_vjp)
def _cumsum_vjp(g, x, axis):
    if _is_none(axis):

        def impl(g, x, axis):
            out = np.empty(g.size, g.dtype)
            acc = 0.0
            for k in range(g.size - 1, -1, -1):
                acc += g[k]
                out[k] = acc
            return out.reshape(x.shape)

        return impl

    def impl_axis(g, x, axis):
        g3 = _as3(g, axis)
        out = np.empty(g3.shape, g.dtype)
        for p in range(g3.shape[0]):
            for q in range(g3.shape[2]):
                acc = 0.0
                for k in range(g3.shape[1] - 1, -1, -1):
                    acc += g3[p, k, q]
                    out[p, k, q] = acc
        return out.reshape(x.shape)

    return impl_axis
