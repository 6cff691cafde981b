"""Memory checks for code whose derivative depends on which arrays share memory: a function
that writes into an array while another name still reads it through a shared buffer (a view
read after its base is updated in place, or the same array passed for two arguments).

numba has no ``np.shares_memory``; ``may_share_memory`` compares the byte ranges the two
arrays span, as numpy's function of that name does (it may answer True for interleaved
views that touch no common element, never False for arrays that do share one).
"""

from __future__ import annotations

from numba import types
from numba.extending import overload, register_jitable


@register_jitable
def _byte_range(a):
    lo = a.ctypes.data
    hi = lo
    for d in range(a.ndim):
        span = (a.shape[d] - 1) * a.strides[d]
        if span < 0:
            lo += span
        else:
            hi += span
    return lo, hi + a.itemsize


@register_jitable
def may_share_memory(a, b):
    """Whether arrays ``a`` and ``b`` span overlapping bytes (never for an empty array)."""
    if a.size == 0 or b.size == 0:
        return False
    a_lo, a_hi = _byte_range(a)
    b_lo, b_hi = _byte_range(b)
    return a_lo < b_hi and b_lo < a_hi


def check_unshared(a, b, message):  # pragma: no cover
    """Raise ``ValueError(message)`` if arrays ``a`` and ``b`` may share memory; nothing for
    a scalar (a value read out of an array, which shares nothing). ``message`` must be a
    string literal."""


@overload(check_unshared, inline="always", prefer_literal=True)
def _check_unshared(a, b, message):
    if not (isinstance(a, types.Array) and isinstance(b, types.Array)):
        return lambda a, b, message: None
    text = getattr(message, "literal_value", "st_ad: arrays share memory")

    def impl(a, b, message):
        if may_share_memory(a, b):
            raise ValueError(text)

    return impl


def unshared(value, target):  # pragma: no cover
    """``value``, or a copy of it if it may share memory with array ``target``: numba's
    in-place ``target -= value`` reads entries it has already written when they overlap
    (``y -= y[::-1]``), where numpy buffers the operand."""


@overload(unshared, inline="always")
def _unshared(value, target):
    if not (isinstance(value, types.Array) and isinstance(target, types.Array)):
        return lambda value, target: value

    def impl(value, target):
        if may_share_memory(value, target):
            return value.copy()
        return value

    return impl
