"""The tape: one growable float64 stack that the forward sweep pushes to and the reverse sweep
pops from, in last-in first-out order.

Generated code holds it as two local variables, ``tape`` (the buffer) and ``tape_top`` (the
number of slots in use). Scalars take one slot; arrays take ``size`` slots (a flattened copy).
Integers and booleans are stored exactly (they are below 2**53). ``reserve`` and ``push`` are
separate calls on purpose: a helper that returned ``(tape, top)`` would make numba count
references to the buffer on every push, which costs 3-4x (measured).
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
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

        def impl(tape, top, value):
            if top + value.size > tape.shape[0]:
                return _grown(tape, top + value.size)
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

        def impl(tape, top, value):
            n = value.size
            tape[top : top + n] = value.ravel()
            return top + n

        return impl
    raise TypingError(f"st_ad: cannot store a value of type {value} on the tape")


def pop(tape, top, like):  # pragma: no cover
    """The value on top of the tape, typed and shaped like ``like``, and the new top."""


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

        def impl(tape, top, like):
            n = like.size
            value = tape[top - n : top].astype(dtype).reshape(like.shape)
            return value, top - n

        return impl
    raise TypingError(f"st_ad: cannot restore a value of type {like} from the tape")


def trip_count(start, stop, step):  # pragma: no cover
    """len(range(start, stop, step))."""


@overload(trip_count, inline="always")
def _trip_count(start, stop, step):
    def impl(start, stop, step):
        if step > 0:
            return max(0, (stop - start + step - 1) // step)
        return max(0, (start - stop - step - 1) // (-step))

    return impl
