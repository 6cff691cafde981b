"""Bindings: one name per value that can reach a use, as Tapenade's analyses reason about
definitions rather than names.

A name the user re-binds (``y = x * 2.0`` ... ``y = z``) holds unrelated values, and a
derivative kept per name mixes them: the second binding must end the first one's adjoint, and
the first may even have another type (``x = np.sum(x)`` re-binds an array to a scalar). This
pass computes reaching definitions on the normalised program and groups the definitions of a
name into *webs*: definitions that reach a common use (through a branch merge or around a
loop) must share a variable; every other group gets a fresh name (``y2``). Afterwards every
later analysis can reason per name again, and a name is one binding except where loops and
branches merge values, which numba requires to have one type anyway.

Definitions are parameters, ``Let`` targets and loop variables. ``Store`` and ``Accumulate``
update a value in place (``y[i] = v``, ``s += v``): they read the name and keep its binding.
"""

from __future__ import annotations

import copy

import gast

from .. import ir

State = dict[str, frozenset[int]]  # name -> the definitions that may reach this point


class ReachingDefinitions:
    """Reaching definitions at every statement of a function, to a fixed point over loops."""

    def __init__(self, fn: ir.Function) -> None:
        self.ids: dict[int, int] = {}  # id(defining statement) -> definition number
        self.names: list[str] = []  # definition number -> the name it defines
        self.before: dict[int, State] = {}  # id(stmt) -> state in which it runs
        entry = {p: frozenset([self._define(("param", p), p)]) for p in fn.params}
        self.end = self.block(fn.body, entry)

    def _define(self, key: object, name: str) -> int:
        if key not in self.ids:
            self.ids[key] = len(self.names)
            self.names.append(name)
        return self.ids[key]

    def define(self, s: ir.Stmt, name: str) -> int:
        return self._define(id(s), name)

    def block(self, stmts: list[ir.Stmt], state: State) -> State:
        for s in stmts:
            state = self.stmt(s, state)
        return state

    def record(self, s: ir.Stmt, state: State) -> None:
        """Remember the state ``s`` runs in, joined over every time it is visited (loop
        bodies until their fixed point; a while loop's test before the loop and after each
        iteration)."""
        self.before[id(s)] = _join(self.before.get(id(s), {}), state)

    def stmt(self, s: ir.Stmt, state: State) -> State:
        if isinstance(s, ir.For):
            state = self.block(s.header, state)
        self.record(s, state)
        if isinstance(s, ir.Let):
            return {**state, s.target: frozenset([self.define(s, s.target)])}
        if isinstance(s, ir.If):
            return _join(self.block(s.body, state), self.block(s.orelse, state))
        if isinstance(s, ir.For):
            loop_var = frozenset([self.define(s, s.var)])
            return self.loop(state, lambda head: self.block(s.body, {**head, s.var: loop_var}))
        if isinstance(s, ir.While):
            state = self.block(s.test_body, state)
            head = self.loop(state, lambda h: self.block(s.test_body, self.block(s.body, h)))
            self.record(s, head)
            return head
        return state  # Store, Accumulate, Break: the binding stays

    @staticmethod
    def loop(state: State, iteration) -> State:
        """The state at a loop's head (and exit): the entry state joined with the state at
        the end of every iteration, to a fixed point."""
        head = state
        while True:
            new = _join(head, iteration(head))
            if new == head:
                return head
            head = new


def _join(a: State, b: State) -> State:
    out = dict(a)
    for n, defs in b.items():
        out[n] = out.get(n, frozenset()) | defs
    return out


class _Webs:
    """Union-find over definition numbers."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, k: int) -> int:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, defs: frozenset[int]) -> None:
        first, *rest = sorted(defs)
        for k in rest:
            a, b = self.find(first), self.find(k)
            if a != b:
                self.parent[max(a, b)] = min(a, b)


def _reads(s: ir.Stmt) -> set[str]:
    if isinstance(s, ir.While):
        return {s.test}
    if isinstance(s, ir.Let):  # a tuple element's rule also reads the call's operands
        extra = list(s.args) + ([s.index] if s.index is not None else [])
        return ir.names_read(s).union(*(ir.names_in(a) for a in extra))
    return ir.names_read(s)


def split_bindings(fn: ir.Function) -> ir.Function:
    """``fn`` with every web of definitions of a name under a name of its own. The first web
    of a name (a parameter's, or the first in program order) keeps it."""
    found = ReachingDefinitions(fn)
    webs = _Webs(len(found.names))
    statements = list(ir.walk(fn.body))
    for s in statements:
        state = found.before[id(s)]
        for n in _reads(s):
            if state.get(n):
                webs.union(state[n])
    if found.end.get(fn.result):
        webs.union(found.end[fn.result])
    taken = set(fn.names)
    new_name: dict[int, str] = {}  # web root -> name
    seen_names: set[str] = set()
    for k, n in enumerate(found.names):  # definition numbers are in program order
        root = webs.find(k)
        if root in new_name:
            continue
        if n not in seen_names:
            new_name[root] = n
            seen_names.add(n)
        else:
            new_name[root] = _fresh(n, taken)
    if all(new_name[webs.find(k)] == n for k, n in enumerate(found.names)):
        return fn  # every name is one web already

    def name_at(state: State, n: str) -> str:
        defs = state.get(n)
        return new_name[webs.find(min(defs))] if defs else n

    def defined(s: ir.Stmt) -> str:
        return new_name[webs.find(found.ids[id(s)])]

    renamed = _Renamer(found, name_at, defined)
    body = renamed.block(fn.body)
    result = name_at(found.end, fn.result)
    return ir.Function(
        name=fn.name,
        params=list(fn.params),
        body=body,
        result=result,
        names=taken,
        line=fn.line,
        filename=fn.filename,
    )


def _fresh(base: str, taken: set[str]) -> str:
    k = 2
    while f"{base}{k}" in taken:
        k += 1
    taken.add(f"{base}{k}")
    return f"{base}{k}"


class _Renamer:
    """Copies of the statements with uses and definitions renamed by web."""

    def __init__(self, found: ReachingDefinitions, name_at, defined) -> None:
        self.found = found
        self.name_at = name_at
        self.defined = defined

    def expr(self, node: gast.AST, state: State) -> gast.AST:
        node = copy.deepcopy(node)
        for n in gast.walk(node):
            if isinstance(n, gast.Name):
                n.id = self.name_at(state, n.id)
        return node

    def block(self, stmts: list[ir.Stmt]) -> list[ir.Stmt]:
        return [self.stmt(s) for s in stmts]

    def stmt(self, s: ir.Stmt) -> ir.Stmt:
        state = self.found.before[id(s)]
        e = lambda node: None if node is None else self.expr(node, state)  # noqa: E731
        new = copy.copy(s)
        if isinstance(s, ir.Let):
            new.target = self.defined(s)
            new.expr = e(s.expr)
            new.args = [e(a) for a in s.args]
            new.index = e(s.index)
        elif isinstance(s, ir.Store):
            new.array = self.name_at(state, s.array)
            new.index, new.value = e(s.index), e(s.value)
        elif isinstance(s, ir.Accumulate):
            new.target = self.name_at(state, s.target)
            new.value = e(s.value)
        elif isinstance(s, ir.If):
            new.test = self.name_at(state, s.test)
            new.body, new.orelse = self.block(s.body), self.block(s.orelse)
        elif isinstance(s, ir.For):
            new.header = self.block(s.header)
            new.var = self.defined(s)
            new.start, new.stop, new.step = e(s.start), e(s.stop), e(s.step)
            new.body = self.block(s.body)
        elif isinstance(s, ir.While):
            new.test = self.name_at(state, s.test)
            new.test_body = self.block(s.test_body)
            new.body = self.block(s.body)
        elif isinstance(s, ir.Break):
            new.flag = e(s.flag)
        return new
