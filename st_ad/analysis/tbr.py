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
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir


@dataclass
class Recording:
    before: set[int] = field(default_factory=set)  # id(stmt): record before it runs
    at_block_end: dict[int, list[str]] = field(default_factory=dict)  # id(block) -> names
    first_defs: set[int] = field(default_factory=set)  # id(stmt) of first assignments


def _count_defs(body: list[ir.Stmt]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ir.walk(body):
        name = ir.defined_name(s)
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return counts


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


def record(fn: ir.Function, needed: set[str]) -> Recording:
    """Decide what the forward sweep records, given the names the reverse sweep reads."""
    rec = Recording(first_defs=first_definitions(fn))
    defs = _count_defs(fn.body)

    def visit(stmts: list[ir.Stmt], in_loop: bool, top: bool) -> None:
        end: list[str] = []
        for s in stmts:
            name = ir.defined_name(s)
            if name in needed:
                if id(s) not in rec.first_defs:
                    rec.before.add(id(s))
                elif not top and (in_loop or defs.get(name, 0) > 1) and name not in end:
                    end.append(name)
            if isinstance(s, ir.If):
                visit(s.body, in_loop, False)
                visit(s.orelse, in_loop, False)
            elif isinstance(s, (ir.For, ir.While)):
                visit(s.body, True, False)
        if end:
            rec.at_block_end[id(stmts)] = end

    visit(fn.body, False, True)
    return rec
