"""Calling a rule on a statement: its operands as symbolic values, and a rule's own error
turned into one that points at the user's line."""

from __future__ import annotations

from collections.abc import Callable

import gast

from .. import ir
from ..errors import UnsupportedError
from ..frontend.calls import UserCall
from ..rules.registry import RuleError
from ..rules.sym import Sym
from .binding import Binding


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


def primitive_bindings(fn: ir.Function) -> dict[str, Binding]:
    """Globals the primitives of ``fn`` refer to in generated code: user rules, and the
    compiled primals of called user functions."""
    found: dict[str, Binding] = {}
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Let) and isinstance(s.prim, UserCall):
            found[s.prim.global_name] = Binding("primal", s.prim.global_name, s.prim.path)
        elif isinstance(s, ir.Let) and s.prim is not None:
            for n in s.prim.injected:
                found[n] = Binding("rule", n, s.prim.name)
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
