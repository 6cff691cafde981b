"""To-be-recorded analysis: which values the forward sweep stores for the reverse sweep.

The reverse sweep reads some primal values (operands of derivative rules, indices, branch
conditions): the *needed* names, found by generating the adjoint statements, each with the
statements whose adjoint reads it. The invariant is Tapenade's: when the reverse sweep reaches
the adjoint of a statement, every name it reads holds the value it had right after that
statement ran in the forward sweep. So a statement that overwrites a needed value records the
old value before it runs, and the reverse sweep restores it right after the statement's
adjoint ("push before overwrite"). That covers

- a re-assignment of a needed name, also inside a loop;
- a loop (it re-binds its variable) when its variable is needed outside its body: the
  reverse loop walks the variable back, and the value before the loop is restored after it;
- an in-place write (``y[i] = v``, ``y += v``): into a needed array, whose written part is
  recorded and restored in place; and into an array that shares memory with other needed
  names (views, ``aliases.py``), whose values it changes too: each is recorded and restored
  by value (a view recorded at a block's end no longer shares the array's memory).

The first assignment of a name in program order cannot be recorded before it: numba rejects
reading a name before any assignment to it. Outside loops it needs nothing (nothing before it
reads the name). Inside a loop, the reverse sweep passing it leaves the name holding this
iteration's value where an earlier iteration's is needed, so its value is recorded at the end
of a block and restored when the reverse sweep enters that block: for each enclosing loop, the
smallest block of that loop's body that contains the assignment (or the inner loop holding it)
and every read of the name in that body. A read after an inner loop, in the outer loop's body,
so gets the inner loop's last value of each outer iteration.

Recording is not always the cheapest way back. A value computed in a loop body only from
values that never change (parameters and arrays nothing writes to, the loop counters, other
such values), and read only inside that block, is *recomputed* when the reverse sweep enters
the block instead of being recorded: a few flops cost less than a store and a load through
memory (Lennard-Jones pair terms).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import ir
from .aliases import sharing_at_writes


@dataclass
class Recording:
    before: set[int] = field(default_factory=set)  # id(stmt): record before it runs
    # id(in-place write) -> other names whose values it changes, recorded before it runs
    views_before: dict[int, list[str]] = field(default_factory=dict)
    at_block_end: dict[int, list[str]] = field(default_factory=dict)  # id(block) -> names
    first_defs: set[int] = field(default_factory=set)  # id(stmt) of first assignments
    recompute: dict[int, list[ir.Let]] = field(default_factory=dict)  # id(block) -> statements


def _count_defs(body: list[ir.Stmt]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in ir.walk(body):
        name = s.var if isinstance(s, ir.For) else ir.defined_name(s)
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
    """id() of the statements (assignments and loops, for their variable) that bind a name
    not yet bound on some path to them."""
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
                if s.var not in bound:
                    firsts.add(id(s))
                visit(s.body, bound | {s.var})
            elif isinstance(s, ir.While):
                visit(s.body, bound)
        return bound

    visit(fn.body, set(fn.params))
    return firsts


class _Tree:
    """Where each statement sits: its block, and the statement owning each block."""

    def __init__(self, fn: ir.Function) -> None:
        self.block_of: dict[int, list[ir.Stmt]] = {}  # id(stmt) -> the block holding it
        self.owner: dict[int, ir.Stmt | None] = {}  # id(block) -> If/For/While, None: top
        self.loops: dict[int, list[ir.Stmt]] = {}  # id(stmt) -> enclosing loops, innermost first
        self.visit(fn.body, None, [])

    def visit(self, block: list[ir.Stmt], owner: ir.Stmt | None, loops: list[ir.Stmt]) -> None:
        self.owner[id(block)] = owner
        for s in block:
            self.place(s, block, loops)
            if isinstance(s, ir.If):
                self.visit(s.body, s, loops)
                self.visit(s.orelse, s, loops)
            elif isinstance(s, ir.For):
                for h in s.header:  # evaluated just before the loop, where it stands
                    self.place(h, block, loops)
                self.visit(s.body, s, [s] + loops)
            elif isinstance(s, ir.While):
                self.visit(s.body, s, [s] + loops)
                for t in s.test_body:  # evaluated again at the end of every iteration
                    self.place(t, s.body, [s] + loops)

    def place(self, s: ir.Stmt, block: list[ir.Stmt], loops: list[ir.Stmt]) -> None:
        self.block_of[id(s)] = block
        self.loops[id(s)] = loops

    def blocks_above(self, s: ir.Stmt, stop: ir.Stmt) -> list[int]:
        """id() of the blocks from the body of loop ``stop`` down to the one holding ``s``."""
        chain = []
        block = self.block_of[id(s)]
        while True:
            chain.append(id(block))
            owner = self.owner[id(block)]
            if owner is stop or owner is None:
                return chain[::-1]
            block = self.block_of[id(owner)]

    def inside(self, s: ir.Stmt, loop: ir.Stmt) -> bool:
        return any(outer is loop for outer in self.loops.get(id(s), ()))


def record(
    fn: ir.Function, needed: dict[str, set[int]], active: frozenset[str] = frozenset()
) -> Recording:
    """Decide what the forward sweep records, given the names the reverse sweep reads (and
    the id() of the statements whose adjoints read each; ``-1`` for the function's end).

    Active values of a loop body that can be recomputed are, even if the reverse sweep does
    not read them: their adjoints are then created in the reverse sweep, and a gradient that
    does not return the function's value can skip the forward loop altogether."""
    rec = Recording(first_defs=first_definitions(fn))
    rec.recompute = _recomputed(fn, needed, active, rec.first_defs)
    replayed = {let.target for lets in rec.recompute.values() for let in lets}
    sharing = sharing_at_writes(fn)
    tree = _Tree(fn)
    statements = {id(s): s for s in ir.walk(fn.body)}
    seen: set[str] = set(fn.params)  # names assigned earlier in program order
    for s in ir.walk(fn.body):
        if isinstance(s, (ir.Store, ir.Accumulate)):
            if ir.defined_name(s) in needed:
                rec.before.add(id(s))
            views = [n for n in sharing.get(id(s), ()) if n in needed and n not in replayed]
            if views:
                rec.views_before[id(s)] = views
            continue
        if isinstance(s, ir.Let):
            target = s.target
        elif isinstance(s, ir.For):
            target = s.var
        else:
            continue
        first = target not in seen
        seen.add(target)
        if target not in needed or target in replayed:
            continue
        readers = [statements[r] for r in needed[target] if r in statements]
        if isinstance(s, ir.For):  # the reverse loop itself sets its variable in its body
            readers = [r for r in readers if not tree.inside(r, s)]
            if not readers and -1 not in needed[target]:
                continue
        if not first:
            rec.before.add(id(s))
            continue
        _record_at_block_ends(rec, tree, s, target, readers)
    return rec


def _record_at_block_ends(
    rec: Recording, tree: _Tree, first: ir.Stmt, target: str, readers: list[ir.Stmt]
) -> None:
    """Place the recordings of a name whose first assignment ``first`` is inside loops: per
    enclosing loop, at the end of the smallest block of its body holding the assignment (or
    the inner loop holding it) and the reads in that body."""
    anchor = first
    for loop in tree.loops[id(first)]:
        reads = [r for r in readers if tree.inside(r, loop) and not _within(tree, r, anchor)]
        if reads:
            chains = [tree.blocks_above(t, loop) for t in [anchor] + reads]
            common = chains[0]
            for chain in chains[1:]:
                k = 0
                while k < min(len(common), len(chain)) and common[k] == chain[k]:
                    k += 1
                common = common[:k]
            names = rec.at_block_end.setdefault(common[-1], [])
            if target not in names:
                names.append(target)
        anchor = loop


def _within(tree: _Tree, r: ir.Stmt, anchor: ir.Stmt) -> bool:
    """``r`` is inside the loop ``anchor`` (an inner level, placed already)."""
    return isinstance(anchor, (ir.For, ir.While)) and tree.inside(r, anchor)


def _recomputed(
    fn: ir.Function, needed: dict[str, set[int]], active: frozenset[str], firsts: set[int]
) -> dict[int, list[ir.Let]]:
    """id(block) -> the statements the reverse sweep reruns when it enters that block of a
    loop, in place of recording their values."""
    defs = _count_defs(fn.body)
    for p in fn.params:
        if p in defs:  # bound on entry too: a re-bound parameter has two definitions
            defs[p] += 1
    # bound once, outside every loop: the value never changes once the loops run
    constant = {n for n in _outside_loops(fn.body) if defs.get(n) == 1}
    reads = _read_counts(fn.body)
    found: dict[int, list[ir.Let]] = {}

    def visit(stmts: list[ir.Stmt], in_loop: bool, counters: set[str]) -> None:
        for s in stmts:
            if isinstance(s, ir.If):
                visit(s.body, in_loop, counters)
                visit(s.orelse, in_loop, counters)
            elif isinstance(s, ir.For):
                visit(s.body, True, counters | {s.var})
            elif isinstance(s, ir.While):
                visit(s.body, True, counters)
        if not in_loop:
            return
        wanted = [
            s.target
            for s in stmts
            if isinstance(s, ir.Let)
            and id(s) in firsts
            and (s.target in needed or s.target in active)
        ]
        inner = _read_counts(stmts)
        local = [v for v in wanted if reads.get(v, 0) == inner.get(v, 0)]
        replay = _recomputable(stmts, local, defs, counters | constant)
        if replay:
            found[id(stmts)] = replay

    visit(fn.body, False, set())
    return found


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
