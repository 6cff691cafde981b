"""To-be-recorded analysis: which values the forward sweep stores for the reverse sweep.

The reverse sweep reads some primal values (operands of derivative rules, indices, branch
conditions): the *needed* names, found by generating the adjoint statements. A needed value
must be stored when the forward sweep overwrites it before the reverse sweep reads it:

- a re-assignment (the name was already bound) is recorded before it runs and restored after
  its adjoint ("push before overwrite", as Tapenade does);
- a first assignment inside a loop body or branch cannot be recorded before it (there is no
  old value, not even a type to allocate), so the value at the end of that block is recorded
  there and restored when the reverse sweep enters the block. A first assignment that runs at
  most once needs nothing.

Recording is not always the cheapest way back. A value computed in a loop body only from
values that never change (parameters and arrays nothing writes to, the loop counters, other
such values) is recomputed when the reverse sweep enters the body instead of being recorded:
a few flops cost less than a store and a load through memory (Lennard-Jones pair terms).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir


@dataclass
class Recording:
    before: set[int] = field(default_factory=set)  # id(stmt): record before it runs
    at_block_end: dict[int, list[str]] = field(default_factory=dict)  # id(block) -> names
    first_defs: set[int] = field(default_factory=set)  # id(stmt) of first assignments
    recompute: dict[int, list[ir.Let]] = field(default_factory=dict)  # id(block) -> statements


def _count_defs(body: list[ir.Stmt]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ir.walk(body):
        name = ir.defined_name(s)
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _outside_loops(body: list[ir.Stmt]) -> set[str]:
    """Names bound by some statement that is not inside a loop."""
    found: set[str] = set()
    for s in body:
        name = ir.defined_name(s)
        if name is not None:
            found.add(name)
        if isinstance(s, ir.If):
            found |= _outside_loops(s.body) | _outside_loops(s.orelse)
    return found


def first_definitions(fn: ir.Function) -> set[int]:
    """id() of the statements that bind a name not yet bound on some path to them."""
    firsts: set[int] = set()

    def visit(stmts: list[ir.Stmt], bound: set[str]) -> set[str]:
        bound = set(bound)
        for s in stmts:
            if isinstance(s, ir.Let):
                if s.target not in bound:
                    firsts.add(id(s))
                bound.add(s.target)
            elif isinstance(s, ir.If):
                bound = visit(s.body, bound) & visit(s.orelse, bound)
            elif isinstance(s, ir.For):
                bound = visit(s.header, bound)
                visit(s.body, bound | {s.var})
            elif isinstance(s, ir.While):
                visit(s.body, bound)
        return bound

    visit(fn.body, set(fn.params))
    return firsts


def record(fn: ir.Function, needed: set[str], active: frozenset[str] = frozenset()) -> Recording:
    """Decide what the forward sweep records, given the names the reverse sweep reads.

    Active values of a loop body that can be recomputed are, even if the reverse sweep does
    not read them: their adjoints are then created in the reverse sweep, and a gradient that
    does not return the function's value can skip the forward loop altogether."""
    rec = Recording(first_defs=first_definitions(fn))
    defs = _count_defs(fn.body)
    # bound once, outside every loop: the value never changes once the loops run
    constant = {n for n in _outside_loops(fn.body) if defs.get(n) == 1}
    reads = _read_counts(fn.body)

    def visit(stmts: list[ir.Stmt], in_loop: bool, top: bool, counters: set[str]) -> None:
        end: list[str] = []
        for s in stmts:
            name = ir.defined_name(s)
            if name in needed:
                if id(s) not in rec.first_defs:
                    rec.before.add(id(s))
                elif not top and (in_loop or defs.get(name, 0) > 1) and name not in end:
                    end.append(name)
            if isinstance(s, ir.If):
                visit(s.body, in_loop, False, counters)
                visit(s.orelse, in_loop, False, counters)
            elif isinstance(s, ir.For):
                visit(s.body, True, False, counters | {s.var})
            elif isinstance(s, ir.While):
                visit(s.body, True, False, counters)
        wanted = end + [
            s.target
            for s in stmts
            if isinstance(s, ir.Let) and s.target in active and id(s) in rec.first_defs
        ]
        if wanted and in_loop:
            inner = _read_counts(stmts)
            local = [v for v in wanted if reads.get(v, 0) == inner.get(v, 0)]
            replay = _recomputable(stmts, local, defs, counters | constant)
            if replay:
                rec.recompute[id(stmts)] = replay
                done = {let.target for let in replay}
                end = [v for v in end if v not in done]
        if end:
            rec.at_block_end[id(stmts)] = end

    visit(fn.body, False, True, set())
    return rec


def _read_counts(stmts: list[ir.Stmt]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ir.walk(stmts):
        for n in ir.names_read(s):
            counts[n] = counts.get(n, 0) + 1
    return counts


def _recomputable(
    block: list[ir.Stmt], wanted: list[str], defs: dict[str, int], counters: set[str]
) -> list[ir.Let]:
    """The statements of ``block`` that recompute as many ``wanted`` names as possible from
    values that cannot have changed, in program order."""
    lets: dict[str, ir.Let] = {}
    for s in block:
        if isinstance(s, ir.Let) and defs.get(s.target, 0) == 1:
            lets[s.target] = s
    order = {id(s): k for k, s in enumerate(block)}
    memo: dict[str, bool] = {}

    def ok(var: str, before: int) -> bool:
        if var in counters or var not in defs:
            return True  # a loop counter restored by the reverse loop, or a constant
        let = lets.get(var)
        if let is None or order[id(let)] >= before:
            return False
        if var not in memo:
            memo[var] = False  # guards against cycles
            memo[var] = all(ok(n, order[id(let)]) for n in ir.names_in(let.expr))
        return memo[var]

    chosen: set[str] = set()

    def take(var: str) -> None:
        let = lets.get(var)
        if let is not None and var not in chosen:
            chosen.add(var)
            for n in ir.names_in(let.expr):
                take(n)

    for var in wanted:
        if var in lets and ok(var, len(block)):
            take(var)
    return [s for s in block if isinstance(s, ir.Let) and s.target in chosen]
