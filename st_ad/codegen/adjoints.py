"""The adjoint of each kind of statement, for the reverse sweep of ``reverse.py``.

``y = prim(a, b)`` adds each active operand's cotangent from the primitive's rule (a user's
call: from the callee's own vjp); ``a[i] = v`` and ``y op= v`` add theirs from the write.
A contribution goes through ``contribute``, which decides between an in-place update of a
zero-filled adjoint and the binding of a single-use one.
"""

from __future__ import annotations

import gast

from .. import ir
from ..frontend.calls import UserCall
from ..rules import lookup
from ..rules.sym import ZERO, Sym, const, name
from .apply import call_rule, differentiable, may_promote, operand
from .build import assign, assign_tuple, aug, binop, st_call, store, subscript, without_new_axes

_GETITEM = lookup("getitem")


class StatementAdjoints:
    """Mixin of ``ReverseGenerator``: it provides ``active``, ``single``, ``has_bar``,
    ``names``, ``callees``, ``aliases``, ``received``, ``bar``, ``is_active`` and ``reads``."""

    def adjoint_let(self, s: ir.Let) -> list[gast.stmt]:
        if s.target not in self.active:
            return []
        if s.target in self.single and s.target not in self.has_bar:
            return []  # nothing used it differentiably: its adjoint is zero
        y_bar = self.bar(s.target)
        out: list[gast.stmt] = []
        if s.prim is _GETITEM:
            x = s.args[0]
            if self.is_active(x):
                out.append(self.adjoint_getitem(x.id, s.index, y_bar))
                self.reads([s.index])
        elif isinstance(s.prim, UserCall):
            out += self.adjoint_call(s, y_bar)
        elif s.prim is not None:
            args = [operand(a) for a in s.args]
            g = Sym(name(y_bar))
            contributions = call_rule(self.fn, s, s.prim.vjp, g, Sym(name(s.target)), *args)
            if s.prim.custom:
                # a user's rule: one call returns every cotangent (None where there is none)
                cotangents = self.names.of_statement(s, f"{s.target}_cotangents")
                out.append(assign(cotangents, contributions.node))
                self.reads([contributions.node])
                contributions = [Sym(subscript(cotangents, const(k))) for k in range(len(s.args))]
            diff = differentiable(s)
            for k, (arg, c) in enumerate(zip(s.args, contributions, strict=True)):
                if k not in diff or not self.is_active(arg) or c is None or c is ZERO:
                    continue
                value = c.node
                self.reads([value])
                arg_bar = self.bar(arg.id)
                if s.prim.custom:
                    out.append(assign(arg_bar, st_call("add_cotangent", name(arg_bar), value)))
                    continue
                out.append(self.contribute(arg.id, value, s.prim.broadcasts))
        if s.target not in self.single:
            # the assignment ended the previous value of the name: its adjoint starts at zero
            out.append(assign(y_bar, st_call("reset", name(y_bar))))
        return out

    def adjoint_accumulate(self, s: ir.Accumulate) -> list[gast.stmt]:
        """``y op= v``. For ``*`` and ``/`` the old ``y`` is restored before this adjoint
        runs (``reverse_block``): ``v``'s cotangent reads it."""
        if s.target not in self.active:
            return []
        y_bar = self.bar(s.target)
        v = s.value
        if s.op in ("+", "-"):
            if not self.is_active(v):
                return []
            return [self.contribute(v.id, name(y_bar), True, s.op)]
        self.reads([v])
        scale = aug(y_bar, s.op, v)  # the old y's cotangent: d(y v)/dy = v
        if not self.is_active(v):
            return [scale]
        g, y = Sym(name(y_bar)), Sym(name(s.target))
        c = g * y if s.op == "*" else -(g * y) / (Sym(v) * Sym(v))
        self.reads([c.node])
        # v's cotangent is computed before y_bar is scaled and added after: v may be y
        # itself (y *= y), whose adjoint then receives both
        cotangent = self.names.of_statement(s, f"{v.id}_cotangent")
        return [assign(cotangent, c.node), scale, self.contribute(v.id, name(cotangent), True)]

    def adjoint_call(self, s: ir.Let, y_bar: str) -> list[gast.stmt]:
        """``y = g(a, b)``: the callee's own vjp w.r.t. the active arguments gives their
        cotangents (it reruns g's forward sweep: a checkpoint at the call)."""
        call: UserCall = s.prim
        active = tuple(k for k, a in enumerate(s.args) if self.is_active(a))
        if not active:
            return []
        vjp = self.callees.request(call, active, "vjp")
        expr = gast.Call(func=name(vjp), args=list(s.args) + [name(y_bar)], keywords=[])
        self.reads([expr])
        received = [self.received_name(s, call, k) for k in active]
        for r in received:
            self.aliases[r] = y_bar  # the callee may hand back the cotangent it was given
        if len(received) == 1:
            out: list[gast.stmt] = [assign(received[0], expr)]
        else:
            out = [assign_tuple([store(r) for r in received], expr)]
        for k, r in zip(active, received, strict=True):
            out.append(self.contribute(s.args[k].id, name(r)))
        return out

    def received_name(self, s: ir.Let, call: UserCall, k: int) -> str:
        """The name of the cotangent a callee returns for argument ``k`` at call ``s`` (the
        same in every generated entry point)."""
        key = (id(s), k)
        if key not in self.received:
            self.received[key] = self.names.fresh(f"{call.name}_{call.params[k]}_bar")
        return self.received[key]

    def may_alias_mutable(self, value: gast.expr) -> bool:
        """Whether ``value`` may share memory with an adjoint updated in place later."""
        mutable = {b for v, b in self.names.bars().items() if v not in self.single}
        for n in gast.walk(value):
            if isinstance(n, gast.Name) and self.aliases.get(n.id, n.id) in mutable:
                return True
        return False

    def contribute(self, var: str, value: gast.expr, broadcasts: bool = False, op: str = "+"):
        """``var_bar += value`` (summed back to var's shape if ``broadcasts``).

        An adjoint kept in a variable (loops, in-place updates) receives each contribution
        through ``unbroadcast``, which also gives it the adjoint's float type: in a loop numba
        cannot type a float32 adjoint that a float64 contribution (``float(x)``, a ``math``
        function) would widen. A single-use adjoint (see ``_single_use_adjoints``) is never
        zero-filled: its first contribution binds it, later ones rebind it (never in place,
        since the first may be another adjoint's array)."""
        bar = self.bar(var)
        if var not in self.single:
            # the adjoint has the operand's shape and type: unbroadcast fits the value to it
            return aug(bar, op, st_call("unbroadcast", value, name(bar)))
        if broadcasts or may_promote(value):
            # shaped and typed like var: numba computes 2.0 * x in float64 for float32 x, and
            # here no float32 array receives the value in place
            value = st_call("unbroadcast", value, name(var))
            self.reads([value])
        if var not in self.has_bar:
            self.has_bar.add(var)
            if self.may_alias_mutable(value):
                value = st_call("keep", value)  # a copy: that adjoint is reset in place later
            if op == "-":
                value = gast.UnaryOp(op=gast.USub(), operand=value)
            return assign(bar, value)
        operator = gast.Add() if op == "+" else gast.Sub()
        return assign(bar, binop(name(bar), operator, value))

    def adjoint_getitem(self, x: str, index: gast.expr, y_bar: str) -> gast.stmt:
        """``x_bar[index] += y_bar``; a ``None`` in the index (a new axis) has no place in
        ``x_bar``, so it is dropped and ``y_bar`` reshaped to fit."""
        kept = without_new_axes(index)
        if kept is index:
            return aug(subscript(self.bar(x), index, gast.Store()), "+", name(y_bar))
        window = subscript(self.bar(x), kept)
        fitted = st_call("reshape_like", name(y_bar), window)
        return aug(subscript(self.bar(x), kept, gast.Store()), "+", fitted)

    def adjoint_store(self, s: ir.Store) -> list[gast.stmt]:
        if s.array not in self.active:
            return []
        a_bar = self.bar(s.array)
        out: list[gast.stmt] = []
        if self.is_active(s.value):
            out.append(self.contribute(s.value.id, subscript(a_bar, s.index), True, s.op or "+"))
            self.reads([s.index])
        if s.op is None:
            out.append(assign(subscript(a_bar, s.index, gast.Store()), const(0.0)))
            self.reads([s.index])
        return out
