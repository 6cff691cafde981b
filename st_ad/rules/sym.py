"""Symbolic values for writing derivative rules as ordinary math.

A rule receives ``Sym`` objects and combines them with ``+ - * / **``, ``np.cos(x)``, ``x.T``;
each operation builds the gast expression the generator emits. ``ZERO`` is a structural zero
(an inactive tangent): it vanishes from sums and products, so rules need no special cases.
Constants fold (``x ** (2 - 1)`` is emitted as ``x``).
"""

from __future__ import annotations

import numbers

import gast

from ..syntax import attr, call, const, name

_OPS = {
    "+": gast.Add,
    "-": gast.Sub,
    "*": gast.Mult,
    "/": gast.Div,
    "**": gast.Pow,
    "@": gast.MatMult,
}


def number(s: Sym):
    node = s.node
    if (
        isinstance(node, gast.Constant)
        and isinstance(node.value, numbers.Number)
        and not isinstance(node.value, bool)
    ):
        return node.value
    return None


class Sym:
    """An expression under construction."""

    __array_priority__ = 1000  # so that numpy scalars defer to Sym in mixed arithmetic

    def __init__(self, node: gast.expr) -> None:
        self.node = node

    # arithmetic -----------------------------------------------------------------------------
    def _binop(self, op: str, other: object, reflected: bool = False) -> Sym:
        other = lift(other)
        left, right = (other, self) if reflected else (self, other)
        return binop(op, left, right)

    def __add__(self, o):
        return self._binop("+", o)

    def __radd__(self, o):
        return self._binop("+", o, True)

    def __sub__(self, o):
        return self._binop("-", o)

    def __rsub__(self, o):
        return self._binop("-", o, True)

    def __mul__(self, o):
        return self._binop("*", o)

    def __rmul__(self, o):
        return self._binop("*", o, True)

    def __truediv__(self, o):
        return self._binop("/", o)

    def __rtruediv__(self, o):
        return self._binop("/", o, True)

    def __pow__(self, o):
        return self._binop("**", o)

    def __rpow__(self, o):
        return self._binop("**", o, True)

    def __matmul__(self, o):
        return self._binop("@", o)

    def __rmatmul__(self, o):
        return self._binop("@", o, True)

    def __neg__(self) -> Sym:
        if self is ZERO:
            return ZERO
        value = number(self)
        if value is not None:
            return Sym(const(-value))
        return Sym(gast.UnaryOp(op=gast.USub(), operand=self.node))

    @property
    def T(self) -> Sym:  # noqa: N802 - mirrors numpy's attribute
        if self is ZERO:
            return ZERO
        return Sym(attr(self.node, "T"))

    def __getitem__(self, index: gast.expr) -> Sym:
        if self is ZERO:
            return ZERO
        return Sym(gast.Subscript(value=self.node, slice=index, ctx=gast.Load()))

    def attr(self, attribute: str) -> Sym:
        """``x.shape``, ``x.size``: a passive attribute (also of a zero tangent's primal)."""
        return Sym(attr(self.node, attribute))

    def method(self, method_name: str, *args: object) -> Sym:
        if self is ZERO:
            return ZERO
        return Sym(call(attr(self.node, method_name), *(lift(a).node for a in args)))


ZERO = Sym(const(0.0))


def lift(value: object) -> Sym:
    if isinstance(value, Sym):
        return value
    if value is None or isinstance(value, numbers.Number):
        return Sym(const(value))
    raise TypeError(f"cannot use {value!r} in a derivative rule")


def binop(op: str, left: Sym, right: Sym) -> Sym:
    a, b = number(left), number(right)
    if left is ZERO or right is ZERO:
        if op == "+":
            return right if left is ZERO else left
        if op == "-":
            return -right if left is ZERO else left
        if op in ("*", "@") or (op == "/" and left is ZERO):
            return ZERO
    if a is not None and b is not None and op in ("+", "-", "*"):
        return Sym(const({"+": a + b, "-": a - b, "*": a * b}[op]))
    if op == "*" and a == 1:
        return right
    if op in ("*", "/") and b == 1:
        return left
    if op == "**" and b == 1:
        return left
    return Sym(gast.BinOp(left=left.node, op=_OPS[op](), right=right.node))


# Functions linear in each argument: a structural zero argument makes the whole call zero.
_MULTILINEAR = {
    "dot",
    "matmul",
    "outer",
    "inner",
    "vdot",
    "sum",
    "cumsum",
    "transpose",
    "swapaxes",
    "trace",
    "diag",
    "ascontiguousarray",
}


class _Namespace:
    """``np.cos(x)`` inside a rule builds the call ``np.cos(x)`` in generated code."""

    def __init__(self, module_name: str) -> None:
        self._module = module_name

    def __getattr__(self, function: str):
        def build(*args: object) -> Sym:
            syms = [lift(a) for a in args]
            if function in _MULTILINEAR and any(a is ZERO for a in syms):
                return ZERO
            return Sym(call(attr(name(self._module), function), *(s.node for s in syms)))

        build.__name__ = function
        return build


def tuple_(*items: object) -> Sym:
    """A tuple expression, ``(a, b)``."""
    return Sym(gast.Tuple(elts=[lift(i).node for i in items], ctx=gast.Load()))


np = _Namespace("np")  # numpy, as generated modules import it
linalg = _Namespace("np.linalg")
st = _Namespace("st")  # st_ad.runtime, as generated modules import it
