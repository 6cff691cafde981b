"""Cotangents of shape operations: reshapes, the parts of a concatenation or stack, the
diagonal and trace."""

from __future__ import annotations

import numpy as np
from numba.extending import overload, register_jitable

from .reduce import _as3


@register_jitable
def reshape_like(g, x):
    """``g`` (any layout) reshaped to ``x``'s shape."""
    return np.ascontiguousarray(g).reshape(x.shape)


@register_jitable
def take_part(g, axis, start, x):
    """The slice of ``g`` along ``axis`` that ``np.concatenate`` filled from ``x``, which
    starts at ``start``."""
    g3 = _as3(g, axis)
    n = x.shape[axis]
    return np.ascontiguousarray(g3[:, start : start + n, :]).reshape(x.shape)


@register_jitable
def take_index(g, axis, k, x):
    """Entry ``k`` of ``g`` along the axis ``np.stack`` created, shaped like ``x``."""
    g3 = _as3(g, axis)
    return np.ascontiguousarray(g3[:, k, :]).reshape(x.shape)


def hstack_width(x):  # pragma: no cover
    """How far ``x`` extends along the axis ``np.hstack`` joins on."""


@overload(hstack_width, inline="always")
def _hstack_width(x):
    if x.ndim == 1:
        return lambda x: x.shape[0]
    return lambda x: x.shape[1]


@register_jitable
def hstack_part(g, start, x):
    """The part of ``g`` that ``np.hstack`` filled from ``x``."""
    return take_part(g, 0 if x.ndim == 1 else 1, start, x)


def vstack_height(x):  # pragma: no cover
    """How many rows ``x`` fills in ``np.vstack``."""


@overload(vstack_height, inline="always")
def _vstack_height(x):
    if x.ndim == 1:
        return lambda x: 1
    return lambda x: x.shape[0]


def vstack_part(g, start, x):  # pragma: no cover
    """The part of ``g`` that ``np.vstack`` filled from ``x`` (a row when ``x`` is 1-D)."""


@overload(vstack_part)
def _vstack_part(g, start, x):
    if x.ndim == 1:
        return lambda g, start, x: g[start].copy()
    return lambda g, start, x: take_part(g, 0, start, x)


def diag_vjp(g, x):  # pragma: no cover
    """Cotangent of ``x`` in ``y = np.diag(x)``."""


@overload(diag_vjp)
def _diag_vjp(g, x):
    if x.ndim == 1:
        return lambda g, x: np.diag(g).copy()

    def impl(g, x):
        out = np.zeros(x.shape, g.dtype)
        for i in range(g.shape[0]):
            out[i, i] = g[i]
        return out

    return impl


@register_jitable
def trace_vjp(g, x):
    """Cotangent of ``x`` in ``y = np.trace(x)``: ``g`` on the diagonal."""
    out = np.zeros(x.shape, x.dtype)
    for i in range(min(x.shape[0], x.shape[1])):
        out[i, i] = g
    return out
