"""The tangent program (forward mode): each active statement is followed by the statement that
computes its tangent, ``dy``, from its operands' tangents.

Layout of the generated function ``f_tangent(*params, *tangents)``::

    dy = ...                                   # after each active statement
    return y, dy
"""

from __future__ import annotations

import gast

from .. import ir
from ..analysis.plan import Plan
from ..frontend.calls import UserCall
from ..rules import lookup
from ..rules.sym import ZERO, Sym, const, name
from .apply import call_rule, differentiable, may_promote, operand
from .build import (
    DerivativeNames,
    assign,
    assign_tuple,
    aug,
    bind_test,
    comment,
    for_range,
    function_def,
    in_place_operand,
    is_st_call,
    st_call,
    store,
    store_param,
    subscript,
)
from .calls import CalleeRequests
from .entry import protect_inputs

_GETITEM = lookup("getitem")


class ForwardGenerator:
    def __init__(self, plan: Plan) -> None:
        fn = self.fn = plan.fn
        self.wrt = list(plan.wrt)
        self.active = plan.active
        self.names = DerivativeNames(fn.names)
        self.callees = CalleeRequests(self.names)
        # tests numba would fold (analysis/folding.py): a return's branch may be one
        self.folded = plan.folded
        # names updated in place (z += y, z[i] = ...), directly or through a view: their
        # tangents must not alias another tangent, unless their value is a view of that
        # tangent's value (``z = x``: an update of z is one of x, and dz must stay dx)
        self.in_place = _updated_in_place(fn)
        self.operands = {  # the values added into them in place
            s.value.id
            for s in ir.walk(fn.body)
            if isinstance(s, (ir.Accumulate, ir.Store))
            and s.op is not None
            and isinstance(s.value, gast.Name)
        }
        self.sharing = plan.sharing

    def overlaps(self, s: ir.Store | ir.Accumulate) -> bool:
        """Whether the value of an in-place update may share memory with its target."""
        return isinstance(s.value, gast.Name) and s.value.id in self.sharing.get(id(s), ())

    def dot(self, var: str) -> str:
        return self.names.dot(var)

    def tangent(self, node: gast.expr) -> Sym:
        if isinstance(node, gast.Name) and node.id in self.active:
            return Sym(name(self.dot(node.id)))
        return ZERO

    def function(self, fname: str) -> gast.FunctionDef:
        fn = self.fn
        tangents = [self.dot(p) for p in self.wrt]
        body: list[gast.stmt] = []
        for p, t in zip(self.wrt, tangents, strict=True):
            primal = st_call("assert_differentiable", name(p))
            body.append(assign(t, st_call("check_tangent", name(t), primal, const(p))))
        body += protect_inputs(fn, {p: self.dot(p) for p in self.wrt})
        for p in fn.params:  # not differentiated, but re-bound to active values later
            if p in self.active and p not in self.wrt:
                body.append(assign(self.dot(p), st_call("zeros_adj", name(p))))
        body += self.block(fn.body)
        result = fn.result
        if result in self.active:
            d_result: gast.expr = name(self.dot(result))
        else:
            d_result = st_call("zeros_adj", name(result))
        body.append(gast.Return(value=gast.Tuple(elts=[name(result), d_result], ctx=gast.Load())))
        params = [store_param(p) for p in fn.params + tangents]
        return function_def(fname, params, body)

    def block(self, stmts: list[ir.Stmt]) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        last_line = None
        for s in stmts:
            if s.line != last_line and not isinstance(s, ir.Break):
                out.append(comment(f"line {s.line}: {s.text}"))
                last_line = s.line
            out += self.stmt(s)
        return out

    def stmt(self, s: ir.Stmt) -> list[gast.stmt]:
        if isinstance(s, ir.Let) and isinstance(s.prim, UserCall) and s.target in self.active:
            return self.call_tangent(s)
        if isinstance(s, ir.Let):
            out = bind_test(s.target, s.expr, s.target in self.folded)
            if s.target in self.active:
                tangent = self.let_tangent(s)
                mirrors = s.prim is not None and getattr(s.prim, "view", False)
                shared = _may_be_another_tangent(tangent) and not mirrors
                if s.target in self.in_place and shared:
                    tangent = st_call("keep", tangent)  # a copy: z += y must not change dx
                elif s.target in self.operands and shared:
                    # a fresh value whose tangent is another's: a copy, so that in y -= z the
                    # tangents share memory exactly when the values do
                    tangent = st_call("keep", tangent)
                out.append(assign(self.dot(s.target), tangent))
            return out
        if isinstance(s, ir.Store):
            target = subscript(s.array, s.index, gast.Store())
            overlap = self.overlaps(s)
            if s.op is None:
                out = [assign(target, s.value)]
            else:
                value = in_place_operand(s.value, subscript(s.array, s.index), overlap)
                out = [aug(target, s.op, value)]
            if s.array in self.active:
                d_target = subscript(self.dot(s.array), s.index, gast.Store())
                d_value = self.tangent(s.value)
                if s.op is None:
                    out.append(assign(d_target, d_value.node))
                elif d_value is not ZERO:
                    d_old = subscript(self.dot(s.array), s.index)
                    out.append(aug(d_target, s.op, in_place_operand(d_value.node, d_old, overlap)))
            return out
        if isinstance(s, ir.Accumulate):
            return self.accumulate_tangent(s)
        if isinstance(s, ir.If):
            body = self.block(s.body) or [gast.Pass()]
            return [gast.If(test=name(s.test), body=body, orelse=self.block(s.orelse))]
        if isinstance(s, ir.Break):
            return [gast.If(test=s.flag, body=[gast.Break()], orelse=[])]
        if isinstance(s, ir.For):
            out = [assign(h.target, h.expr) for h in s.header]
            out.append(for_range(s.var, [s.start, s.stop, s.step], self.block(s.body)))
            return out
        if isinstance(s, ir.While):
            body = self.block(s.body) + [assign(t.target, t.expr) for t in s.test_body]
            return [gast.While(test=name(s.test), body=body, orelse=[])]
        raise AssertionError(s)

    def accumulate_tangent(self, s: ir.Accumulate) -> list[gast.stmt]:
        """``y op= v`` and its tangent. For ``*`` and ``/`` the tangent comes first, since it
        reads the old ``y``: d(y v) = dy v + y dv, d(y / v) = (dy - y / v dv) / v."""
        overlap = self.overlaps(s)
        primal = aug(s.target, s.op, in_place_operand(s.value, name(s.target), overlap))
        if s.target not in self.active:
            return [primal]
        dy = self.dot(s.target)
        dv = self.tangent(s.value)
        if s.op in ("+", "-"):
            if dv is ZERO:
                return [primal]
            return [primal, aug(dy, s.op, in_place_operand(dv.node, name(dy), overlap))]
        v, y = Sym(s.value), Sym(name(s.target))
        out: list[gast.stmt] = []
        if s.op == "*":
            if dv is ZERO:
                return [aug(dy, "*", s.value), primal]
            # y dv first, into a name: dv may be dy itself (y *= y) or a view of it
            term = self.names.of_statement(s, f"{s.target}_times_d{s.value.id}")
            out.append(assign(term, (y * dv).node))
            out.append(aug(dy, "*", s.value))
            out.append(aug(dy, "+", name(term)))
        else:
            if dv is not ZERO:
                out.append(aug(dy, "-", (y / v * dv).node))
            out.append(aug(dy, "/", s.value))
        return out + [primal]

    def call_tangent(self, s: ir.Let) -> list[gast.stmt]:
        """``y = g(a, b)``: the callee's tangent function gives the value and its tangent."""
        call: UserCall = s.prim
        active = tuple(k for k, a in enumerate(s.args) if self.tangent(a) is not ZERO)
        dy = self.dot(s.target)
        if not active:
            return [assign(s.target, s.expr), assign(dy, st_call("zeros_adj", name(s.target)))]
        tangent = self.callees.request(call, active, "tangent")
        args = list(s.args) + [self.tangent(s.args[k]).node for k in active]
        out = [assign_tuple([store(s.target), store(dy)], gast.Call(name(tangent), args, []))]
        if s.target in self.in_place:
            out.append(assign(dy, st_call("keep", name(dy))))  # it may alias an input tangent
        return out

    def let_tangent(self, s: ir.Let) -> gast.expr:
        if s.prim is _GETITEM:
            d = self.tangent(s.args[0])
            if d is not ZERO:
                return gast.Subscript(value=d.node, slice=s.index, ctx=gast.Load())
        elif s.prim is not None:
            diff = differentiable(s)
            tangents = [self.tangent(a) if k in diff else ZERO for k, a in enumerate(s.args)]
            if all(t is ZERO for t in tangents):
                # a jvp is linear in the tangents: no need to ask the rule, whose helpers need
                # not accept a zero in place of an array (st.mean(0.0, axis))
                return st_call("zeros_adj", name(s.target))
            args = [operand(a) for a in s.args]
            d = call_rule(self.fn, s, s.prim.jvp, Sym(name(s.target)), *args, *tangents)
            # the tangent has the value's float type: numba computes 1.0 * x in float64 for
            # float32 x, whose tangent dx would otherwise stay float32 (and, if only one of two
            # branches does so, not unify), and 0.5 * dx in float64 whatever x's type
            promotes = may_promote(d.node, divisions=False) or may_promote(s.expr)
            if d is not ZERO and promotes:
                d = Sym(st_call("cast_like", d.node, name(s.target)))
            if d is not ZERO:
                inactive = [
                    k
                    for k in diff
                    if tangents[k] is ZERO and not isinstance(s.args[k], gast.Constant)
                ]
                if s.prim.broadcasts and inactive:
                    # an inactive operand may have given the result its shape: dx alone
                    # (of z = x + c) can be smaller than z
                    return st_call("broadcast_like", d.node, name(s.target))
                return d.node
        return st_call("zeros_adj", name(s.target))


def _updated_in_place(fn: ir.Function) -> set[str]:
    """The names whose memory a statement updates in place (``z += y``, ``z[i] = ...``), and,
    transitively, the names they are views of: normalised, ``x = x * 1.0; x += v`` binds
    ``x2 = x_t1`` then updates ``x2``, which updates ``x_t1``'s array, so ``dx_t1`` (the
    folded ``dx * 1.0``, which is ``dx`` itself) must be a copy."""
    found = {
        ir.defined_name(s) for s in ir.walk(fn.body) if isinstance(s, (ir.Accumulate, ir.Store))
    }
    views = [
        (s.target, [a.id for a in s.args if isinstance(a, gast.Name)])
        for s in ir.walk(fn.body)
        if isinstance(s, ir.Let) and s.prim is not None and getattr(s.prim, "view", False)
    ]
    changed = True
    while changed:
        changed = False
        for target, sources in views:
            if target in found and not found.issuperset(sources):
                found.update(sources)
                changed = True
    return found


def _may_be_another_tangent(tangent: gast.expr) -> bool:
    """Whether a tangent expression may be another name's tangent array itself: a name, or
    ``st.cast_like(dx, y)``, which returns ``dx`` when the float types agree."""
    if is_st_call(tangent, "cast_like") and tangent.args:
        tangent = tangent.args[0]
    return isinstance(tangent, gast.Name)
