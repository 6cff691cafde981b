"""One plan per transform: what the analyses decide about a normalised function, computed once
before any code is generated. The generators read it; they run no analysis of their own,
except the one fixed point that needs the rules' output: what the reverse sweep reads decides
what the forward sweep records (``tbr.record``), and a recording adds reads, so
``ReverseGenerator`` iterates ``record`` with a dry run of its reverse sweep.

The typed generator of issue 10 adds the argument-type signature to the key and the types
(``analysis/typing.py``) to the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import gast

from .. import ir
from ..rules import lookup
from .activity import active_names
from .aliases import shared_reads, sharing_at_writes
from .folding import folded_tests

_GETITEM = lookup("getitem")


@dataclass(frozen=True)
class Plan:
    """The analyses' decisions for differentiating ``fn`` w.r.t. ``wrt`` in one mode."""

    fn: ir.Function
    wrt: tuple[str, ...]
    active: frozenset[str]  # names that carry derivatives (activity.py)
    folded: frozenset[str]  # branch tests numba may fold in one sweep only (folding.py)
    # id() of each in-place write -> names whose binding there may share its memory
    sharing: dict[int, list[str]]
    # reverse mode: id() of each in-place write -> active views of it read after it
    shared: dict[int, list[str]]
    # reverse mode: adjoints bound by their first contribution, never zero-filled
    single: frozenset[str]


def forward_plan(fn: ir.Function, wrt: list[str]) -> Plan:
    active = frozenset(active_names(fn, wrt))
    return Plan(
        fn, tuple(wrt), active, frozenset(folded_tests(fn)), sharing_at_writes(fn), {}, frozenset()
    )


def reverse_plan(fn: ir.Function, wrt: list[str]) -> Plan:
    active = active_names(fn, wrt)
    return Plan(
        fn,
        tuple(wrt),
        frozenset(active),
        frozenset(folded_tests(fn)),
        sharing_at_writes(fn),
        shared_reads(fn, active),
        frozenset(single_use_adjoints(fn, active)),
    )


def single_use_adjoints(fn: ir.Function, active: set[str]) -> set[str]:
    """Active names whose adjoint needs no zero-filled array: bound once, by a statement at
    the top level of the function, read only by top-level statements, never indexed, written
    into or passed to a user's rule. In straight-line code their contributions arrive in a
    known order, so the first can bind the adjoint (saving an allocation, a fill and a pass
    per array) and nothing needs resetting afterwards."""
    bound: dict[str, int] = {}
    for s in ir.walk(fn.body):
        target = s.var if isinstance(s, ir.For) else ir.defined_name(s)
        if target is not None:
            bound[target] = bound.get(target, 0) + 1
    nested: set[str] = set()
    excluded: set[str] = set(fn.params)
    for s in fn.body:
        if isinstance(s, (ir.If, ir.For, ir.While)):
            for inner in ir.walk([s]):
                nested |= ir.names_read(inner)
                if isinstance(inner, ir.Let) and inner.index is not None:
                    nested |= ir.names_in(inner.index)
    for s in ir.walk(fn.body):
        if isinstance(s, (ir.Store, ir.Accumulate)):
            excluded.add(ir.defined_name(s))
        if isinstance(s, ir.Let) and s.prim is not None:
            if s.prim is _GETITEM or s.prim.custom:
                excluded |= {a.id for a in s.args if isinstance(a, gast.Name)}
    top = {s.target for s in fn.body if isinstance(s, ir.Let)}
    return {n for n in top & active if bound.get(n) == 1} - nested - excluded
