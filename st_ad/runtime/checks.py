"""Checks that only numba's typing, or the values at run time, can make (the source is
generated before types are known).

A check that fails while numba types the generated code raises a TypingError, one that fails
at run time a ValueError; both messages start with ``MARKER`` and a tag, which the dispatcher
(``st_ad/dispatch.py``) turns into an StAdError naming the user's line and argument. Helpers that
take an argument's name take it as a string constant, read at compile time.
"""

from __future__ import annotations

from numba import types
from numba.core.errors import TypingError
from numba.extending import overload

from .memory import may_share_memory

MARKER = "st_ad-check:"
_FIELD = "\x1f"


def located_message(message: str, filename: str, line: int, text: str, hint: str) -> str:
    """A run-time check's message that the dispatcher turns back into an StAdError naming
    ``filename``, ``line`` and its source ``text``, with ``hint``."""
    return MARKER + "located:" + _FIELD.join([message, filename, str(line), text.strip(), hint])


def parse_located(text: str) -> dict | None:
    """The StAdError fields of a ``located_message``, if ``text`` holds one."""
    start = text.find(MARKER + "located:")
    if start < 0:
        return None
    fields = text[start + len(MARKER + "located:") :].split(_FIELD)
    if len(fields) != 5 or not fields[2].isdigit():
        return None
    message, filename, line, source, hint = fields
    hint = hint.split("\n", 1)[0]  # numba adds its context after a message raised in typing
    return dict(message=message, filename=filename, lineno=int(line), source_line=source, hint=hint)


def _is_float(t: types.Type) -> bool:
    return isinstance(t, types.Float) or (
        isinstance(t, types.Array) and isinstance(t.dtype, types.Float)
    )


def _rank(t: types.Type) -> int:
    return t.ndim if isinstance(t, types.Array) else 0


def _literal(name: types.Type) -> str:
    if isinstance(name, types.StringLiteral):
        return name.literal_value
    raise TypingError("st_ad: a check helper takes the argument's name as a string constant")


def assert_scalar_output(value):  # pragma: no cover
    """``value`` unchanged; a typing error if it is not a float scalar."""
    return value


@overload(assert_scalar_output, inline="always")
def _assert_scalar_output(value):
    if isinstance(value, types.Float):
        return lambda value: value
    kind = "an int" if isinstance(value, types.Integer) else str(value)
    if isinstance(value, types.Boolean):
        kind = "a bool"
    raise TypingError(
        f"{MARKER}scalar-output: the function returns {kind}, and grad needs a float scalar"
    )


def assert_differentiable(value):  # pragma: no cover
    """``value`` unchanged; a typing error if it is not a float scalar or float array."""
    return value


@overload(assert_differentiable, inline="always")
def _assert_differentiable(value):
    if _is_float(value):
        return lambda value: value
    raise TypingError(
        f"{MARKER}differentiable: an argument differentiated against has type {value}; "
        "only float scalars and float arrays can be"
    )


def check_tangent(tangent, primal, name):  # pragma: no cover
    """``tangent``, if it is a float scalar or float array of ``primal``'s rank (else a
    typing error) and shape (else a ValueError); a 0-d array for a scalar is read as its
    float. ``name``: the argument's name."""
    return tangent


@overload(check_tangent, inline="always", prefer_literal=True)
def _check_tangent(tangent, primal, name):
    label = _literal(name)
    if not _is_float(tangent) or _rank(tangent) != _rank(primal):
        raise TypingError(
            f"{MARKER}tangent-type:{label}: the tangent of `{label}` has type {tangent}, "
            f"and `{label}` has type {primal}"
        )
    if _rank(primal) == 0:
        if isinstance(tangent, types.Array) and not isinstance(primal, types.Array):
            return lambda tangent, primal, name: tangent[()]  # a 0-d array: its float
        return lambda tangent, primal, name: tangent
    message = f"{MARKER}tangent-shape:{label}"

    def impl(tangent, primal, name):
        if tangent.shape != primal.shape:
            raise ValueError(message)
        return tangent

    return impl


def check_cotangent(cotangent, output):  # pragma: no cover
    """``cotangent``, if it is a float scalar or float array of ``output``'s rank (else a
    typing error) and shape (else a ValueError); a 0-d array for a scalar output is read as
    its float."""
    return cotangent


@overload(check_cotangent, inline="always")
def _check_cotangent(cotangent, output):
    if not _is_float(cotangent) or _rank(cotangent) != _rank(output):
        raise TypingError(
            f"{MARKER}cotangent-type: the cotangent has type {cotangent}, and the function "
            f"returns {output}"
        )
    if _rank(output) == 0:
        if isinstance(cotangent, types.Array) and not isinstance(output, types.Array):
            return lambda cotangent, output: cotangent[()]  # a 0-d array: its float
        return lambda cotangent, output: cotangent
    message = f"{MARKER}cotangent-shape"

    def impl(cotangent, output):
        if cotangent.shape != output.shape:
            raise ValueError(message)
        return cotangent

    return impl


def check_distinct(written, other, written_name, other_name):  # pragma: no cover
    """``written`` unchanged; a ValueError if it and ``other`` are arrays whose memory may
    overlap (the function writes into ``written``, so ``other`` would change under it)."""
    return written


@overload(check_distinct, inline="always", prefer_literal=True)
def _check_distinct(written, other, written_name, other_name):
    message = f"{MARKER}aliased:{_literal(written_name)}:{_literal(other_name)}"
    if not (isinstance(written, types.Array) and isinstance(other, types.Array)):
        return lambda written, other, written_name, other_name: written

    def impl(written, other, written_name, other_name):
        if may_share_memory(written, other):
            raise ValueError(message)
        return written

    return impl
