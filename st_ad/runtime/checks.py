"""Type checks that only numba's typing can make (the source is generated before types are
known). Their messages start with a marker that the dispatcher turns into an StAdError."""

from __future__ import annotations

from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

MARKER = "st_ad-check:"


def assert_scalar_output(value):  # pragma: no cover
    """``value`` unchanged; a typing error if it is not a float scalar."""
    return value


@overload(assert_scalar_output, inline="always")
def _assert_scalar_output(value):
    if isinstance(value, (types.Float, types.Integer)):
        return lambda value: value
    raise TypingError(
        f"{MARKER}scalar-output: the function returns {value}, and grad needs a float scalar"
    )


def assert_differentiable(value):  # pragma: no cover
    """``value`` unchanged; a typing error if it is not a float scalar or float array."""
    return value


@overload(assert_differentiable, inline="always")
def _assert_differentiable(value):
    if isinstance(value, types.Float):
        return lambda value: value
    if isinstance(value, types.Array) and isinstance(value.dtype, types.Float):
        return lambda value: value
    raise TypingError(
        f"{MARKER}differentiable: an argument differentiated against has type {value}; "
        "only float scalars and float arrays can be"
    )
