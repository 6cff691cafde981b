"""Normalisation: the parsed function becomes an ``ir.Function`` with one primitive operation
per statement, structured control flow and a single return.

Two passes:
1. ``_lower_jumps`` (on gast) turns ``return``/``break``/``continue`` into flag assignments and
   guards, so that loops only exit at the end of an iteration (``if flag: break``) and the
   function returns once, at its end.
2. ``_Lowering`` (gast -> ir) splits nested expressions into temporaries named after the
   statement's target (``r2_t1``), resolves every call to a derivative rule, and keeps index,
   shape and condition expressions whole (they carry no derivative).
"""

from __future__ import annotations

import copy
import math
import types

import gast
import numpy

from .. import ir
from ..rules import RULES, lookup
from .calls import (
    UserCall,
    find_cycle,
    params_written,
    python_source_function,
    recursion_error,
    signature_of,
)
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


def _name(id_: str, ctx=None) -> gast.Name:
    return gast.Name(id=id_, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def _const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def _located(node: gast.AST, like: gast.AST) -> gast.AST:
    node.lineno = getattr(like, "lineno", 1)
    return node


def _assign(target: str, value: gast.expr, like: gast.AST) -> gast.Assign:
    return _located(
        gast.Assign(targets=[_name(target, gast.Store())], value=value, type_comment=None), like
    )


def _any_of(flags: list[str]) -> gast.expr:
    if len(flags) == 1:
        return _name(flags[0])
    return gast.BoolOp(op=gast.Or(), values=[_name(f) for f in flags])


class _Names:
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


def _sets_flag(body: list[gast.stmt], flags: list[str]) -> bool:
    """Whether ``body`` ends by setting one of ``flags`` to True (a jump at its top level)."""
    if not body or not isinstance(body[-1], gast.Assign):
        return False
    last = body[-1]
    target = last.targets[0]
    return (
        isinstance(target, gast.Name)
        and target.id in flags
        and isinstance(last.value, gast.Constant)
        and last.value.value is True
    )


def _always_returns(body: list[gast.stmt]) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, gast.Return):
        return True
    if isinstance(last, gast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    return False


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


class _JumpLowering:
    """Pass 1: return/break/continue become flags and guarded blocks."""

    def __init__(self, fn: FunctionSource, names: _Names) -> None:
        self.fn = fn
        self.names = names
        returns = [n for n in gast.walk(fn.tree) if isinstance(n, gast.Return)]
        body = fn.tree.body
        self.simple = len(returns) == 1 and body and body[-1] is returns[0]
        if not self.simple and not _always_returns(body):
            raise fn.error(
                fn.tree,
                "the function can reach its end without returning a value",
                "end the function with a `return` statement",
            )
        self.result = None if self.simple else names.fresh("result")
        self.returned = None if self.simple else names.fresh("returned")
        self.loop_flags: list[tuple[str, str]] = []

    def function_body(self) -> list[gast.stmt]:
        if self.simple:
            body, _ = self.block(self.fn.tree.body[:-1])
            return body + [self.fn.tree.body[-1]]
        body, _ = self.block(self.fn.tree.body)
        first = self.fn.tree.body[0]
        return [_assign(self.returned, _const(False), first)] + body

    def block(self, body: list[gast.stmt]) -> tuple[list[gast.stmt], set[str]]:
        out: list[gast.stmt] = []
        for k, s in enumerate(body):
            if isinstance(s, gast.Return):
                out.append(_assign(self.result, s.value, s))
                out.append(_assign(self.returned, _const(True), s))
                return out, {self.returned}
            if isinstance(s, (gast.Break, gast.Continue)):
                brk, cont = self.loop_flags[-1]
                flag = brk if isinstance(s, gast.Break) else cont
                out.append(_assign(flag, _const(True), s))
                return out, {flag}
            if isinstance(s, gast.If):
                body_, jumps_b = self.block(s.body)
                orelse, jumps_o = self.block(s.orelse)
                out.append(_located(gast.If(test=s.test, body=body_, orelse=orelse), s))
                jumps = jumps_b | jumps_o
                if jumps:
                    rest, jumps = self.guarded(body[k + 1 :], jumps, s)
                    return out + rest, jumps
            elif isinstance(s, (gast.For, gast.While)):
                label = f"L{self.fn.file_line(s)}"
                flags = (self.names.fresh(f"break_{label}"), self.names.fresh(f"continue_{label}"))
                self.loop_flags.append(flags)
                loop_body, jumps = self.block(s.body)
                self.loop_flags.pop()
                brk, cont = flags
                if cont in jumps:
                    loop_body = [_assign(cont, _const(False), s)] + loop_body
                exits = [f for f in (brk, self.returned) if f in jumps]
                if exits:
                    # a jump at the body's top level always leaves: numba mistypes the loop
                    # when the flag it tests is a constant in that block, so say so
                    test = _const(True) if _sets_flag(loop_body, exits) else _any_of(exits)
                    loop_body.append(
                        _located(gast.If(test=test, body=[gast.Break()], orelse=[]), s)
                    )
                if brk in jumps:
                    out.append(_assign(brk, _const(False), s))
                loop = copy.copy(s)
                loop.body = loop_body
                loop.st_label = label
                out.append(loop)
                if self.returned in jumps:
                    rest, jumps = self.guarded(body[k + 1 :], {self.returned}, s)
                    return out + rest, jumps
            else:
                out.append(s)
        return out, set()

    def guarded(self, rest, jumps, like) -> tuple[list[gast.stmt], set[str]]:
        """The statements after one that may jump, run only if it did not."""
        rest, jumps_rest = self.block(rest)
        if not rest:
            return [], jumps
        test = gast.UnaryOp(op=gast.Not(), operand=_any_of(sorted(jumps)))
        return [_located(gast.If(test=test, body=rest, orelse=[]), like)], jumps | jumps_rest


class _Lowering:
    """Pass 2: gast statements -> ir statements with one primitive each."""

    def __init__(self, fn: FunctionSource, names: _Names, assigned: dict[str, int]) -> None:
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
            test = self.condition(s.test, s, test_body, name=f"cond_{label}")
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

    def condition(self, test: gast.expr, s: gast.stmt, out, name: str | None = None) -> str:
        if isinstance(test, gast.Name) and name is None:
            return test.id
        line, text = self.where(s)
        cond = self.names.fresh(name or f"cond_L{line}")
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
                    staged.append(_name(tmp))
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
                self.tuple_element(e.id, results, _const(k), s, out)
        elif self.passive(value):
            for k, e in enumerate(elts):
                item = gast.Subscript(value=value, slice=_const(k), ctx=gast.Load())
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
                    target.id, gast.BinOp(left=_name(target.id), op=s.op, right=s.value), s, out
                )
        elif isinstance(target, gast.Subscript):
            array = self.store_target(target, s)
            if op is not None:
                value = self.atom(s.value, array, s, out)
                out.append(ir.Store(line, text, array, target.slice, value, op))
            else:
                old = self.temp(array)
                read = gast.Subscript(value=_name(array), slice=target.slice, ctx=gast.Load())
                self.assign_name(old, read, s, out)
                new = self.atom(gast.BinOp(left=_name(old), op=s.op, right=s.value), array, s, out)
                out.append(ir.Store(line, text, array, target.slice, new))
        else:
            raise self.fn.error(s, "this augmented assignment is not supported", "expand it")

    def for_loop(self, s: gast.For, out) -> None:
        line, text = self.where(s)
        label = getattr(s, "st_label", f"L{line}")
        var = s.target.id
        args = list(s.iter.args)
        start, stop, step = (
            (_const(0), args[0], _const(1))
            if len(args) == 1
            else (args[0], args[1], _const(1))
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
            return _name(snap)

        start = snapshot(start, "start", True)
        step = snapshot(step, "step", True)
        stop = snapshot(stop, "stop", not counted)
        self.loop_vars.append(var)
        body = self.block(s.body)
        self.loop_vars.pop()
        loop = ir.For(line, text, var, start, stop, step, body, label, counted, header)
        loop.parallel = getattr(s, "st_parallel", False)
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
            return _name(self.seen[key])
        tmp = self.temp(hint)
        self.assign_name(tmp, expr, s, out, hint=hint)
        self.seen[key] = tmp
        return _name(tmp)

    def assign_name(self, target: str, value: gast.expr, s, out, hint: str | None = None) -> None:
        line, text = self.where(s)
        hint = hint or target

        def let(expr, prim=None, args=(), index=None):
            if prim is not None and target in {_id(a) for a in args} and prim is not lookup("name"):
                # x = f(x): compute into a new name first, so that the adjoint can read the
                # old x and the new value side by side.
                tmp = self.temp(hint)
                out.append(ir.Let(line, text, tmp, expr, prim, list(args), index))
                expr, prim, args, index = _name(tmp), lookup("name"), [_name(tmp)], None
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

    def call(self, target: str, value: gast.Call, hint: str, s, out) -> None:
        func = value.func
        obj = self.resolve(func)
        label = ast_text(func)
        if any(isinstance(a, gast.Starred) for a in value.args) or any(
            k.arg is None for k in value.keywords
        ):
            raise self.fn.error(
                s, "starred arguments are not supported", "pass arguments one by one"
            )
        if obj is None and isinstance(func, gast.Attribute):
            # a method call on a local array: x.sum(axis=0), x.reshape(n, m), x.dot(y)
            rule = lookup("." + func.attr)
            if rule is None:
                raise self.fn.error(
                    s,
                    f"the method `.{func.attr}(...)` is not supported",
                    f"use one of {_method_names()}, or the numpy function",
                )
            positional = [func.value] + list(value.args)
            if func.attr in ("reshape", "transpose") and len(value.args) > 1:
                positional = [func.value, gast.Tuple(elts=list(value.args), ctx=gast.Load())]
        else:
            rule = lookup(obj)
            if rule is None and python_source_function(obj) is not None:
                self.user_call(target, value, obj, hint, s, out)
                return
            if rule is None:
                raise self._no_rule(func, obj, s)
            positional = list(value.args)
        bound = self.bind(rule, positional, value.keywords, label, s)
        diff = rule.differentiable(len(bound))
        args = [self.atom(a, hint, s, out) if k in diff else a for k, a in enumerate(bound)]
        expr = self.primal_call(rule, value, bound, args)
        if rule.parts is not None:  # a tuple of results: its elements get the derivatives
            out.append(ir.Let(*self.where(s), target, expr))
            self.tuples[target] = (rule, args)
            return
        self._emit(target, expr, rule, args, hint, s, out)

    def user_call(self, target: str, value: gast.Call, obj: object, hint: str, s, out) -> None:
        """``target = g(...)`` for a user function ``g``: a UserCall primitive, its
        arguments bound to ``g``'s parameters (keywords and defaults resolved here)."""
        label = ast_text(value.func)
        call = self.user_call_primitive(value.func, obj, s)
        if self.cycle is None:
            self.cycle = find_cycle(self.fn.func) or []
        if self.cycle:
            raise recursion_error(self.cycle, *self.where_file(s))
        params = call.params
        if len(value.args) > len(params):
            raise self.fn.error(
                s,
                f"`{label}` takes {len(params)} argument(s), {len(value.args)} given",
                f"pass {', '.join(params)}",
            )
        given = dict(zip(params, value.args, strict=False))
        for kw in value.keywords:
            if kw.arg not in params or kw.arg in given:
                raise self.fn.error(
                    s,
                    f"`{label}` has no parameter `{kw.arg}` (or it is passed twice)",
                    f"pass {', '.join(params)}",
                )
            given[kw.arg] = kw.value
        _, defaults = signature_of(call.func)
        bound = []
        for p in params:
            if p in given:
                bound.append(given[p])
            elif p in defaults and _literal(defaults[p]):
                bound.append(_const(defaults[p]))
            else:
                raise self.fn.error(
                    s,
                    f"`{label}`: no value for parameter `{p}`"
                    + (" (only number, bool and None defaults are read)" if p in defaults else ""),
                    f"pass `{p}` explicitly",
                )
        args = [self.atom(a, hint, s, out) for a in bound]
        expr = gast.Call(func=_name(call.global_name), args=list(args), keywords=[])
        self._emit(target, expr, call, args, hint, s, out)

    def user_call_primitive(self, func: gast.expr, obj: object, s) -> UserCall:
        py = python_source_function(obj)
        if id(py) in self.calls:
            return self.calls[id(py)]
        try:
            params, _ = signature_of(py)
        except ValueError as exc:
            raise self.fn.error(
                s,
                f"`{ast_text(func)}` has {exc}, which st_ad cannot pass",
                "give it plain positional parameters",
            ) from None
        if isinstance(func, gast.Name):
            global_name = func.id
        else:  # other.helper: bind the compiled helper to a name of its own
            global_name = self.names.fresh(ast_text(func).replace(".", "_"))
        written = params_written(py)
        if written:
            raise self.fn.error(
                s,
                f"`{ast_text(func)}` writes into its argument `{written[0]}`, which st_ad "
                "cannot follow across the call",
                f"return the new values from `{ast_text(func)}` instead of writing them into "
                "an argument",
            )
        call = UserCall(obj, py, global_name, ast_text(func), params)
        self.calls[id(py)] = call
        return call

    def where_file(self, node: gast.AST) -> tuple[str, int, str]:
        return self.fn.filename, self.fn.file_line(node), self.fn.text(node).strip()

    def tuple_element(self, target: str, results: str, index: gast.expr, s, out) -> None:
        """``target = results[index]`` for the tuple of a call like np.linalg.eigh: the
        element's own rule gives its derivative."""
        line, text = self.where(s)
        rule, args = self.tuples[results]
        n = len(rule.parts)
        if not (
            isinstance(index, gast.Constant) and type(index.value) is int and -n <= index.value < n
        ):
            raise self.fn.error(
                s,
                f"the results of `{rule.name}` must be taken with a constant index",
                f"unpack them: `a, b = ...`, or index with 0 to {n - 1}",
            )
        k = index.value % n
        expr = gast.Subscript(value=_name(results), slice=_const(k), ctx=gast.Load())
        part = rule.parts[k]
        if part is None:
            out.append(ir.Let(line, text, target, expr))
        else:
            out.append(ir.Let(line, text, target, expr, part, list(args) + [_name(results)]))

    def bind(self, rule, positional, keywords, label: str, s) -> list[gast.expr]:
        """The call's arguments in the order of the rule's parameters; a parameter left out
        is its default (``None`` unless the rule says otherwise)."""
        params = rule.params
        if params is None:  # positional only
            if keywords and rule.differentiable(len(positional)):
                raise self.fn.error(
                    s, f"`{label}` takes no keyword arguments here", "pass them by position"
                )
            return list(positional)
        parts: list[gast.expr] = []
        if rule.sequence:
            if not positional or not isinstance(positional[0], (gast.Tuple, gast.List)):
                raise self.fn.error(
                    s,
                    f"`{label}` needs its arrays written out as a tuple",
                    f"write {label}((a, b, ...))",
                )
            parts = list(positional[0].elts)
            positional = positional[1:]
            params = params[1:]
        if len(positional) > len(params):
            raise self.fn.error(
                s,
                f"`{label}` takes at most {len(params)} argument(s) in differentiated code",
                f"pass only {', '.join(params)}",
            )
        values = dict(zip(params, positional, strict=False))
        for kw in keywords:
            if kw.arg not in params or kw.arg in values:
                raise self.fn.error(
                    s,
                    f"`{label}`: the keyword argument `{kw.arg}` is not supported",
                    f"pass only {', '.join(params)}",
                )
            values[kw.arg] = kw.value
        missing = [_const(rule.defaults.get(p)) for p in params]
        return parts + [values.get(p, m) for p, m in zip(params, missing, strict=True)]

    def primal_call(self, rule, value: gast.Call, bound, args) -> gast.expr:
        """The call as written, with its differentiable operands replaced by their names;
        ``st.<impl>(...)`` where numba lacks the form."""
        if rule.impl is not None:
            given = rule.params is not None and rule.impl_if in rule.params
            if rule.impl_if is None or (
                given and not _is_none(bound[rule.params.index(rule.impl_if)])
            ):
                func = gast.Attribute(value=_name("st"), attr=rule.impl, ctx=gast.Load())
                return gast.Call(func=func, args=list(args), keywords=[])
        new = {id(b): a for b, a in zip(bound, args, strict=True)}

        def sub(node):
            if isinstance(node, (gast.Tuple, gast.List)) and id(node) not in new:
                elts = [sub(e) for e in node.elts]
                return type(node)(elts=elts, ctx=gast.Load())
            return new.get(id(node), node)

        func = value.func
        if isinstance(func, gast.Attribute) and self.resolve(func) is None:
            func = gast.Attribute(value=sub(func.value), attr=func.attr, ctx=gast.Load())
        keywords = [gast.keyword(arg=k.arg, value=sub(k.value)) for k in value.keywords]
        return gast.Call(func=func, args=[sub(a) for a in value.args], keywords=keywords)

    def _emit(self, target, expr, rule, args, hint, s, out) -> None:
        line, text = self.where(s)
        if target in {_id(a) for a in args}:
            tmp = self.temp(hint)
            out.append(ir.Let(line, text, tmp, expr, rule, args))
            expr, rule, args = _name(tmp), lookup("name"), [_name(tmp)]
        out.append(ir.Let(line, text, target, expr, rule, args))

    def _no_rule(self, func: gast.expr, obj: object, s) -> Exception:
        label = ast_text(func)
        if obj is MISSING:
            return self.fn.error(s, f"`{label}` is not defined", "define or import it")
        if python_source_function(obj) is not None:
            return self.fn.error(
                s,
                f"`{label}` returns several values; a called function must return one value "
                "to be differentiated",
                f"split `{label}` into functions that each return one value",
            )
        py = getattr(obj, "py_func", obj)
        if isinstance(py, types.FunctionType) and py.__name__ == "<lambda>":
            return self.fn.error(
                s,
                f"`{label}` is a lambda, whose source st_ad cannot transform",
                "define it with `def` at module level",
            )
        return self.fn.error(
            s,
            f"`{label}` has no derivative rule and no Python source st_ad could read",
            f"give it a rule: `@st_ad.register_vjp({label})` on `def rule(g, result, *args)` "
            f"(and `@st_ad.register_jvp({label})` for forward mode), or use the functions "
            "listed in docs/primitives.md",
        )


def _literal(value: object) -> bool:
    return value is None or type(value) in (bool, int, float)


def _id(node: gast.expr) -> str | None:
    return node.id if isinstance(node, gast.Name) else None


def _is_none(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and node.value is None


def _method_names() -> str:
    return ", ".join(sorted(f"x{k}()" for k in RULES if isinstance(k, str) and k[:1] == "."))


def ast_text(node: gast.AST) -> str:
    import ast

    return ast.unparse(gast.gast_to_ast(node))


def normalize(fn: FunctionSource) -> ir.Function:
    """The normalised program of ``fn``."""
    taken = {n.id for n in gast.walk(fn.tree) if isinstance(n, gast.Name)} | set(fn.params)
    taken |= {"np", "st", "math", "njit", "tape", "tape_top"}  # what generated code uses
    names = _Names(taken)
    jumps = _JumpLowering(fn, names)
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
