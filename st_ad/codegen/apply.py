"""Calling a rule on a statement: its operands as symbolic values, and a rule's own error
turned into one that points at the user's line."""

from __future__ import annotations

from collections.abc import Callable

import gast

from .. import ir
from ..errors import UnsupportedError
from ..rules.registry import RuleError
from ..rules.sym import Sym


def operand(node: gast.expr) -> Sym | None:
    """A rule sees an argument the call left out (or wrote as None) as Python None."""
    if isinstance(node, gast.Constant) and node.value is None:
        return None
    return Sym(node)


def call_rule(fn: ir.Function, s: ir.Let, rule_function: Callable, *values: object):
    try:
        return rule_function(*values)
    except RuleError as exc:
        raise UnsupportedError(
            str(exc), filename=fn.filename, lineno=s.line, source_line=s.text, hint=exc.hint
        ) from None


def differentiable(s: ir.Let) -> tuple[int, ...]:
    return s.prim.differentiable(len(s.args))


def injected_globals(fn: ir.Function) -> dict[str, object]:
    """Globals that the rules used by ``fn`` refer to in generated code (user rules)."""
    found: dict[str, object] = {}
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Let) and s.prim is not None:
            found.update(s.prim.injected)
    return found


def may_promote(node: gast.expr, divisions: bool = True) -> bool:
    """Whether numba may compute ``node`` in float64 from float32 operands: it types Python
    numbers as float64, and divisions by integers (``g / x.size``) too."""
    for n in gast.walk(node):
        if isinstance(n, gast.Constant) and type(n.value) in (int, float):
            return True
        if divisions and isinstance(n, gast.BinOp) and isinstance(n.op, gast.Div):
            return True
    return False
