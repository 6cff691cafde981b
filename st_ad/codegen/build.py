"""Small constructors for the gast statements generators emit, and derivative names."""

from __future__ import annotations

import gast

from ..syntax import attr, call, const, name

COMMENT = "__st_ad_comment__"


def store(id_: str) -> gast.Name:
    return gast.Name(id=id_, ctx=gast.Store(), annotation=None, type_comment=None)


def assign(target: str | gast.expr, value: gast.expr) -> gast.Assign:
    if isinstance(target, str):
        target = store(target)
    return gast.Assign(targets=[target], value=value, type_comment=None)


def assign_tuple(targets: list[gast.expr], value: gast.expr) -> gast.Assign:
    return gast.Assign(
        targets=[gast.Tuple(elts=targets, ctx=gast.Store())], value=value, type_comment=None
    )


def aug(target: str | gast.expr, op: str, value: gast.expr) -> gast.AugAssign:
    if isinstance(target, str):
        target = store(target)
    ops = {"+": gast.Add, "-": gast.Sub, "*": gast.Mult, "/": gast.Div}
    return gast.AugAssign(target=target, op=ops[op](), value=value)


def subscript(array: str, index: gast.expr, ctx=None) -> gast.Subscript:
    return gast.Subscript(value=name(array), slice=index, ctx=ctx or gast.Load())


def st_call(function: str, *args: gast.expr) -> gast.Call:
    return call(attr(name("st"), function), *args)


def is_st_call(node: gast.expr, helper: str) -> bool:
    """Whether ``node`` is ``st.helper(...)``, as ``st_call`` writes it."""
    func = node.func if isinstance(node, gast.Call) else None
    return (
        isinstance(func, gast.Attribute)
        and func.attr == helper
        and isinstance(func.value, gast.Name)
        and func.value.id == "st"
    )


def bind_test(target: str, test: gast.expr, folded: bool) -> list[gast.stmt]:
    """``target = test`` for a branch; through ``st.unfolded`` where numba would fold the
    test in one sweep only (``analysis/folding.py``)."""
    if not folded:
        return [assign(target, test)]
    why = comment("numba would fold this test at compile time (analysis/folding.py)")
    return [why, assign(target, st_call("unfolded", test))]


def in_place_operand(value: gast.expr, target: gast.expr, may_overlap: bool) -> gast.expr:
    """The right-hand side of ``target op= value``: through ``st.unshared`` (a copy when they
    overlap) if ``value`` may share memory with ``target``, which numba's in-place operators
    mishandle (``y -= y[::-1]``)."""
    return st_call("unshared", value, target) if may_overlap else value


def comment(text: str) -> gast.Expr:
    """A statement the emitter turns into a ``# text`` line."""
    return gast.Expr(value=const(COMMENT + text))


def range_call(*args: gast.expr) -> gast.Call:
    return call(name("range"), *args)


def is_int(node: gast.expr, value: int) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) is int and node.value == value


def for_range(var: str, args: list[gast.expr], body: list[gast.stmt]) -> gast.For:
    """``for var in range(*args)``, written as a person would (``range(n)``, not
    ``range(0, n, 1)``)."""
    if len(args) == 3 and is_int(args[2], 1):
        args = args[:2]
    if len(args) == 2 and is_int(args[0], 0):
        args = args[1:]
    return gast.For(
        target=store(var),
        iter=range_call(*args),
        body=body or [gast.Pass()],
        orelse=[],
        type_comment=None,
    )


class DerivativeNames:
    """Stable derivative names: ``x`` -> ``x_bar`` (adjoint) and ``dx`` (tangent), falling back
    to ``x_dot`` and numbered names when the user's code already uses a name."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)
        self._bar: dict[str, str] = {}
        self._dot: dict[str, str] = {}
        self._of: dict[tuple[str, int], str] = {}

    def _fresh(self, candidates: list[str]) -> str:
        for c in candidates:
            if c not in self.taken:
                self.taken.add(c)
                return c
        base, k = candidates[-1], 2
        while f"{base}{k}" in self.taken:
            k += 1
        self.taken.add(f"{base}{k}")
        return f"{base}{k}"

    def bar(self, var: str) -> str:
        if var not in self._bar:
            self._bar[var] = self._fresh([f"{var}_bar"])
        return self._bar[var]

    def dot(self, var: str) -> str:
        if var not in self._dot:
            self._dot[var] = self._fresh([f"d{var}", f"{var}_dot"])
        return self._dot[var]

    def bars(self) -> dict[str, str]:
        """The adjoint names given so far, by primal name."""
        return dict(self._bar)

    def dots(self) -> dict[str, str]:
        """The tangent names given so far, by primal name."""
        return dict(self._dot)

    def fresh(self, base: str) -> str:
        return self._fresh([base])

    def of_statement(self, s: object, base: str) -> str:
        """A temporary of statement ``s``: the same name however often its derivative code is
        generated (the reverse generator runs its sweep to a fixed point, then once per entry
        point), so every entry point reads as if it were generated alone."""
        key = (base, id(s))
        if key not in self._of:
            self._of[key] = self._fresh([base])
        return self._of[key]


def binop(left: gast.expr, op: gast.operator, right: gast.expr) -> gast.expr:
    return gast.BinOp(left=left, op=op, right=right)


def without_new_axes(index: gast.expr) -> gast.expr:
    """``index`` without its ``None`` entries (the same node if it has none)."""

    def is_none(e):
        return isinstance(e, gast.Constant) and e.value is None

    if is_none(index):
        return gast.Slice(lower=None, upper=None, step=None)
    if isinstance(index, gast.Tuple) and any(is_none(e) for e in index.elts):
        elts = [e for e in index.elts if not is_none(e)]
        if len(elts) == 1:
            return elts[0]
        return gast.Tuple(elts=elts, ctx=gast.Load())
    return index


def _int_value(node: gast.expr) -> int | None:
    return node.value if isinstance(node, gast.Constant) and type(node.value) is int else None


def int_sum(left: gast.expr, right: gast.expr) -> gast.expr:
    """``left + right`` of loop bounds (integers), folded where one is the constant 0 or both
    are constants: ``0 + (n - 1)`` is ``n - 1``."""
    a, b = _int_value(left), _int_value(right)
    if a is not None and b is not None:
        return const(a + b)
    if a == 0:
        return right
    if b == 0:
        return left
    return binop(left, gast.Add(), right)


def int_product(left: gast.expr, right: gast.expr) -> gast.expr:
    """``left * right`` of loop bounds (integers), folded where one is the constant 1 or both
    are constants."""
    a, b = _int_value(left), _int_value(right)
    if a is not None and b is not None:
        return const(a * b)
    if a == 1:
        return right
    if b == 1:
        return left
    return binop(left, gast.Mult(), right)


def minus_one(node: gast.expr) -> gast.expr:
    """``node - 1``, folded where it is a constant or ends in ``+ 1``: ``i + 1 - 1`` is ``i``."""
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return const(node.value - 1)
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Add) and is_int(node.right, 1):
        return node.left
    if (
        isinstance(node, gast.BinOp)
        and isinstance(node.op, gast.Sub)
        and isinstance(node.right, gast.Constant)
        and type(node.right.value) is int
    ):
        return binop(node.left, gast.Sub(), const(node.right.value + 1))
    return binop(node, gast.Sub(), const(1))


def as_load(target: gast.expr) -> gast.expr:
    if isinstance(target, gast.Name):
        return name(target.id)
    return gast.Subscript(value=target.value, slice=target.slice, ctx=gast.Load())


def store_param(p: str) -> gast.Name:
    return gast.Name(id=p, ctx=gast.Param(), annotation=None, type_comment=None)


def function_def(fname: str, params: list[gast.Name], body: list[gast.stmt]) -> gast.FunctionDef:
    args = gast.arguments(
        args=params,
        posonlyargs=[],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )
    return gast.FunctionDef(
        name=fname,
        args=args,
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
