"""Typed specialisation: runtime-helper calls that one argument-type signature decides, written
out as the plain code they stand for.

The generators emit type-blind code: ``st.unbroadcast(g, x_bar)`` means "``g`` summed back to
``x_bar``'s shape, in its float type", and numba decides what that is at compile time through
an ``inline="always"`` overload (``runtime/adjoint.py``). Once the types of a signature are
known (``analysis/typing.py``), a call on float64 scalars is the identity, a literal or one
operator, and this pass writes that instead. It runs on the generated functions of a
per-signature module and replaces a call only when the types of its arguments are known to be
exactly those the replacement assumes: anything it cannot type stays the general helper,
which is always right. Measured on the Lorenz RK4 gradient (numba 0.68.1, this machine):
these replacements took the first compile from 18 s to about 9 s and gave bit-identical
gradients; numba's typing and inlining of ~300 helper calls was the cost.

Assumption: a derivative name (``x_bar``, ``dx``) has the type of its primal; the caller
gives types for derivative names only where that holds (a float32 cotangent passed for a
float64 output leaves the adjoints untyped).
"""

from __future__ import annotations

import copy
import functools
import math
import operator
from collections.abc import Callable

import gast
import numpy
from numba.core import types
from numba.core.errors import NumbaError
from numba.core.registry import cpu_target

from ..runtime.linalg import RANKED
from ..syntax import attr, call, const, name
from .build import assign, aug, for_range, st_call, store, subscript
from .shapes import DERIVATIVE_LIKE_ARG, Shapes, known
from .substitute import substitute
from .tape_runs import merge_tape_runs
from .tidy import drop_stale_comments, tidy

F64 = types.float64
_SCALARS = (types.Float, types.Integer, types.Boolean)
_OPERATORS = {
    gast.Add: operator.add,
    gast.Sub: operator.sub,
    gast.Mult: operator.mul,
    gast.Div: operator.truediv,
    gast.FloorDiv: operator.floordiv,
    gast.Mod: operator.mod,
    gast.Pow: operator.pow,
}
_MODULES = {"np": numpy, "math": math}


@functools.cache
def _result_type(func: object, args: tuple[types.Type, ...]) -> types.Type | None:
    """The type numba gives ``func(*args)`` (an operator or a numpy/math function)."""
    context = cpu_target.typing_context
    context.refresh()  # numba registers its array typing on first use
    try:
        signature = context.resolve_function_type(context.resolve_value_type(func), args, {})
    except (NumbaError, KeyError, TypeError, ValueError):
        return None
    return None if signature is None else types.unliteral(signature.return_type)


class Typer:
    """The numba type of a generated expression, from the types of the names it reads; None
    where the expression is not one it can type."""

    def __init__(self, names: dict[str, types.Type]) -> None:
        self.names = names
        self.shapes: Shapes | None = None

    def __call__(self, node: gast.expr) -> types.Type | None:
        if isinstance(node, gast.Name):
            return self.names.get(node.id)
        if isinstance(node, gast.Constant):
            value = node.value
            if isinstance(value, bool):
                return types.boolean
            if isinstance(value, int):
                return types.int64
            if isinstance(value, float):
                return F64
            return None
        if isinstance(node, gast.BinOp) and type(node.op) in _OPERATORS:
            return self._call(_OPERATORS[type(node.op)], [node.left, node.right])
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
            operand = self(node.operand)
            numeric = (types.Float, types.Integer, types.Array)
            return operand if isinstance(operand, numeric) else None
        if isinstance(node, gast.Subscript):
            return self._element(node)
        if isinstance(node, gast.Attribute) and node.attr == "shape":
            inner = self(node.value)
            return (
                types.UniTuple(types.intp, inner.ndim) if isinstance(inner, types.Array) else None
            )
        if isinstance(node, gast.Attribute) and node.attr == "T":
            inner = self(node.value)
            if isinstance(inner, types.Array):
                return inner.copy(layout={"C": "F", "F": "C"}.get(inner.layout, "A"))
            return None
        if isinstance(node, gast.Call) and not node.keywords:
            func = node.func
            if (
                isinstance(func, gast.Attribute)
                and isinstance(func.value, gast.Name)
                and func.value.id in _MODULES
            ):
                target = getattr(_MODULES[func.value.id], func.attr, None)
                return None if target is None else self._call(target, node.args)
            if helper(node) in DERIVATIVE_LIKE_ARG:
                return self._derivative_like(node.args, DERIVATIVE_LIKE_ARG[helper(node)])
        return None

    def _derivative_like(self, args: list[gast.expr], like: int) -> types.Type | None:
        """A runtime derivative helper's result: a C-ordered float64 array of the rank of
        ``args[like]``, when every array argument is float64 (scalars float64 or integer,
        an axis ``None``)."""
        if like >= len(args) or not self.float64_array(args[like]):
            return None
        for a in args:
            t = self(a)
            none = isinstance(a, gast.Constant) and a.value is None
            if not (none or t == F64 or isinstance(t, types.Integer) or self.float64_array(a)):
                return None
        return types.Array(F64, self(args[like]).ndim, "C")

    def _call(self, func: object, args: list[gast.expr]) -> types.Type | None:
        found = [self(a) for a in args]
        if any(
            t is None or not isinstance(t, (*_SCALARS, types.Array, types.UniTuple)) for t in found
        ):
            return None
        return _result_type(func, tuple(found))

    def shape(self, node: gast.expr):
        """The symbolic shape of ``node`` (``shapes.py``), once ``shapes`` is set."""
        return self.shapes(node) if self.shapes is not None else None

    def rank(self, node: gast.expr) -> int | None:
        t = self(node)
        if isinstance(t, _SCALARS):
            return 0
        return t.ndim if isinstance(t, types.Array) else None

    def float64_array(self, node: gast.expr) -> bool:
        t = self(node)
        return isinstance(t, types.Array) and t.dtype == F64

    def _element(self, node: gast.Subscript) -> types.Type | None:
        """``a[i, j]`` with one integer index per axis of array ``a``: its dtype."""
        array = self(node.value)
        if not isinstance(array, types.Array):
            return None
        index = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
        if len(index) != array.ndim:
            return None
        if all(isinstance(self(i), types.Integer) for i in index):
            return array.dtype
        return None

    def f64(self, node: gast.expr) -> bool:
        return self(node) == F64

    def scalar(self, node: gast.expr) -> bool:
        return isinstance(self(node), _SCALARS)


# call rules: helper -> (arguments, typer) -> replacement, or None to keep the call ----------
Rule = Callable[[list[gast.expr], Typer], "gast.expr | None"]


def _same_if_f64(args: list[gast.expr], typer: Typer) -> gast.expr | None:
    """A helper fitting ``args[0]`` to the type and shape of ``args[1]``: on two float64
    scalars there is nothing to fit."""
    return args[0] if typer.f64(args[0]) and typer.f64(args[1]) else None


def _unbroadcast(args: list[gast.expr], typer: Typer) -> gast.expr | None:
    """``g`` summed back to the shape of ``x``, for float64 values: nothing to do on two
    scalars or on two arrays of one shape, a sum for an array onto a scalar (or onto one axis
    less), a broadcast for a scalar onto an array. Equal ranks of unknown sizes keep the
    runtime sum-to-shape."""
    g, x = args
    f64 = [typer.f64(a) or typer.float64_array(a) for a in args]
    if not all(f64):
        return None
    ranks = typer.rank(g), typer.rank(x)
    if ranks == (0, 0):
        return g
    if ranks[0] == 0:
        return call(attr(name("np"), "full"), attr(x, "shape"), g) if is_name(x) else None
    if ranks[1] == 0:
        return call(attr(name("np"), "sum"), g)
    g_shape, x_shape = typer.shape(g), typer.shape(x)
    if not known(x_shape) or not isinstance(g_shape, tuple):
        return None
    if g_shape == x_shape:
        return g
    if len(g_shape) == len(x_shape) + 1 and g_shape[1:] == x_shape:
        return call(attr(name("np"), "sum"), g, const(0))  # the leading axis x lacks
    return None


def is_name(node: gast.expr) -> bool:
    return isinstance(node, gast.Name)


def _unreduce(args: list[gast.expr], typer: Typer) -> gast.expr | None:
    """The cotangent ``g`` of a reduction of ``x`` along a literal ``axis`` spread back over
    x's shape (a scalar ``g``, of a reduction over every axis, broadcasts by itself)."""
    g, x, axis = args
    if typer.rank(g) == 0 or (isinstance(axis, gast.Constant) and axis.value is None):
        return g
    if not (isinstance(axis, gast.Constant) and type(axis.value) is int and is_name(x)):
        return None
    if typer.rank(g) is None:
        return None
    expanded = call(attr(name("np"), "expand_dims"), g, axis)
    return call(attr(name("np"), "broadcast_to"), expanded, attr(x, "shape"))


def _ranked(helper: str) -> Rule:
    """A product or its cotangent (``runtime/linalg.py``'s ``RANKED`` table) written out for
    the ranks of its operands; each argument appears once in the expression it fills."""
    params = ("g", "a", "b") if helper != "inner" else ("a", "b")

    def rule(args: list[gast.expr], typer: Typer) -> gast.expr | None:
        ranks = typer.rank(args[-2]), typer.rank(args[-1])
        source = RANKED[helper].get(ranks) if None not in ranks else None
        if source is None or len(args) != len(params):
            return None
        expr = gast.parse(source).body[0].value
        uses = [n for n in gast.walk(expr) if isinstance(n, gast.Name) and n.id in params]
        if len(uses) != len({n.id for n in uses}):
            return None
        bound = dict(zip(params, args, strict=True))
        return _Fill(bound).visit(expr)

    return rule


class _Fill(gast.NodeTransformer):
    """Replaces parameter names by the argument expressions."""

    def __init__(self, bound: dict[str, gast.expr]) -> None:
        self.bound = bound

    def visit_Name(self, node: gast.Name) -> gast.expr:
        return self.bound.get(node.id, node)


def _zero(args: list[gast.expr], typer: Typer) -> gast.expr | None:
    """The zero derivative of a float64, integer or bool scalar is the float ``0.0``, of a
    float64 array an array of zeros of its shape."""
    t = typer(args[0])
    if t == F64 or isinstance(t, (types.Integer, types.Boolean)):
        return const(0.0)
    if isinstance(t, types.Array) and t.dtype == F64:
        return call(attr(name("np"), "zeros"), attr(args[0], "shape"))
    return None


def _differentiable(args: list[gast.expr], typer: Typer) -> gast.expr | None:
    """The check holds for a float scalar or float array (it fails at typing otherwise)."""
    t = typer(args[0])
    dtype = t.dtype if isinstance(t, types.Array) else t
    return args[0] if isinstance(dtype, types.Float) else None


def _trip_count(args: list[gast.expr], typer: Typer) -> gast.expr | None:
    """``len(range(start, stop, step))`` for a literal step, as arithmetic."""
    start, stop, step = args
    if not (isinstance(step, gast.Constant) and type(step.value) is int and step.value):
        return None
    if step.value > 0:
        span = _minus(stop, start)
        if step.value != 1:
            span = _floordiv(_plus(span, step.value - 1), step.value)
    else:
        span = _minus(start, stop)
        if step.value != -1:
            span = _floordiv(_plus(span, -step.value - 1), -step.value)
    return call(name("max"), const(0), span)


def _minus(a: gast.expr, b: gast.expr) -> gast.expr:
    if isinstance(b, gast.Constant) and b.value == 0:
        return a
    return gast.BinOp(left=a, op=gast.Sub(), right=b)


def _plus(a: gast.expr, k: int) -> gast.expr:
    return gast.BinOp(left=a, op=gast.Add(), right=const(k)) if k else a


def _floordiv(a: gast.expr, k: int) -> gast.expr:
    return gast.BinOp(left=a, op=gast.FloorDiv(), right=const(k))


CALLS: dict[str, Rule] = {
    "unbroadcast": _unbroadcast,
    "cast_like": _same_if_f64,
    "broadcast_like": _same_if_f64,
    "check_tangent": _same_if_f64,
    "check_cotangent": _same_if_f64,
    "zeros_adj": _zero,
    "unreduce": _unreduce,
    "reset": lambda args, typer: const(0.0) if typer.f64(args[0]) else None,
    # a scalar needs no copy, an array a copy
    "keep": lambda args, typer: (
        args[0]
        if typer.scalar(args[0])
        else call(attr(args[0], "copy"))
        if isinstance(typer(args[0]), types.Array)
        else None
    ),
    # checks that hold for float64 (their failures are typing errors, decided now)
    "assert_scalar_output": lambda args, typer: args[0] if typer.f64(args[0]) else None,
    "assert_differentiable": _differentiable,
    "new_tape": lambda args, typer: call(attr(name("np"), "empty"), const(64)),
    "trip_count": _trip_count,
    "add_cotangent": lambda args, typer: (
        gast.BinOp(left=args[0], op=gast.Add(), right=args[1])
        if typer.f64(args[0]) and typer.f64(args[1])
        else None
    ),
    **{product: _ranked(product) for product in RANKED},
}


def helper(node: gast.AST) -> str | None:
    """``f`` for a call ``st.f(...)``, else None."""
    if (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and isinstance(node.func.value, gast.Name)
        and node.func.value.id == "st"
    ):
        return node.func.attr
    return None


# the tape: scalars stored and restored by indexing -------------------------------------------
def _taped(t: types.Type | None) -> bool:
    """A value the tape holds exactly in one float64 slot, read back with its own type."""
    return t == F64 or t == types.int64 or t == types.boolean


def _push(value: gast.expr) -> list[gast.stmt]:
    slot = subscript("tape", name("tape_top"), gast.Store())
    return [assign(slot, value), aug("tape_top", "+", const(1))]


def _pop(target: gast.Name, t: types.Type) -> list[gast.stmt]:
    slot: gast.expr = subscript("tape", name("tape_top"))
    if t == types.int64:
        slot = call(name("int"), slot)
    elif t == types.boolean:
        slot = gast.Compare(left=slot, ops=[gast.NotEq()], comparators=[const(0.0)])
    return [aug("tape_top", "-", const(1)), assign(store(target.id), slot)]


class Specialise(gast.NodeTransformer):
    """Rewrites one generated function for the types in ``typer``."""

    def __init__(self, typer: Typer) -> None:
        self.typer = typer

    def visit_Call(self, node: gast.Call) -> gast.expr:
        self.generic_visit(node)
        rule = CALLS.get(helper(node) or "")
        if rule is None or node.keywords:
            return node
        replaced = rule(node.args, self.typer)
        return node if replaced is None else replaced

    def visit_Assign(self, node: gast.Assign) -> gast.stmt | list[gast.stmt]:
        self.generic_visit(node)
        value, (target,) = node.value, node.targets
        kind = helper(value)
        if kind == "push" and _taped(self.typer(value.args[2])):
            return _push(value.args[2])
        if kind == "reserve" and _taped(self.typer(value.args[2])):
            # a marker `_lower_growth` writes out, unless a preallocation covers it
            room = gast.BinOp(left=name("tape_top"), op=gast.Add(), right=const(1))
            return assign("tape", st_call("room_for", name("tape"), room))
        if kind in ("pop", "pop_in_place") and isinstance(target, gast.Tuple):
            restored = target.elts[0]
            t = self.typer(value.args[2])
            if _taped(t) and isinstance(restored, gast.Name):
                return _pop(restored, t)
        if (
            kind == "reset"
            and isinstance(target, gast.Name)
            and typer_array(self.typer, target, value)
        ):
            # an array adjoint zeroed in place, as the helper does
            everything = gast.Constant(value=Ellipsis, kind=None)
            return assign(subscript(target.id, everything, gast.Store()), const(0.0))
        if isinstance(target, gast.Name) and isinstance(value, gast.Name):
            if target.id == value.id:  # `x = st.keep(x)` of a scalar: nothing left to do
                return []
        return node

    def visit_Expr(self, node: gast.Expr) -> gast.stmt | list[gast.stmt]:
        self.generic_visit(node)
        # a check that held for these types leaves a bare name behind
        return [] if isinstance(node.value, gast.Name) else node


def typer_array(typer: Typer, target: gast.Name, reset: gast.Call) -> bool:
    """``x = st.reset(x)`` of a float64 array ``x``."""
    (arg,) = reset.args
    return isinstance(arg, gast.Name) and arg.id == target.id and typer.float64_array(arg)


def _grow(need: gast.expr) -> gast.If:
    """``if`` the tape has no room for ``need`` more slots, a longer one holding its first
    ``tape_top`` values, copied by a loop. Measured on Lorenz's gradient: with
    ``np.concatenate`` numba compiled the loops using the tape about 4x slower (1.35 ms
    against 0.33 ms); a slice copy ``tape_grown[:n] = tape`` ran as fast but tripled the
    compile (2.4 s against 0.7 s for the loop)."""
    size = attr(name("tape"), "shape")
    size = gast.Subscript(value=size, slice=const(0), ctx=gast.Load())
    wanted = gast.BinOp(left=name("tape_top"), op=gast.Add(), right=need)
    test = gast.Compare(left=wanted, ops=[gast.Gt()], comparators=[size])
    slot = gast.Subscript(value=name("tape_grown"), slice=name("tape_k"), ctx=gast.Store())
    copy_one = gast.Assign(
        targets=[slot],
        value=gast.Subscript(value=name("tape"), slice=name("tape_k"), ctx=gast.Load()),
        type_comment=None,
    )
    body = [
        assign("tape_grown", call(attr(name("np"), "empty"), wanted)),
        for_range("tape_k", [name("tape_top")], [copy_one]),
        assign("tape", name("tape_grown")),
    ]
    return gast.If(test=test, body=body, orelse=[])


def _lower_growth(node: gast.AST) -> None:
    """``tape = st.room_for(tape, tape_top + k)`` and ``st.reserve_slots`` as plain ``if``s."""
    for field in ("body", "orelse"):
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        for k, s in enumerate(block):
            _lower_growth(s)
            if isinstance(s, gast.Assign) and helper(s.value) == "room_for":
                block[k] = _grow(s.value.args[1].right)
            elif isinstance(s, gast.Assign) and helper(s.value) == "reserve_slots":
                block[k] = _grow(s.value.args[2])


def _drop_covered_room(node: gast.AST) -> None:
    """Drop ``tape = st.room_for(...)`` in loops whose preallocation covers it: a loop after
    ``tape = st.reserve_slots(...)`` (one slot per value recorded in an iteration) with no
    loop inside and only scalars recorded."""
    for field in ("body", "orelse"):
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        for k, s in enumerate(block):
            _drop_covered_room(s)
            before = block[k - 1] if k else None
            if (
                isinstance(s, gast.For)
                and isinstance(before, gast.Assign)
                and helper(before.value) == "reserve_slots"
                and not any(isinstance(n, (gast.For, gast.While)) for n in _inner(s))
                and not any(helper(n) in ("reserve", "push") for n in gast.walk(s))
            ):
                _remove_room(s)


def _inner(loop: gast.For) -> list[gast.AST]:
    return [n for stmt in loop.body for n in gast.walk(stmt)]


def _remove_room(node: gast.AST) -> None:
    for field in ("body", "orelse"):
        block = getattr(node, field, None)
        if isinstance(block, list) and block:
            block[:] = [
                s
                for s in block
                if not (isinstance(s, gast.Assign) and helper(s.value) == "room_for")
            ] or [gast.Pass()]  # a block that held only markers still needs a statement
            for s in block:
                _remove_room(s)


def specialise(fn: gast.FunctionDef, names: dict[str, types.Type]) -> gast.FunctionDef:
    """``fn`` with every helper call that ``names``'s types decide written out, its scalar
    adjoints bound by first contribution and its dead scalar stores dropped.

    The passes below rewrite trees in place, so they work on a copy: the generator's trees
    share expressions with the function's cached plan, from which the type-blind module and
    other signatures are generated too."""
    typer = Typer(names)
    out = copy.deepcopy(fn)
    for _ in range(2):  # again on the written-out products, whose shapes are then readable
        typer.shapes = Shapes(out, typer)
        out = Specialise(typer).visit(out)
    _drop_covered_room(out)
    _lower_growth(out)
    out = tidy(out, names, typer)
    substitute(out, {n for n, t in names.items() if isinstance(t, _SCALARS)})
    out.body = merge_tape_runs(out.body)
    out.body = drop_stale_comments(out.body)  # of statements substituted away
    for node in gast.walk(out):  # a block whose statements all went still needs one
        if isinstance(node, (gast.For, gast.While, gast.If)) and not node.body:
            node.body.append(gast.Pass())
    return out
