"""Tidying typed code: scalar adjoints bound by their first contribution, dead scalar stores
dropped.

The generators give every adjoint a zero when its primal is defined and reset it after its
last use (``t_bar = 0.0`` ... ``t_bar += e`` ... ``t_bar = 0.0``), the shape that is right
for arrays updated in place and for adjoints accumulated across loop iterations. For a float64
scalar most of those stores are never read: this pass, run after ``specialise.py`` on one
signature's code, turns ``v = 0.0`` followed by ``v += e`` into ``v = e`` and drops
assignments to scalars that no later statement reads (backward liveness over the structured
code, loops to a fixed point). Only names ``names`` types as scalars are touched (an array
store may be seen through a view), and only side-effect-free values are dropped. A ``break``
goes to what follows its loop, a ``continue`` to the loop's head: liveness there is what is
live after the loop and at its head, and the certainly-zero set after a loop (at its head)
is narrowed by the sets at its breaks (continues).
"""

from __future__ import annotations

import copy
import re

import gast
from numba.core import types

from .build import COMMENT, assign, store

F64 = types.float64
_SCALARS = (types.Float, types.Integer, types.Boolean)


def is_comment(s: gast.stmt) -> bool:
    return (
        isinstance(s, gast.Expr)
        and isinstance(s.value, gast.Constant)
        and isinstance(s.value.value, str)
        and s.value.value.startswith(COMMENT)
    )


def _reads(node: gast.AST) -> set[str]:
    return {
        n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
    }


def is_pure(node: gast.expr) -> bool:
    """An expression whose evaluation only computes: no call except numpy/math functions."""
    for n in gast.walk(node):
        if isinstance(n, gast.Call):
            if not _library_call(n):
                return False
        elif not isinstance(n, _COMPUTES):
            return False
    return True


def _library_call(call: gast.Call) -> bool:
    """A call of a numpy or math function (``np.sin(x)``)."""
    func = call.func
    return (
        isinstance(func, gast.Attribute)
        and isinstance(func.value, gast.Name)
        and func.value.id in ("np", "math")
    )


# the nodes of an expression that only computes (besides numpy's and math's calls)
_COMPUTES = (
    gast.Name,
    gast.Constant,
    gast.BinOp,
    gast.UnaryOp,
    gast.Subscript,
    gast.Tuple,
    gast.Attribute,
    gast.Load,
    gast.operator,
    gast.unaryop,
)


class Tidy:
    def __init__(self, names: dict[str, types.Type]) -> None:
        self.scalars = {n for n, t in names.items() if isinstance(t, _SCALARS)}
        # per enclosing loop: what is live where a ``break`` and a ``continue`` go (liveness)
        self.targets: list[tuple[set[str], set[str]]] = []
        # per enclosing loop: the certainly-zero sets at its ``break``s and ``continue``s
        self.jumps: list[tuple[list[frozenset[str]], list[frozenset[str]]]] = []

    def droppable(self, node: gast.expr) -> bool:
        """``node`` can go when nothing reads its value: it only computes (``is_pure``), or
        also calls functions with scalar arguments (a user function, a callee's derivative),
        which can change no array of the caller: numba passes scalars by value and makes
        global arrays read-only. (The forward sweep of ``grad`` drops such calls too.)"""
        for n in gast.walk(node):
            if isinstance(n, gast.Call):
                if not (_library_call(n) or self._scalar_call(n)):
                    return False
            elif not isinstance(n, _COMPUTES):
                return False
        return True

    def _scalar_call(self, call: gast.Call) -> bool:
        """``f(a, b, ...)`` of a named function, each argument a scalar name or a number."""
        return (
            isinstance(call.func, gast.Name)
            and not call.keywords
            and all(
                isinstance(a, gast.Constant) or isinstance(a, gast.Name) and a.id in self.scalars
                for a in call.args
            )
        )

    def _target(self, s: gast.stmt) -> str | None:
        """The scalar name ``s`` (an assignment or update) binds, if it binds only that."""
        if isinstance(s, gast.Assign) and len(s.targets) == 1:
            target = s.targets[0]
        elif isinstance(s, gast.AugAssign):
            target = s.target
        else:
            return None
        if isinstance(target, gast.Name) and target.id in self.scalars:
            return target.id
        return None

    # liveness --------------------------------------------------------------------------------
    def block(self, stmts: list[gast.stmt], live: set[str]) -> tuple[list[gast.stmt], set[str]]:
        """``stmts`` without their dead scalar stores, and the names live before them."""
        out: list[gast.stmt] = []
        for s in reversed(stmts):
            kept, live = self.statement(s, live)
            out[:0] = kept
        return out, live

    def statement(self, s: gast.stmt, live: set[str]) -> tuple[list[gast.stmt], set[str]]:
        target = self._target(s)
        if target is not None:
            if target not in live and self.droppable(s.value):
                return [], live
            live = live - {target} if isinstance(s, gast.Assign) else live | {target}
            return [s], live | _reads(s.value)
        if isinstance(s, gast.If):
            s.body, body_live = self.block(s.body, live)
            s.orelse, else_live = self.block(s.orelse, live)
            s.body = s.body or [gast.Pass()]
            return [s], body_live | else_live | _reads(s.test)
        if isinstance(s, gast.Break):
            return [s], set(self.targets[-1][0])  # what follows the loop (its else skipped)
        if isinstance(s, gast.Continue):
            return [s], set(self.targets[-1][1])  # the loop's head
        if isinstance(s, (gast.For, gast.While)):
            head = _reads(s.iter) if isinstance(s, gast.For) else _reads(s.test)
            after = set(live)
            if s.orelse:
                s.orelse, after = self.block(s.orelse, live)
            # the body runs again or the loop exits: iterate to the fixed point
            entry = after | head
            while True:
                self.targets.append((live, entry))
                _, body_live = self.block(copy.deepcopy(s.body), entry)
                self.targets.pop()
                new = entry | body_live
                if new == entry:
                    break
                entry = new
            self.targets.append((live, entry))
            s.body, _ = self.block(s.body, entry)
            self.targets.pop()
            bound = _names(s.target) if isinstance(s, gast.For) else set()
            if _empty_range_loop(s) and not bound & after:
                return [], live  # a loop that computes nothing any later statement reads
            s.body = s.body or [gast.Pass()]
            return [s], (entry - bound) | head
        return [s], live | _reads(s)

    # first contributions ---------------------------------------------------------------------
    def zeros(self, stmts: list[gast.stmt], zero: frozenset[str], typer, rewrite: bool):
        """The scalars certainly ``0.0`` (or not yet bound) after ``stmts`` given those before
        (a forward pass, loops to a fixed point); with ``rewrite``, ``v += e`` where ``v`` is
        certainly zero (``e`` a float64 not reading ``v``) becomes ``v = e``."""
        for k, s in enumerate(stmts):
            v = self._target(s)
            if v is not None:
                if isinstance(s, gast.Assign):
                    zero = zero | {v} if _is_zero(s.value) else zero - {v}
                    continue
                if (
                    rewrite
                    and v in zero
                    and isinstance(s.op, gast.Add)
                    and v not in _reads(s.value)
                    and typer(s.value) == F64
                ):
                    stmts[k] = assign(store(v), s.value)
                zero = zero - {v}
            elif isinstance(s, gast.If):
                after_body = self.zeros(s.body, zero, typer, rewrite)
                zero = after_body & self.zeros(s.orelse, zero, typer, rewrite)
            elif isinstance(s, (gast.Break, gast.Continue)):
                # what it jumps to starts from this set; the statements after it in this
                # block never run, so carrying it on only narrows the merges below
                self.jumps[-1][isinstance(s, gast.Continue)].append(zero)
            elif isinstance(s, (gast.For, gast.While)):
                bound = _names(s.target) if isinstance(s, gast.For) else set()
                head = zero
                while True:  # zero at the head: on entry, after each iteration and continue
                    end, _, continues = self._loop_body(s, head - bound, typer, False)
                    new = head & end & _all(continues, head)
                    if new == head:
                        break
                    head = new
                _, breaks, _ = self._loop_body(s, head - bound, typer, rewrite)
                zero = self.zeros(s.orelse, head, typer, rewrite) & _all(breaks, head)
            else:
                zero = zero - _stored(s)
        return zero

    def _loop_body(self, loop: gast.For | gast.While, zero: frozenset[str], typer, rewrite):
        """``zeros`` of the loop's body: the set at its end, at its breaks, at its continues."""
        self.jumps.append(([], []))
        end = self.zeros(loop.body, zero, typer, rewrite)
        breaks, continues = self.jumps.pop()
        return end, breaks, continues


def _all(sets: list[frozenset[str]], start: frozenset[str]) -> frozenset[str]:
    """The intersection of ``sets`` with ``start``."""
    for found in sets:
        start = start & found
    return start


def _is_zero(node: gast.expr) -> bool:
    return isinstance(node, gast.Constant) and type(node.value) is float and node.value == 0.0


def _stored(node: gast.AST) -> set[str]:
    return {
        n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }


def _empty_range_loop(s: gast.For | gast.While) -> bool:
    """A ``for`` over ``range`` of pure bounds whose body does nothing."""
    return (
        isinstance(s, gast.For)
        and not s.orelse
        and all(isinstance(b, gast.Pass) or is_comment(b) for b in s.body)
        and isinstance(s.iter, gast.Call)
        and isinstance(s.iter.func, gast.Name)
        and s.iter.func.id == "range"
        and all(is_pure(a) for a in s.iter.args)
    )


def drop_stale_comments(stmts: list[gast.stmt]) -> list[gast.stmt]:
    """Without the comments left with no statement under them: a ``# line N: ...`` before
    another comment, a ``# forward sweep`` before the next section."""
    out: list[gast.stmt] = []  # built from the end: a kept statement decides the one before
    for s in reversed(stmts):
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                kept = drop_stale_comments(inner)
                # a body must hold a statement; an ``else`` left empty goes
                setattr(s, field, kept or ([gast.Pass()] if field == "body" else []))
        following = out[0] if out else None
        ends = following is None or isinstance(following, gast.Return)
        if line_comment(s) and (ends or is_comment(following)):
            continue
        if _section(s) and (ends or _section(following)):
            continue
        out.insert(0, s)
    return out


def _comment_text(s: gast.stmt | None) -> str:
    return s.value.value[len(COMMENT) :] if s is not None and is_comment(s) else ""


def line_comment(s: gast.stmt) -> bool:
    return bool(re.match(r"(adjoint of |reverse of the loop at )?line \d+:", _comment_text(s)))


def _section(s: gast.stmt | None) -> bool:
    return _comment_text(s) in ("forward sweep", "reverse sweep")


def _names(node: gast.AST) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def tidy(fn: gast.FunctionDef, names: dict[str, types.Type], typer) -> gast.FunctionDef:
    """``fn`` with its scalar adjoints bound by first contribution and dead stores dropped."""
    t = Tidy(names)
    # a name not yet bound counts as zero: a path reading it unbound is never taken
    params = {a.id for a in fn.args.args}
    t.zeros(fn.body, frozenset(t.scalars - params), typer, True)
    returned = fn.body[-1] if fn.body and isinstance(fn.body[-1], gast.Return) else None
    live = _reads(returned) if returned is not None else set()
    body = fn.body[:-1] if returned is not None else fn.body
    fn.body, _ = t.block(body, live)
    if returned is not None:
        fn.body.append(returned)
    fn.body = drop_stale_comments(fn.body)
    return fn
