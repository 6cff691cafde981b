"""gast builders and fresh names: the one home of the small pieces of syntax every stage builds
(the front end's lowering, the rules' symbolic values, the generators). Depends on nothing of
st_ad."""

from __future__ import annotations

import ast

import gast


def name(id_: str, ctx: gast.expr_context | None = None) -> gast.Name:
    return gast.Name(id=id_, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def const(value: object) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def attr(value: gast.expr, attribute: str) -> gast.Attribute:
    return gast.Attribute(value=value, attr=attribute, ctx=gast.Load())


def call(func: gast.expr, *args: gast.expr) -> gast.Call:
    return gast.Call(func=func, args=list(args), keywords=[])


def located(node: gast.AST, like: gast.AST) -> gast.AST:
    node.lineno = getattr(like, "lineno", 1)
    return node


def assign_at(target: str, value: gast.expr, like: gast.AST) -> gast.Assign:
    """``target = value`` at the line of ``like`` (a statement the lowering replaces)."""
    return located(
        gast.Assign(targets=[name(target, gast.Store())], value=value, type_comment=None), like
    )


def any_of(flags: list[str]) -> gast.expr:
    if len(flags) == 1:
        return name(flags[0])
    return gast.BoolOp(op=gast.Or(), values=[name(f) for f in flags])


class Names:
    """Fresh, deterministic names that never collide with the user's."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)
        self.generated: set[str] = set()

    def fresh(self, base: str) -> str:
        candidate, k = base, 1
        while candidate in self.taken:
            k += 1
            candidate = f"{base}{k}"
        self.taken.add(candidate)
        self.generated.add(candidate)
        return candidate


def name_id(node: gast.expr) -> str | None:
    """The name a node reads, or None for any other expression."""
    return node.id if isinstance(node, gast.Name) else None


def ast_text(node: gast.AST) -> str:
    """Python source of a node, for messages and for recognising repeated subexpressions."""
    return ast.unparse(gast.gast_to_ast(node))
