"""May-alias analysis: which names may share memory, so that an in-place write into one
(``y[i] = v``, ``y += v``) is known to change the others.

A view (a slice, a transpose, a reshape, ``b = a``), a value returned by a user's function or
rule (it may return its argument) and the argument share memory; the relation is symmetric
and transitive. Without types a scalar read ``t = x[i]`` looks like a row view ``r = A[i]``,
so it counts as an alias too: the analysis may say "may alias" where nothing is shared (costing
at most a recorded value), never the reverse.
"""

from __future__ import annotations

import gast

from .. import ir
from .bindings import ReachingDefinitions
from .liveness import live_after


def _may_share(s: ir.Let) -> bool:
    prim = s.prim
    if prim is None:
        return False
    return bool(
        getattr(prim, "view", False) or prim.custom or getattr(prim, "family", "") == "user"
    )


def alias_groups(fn: ir.Function) -> dict[str, frozenset[str]]:
    """name -> every name that may share memory with it (itself included); names that share
    with nothing are left out."""
    parent: dict[str, str] = {}

    def find(n: str) -> str:
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    for s in ir.walk(fn.body):
        if isinstance(s, ir.Let) and _may_share(s):
            for a in s.args:
                if isinstance(a, gast.Name) and a.id in fn.names:
                    x, y = find(s.target), find(a.id)
                    if x != y:
                        parent[max(x, y)] = min(x, y)
    groups: dict[str, set[str]] = {}
    for n in list(parent):
        groups.setdefault(find(n), set()).add(n)
    for root, members in groups.items():
        members.add(root)
    return {n: frozenset(members) for members in groups.values() for n in members}


def _sharing(fn: ir.Function, found: ReachingDefinitions) -> dict[int, set[int]]:
    """Definition number -> the definitions whose memory its value may share (itself
    included): a view shares what the binding it was taken from shares, where it was taken."""
    shares = {k: {k} for k in range(len(found.names))}
    views = [s for s in ir.walk(fn.body) if isinstance(s, ir.Let) and _may_share(s)]
    changed = True
    while changed:  # a view in a loop may be taken of a binding made later in the body
        changed = False
        for s in views:
            mine = shares[found.ids[id(s)]]
            state = found.before[id(s)]
            for a in s.args:
                if isinstance(a, gast.Name):
                    for d in state.get(a.id, ()):
                        if not shares[d] <= mine:
                            mine |= shares[d]
                            changed = True
    return shares


def sharing_at_writes(fn: ir.Function) -> dict[int, list[str]]:
    """id() of each in-place write (``y[i] = v``, ``y += v``) -> the other names whose
    binding there may share memory with ``y``'s: the write changes their values too."""
    found = ReachingDefinitions(fn)
    shares = _sharing(fn, found)

    def memory(state, n: str) -> set[int]:
        return set().union(*(shares[d] for d in state.get(n, ())))

    result: dict[int, list[str]] = {}
    seen = set(fn.params)  # a name assigned only further down reaches a write in a loop
    for s in ir.walk(fn.body):  # from an earlier iteration; numba rejects reading it here
        if isinstance(s, (ir.Store, ir.Accumulate)):
            target = ir.defined_name(s)
            state = found.before[id(s)]
            written = memory(state, target)
            others = sorted(
                n for n in state if n != target and n in seen and memory(state, n) & written
            )
            if others:
                result[id(s)] = others
        name = s.var if isinstance(s, ir.For) else ir.defined_name(s)
        if name is not None:
            seen.add(name)
    return result


def shared_reads(fn: ir.Function, active: set[str]) -> dict[int, list[str]]:
    """id() of each in-place write -> the active names other than the array written whose
    binding there may share its memory and that are read after the write. Reverse mode
    cannot follow such a name: its adjoint flows into the array's adjoint only at the view's
    own assignment, past the write that replaced some of its values."""
    live = live_after(fn)
    found: dict[int, list[str]] = {}
    for w, names in sharing_at_writes(fn).items():
        others = [n for n in names if n in active and n in live[w]]
        if others:
            found[w] = others
    return found


def written_parameters(fn: ir.Function) -> list[str]:
    """The parameters the function writes into in place (``x[i] = v``, ``x += v``, also
    through a name bound to them: ``z = x; z += v``), in parameter order: the derivative code
    works on copies of them, so that the caller's arrays stay as they were."""
    found = ReachingDefinitions(fn)
    shares = _sharing(fn, found)
    params = {found.ids[("param", p)]: p for p in fn.params}
    written: set[str] = set()
    for s in ir.walk(fn.body):
        if isinstance(s, (ir.Store, ir.Accumulate)):
            for d in found.before[id(s)].get(ir.defined_name(s), ()):
                written |= {params[k] for k in shares[d] if k in params}
    return [p for p in fn.params if p in written]
