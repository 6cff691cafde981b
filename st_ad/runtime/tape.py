"""The tape: one growable float64 stack that the forward sweep pushes to and the reverse sweep
pops from, in last-in first-out order.

Generated code holds it as two local variables, ``tape`` (the buffer) and ``tape_top`` (the
number of slots in use). Scalars take one slot; arrays take ``size`` slots (a flattened copy)
and then one slot per axis for their shape: a name re-bound in a loop may hold arrays of
another shape in another iteration (``w = x[:i]``), so the reverse sweep cannot take the shape
from the value the name holds when it pops. Integers and booleans are stored exactly (they are
below 2**53). ``reserve`` and ``push`` are
separate calls on purpose: a helper that returned ``(tape, top)`` would make numba count
references to the buffer on every push, which costs 3-4x (measured).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.cpython.unsafe.tuple import tuple_setitem
from numba.extending import overload, register_jitable

_SCALARS = (types.Float, types.Integer, types.Boolean)


def new_tape():  # pragma: no cover - replaced by the overload inside compiled code
    """An empty tape buffer."""
    return np.empty(64)


@overload(new_tape, inline="always")
def _new_tape():
    return lambda: np.empty(64)


@register_jitable
def _grown(tape, needed):
    bigger = np.empty(max(2 * tape.shape[0], needed))
    bigger[: tape.shape[0]] = tape
    return bigger


def reserve_slots(tape, top, slots):  # pragma: no cover
    """Make room for ``slots`` more values (called before a loop with a known trip count)."""


@overload(reserve_slots, inline="always")
def _reserve_slots(tape, top, slots):
    def impl(tape, top, slots):
        if top + slots > tape.shape[0]:
            return _grown(tape, top + slots)
        return tape

    return impl


def reserve(tape, top, value):  # pragma: no cover
    """Make room for ``value`` (one slot for a scalar, ``value.size`` for an array)."""


@overload(reserve, inline="always")
def _reserve(tape, top, value):
    if isinstance(value, _SCALARS):

        def impl(tape, top, value):
            if top + 1 > tape.shape[0]:
                return _grown(tape, top + 1)
            return tape

        return impl
    if isinstance(value, types.Array):
        ndim = value.ndim

        def impl(tape, top, value):
            if top + value.size + ndim > tape.shape[0]:
                return _grown(tape, top + value.size + ndim)
            return tape

        return impl
    raise TypingError(f"st_ad: cannot store a value of type {value} on the tape")


def push(tape, top, value):  # pragma: no cover
    """Store ``value`` at ``top``; returns the new top. ``reserve`` must have made room."""


@overload(push, inline="always")
def _push(tape, top, value):
    if isinstance(value, _SCALARS):

        def impl(tape, top, value):
            tape[top] = value
            return top + 1

        return impl
    if isinstance(value, types.Array):
        ndim = value.ndim

        def impl(tape, top, value):
            n = value.size
            tape[top : top + n] = value.ravel()
            for d in range(ndim):
                tape[top + n + d] = value.shape[d]
            return top + n + ndim

        return impl
    raise TypingError(f"st_ad: cannot store a value of type {value} on the tape")


@register_jitable
def _stored_shape(tape, top, like_shape):
    """The shape an array was pushed with (its last ``len(like_shape)`` slots) as a tuple,
    and its element count."""
    ndim = len(like_shape)
    shape = like_shape
    size = 1
    for d in range(ndim):
        extent = int(tape[top - ndim + d])
        shape = tuple_setitem(shape, d, extent)
        size *= extent
    return shape, size


def pop(tape, top, like):  # pragma: no cover
    """The value on top of the tape, typed like ``like``, and the new top."""


@overload(pop, inline="always")
def _pop(tape, top, like):
    if isinstance(like, types.Boolean):
        return lambda tape, top, like: (tape[top - 1] != 0.0, top - 1)
    if isinstance(like, types.Integer):
        return lambda tape, top, like: (int(tape[top - 1]), top - 1)
    if isinstance(like, types.Float):
        return lambda tape, top, like: (tape[top - 1], top - 1)
    if isinstance(like, types.Array):
        dtype = like.dtype
        ndim = like.ndim

        def impl(tape, top, like):
            shape, n = _stored_shape(tape, top, like.shape)
            end = top - ndim
            return tape[end - n : end].astype(dtype).reshape(shape), end - n

        return impl
    raise TypingError(f"st_ad: cannot restore a value of type {like} from the tape")


def pop_in_place(tape, top, target):  # pragma: no cover
    """Restore ``target`` from the top of the tape: an array in place (views of it see the
    restored values), a scalar by value; returns the restored value and the new top."""


@overload(pop_in_place, inline="always")
def _pop_in_place(tape, top, target):
    if isinstance(target, types.Array):
        ndim = target.ndim

        def impl(tape, top, target):
            shape, n = _stored_shape(tape, top, target.shape)
            end = top - ndim
            target[...] = tape[end - n : end].reshape(shape)
            return target, end - n

        return impl
    return lambda tape, top, target: pop(tape, top, target)


def trip_count(start, stop, step):  # pragma: no cover
    """len(range(start, stop, step))."""


@overload(trip_count, inline="always")
def _trip_count(start, stop, step):
    def impl(start, stop, step):
        if step > 0:
            return max(0, (stop - start + step - 1) // step)
        return max(0, (start - stop - step - 1) // (-step))

    return impl
