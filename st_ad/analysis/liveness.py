"""Liveness: the names whose current value some later statement may still read, after each
statement (a backward data-flow problem, solved to a fixed point over loops).

Conservative where control leaves a loop early: the end of a loop body counts as reaching both
the loop's next iteration and what follows the loop.
"""

from __future__ import annotations

from .. import ir


def live_after(fn: ir.Function) -> dict[int, frozenset[str]]:
    """id(stmt) -> the names that may be read after it before being re-bound."""
    found: dict[int, frozenset[str]] = {}

    def block(stmts: list[ir.Stmt], live: frozenset[str]) -> frozenset[str]:
        for s in reversed(stmts):
            found[id(s)] = found.get(id(s), frozenset()) | live
            live = stmt(s, live)
        return live

    def loop(body: list[ir.Stmt], after: frozenset[str], bound: set[str]) -> frozenset[str]:
        head = after
        while True:
            new = after | (block(body, head | after) - bound)
            if new == head:
                return head
            head = new

    def stmt(s: ir.Stmt, live: frozenset[str]) -> frozenset[str]:
        if isinstance(s, ir.Let):
            return (live - {s.target}) | ir.names_read(s)
        if isinstance(s, ir.If):
            return block(s.body, live) | block(s.orelse, live) | {s.test}
        if isinstance(s, ir.For):
            head = loop(s.body, live, {s.var}) | ir.names_read(s)
            return block(s.header, head)
        if isinstance(s, ir.While):
            head = loop(s.body + s.test_body, live | {s.test}, set()) | {s.test}
            return block(s.test_body, head)
        return live | ir.names_read(s)  # Store, Accumulate, Break

    block(fn.body, frozenset([fn.result]))
    return found
