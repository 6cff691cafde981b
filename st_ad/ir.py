"""The normalised program: one primitive operation per statement.

Expressions stay gast nodes (they are emitted as written); statements are these small classes.
Every statement keeps the file line and source text of the user statement it came from, so the
generated code can point back to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast


@dataclass
class Stmt:
    line: int  # file line of the user statement this came from
    text: str  # that statement's source text


@dataclass
class Let(Stmt):
    """``target = expr``. ``prim`` is the differentiable primitive computed by ``expr`` (None
    for a value with no derivative: comparisons, integer bookkeeping), ``args`` its operands
    (Names or Constants) and, for subscript reads, ``index`` the index expression."""

    target: str
    expr: gast.expr
    prim: object | None = None
    args: list[gast.expr] = field(default_factory=list)
    index: gast.expr | None = None


@dataclass
class Store(Stmt):
    """``array[index] = value`` or, with ``op`` "+" or "-", ``array[index] op= value``."""

    array: str
    index: gast.expr
    value: gast.expr
    op: str | None = None


@dataclass
class Accumulate(Stmt):
    """``target op= value`` on a name, ``op`` one of ``+ - * /``: in place for an array (its
    views see the update, and a float32 array stays float32), a re-binding for a scalar."""

    target: str
    op: str
    value: gast.expr


@dataclass
class If(Stmt):
    test: str
    body: list[Stmt]
    orelse: list[Stmt]


@dataclass
class For(Stmt):
    """``for var in range(start, stop, step)``; start/stop/step are expressions over names that
    keep their value for the whole function (so the reverse sweep can re-evaluate them) or
    fresh snapshot names assigned just before the loop."""

    var: str
    start: gast.expr
    stop: gast.expr
    step: gast.expr
    body: list[Stmt]
    label: str  # e.g. "L12": names of this loop's helper variables derive from it
    counted: bool = False  # the body may break: the forward sweep counts iterations
    header: list[Let] = field(default_factory=list)  # snapshots evaluated before the loop
    parallel: bool = False  # written with numba.prange


@dataclass
class While(Stmt):
    """``while test`` where ``test`` is a name computed by ``test_body`` before the loop and
    again at the end of every iteration."""

    test: str
    test_body: list[Stmt]
    body: list[Stmt]
    label: str


@dataclass
class Break(Stmt):
    """``if flag: break``; only ever the last-but-test statement of a loop body."""

    flag: gast.expr


@dataclass
class Function:
    name: str
    params: list[str]
    body: list[Stmt]
    result: str  # the name returned
    names: set[str]  # every name the normalised function uses
    line: int
    filename: str


def walk(stmts: list[Stmt]):
    """Every statement, depth first, in program order."""
    for s in stmts:
        yield s
        if isinstance(s, If):
            yield from walk(s.body)
            yield from walk(s.orelse)
        elif isinstance(s, For):
            yield from walk(s.header)
            yield from walk(s.body)
        elif isinstance(s, While):
            yield from walk(s.test_body)
            yield from walk(s.body)


def names_in(node: gast.AST) -> set[str]:
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def defined_name(s: Stmt) -> str | None:
    """The name a statement (re)binds or writes into."""
    if isinstance(s, (Let, Accumulate)):
        return s.target
    if isinstance(s, Store):
        return s.array
    return None


def names_read(s: Stmt) -> set[str]:
    """Names a statement reads (its own nested statements excluded)."""
    if isinstance(s, Let):
        return names_in(s.expr)
    if isinstance(s, Store):
        return names_in(s.index) | names_in(s.value) | {s.array}
    if isinstance(s, Accumulate):
        return names_in(s.value) | {s.target}
    if isinstance(s, If):
        return {s.test}
    if isinstance(s, For):
        return names_in(s.start) | names_in(s.stop) | names_in(s.step)
    if isinstance(s, While):
        return {s.test}
    if isinstance(s, Break):
        return names_in(s.flag)
    return set()
