"""The adjoint program (reverse mode): a forward sweep that runs the primal and records what
the reverse sweep will need, then a reverse sweep that runs each statement's adjoint in reverse
order, restoring recorded values as it goes.

Layout of a generated adjoint, e.g. ``f_vjp(*params, result_bar)``::

    tape = st.new_tape(); tape_top = 0          # recorded values (see runtime/tape.py)
    x_bar = st.zeros_adj(x)                     # one adjoint per active parameter
    ... forward sweep ...
    y_bar += result_bar                         # seed the result's adjoint
    ... reverse sweep ...
    return x_bar                                # (value, x_bar) for f_value_and_grad
"""

from __future__ import annotations

import gast

from .. import ir
from ..analysis.plan import Plan
from ..analysis.tbr import Recording, record
from ..errors import UnsupportedError
from ..rules import lookup
from ..runtime.checks import located_message
from ..syntax import const, name
from .adjoints import StatementAdjoints
from .build import (
    DerivativeNames,
    as_load,
    assign,
    assign_tuple,
    aug,
    bind_test,
    binop,
    comment,
    for_range,
    function_def,
    in_place_operand,
    int_product,
    int_sum,
    is_int,
    minus_one,
    st_call,
    store,
    store_param,
    subscript,
)
from .calls import CalleeRequests
from .entry import protect_inputs

_GETITEM = lookup("getitem")


class ReverseGenerator(StatementAdjoints):
    def __init__(self, plan: Plan, as_tuple: bool = False) -> None:
        fn = self.fn = plan.fn
        self.wrt = list(plan.wrt)
        self.as_tuple = as_tuple
        self.active = plan.active
        _reject_parallel_loops(fn)
        self.names = DerivativeNames(fn.names)
        self.callees = CalleeRequests(self.names)
        self.aliases: dict[str, str] = {}  # callee cotangent name -> adjoint it may alias
        self.received: dict[tuple[int, int], str] = {}
        self.seed: str | None = None
        self.value_name: str | None = None
        # primal name -> id() of the statements whose adjoint reads it (-1: the function's end)
        self.readers: dict[str, set[int]] = {}
        self.current: ir.Stmt | None = None  # the statement whose adjoint is being generated
        self.lines = {id(s): s.line for s in ir.walk(fn.body)}
        self.rec = Recording()
        self.counters: dict[int, str] = {}
        self.reversed_loops: set[int] = set()  # id() of loops whose reverse has a body
        self.single = plan.single
        self.has_bar: set[str] = set()  # single-use adjoints bound so far in this sweep
        self.shared = plan.shared
        self.sharing = plan.sharing
        self.folded = plan.folded
        # What the reverse sweep reads decides what to record, and recording adds reads (a
        # branch whose only reverse work is restoring values still needs its condition):
        # iterate to the fixed point.
        needed: dict[str, set[int]] = {}
        while True:
            self.rec = record(fn, needed, frozenset(self.active))
            self.readers = {}
            self.has_bar = set()
            if fn.result in self.active:  # as function() does: seed, then the sweep
                self.contribute(fn.result, name("out_bar"))
            self.reverse_block(fn.body, 0)
            if all(ids <= needed.get(n, set()) for n, ids in self.readers.items()):
                break
            for n, ids in self.readers.items():
                needed[n] = needed.get(n, set()) | ids
        self.needed = needed
        # values recomputed by the reverse sweep get their adjoints there, too
        self.replayed = {id(let) for lets in self.rec.recompute.values() for let in lets}
        self.kept: set[int] | None = None  # forward-sweep statements to emit (None: all)

    # names -----------------------------------------------------------------------------------
    def is_active(self, node: gast.expr) -> bool:
        return isinstance(node, gast.Name) and node.id in self.active

    def bar(self, var: str) -> str:
        return self.names.bar(var)

    def counter(self, loop: ir.For | ir.While) -> str:
        if id(loop) not in self.counters:
            self.counters[id(loop)] = self.names.fresh(f"trips_{loop.label}")
        return self.counters[id(loop)]

    def reads(self, nodes: list[gast.AST]) -> None:
        """The adjoint being generated (of ``self.current``) reads the names in ``nodes``."""
        where = -1 if self.current is None else id(self.current)
        for node in nodes:
            for n in gast.walk(node):
                if isinstance(n, gast.Name) and n.id in self.fn.names:
                    self.readers.setdefault(n.id, set()).add(where)

    # recording ---------------------------------------------------------------------------------
    def push(self, value: gast.expr, why: str) -> list[gast.stmt]:
        return [
            comment(why),
            assign("tape", st_call("reserve", name("tape"), name("tape_top"), value)),
            assign("tape_top", st_call("push", name("tape"), name("tape_top"), value)),
        ]

    def pop(self, target: gast.expr) -> gast.stmt:
        load = as_load(target)
        return assign_tuple(
            [target, store("tape_top")],
            st_call("pop", name("tape"), name("tape_top"), load),
        )

    def why(self, var: str, s: ir.Stmt | None, through: str | None = None) -> str:
        lines = sorted({self.lines[r] for r in self.readers.get(var, ()) if r in self.lines})
        read = ", ".join(str(n) for n in lines)
        reader = f"the adjoint of line {read} reads it" if read else "the result's adjoint reads it"
        if s is None:
            return f"record {var}: the next iteration overwrites it; {reader}"
        if isinstance(s, ir.For):
            return f"record {var}: the loop at line {s.line} overwrites it; {reader}"
        if through is not None:
            shared = f"line {s.line} writes into `{through}`, whose memory it shares"
            return f"record {var}: {shared}; {reader}"
        return f"record {var}: line {s.line} overwrites it; {reader}"

    # the generated function --------------------------------------------------------------------
    def live_statements(self, with_result: bool) -> set[int]:
        """id() of the forward-sweep statements a gradient needs when the function's value is
        not returned: those computing what the reverse sweep reads (and the result, if
        ``with_result``), and the first assignment of each active name (which creates its
        adjoint)."""
        replayed = {let.target for lets in self.rec.recompute.values() for let in lets}
        wanted = set(self.needed) - replayed  # the reverse sweep recomputes those itself
        if with_result:
            wanted.add(self.fn.result)
        kept: set[int] = set()
        changed = True
        while changed:
            changed = False
            for s in ir.walk(self.fn.body):
                if id(s) not in kept and self._keeps(s, wanted, kept):
                    kept.add(id(s))
                    wanted |= ir.names_read(s)
                    changed = True
        return kept

    def _keeps(self, s: ir.Stmt, wanted: set[str], kept: set[int]) -> bool:
        if isinstance(s, (ir.Break, ir.While)):
            return True
        if id(s) in self.rec.before or self.rec.views_before.get(id(s)):
            return True  # the reverse sweep pops what it records
        if isinstance(s, ir.For) and id(s) in self.reversed_loops:
            return True  # its reverse pops its trip count and what its body records
        if isinstance(s, ir.If):
            return any(id(c) in kept for c in ir.walk(s.body + s.orelse))
        if isinstance(s, ir.For):
            inside = {id(c) for c in ir.walk(s.body)}
            return (
                s.counted
                or bool(inside & kept)
                or bool(self.needed.get(s.var, set()) - inside)  # its last value is read
                or any(
                    s.var in ir.names_read(c)
                    for c in ir.walk(self.fn.body)
                    if id(c) in kept and id(c) not in inside
                )
            )
        if ir.defined_name(s) in wanted:
            return True
        return (
            isinstance(s, ir.Let)
            and s.target in self.active
            and id(s) in self.rec.first_defs
            and id(s) not in self.replayed
        )

    def function(
        self, fname: str, with_value: bool = True, seed_value: float | None = None
    ) -> gast.FunctionDef:
        """The adjoint: returns ``(value, gradients)``, or only the gradients with
        ``with_value=False`` (then the forward sweep skips what only the value needs).
        The result's cotangent is the last parameter, or the constant ``seed_value``."""
        fn = self.fn
        scalar = seed_value is not None  # grad and value_and_grad: a scalar function only
        # vjp checks its cotangent against the output; grad checks an inactive output's type
        checks_result = not scalar or fn.result not in self.active
        self.kept = None if with_value else self.live_statements(checks_result)
        if self.seed is None:  # the output's cotangent, named once for every entry point
            self.seed = self.names.fresh("out_bar")
        seed = self.seed
        seed_expr = name(seed) if seed_value is None else const(seed_value)
        body: list[gast.stmt] = [
            assign("tape", st_call("new_tape")),
            assign("tape_top", const(0)),
        ]
        body += protect_inputs(fn)
        for p in self.wrt:
            checked = st_call("assert_differentiable", name(p))
            body.append(assign(self.bar(p), st_call("zeros_adj", checked)))
        for p in fn.params:
            if p in self.active and p not in self.wrt:
                body.append(assign(self.bar(p), st_call("zeros_adj", name(p))))
        body.append(comment("forward sweep"))
        body += self.forward_block(fn.body, 0)
        if self.value_name is None:
            self.value_name = self.names.fresh("value")
        value = self.value_name
        if with_value:
            kept = st_call("keep", name(fn.result))
            body.append(assign(value, st_call("assert_scalar_output", kept) if scalar else kept))
        elif scalar and fn.result not in self.active:
            body.append(gast.Expr(value=st_call("assert_scalar_output", name(fn.result))))
        if not scalar:
            body.append(assign(seed, st_call("check_cotangent", name(seed), name(fn.result))))
        body.append(comment("reverse sweep"))
        self.has_bar = set()
        if fn.result in self.active:
            result_bar = self.bar(fn.result)
            body.append(self.contribute(fn.result, seed_expr))
            if scalar and not with_value:  # the result's adjoint has the result's type
                body.append(assign(result_bar, st_call("assert_scalar_output", name(result_bar))))
            body += self.reverse_block(fn.body, 0)
        grads = [name(self.bar(p)) for p in self.wrt]
        grad = (
            grads[0]
            if len(grads) == 1 and not self.as_tuple
            else gast.Tuple(elts=grads, ctx=gast.Load())
        )
        returned = gast.Tuple(elts=[name(value), grad], ctx=gast.Load()) if with_value else grad
        body.append(gast.Return(value=returned))
        if not _uses_tape(body[2:]):
            body = body[2:]  # nothing is recorded: no tape
        self.kept = None
        params = fn.params + ([seed] if seed_value is None else [])
        args = [store_param(p) for p in params]
        return function_def(fname, args, body)

    # forward sweep -----------------------------------------------------------------------------
    def forward_block(self, stmts: list[ir.Stmt], depth: int) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        last_line = None
        for s in stmts:
            if self.kept is not None and id(s) not in self.kept:
                continue
            if s.line != last_line and not isinstance(s, ir.Break):
                out.append(comment(f"line {s.line}: {s.text}"))
                last_line = s.line
            for view in self.rec.views_before.get(id(s), []):
                out += self.push(name(view), self.why(view, s, through=ir.defined_name(s)))
            if id(s) in self.rec.before:
                target = _overwritten(s)
                value = subscript(s.array, s.index) if isinstance(s, ir.Store) else name(target)
                out += self.push(value, self.why(target, s))
            out += self.forward_stmt(s, depth)
        ending: list[gast.stmt] = []
        for var in self.rec.at_block_end.get(id(stmts), []):
            ending += self.push(name(var), self.why(var, None))
        if stmts and isinstance(stmts[-1], ir.Break):
            # record before the loop may exit, so every iteration records the same values
            return out[:-1] + ending + out[-1:]
        return out + ending

    def forward_stmt(self, s: ir.Stmt, depth: int) -> list[gast.stmt]:
        if isinstance(s, ir.Let):
            out = bind_test(s.target, s.expr, s.target in self.folded)
            replayed = id(s) in self.replayed
            first = s.target in self.active and id(s) in self.rec.first_defs and not replayed
            if first and s.target not in self.single:
                out.append(assign(self.bar(s.target), st_call("zeros_adj", name(s.target))))
            return out
        if isinstance(s, ir.Store):
            target = subscript(s.array, s.index, gast.Store())
            if s.op is None:
                write = assign(target, s.value)
            else:
                value = in_place_operand(s.value, subscript(s.array, s.index), self.overlaps(s))
                write = aug(target, s.op, value)
            return self.unshared_checks(s) + [write]
        if isinstance(s, ir.Accumulate):
            value = in_place_operand(s.value, name(s.target), self.overlaps(s))
            return self.unshared_checks(s) + [aug(s.target, s.op, value)]
        if isinstance(s, ir.If):
            body = self.forward_block(s.body, depth) or [gast.Pass()]
            return [
                gast.If(test=name(s.test), body=body, orelse=self.forward_block(s.orelse, depth))
            ]
        if isinstance(s, ir.Break):
            return [gast.If(test=s.flag, body=[gast.Break()], orelse=[])]
        if isinstance(s, ir.For):
            return self.forward_for(s, depth)
        if isinstance(s, ir.While):
            return self.forward_while(s, depth)
        raise AssertionError(s)

    def overlaps(self, s: ir.Store | ir.Accumulate) -> bool:
        """Whether the value of an in-place update may share memory with its target."""
        return isinstance(s.value, gast.Name) and s.value.id in self.sharing.get(id(s), ())

    def unshared_checks(self, s: ir.Store | ir.Accumulate) -> list[gast.stmt]:
        """Before an in-place write into ``y``: a run-time error if a name read later may
        share ``y``'s memory (a scalar read out of ``y`` shares nothing: no check)."""
        out = []
        array = ir.defined_name(s)
        for other in self.shared.get(id(s), []):
            view = next((t for t in ir.walk(self.fn.body) if ir.defined_name(t) == other), None)
            taken = (
                f"the argument `{other}`" if view is None else f"line {view.line} (`{view.text}`)"
            )
            where = "where it is taken" if view is None else f"where line {view.line} takes it"
            message = located_message(
                f"{taken} may share memory with `{array}`, line {s.line} writes into "
                f"`{array}` in place, and that value is read after the write: reverse mode "
                "cannot follow a view across a write into its base",
                self.fn.filename,
                s.line,
                s.text,
                f"copy the view {where} (`....copy()`), or write into a copy of the array",
            )
            check = st_call("check_unshared", name(other), name(array), const(message))
            out.append(gast.Expr(value=check))
        return out

    def forward_for(self, s: ir.For, depth: int) -> list[gast.stmt]:
        out = [assign(h.target, h.expr) for h in s.header]
        body = self.forward_block(s.body, depth + 1)
        if s.counted:
            trips = self.counter(s)
            out.append(assign(trips, const(0)))
            body = [aug(trips, "+", const(1))] + body
        slots = self.slots_per_iteration(s.body)
        if slots:
            count = st_call("trip_count", s.start, s.stop, s.step)
            need = count if slots == 1 else binop(count, gast.Mult(), const(slots))
            out.append(comment(f"preallocate the tape: {slots} value(s) per iteration"))
            out.append(
                assign("tape", st_call("reserve_slots", name("tape"), name("tape_top"), need))
            )
        out.append(for_range(s.var, [s.start, s.stop, s.step], body))
        out += self.push_loop_state(s, depth)
        return out

    def forward_while(self, s: ir.While, depth: int) -> list[gast.stmt]:
        trips = self.counter(s)
        body = [aug(trips, "+", const(1))] + self.forward_block(s.body, depth + 1)
        body += [assign(t.target, t.expr) for t in s.test_body]
        out = [assign(trips, const(0)), gast.While(test=name(s.test), body=body, orelse=[])]
        return out + self.push_loop_state(s, depth)

    def loop_state(self, s: ir.For | ir.While) -> list[str]:
        """Values the reverse loop needs: snapshots of the range and the trip counter (none
        when the loop has no reverse: nothing in it carries a derivative)."""
        if id(s) not in self.reversed_loops:
            return []
        state = [h.target for h in s.header] if isinstance(s, ir.For) else []
        if isinstance(s, ir.While) or s.counted:
            state.append(self.counter(s))
        return state

    def push_loop_state(self, s, depth: int) -> list[gast.stmt]:
        if depth == 0:
            return []
        out = []
        for var in self.loop_state(s):
            out += self.push(
                name(var),
                f"record {var}: the reverse of the loop at line "
                f"{s.line} needs it, and the enclosing loop overwrites it",
            )
        return out

    def slots_per_iteration(self, body: list[ir.Stmt]) -> int:
        """Values recorded per iteration outside nested loops (scalars count one slot)."""
        count = 0
        for s in body:
            count += (id(s) in self.rec.before) + len(self.rec.views_before.get(id(s), []))
            if isinstance(s, ir.If):
                count += max(self.slots_per_iteration(s.body), self.slots_per_iteration(s.orelse))
            elif isinstance(s, (ir.For, ir.While)):
                count += len(self.loop_state(s))
        return count + len(self.rec.at_block_end.get(id(body), []))

    # reverse sweep -----------------------------------------------------------------------------
    def reverse_block(self, stmts: list[ir.Stmt], depth: int) -> list[gast.stmt]:
        out: list[gast.stmt] = []
        for var in reversed(self.rec.at_block_end.get(id(stmts), [])):
            out.append(self.pop(store(var)))
        replay = self.rec.recompute.get(id(stmts), [])
        if replay:
            out.append(comment("recompute this iteration's values (cheaper than recording them)"))
        outer = self.current
        for let in replay:
            out.append(assign(let.target, let.expr))
            self.current = let
            self.reads([let.expr])
        self.current = outer
        for let in replay:
            if let.target in self.active:
                out.append(assign(self.bar(let.target), st_call("zeros_adj", name(let.target))))
        last_line = None
        for s in reversed(stmts):
            outer, self.current = self.current, s
            adjoint = self.reverse_stmt(s, depth)
            if id(s) in self.rec.before and _restores_first(s):
                adjoint.insert(0, self.restore(s))  # the adjoint reads the old value
            elif id(s) in self.rec.before:
                adjoint.append(self.restore(s))
            for view in reversed(self.rec.views_before.get(id(s), [])):
                adjoint.append(self.pop(store(view)))
            self.current = outer
            if adjoint and not isinstance(s, (ir.If, ir.For, ir.While)) and s.line != last_line:
                out.append(comment(f"adjoint of line {s.line}: {s.text}"))
                last_line = s.line
            elif isinstance(s, (ir.If, ir.For, ir.While)):
                last_line = None
            out += adjoint
        return out

    def restore(self, s: ir.Stmt) -> gast.stmt:
        """Undo what ``s`` overwrote, from the tape: an element written into an array, an
        array updated in place (restored in place, so views of it see the old values too),
        or a name's previous value."""
        if isinstance(s, ir.Store):
            self.reads([s.index])
            return self.pop(subscript(s.array, s.index, gast.Store()))
        if isinstance(s, ir.Accumulate):
            target = s.target
            return assign_tuple(
                [store(target), store("tape_top")],
                st_call("pop_in_place", name("tape"), name("tape_top"), name(target)),
            )
        return self.pop(store(_overwritten(s)))

    def reverse_stmt(self, s: ir.Stmt, depth: int) -> list[gast.stmt]:
        if isinstance(s, ir.Let):
            return self.adjoint_let(s)
        if isinstance(s, ir.Store):
            return self.adjoint_store(s)
        if isinstance(s, ir.Accumulate):
            return self.adjoint_accumulate(s)
        if isinstance(s, ir.If):
            body = self.reverse_block(s.body, depth)
            orelse = self.reverse_block(s.orelse, depth)
            if not body and not orelse:
                return []
            self.reads([name(s.test)])
            return [gast.If(test=name(s.test), body=body or [gast.Pass()], orelse=orelse)]
        if isinstance(s, ir.Break):
            return []
        if isinstance(s, ir.For):
            return self.reverse_for(s, depth)
        if isinstance(s, ir.While):
            return self.reverse_while(s, depth)
        raise AssertionError(s)

    def pop_loop_state(self, s, depth: int) -> list[gast.stmt]:
        if depth == 0:
            return []
        return [self.pop(store(var)) for var in reversed(self.loop_state(s))]

    def reverse_for(self, s: ir.For, depth: int) -> list[gast.stmt]:
        body = self.reverse_block(s.body, depth + 1)
        if not body:
            return []
        self.reversed_loops.add(id(s))
        out = self.pop_loop_state(s, depth)
        self.reads([s.start, s.step] + ([] if s.counted else [s.stop]))
        one = const(1)
        if s.counted:
            trips: gast.expr = name(self.counter(s))
        elif is_int(s.step, 1):
            start = s.start
            last = minus_one(s.stop)
            end = minus_one(start)
            out.append(comment(f"reverse of the loop at line {s.line}: {s.text}"))
            out.append(for_range(s.var, [last, end, const(-1)], body))
            return out
        else:
            trips = st_call("trip_count", s.start, s.stop, s.step)
        # range bounds are integers: 0 + (trips - 1) * 1 is written trips - 1
        last = int_sum(s.start, int_product(binop(trips, gast.Sub(), one), s.step))
        end = binop(s.start, gast.Sub(), s.step)
        back = gast.UnaryOp(op=gast.USub(), operand=s.step)
        if isinstance(s.step, gast.Constant) and type(s.step.value) is int:  # range(a, b, -2)
            end = int_sum(s.start, const(-s.step.value))
            back = const(-s.step.value)
        out.append(comment(f"reverse of the loop at line {s.line}: {s.text}"))
        out.append(for_range(s.var, [last, end, back], body))
        return out

    def reverse_while(self, s: ir.While, depth: int) -> list[gast.stmt]:
        body = self.reverse_block(s.body, depth + 1)
        if not body:
            return []
        self.reversed_loops.add(id(s))
        out = self.pop_loop_state(s, depth)
        out.append(comment(f"reverse of the loop at line {s.line}: {s.text}"))
        out.append(for_range("_", [name(self.counter(s))], body))
        return out


def _restores_first(s: ir.Stmt) -> bool:
    """``y *= v``, ``y /= v``: the cotangent of ``v`` needs the old ``y``."""
    return isinstance(s, ir.Accumulate) and s.op in ("*", "/")


def _overwritten(s: ir.Stmt) -> str:
    """The name whose value a recorded statement overwrites (a loop: its variable)."""
    return s.var if isinstance(s, ir.For) else ir.defined_name(s)


def _reject_parallel_loops(fn: ir.Function) -> None:
    for s in ir.walk(fn.body):
        if isinstance(s, ir.For) and s.parallel:
            raise UnsupportedError(
                "prange loops are not differentiated in reverse mode yet (their adjoint "
                "would write the same adjoint entries from several threads)",
                filename=fn.filename,
                lineno=s.line,
                source_line=s.text,
                hint="use range for the gradient (st_ad.jvp runs a prange loop serially), "
                "or parallelise over independent gradient evaluations",
            )


def _uses_tape(body: list[gast.stmt]) -> bool:
    return any(isinstance(n, gast.Name) and n.id == "tape" for s in body for n in gast.walk(s))
