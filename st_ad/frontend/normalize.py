"""Normalisation: the parsed function becomes an ``ir.Function`` with one primitive operation
per statement, structured control flow and a single return.

Two passes:
1. ``jumps.JumpLowering`` (on gast) turns ``return``/``break``/``continue`` into flag
   assignments and guards, so that loops only exit at the end of an iteration
   (``if flag: break``) and the function returns once, at its end.
2. ``_Lowering`` (gast -> ir, here) splits nested expressions into temporaries named after the
   statement's target (``r2_t1``) and keeps index, shape and condition expressions whole (they
   carry no derivative); its calls are lowered by ``lower_calls.CallLowering``, which resolves
   each to a derivative rule or a user function.
"""

from __future__ import annotations

import math

import gast
import numpy

from .. import ir
from ..rules import lookup
from ..syntax import Names, ast_text, const, name, name_id
from .calls import UserCall
from .check import loop_kind
from .jumps import JumpLowering
from .lower_calls import CallLowering
from .source import MISSING, FunctionSource

# Calls whose value carries no derivative (integers, booleans, shapes).
_PASSIVE_CALLS = {
    len,
    int,
    bool,
    range,
    numpy.int64,
    numpy.int32,
    numpy.intp,
    math.floor,
    math.ceil,
}
_PASSIVE_ATTRS = {"shape", "size", "ndim", "dtype"}


def _bound_outside_loops(body: list[gast.stmt]) -> set[str]:
    """Names bound by a statement that is not inside a loop."""
    found: set[str] = set()
    for s in body:
        if isinstance(s, (gast.Assign, gast.AugAssign)):
            targets = s.targets if isinstance(s, gast.Assign) else [s.target]
            for t in targets:
                found |= {n.id for n in gast.walk(t) if isinstance(n, gast.Name)}
        elif isinstance(s, gast.If):
            found |= _bound_outside_loops(s.body) | _bound_outside_loops(s.orelse)
    return found


def _assigned_names(tree: gast.FunctionDef) -> dict[str, int]:
    """How many statements bind each name (loop headers included)."""
    counts: dict[str, int] = {}
    for node in gast.walk(tree):
        targets = []
        if isinstance(node, gast.Assign):
            targets = node.targets
        elif isinstance(node, (gast.AugAssign, gast.For)):
            targets = [node.target]
        for t in targets:
            for n in gast.walk(t):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    counts[n.id] = counts.get(n.id, 0) + 1
    return counts


class _Lowering(CallLowering):
    """Pass 2: gast statements -> ir statements with one primitive each."""

    def __init__(self, fn: FunctionSource, names: Names, assigned: dict[str, int]) -> None:
        self.fn = fn
        self.names = names
        self.assigned = assigned
        self._locals = set(fn.params) | set(assigned)
        # bound once, outside every loop: constant while any loop runs
        self.constant = {
            n for n in _bound_outside_loops(fn.tree.body) if assigned.get(n) == 1
        } - set(fn.params)
        self.loop_vars: list[str] = []
        self.temp_counts: dict[str, int] = {}
        self.tuples: dict[str, tuple] = {}  # name -> (rule, args) of a tuple-valued call
        self.calls: dict[int, UserCall] = {}  # id(callee's Python function) -> its primitive
        self.cycle: list[str] | None = None  # a recursive call chain, once looked for

    # helpers ---------------------------------------------------------------------------------
    @property
    def locals(self) -> set[str]:
        """The function's own names: parameters, assigned names and generated temporaries."""
        return self._locals | self.names.generated

    def where(self, node: gast.AST) -> tuple[int, str]:
        return self.fn.file_line(node), self.fn.text(node).strip()

    def temp(self, hint: str) -> str:
        k = self.temp_counts.get(hint, 0) + 1
        self.temp_counts[hint] = k
        return self.names.fresh(f"{hint}_t{k}")

    def stable(self, expr: gast.expr) -> bool:
        """True if re-evaluating ``expr`` later gives the same value: it reads only names that
        are never rebound (or the loop variables of enclosing loops) and calls nothing but
        passive functions."""
        for n in gast.walk(expr):
            if isinstance(n, gast.Name):
                if n.id in self.loop_vars and self.assigned.get(n.id, 0) == 1:
                    continue
                if n.id in self.constant:
                    continue
                if n.id in self.assigned:
                    return False
            if isinstance(n, gast.Call) and self.resolve(n.func) not in _PASSIVE_CALLS:
                return False
        return True

    def resolve(self, node: gast.expr) -> object:
        """The object a (dotted) global name refers to; None for locals and expressions."""
        if isinstance(node, gast.Name):
            if node.id in self.locals:
                return None
            return self.fn.resolve(node.id)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            if base is None or base is MISSING:
                return None
            return getattr(base, node.attr, MISSING)
        return None

    def passive(self, expr: gast.expr) -> bool:
        """Expressions with no derivative, kept whole: conditions, shapes, passive calls."""
        if isinstance(expr, (gast.Compare, gast.BoolOp)):
            return True
        if isinstance(expr, gast.UnaryOp) and isinstance(expr.op, gast.Not):
            return True
        if isinstance(expr, gast.Attribute) and expr.attr in _PASSIVE_ATTRS:
            return True
        if isinstance(expr, gast.Subscript) and self.passive(expr.value):
            return True
        if isinstance(expr, gast.Call) and self.resolve(expr.func) in _PASSIVE_CALLS:
            return True
        if isinstance(expr, gast.Constant):
            return True
        if isinstance(expr, gast.Name) and expr.id not in self.locals:
            value = self.fn.resolve(expr.id)
            return not isinstance(value, numpy.ndarray)
        return False

    # statements ------------------------------------------------------------------------------
    def block(self, body: list[gast.stmt]) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for s in body:
            self.stmt(s, out)
        return out

    def stmt(self, s: gast.stmt, out: list[ir.Stmt]) -> None:
        self.seen: dict[str, str] = {}  # subexpression text -> temporary, for this statement
        line, text = self.where(s)
        if isinstance(s, gast.Assign):
            self.assign(s.targets[0], s.value, s, out)
        elif isinstance(s, gast.AugAssign):
            self.aug_assign(s, out)
        elif isinstance(s, gast.If) and s.body and isinstance(s.body[0], gast.Break):
            out.append(ir.Break(line, text, s.test))  # `if flag: break`, left by pass 1
        elif isinstance(s, gast.If):
            test = self.condition(s.test, s, out)
            out.append(ir.If(line, text, test, self.block(s.body), self.block(s.orelse)))
        elif isinstance(s, gast.For):
            self.for_loop(s, out)
        elif isinstance(s, gast.While):
            label = getattr(s, "st_label", f"L{line}")
            test_body: list[ir.Stmt] = []
            test = self.condition(s.test, s, test_body, label=f"cond_{label}")
            out.extend(test_body)
            body = self.block(s.body)
            out.append(ir.While(line, text, test, test_body, body, label))
        elif isinstance(s, gast.Return):
            return  # pass 1 leaves only the final return; normalize() reads its value
        elif isinstance(s, gast.Break):
            raise AssertionError("break survives jump lowering only inside `if flag: break`")
        elif isinstance(s, gast.Expr):
            if isinstance(s.value, gast.Constant) and isinstance(s.value.value, str):
                return  # a docstring
            raise self.fn.error(
                s,
                "an expression statement has no effect on the result",
                "assign its value to a variable, or remove it",
            )
        elif isinstance(s, gast.Pass):
            return
        else:
            raise self.fn.error(s, f"{type(s).__name__} statements are not supported", "rewrite it")

    def condition(self, test: gast.expr, s: gast.stmt, out, label: str | None = None) -> str:
        if isinstance(test, gast.Name) and label is None:
            return test.id
        line, text = self.where(s)
        cond = self.names.fresh(label or f"cond_L{line}")
        out.append(ir.Let(line, text, cond, test))
        return cond

    def assign(self, target: gast.expr, value: gast.expr, s: gast.stmt, out) -> None:
        line, text = self.where(s)
        if isinstance(target, gast.Name):
            self.assign_name(target.id, value, s, out)
        elif isinstance(target, gast.Subscript):
            array = self.store_target(target, s)
            v = self.atom(value, array, s, out)
            out.append(ir.Store(line, text, array, target.slice, v))
        elif isinstance(target, gast.Tuple):
            self.assign_tuple(target, value, s, out)
        else:
            raise self.fn.error(s, "this assignment target is not supported", "assign to a name")

    def store_target(self, target: gast.Subscript, s: gast.stmt) -> str:
        if not isinstance(target.value, gast.Name):
            raise self.fn.error(
                s, "writes must go into a named array", "write `a[i, j] = ...`, not `a[i][j]`"
            )
        array = target.value.id
        return array

    def assign_tuple(self, target: gast.Tuple, value: gast.expr, s, out) -> None:
        line, text = self.where(s)
        elts = target.elts
        if not all(isinstance(e, gast.Name) for e in elts):
            raise self.fn.error(s, "tuple targets must be names", "unpack into plain names")
        if isinstance(value, gast.Tuple) and len(value.elts) == len(elts):
            targets = {e.id for e in elts}
            staged = []
            for e, v in zip(elts, value.elts, strict=True):
                if isinstance(v, gast.Constant) or (
                    isinstance(v, gast.Name) and v.id not in targets
                ):
                    staged.append(v)
                else:
                    tmp = self.names.fresh(f"{e.id}_new")
                    self.assign_name(tmp, v, s, out)
                    staged.append(name(tmp))
            for e, v in zip(elts, staged, strict=True):
                self.assign_name(e.id, v, s, out)
        elif isinstance(value, gast.Call) and not self.passive(value):
            rule = lookup(self.resolve(value.func))
            if rule is None:
                raise self._no_rule(value.func, self.resolve(value.func), s)
            if rule.failure:
                raise self.fn.error(s, *rule.failure)
            if rule.parts is None:
                raise self.fn.error(
                    s,
                    f"`{ast_text(value.func)}` returns one value, which cannot be unpacked",
                    "assign it to one name",
                )
            if len(elts) != len(rule.parts):
                raise self.fn.error(
                    s,
                    f"`{ast_text(value.func)}` returns {len(rule.parts)} values, not {len(elts)}",
                    f"unpack {len(rule.parts)} names",
                )
            results = self.names.fresh(f"{rule.name}_out")
            self.assign_name(results, value, s, out)
            for k, e in enumerate(elts):
                self.tuple_element(e.id, results, const(k), s, out)
        elif self.passive(value):
            for k, e in enumerate(elts):
                item = gast.Subscript(value=value, slice=const(k), ctx=gast.Load())
                out.append(ir.Let(line, text, e.id, item))
        else:
            raise self.fn.error(
                s,
                "only tuples written out (`a, b = x, y`) and shapes can be unpacked",
                "assign each name separately",
            )

    def aug_assign(self, s: gast.AugAssign, out) -> None:
        line, text = self.where(s)
        op = {gast.Add: "+", gast.Sub: "-"}.get(type(s.op))
        target = s.target
        if isinstance(target, gast.Name):
            # y *= v is in place for an array, as y += v is: its views see the update
            op = op or {gast.Mult: "*", gast.Div: "/"}.get(type(s.op))
            if op is not None:
                value = self.atom(s.value, target.id, s, out)
                out.append(ir.Accumulate(line, text, target.id, op, value))
            else:
                self.assign_name(
                    target.id, gast.BinOp(left=name(target.id), op=s.op, right=s.value), s, out
                )
        elif isinstance(target, gast.Subscript):
            array = self.store_target(target, s)
            if op is not None:
                value = self.atom(s.value, array, s, out)
                out.append(ir.Store(line, text, array, target.slice, value, op))
            else:
                old = self.temp(array)
                read = gast.Subscript(value=name(array), slice=target.slice, ctx=gast.Load())
                self.assign_name(old, read, s, out)
                new = self.atom(gast.BinOp(left=name(old), op=s.op, right=s.value), array, s, out)
                out.append(ir.Store(line, text, array, target.slice, new))
        else:
            raise self.fn.error(s, "this augmented assignment is not supported", "expand it")

    def for_loop(self, s: gast.For, out) -> None:
        line, text = self.where(s)
        label = getattr(s, "st_label", f"L{line}")
        var = s.target.id
        args = list(s.iter.args)
        start, stop, step = (
            (const(0), args[0], const(1))
            if len(args) == 1
            else (args[0], args[1], const(1))
            if len(args) == 2
            else tuple(args)
        )
        counted = any(
            isinstance(b, gast.If) and b.body and isinstance(b.body[0], gast.Break) for b in s.body
        )
        header: list[ir.Let] = []

        def snapshot(expr: gast.expr, role: str, needed: bool) -> gast.expr:
            if not needed or self.stable(expr):
                return expr
            snap = self.names.fresh(f"{var}_{role}")
            header.append(ir.Let(line, text, snap, expr))
            return name(snap)

        start = snapshot(start, "start", True)
        step = snapshot(step, "step", True)
        stop = snapshot(stop, "stop", not counted)
        self.loop_vars.append(var)
        body = self.block(s.body)
        self.loop_vars.pop()
        loop = ir.For(line, text, var, start, stop, step, body, label, counted, header)
        loop.parallel = loop_kind(self.fn, s.iter.func) == "prange"
        out.append(loop)

    # expressions -----------------------------------------------------------------------------
    def atom(self, expr: gast.expr, hint: str, s, out) -> gast.expr:
        """``expr`` as a name, constant or passive expression, emitting statements as needed."""
        if isinstance(expr, gast.Name) or self.passive(expr):
            return expr
        # Within one statement nothing is written, so a repeated subexpression (x[i] read
        # twice) is computed once.
        key = ast_text(expr)
        if key in self.seen:
            return name(self.seen[key])
        tmp = self.temp(hint)
        self.assign_name(tmp, expr, s, out, hint=hint)
        self.seen[key] = tmp
        return name(tmp)

    def assign_name(self, target: str, value: gast.expr, s, out, hint: str | None = None) -> None:
        line, text = self.where(s)
        hint = hint or target

        def let(expr, prim=None, args=(), index=None):
            if (
                prim is not None
                and target in {name_id(a) for a in args}
                and prim is not lookup("name")
            ):
                # x = f(x): compute into a new name first, so that the adjoint can read the
                # old x and the new value side by side.
                tmp = self.temp(hint)
                out.append(ir.Let(line, text, tmp, expr, prim, list(args), index))
                expr, prim, args, index = name(tmp), lookup("name"), [name(tmp)], None
            out.append(ir.Let(line, text, target, expr, prim, list(args), index))

        if isinstance(value, gast.Name):
            if value.id in self.locals:
                if value.id != target:
                    let(value, lookup("name"), [value])
            else:
                let(value)
        elif self.passive(value):
            let(value)
        elif isinstance(value, gast.IfExp):
            test = self.condition(value.test, s, out)
            body: list[ir.Stmt] = []
            orelse: list[ir.Stmt] = []
            before = dict(self.seen)
            self.assign_name(target, value.body, s, body, hint)
            self.seen = dict(before)  # temporaries of one branch do not exist in the other
            self.assign_name(target, value.orelse, s, orelse, hint)
            self.seen = before
            out.append(ir.If(line, text, test, body, orelse))
        elif isinstance(value, gast.BinOp):
            a = self.atom(value.left, hint, s, out)
            b = self.atom(value.right, hint, s, out)
            rule = lookup(type(value.op))
            if rule is None:
                raise self.fn.error(
                    s,
                    f"the operator {type(value.op).__name__} has no derivative rule",
                    "use + - * / ** or @",
                )
            let(gast.BinOp(left=a, op=value.op, right=b), rule, [a, b])
        elif isinstance(value, gast.UnaryOp):
            if isinstance(value.op, gast.UAdd):
                self.assign_name(target, value.operand, s, out, hint)
                return
            a = self.atom(value.operand, hint, s, out)
            let(gast.UnaryOp(op=value.op, operand=a), lookup(type(value.op)), [a])
        elif isinstance(value, gast.Call):
            self.call(target, value, hint, s, out)
        elif isinstance(value, gast.Subscript):
            base = self.atom(value.value, hint, s, out)
            if isinstance(base, gast.Name) and base.id in self.tuples:
                self.tuple_element(target, base.id, value.slice, s, out)
                return
            if not isinstance(base, gast.Name):
                raise self.fn.error(s, "only named arrays can be indexed", "name the array first")
            expr = gast.Subscript(value=base, slice=value.slice, ctx=gast.Load())
            let(expr, lookup("getitem"), [base], value.slice)
        elif isinstance(value, gast.Attribute) and value.attr == "T":
            base = self.atom(value.value, hint, s, out)
            let(gast.Attribute(value=base, attr="T", ctx=gast.Load()), lookup("transpose"), [base])
        elif isinstance(value, gast.Attribute):
            raise self.fn.error(
                s,
                f"the attribute `.{value.attr}` is not supported",
                "use .T, .shape, .size or .ndim",
            )
        elif isinstance(value, gast.Tuple):
            raise self.fn.error(
                s,
                "tuples can only be unpacked into names",
                "write `a, b = x, y`, or use separate variables",
            )
        else:
            raise self.fn.error(
                s,
                f"{type(value).__name__} expressions are not supported",
                "rewrite it with arithmetic, indexing and calls",
            )


def normalize(fn: FunctionSource) -> ir.Function:
    """The normalised program of ``fn``."""
    taken = {n.id for n in gast.walk(fn.tree) if isinstance(n, gast.Name)} | set(fn.params)
    taken |= {"np", "st", "math", "njit", "tape", "tape_top"}  # what generated code uses
    names = Names(taken)
    jumps = JumpLowering(fn, names)
    body = jumps.function_body()
    lowering = _Lowering(fn, names, _assigned_names(fn.tree))
    ir_body = lowering.block(body)
    if jumps.simple:
        ret = fn.tree.body[-1]
        result = _result_of(lowering, ret, ir_body)
    else:
        result = jumps.result
    _drop_dead_flags(ir_body, names.taken - taken - {result})
    return ir.Function(
        name=fn.name,
        params=list(fn.params),
        body=ir_body,
        result=result,
        names=names.taken,
        line=fn.file_line(fn.tree),
        filename=fn.filename,
    )


def _result_of(lowering: _Lowering, ret: gast.Return, ir_body: list[ir.Stmt]) -> str:
    value = ret.value
    if isinstance(value, gast.Name) and value.id in lowering.locals:
        return value.id
    result = lowering.names.fresh("result")
    lowering.assign_name(result, value, ret, ir_body)
    return result


def _drop_dead_flags(body: list[ir.Stmt], generated: set[str]) -> None:
    """Remove assignments to generated flags that nothing reads."""
    read: set[str] = set()
    for s in ir.walk(body):
        if isinstance(s, ir.Let):
            read |= ir.names_in(s.expr)
        elif isinstance(s, (ir.If, ir.While)):
            read.add(s.test)
        elif isinstance(s, ir.Break):
            read |= ir.names_in(s.flag)
        elif isinstance(s, ir.Store):
            read |= ir.names_in(s.index) | ir.names_in(s.value) | {s.array}
        elif isinstance(s, ir.Accumulate):
            read |= ir.names_in(s.value) | {s.target}
        elif isinstance(s, ir.For):
            read |= ir.names_in(s.start) | ir.names_in(s.stop) | ir.names_in(s.step)

    def prune(stmts: list[ir.Stmt]) -> list[ir.Stmt]:
        kept = []
        for s in stmts:
            if (
                isinstance(s, ir.Let)
                and s.target in generated
                and s.target not in read
                and s.prim is None
                and isinstance(s.expr, gast.Constant)
            ):
                continue
            if isinstance(s, ir.If):
                s.body, s.orelse = prune(s.body), prune(s.orelse)
            elif isinstance(s, (ir.For, ir.While)):
                s.body = prune(s.body)
            kept.append(s)
        return kept

    body[:] = prune(body)
