"""Activity analysis: a value is active if it depends on a differentiated input (varied) and
the result depends on it (useful). Only active values get derivative code, so loop counters,
shapes, integer parameters and constants get none.

The analysis is per name and flow-insensitive: a name is active if any of its assignments
makes it so. That is conservative (never misses a derivative) and simple.
"""

from __future__ import annotations

import gast

from .. import ir


def _edges(fn: ir.Function) -> list[tuple[str, set[str]]]:
    """(name, names it is differentiably computed from), one per assignment."""
    edges = []
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Let) and s.prim is not None:
            diff = s.prim.differentiable(len(s.args))
            sources = {a.id for k, a in enumerate(s.args) if k in diff and isinstance(a, gast.Name)}
            edges.append((s.target, sources))
        elif isinstance(s, ir.Store):
            edges.append((s.array, ir.names_in(s.value)))
        elif isinstance(s, ir.Accumulate):
            edges.append((s.target, ir.names_in(s.value)))
    return edges


def _closure(seeds: set[str], edges: list[tuple[str, set[str]]], forward: bool) -> set[str]:
    found = set(seeds)
    changed = True
    while changed:
        changed = False
        for target, sources in edges:
            if forward and target not in found and sources & found:
                found.add(target)
                changed = True
            if not forward and target in found and not sources <= found:
                found |= sources
                changed = True
    return found


def active_names(fn: ir.Function, wrt: list[str]) -> set[str]:
    """Names that carry derivatives when differentiating ``fn.result`` w.r.t. ``wrt``."""
    edges = _edges(fn)
    varied = _closure(set(wrt), edges, forward=True)
    useful = _closure({fn.result}, edges, forward=False)
    return varied & useful
