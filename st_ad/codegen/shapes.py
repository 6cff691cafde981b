"""Which arrays of a generated function have the same shape: symbolic shapes for the typed
specialisation (``specialise.py``), so that ``st.unbroadcast(g, x)`` of two arrays known to
have one shape is written as ``g``, with no runtime sum-to-shape.

A shape is a tuple with one *dimension token* per axis, or None where a token is not known;
two arrays whose tokens are all known and equal have equal shapes at run time. Tokens are
``(name, axis)``: the size of ``axis`` of a name bound once, outside every loop (a parameter,
or a value the function computes once), whose size can therefore never change. Other names
take their tokens from what is assigned to them (``y = np.exp(x)`` has x's shape), and keep a
token only where every one of their assignments agrees on it.

Assumptions, each the contract of the expression it reads: elementwise functions (the rule
library's ``elementwise`` family) and operators broadcast numpy's way; ``np.zeros(x.shape)``,
``x.copy()``, ``st.zeros_adj(x)``, ``st.reset(x)``, ``st.keep(x)`` and
``st.unbroadcast(g, x)`` have the shape of ``x``; ``a @ b`` and ``np.dot`` of ranks up to 2
have the shape linear algebra gives them, as does ``np.outer`` of two vectors;
``np.sum(x, axis=k)`` drops axis ``k``. Anything else (indexing, slicing, a tape read) has
tokens only if it is bound once outside loops. Only products a top-level statement always
evaluates equate the sizes they contract: numba raises if they differ, and then the
derivative is never returned.
"""

from __future__ import annotations

from collections.abc import Callable

import gast
import numpy
from numba.core import types

from ..rules.registry import lookup
from ..syntax import name_id

Shape = tuple  # tuple[object | None, ...]
_TOP = "not yet known"  # the optimistic start of the fixed point
_SCALARS = (types.Float, types.Integer, types.Boolean)
# runtime helpers computing a derivative shaped like one of their arguments (helper -> that
# argument); float64 where their array arguments are (specialise.Typer types them so)
DERIVATIVE_LIKE_ARG = {
    # runtime/matrix.py, for a square X (numba's linalg takes 2-D arrays only)
    "det_vjp": 2,  # (g, d, X): g * d * inv(X).T
    "slogdet_vjp": 1,  # (g, X): g * inv(X).T
    "inv_vjp": 1,  # (g, Y): -Y.T @ g @ Y.T
    # runtime/reduce.py: the partials of a reduction of x, shaped like x
    "extremum_mask": 0,  # (x, y, axis)
    "prod_partials": 0,  # (x, axis)
    "centered": 0,  # (x, axis): x - mean(x, axis)
}
_SHAPE_OF_ARG = {  # helper -> the argument whose shape its result has
    "unbroadcast": 1,
    "zeros_adj": 0,
    "reset": 0,
    "keep": 0,
    **DERIVATIVE_LIKE_ARG,
}
_LIKE = ("zeros", "ones", "empty", "full")
_LIKE_ARRAY = ("zeros_like", "ones_like", "empty_like", "copy")


def known(shape: Shape | None) -> bool:
    """Every axis of ``shape`` has a token."""
    return shape is not None and shape is not _TOP and all(d is not None for d in shape)


def _broadcast(shapes: list) -> Shape | str | None:
    if any(s is None for s in shapes):
        return None
    if any(s is _TOP for s in shapes):
        return _TOP
    rank = max(len(s) for s in shapes)
    out = []
    for axis in range(-rank, 0):
        dims = {s[axis] for s in shapes if len(s) >= -axis}
        out.append(dims.pop() if len(dims) == 1 else None)
    return tuple(out)


def _matmul(a, b) -> Shape | str | None:
    """The shape of ``a @ b`` (or ``np.dot(a, b)``) for operands of rank 1 or 2."""
    if a is None or b is None:
        return None
    if a is _TOP or b is _TOP:
        return _TOP
    ranks = (len(a), len(b))
    if ranks == (2, 2):
        return (a[0], b[1])
    if ranks == (2, 1):
        return (a[0],)
    if ranks == (1, 2):
        return (b[1],)
    return () if ranks == (1, 1) else None


def _outer(a, b) -> Shape | str | None:
    """The shape of ``np.outer(a, b)`` for 1-D operands."""
    if a is None or b is None:
        return None
    if a is _TOP or b is _TOP:
        return _TOP
    return (a[0], b[0]) if len(a) == 1 and len(b) == 1 else None


class Shapes:
    """The symbolic shape of each array name of one generated function, and of expressions
    over them. ``type_of(expr)`` gives numba types (None where unknown)."""

    def __init__(self, fn: gast.FunctionDef, type_of: Callable[[gast.expr], object]) -> None:
        self.type_of = type_of
        self.names: dict[str, object] = {}
        definitions = _definitions(fn)
        fixed = {a.id for a in fn.args.args} | {
            n for n, defs in definitions.items() if len(defs) == 1 and not defs[0][1]
        }
        params = {a.id for a in fn.args.args}
        for n in set(definitions) | params:
            if isinstance(type_of(gast.Name(id=n, ctx=gast.Load())), types.Array):
                self.names[n] = _TOP
        # a parameter's tokens are the sizes of the argument passed, which never change
        self.entry = {p: self._tokens(p, None) for p in params & set(self.names)}
        self.same: dict[object, object] = {}  # token -> an equal one (matmul contractions)
        for _ in range(5):
            self._solve(definitions, fixed, params)
            if not self._contract(fn):
                break

    def _solve(self, definitions: dict[str, list], fixed: set[str], params: set[str]) -> None:
        for n in self.names:
            self.names[n] = self.entry.get(n, _TOP) if n not in definitions else _TOP
        for _ in range(100):  # a fixed point; the lattice is shallow, a few rounds suffice
            changed = False
            for n, defs in definitions.items():
                if n not in self.names:
                    continue
                new = self._merge(n, defs, n in fixed and n not in params)
                if new != self.names[n]:
                    self.names[n], changed = new, True
            if not changed:
                break
        for n, s in self.names.items():
            if s is _TOP:
                self.names[n] = None

    def _find(self, token: object) -> object:
        while token in self.same:
            token = self.same[token]
        return token

    def _contract(self, fn: gast.FunctionDef) -> bool:
        """Equate the sizes a product contracts (``a @ b``: a's last axis, b's first), for
        the products of statements the function always runs (its top level: a product that
        fails raises, and then no derivative is returned). True if that equated new ones."""
        new = False
        for stmt in fn.body:
            if isinstance(stmt, (gast.For, gast.While, gast.If)):
                continue
            for node in _always_evaluated(stmt):
                operands = _product_operands(node)
                if operands is None:
                    continue
                a, b = (self(x) for x in operands)
                if not (isinstance(a, tuple) and isinstance(b, tuple)):
                    continue
                if len(a) in (1, 2) and len(b) in (1, 2) and a[-1] is not None:
                    left, right = self._find(a[-1]), self._find(b[0]) if b[0] else None
                    if right is not None and left != right:
                        self.same[left], new = right, True
        return new

    def _tokens(self, n: str, found) -> Shape | None:
        """Shape ``found`` of a name bound once outside loops, its unknown axes named after it."""
        t = self.type_of(gast.Name(id=n, ctx=gast.Load()))
        rank = t.ndim if isinstance(t, types.Array) else 0
        if found is None or found is _TOP or len(found) != rank:
            found = (None,) * rank
        return tuple((n, k) if d is None else d for k, d in enumerate(found))

    def _merge(self, n: str, defs: list, once: bool):
        values = [self(value) if value is not None else None for value, _ in defs]
        if once:
            return _TOP if values[0] is _TOP else self._tokens(n, values[0])
        if n in self.entry:  # a parameter bound again: its argument is one more binding
            values.append(self.entry[n])
        values = [v for v in values if v is not _TOP]
        if not values:
            return _TOP
        return _agree(values)

    def __call__(self, node: gast.expr):
        t = self.type_of(node)
        if isinstance(t, _SCALARS):
            return ()
        if isinstance(node, gast.Name):
            found = self.names.get(node.id)
            return tuple(map(self._find, found)) if isinstance(found, tuple) else found
        if isinstance(node, gast.BinOp):
            left, right = self(node.left), self(node.right)
            if isinstance(node.op, gast.MatMult):
                return _matmul(left, right)
            return _broadcast([left, right])
        if isinstance(node, gast.UnaryOp):
            return self(node.operand)
        if isinstance(node, gast.Attribute) and node.attr == "T":
            inner = self(node.value)
            return inner[::-1] if isinstance(inner, tuple) else inner
        if isinstance(node, gast.Call):
            return self._call(node)
        return None

    def _call(self, node: gast.Call):
        func, args = node.func, node.args
        if not isinstance(func, gast.Attribute):
            return None
        owner = name_id(func.value)
        if owner == "st" and func.attr in _SHAPE_OF_ARG and not node.keywords:
            return self(args[_SHAPE_OF_ARG[func.attr]])
        if owner == "st" and func.attr == "unreduce" and len(args) == 3:
            return self(args[1]) if isinstance(self.type_of(args[0]), types.Array) else ()
        if func.attr == "copy" and not args and owner != "np":
            return self(func.value)
        if owner != "np":
            return None
        if func.attr in _LIKE and args and isinstance(args[0], gast.Attribute):
            return self(args[0].value) if args[0].attr == "shape" else None
        if func.attr == "broadcast_to" and len(args) == 2 and isinstance(args[1], gast.Attribute):
            return self(args[1].value) if args[1].attr == "shape" else None
        if func.attr in _LIKE_ARRAY and len(args) == 1 and not node.keywords:
            return self(args[0])
        if func.attr == "dot" and len(args) == 2:
            return _matmul(self(args[0]), self(args[1]))
        if func.attr == "outer" and len(args) == 2:
            return _outer(self(args[0]), self(args[1]))
        if func.attr == "sum" and args:
            return self._sum(node)
        rule = lookup(getattr(numpy, func.attr, None))
        if rule is not None and rule.family == "elementwise" and not node.keywords:
            return _broadcast([self(a) for a in args])
        return None

    def _sum(self, node: gast.Call):
        """``np.sum(x, axis=k)`` (or ``np.sum(x, k)``) for a literal ``k``: x less axis k."""
        axis = node.args[1] if len(node.args) == 2 else None
        for k in node.keywords:
            axis = k.value if k.arg == "axis" else axis
        inner = self(node.args[0])
        if not isinstance(inner, tuple) or not isinstance(axis, gast.Constant):
            return None if inner is not _TOP else _TOP
        k = axis.value
        if type(k) is not int or not -len(inner) <= k < len(inner):
            return None
        k %= len(inner)
        return inner[:k] + inner[k + 1 :]


def _always_evaluated(node: gast.AST):
    """The nodes under ``node`` that run whenever it runs: not the arms of a conditional
    expression, nor the operands of ``and``/``or`` after the first."""
    yield node
    if isinstance(node, gast.IfExp):
        children = [node.test]
    elif isinstance(node, gast.BoolOp):
        children = node.values[:1]
    elif isinstance(node, gast.Lambda):
        children = []
    else:
        children = list(gast.iter_child_nodes(node))
    for child in children:
        yield from _always_evaluated(child)


def _product_operands(node: gast.AST) -> tuple[gast.expr, gast.expr] | None:
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.MatMult):
        return node.left, node.right
    if (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and name_id(node.func.value) == "np"
        and node.func.attr == "dot"
        and len(node.args) == 2
    ):
        return node.args[0], node.args[1]
    return None


def _agree(values: list):
    """The tokens every one of ``values`` has; None where their ranks differ."""
    if any(v is None for v in values) or len({len(v) for v in values}) != 1:
        return None
    return tuple(
        dims.pop() if len(dims := {v[k] for v in values}) == 1 else None
        for k in range(len(values[0]))
    )


def _definitions(fn: gast.FunctionDef) -> dict[str, list]:
    """name -> [(assigned expression or None when not an expression, inside a loop)]; an
    in-place ``x += e`` keeps an array's shape and is not a definition."""
    found: dict[str, list] = {}

    def add(n: str, value, in_loop: bool) -> None:
        found.setdefault(n, []).append((value, in_loop))

    def visit(stmts: list[gast.stmt], in_loop: bool) -> None:
        for s in stmts:
            if isinstance(s, gast.Assign):
                for target in s.targets:
                    if isinstance(target, gast.Name):
                        add(target.id, s.value, in_loop)
                    else:
                        for n in gast.walk(target):
                            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                                add(n.id, None, in_loop)
            elif isinstance(s, (gast.For, gast.While)):
                if isinstance(s, gast.For):
                    for n in gast.walk(s.target):
                        if isinstance(n, gast.Name):
                            add(n.id, None, True)
                visit(s.body, True)
                visit(s.orelse, True)
            elif isinstance(s, gast.If):
                visit(s.body, in_loop)
                visit(s.orelse, in_loop)
            elif isinstance(s, (gast.With, gast.Try, gast.FunctionDef)):
                for n in gast.walk(s):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                        add(n.id, None, in_loop)

    visit(fn.body, False)
    return found
