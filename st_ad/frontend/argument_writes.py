"""What a called user function does to the memory of its arguments.

The generators treat a call ``s = g(y, a)`` as computing ``s`` from ``y`` and ``a``: a callee
that changes ``y`` behind the caller's back would get a silently wrong derivative. Two ways
to change it are found here, by a scan of the callee's source in statement order:

* a *write*, a store through a subscript (``v[i] = ...``, ``w[0] += ...``) into a name that
  may hold the argument's memory: the parameter itself, or a name bound to it or to a view of
  it (a slice, ``.T``, ``reshape``); the call is rejected where it is lowered;
* an *update*, an augmented assignment of such a name (``v *= a``), which numba performs in
  place on an array and as a new binding on a scalar: the call is rejected only when an array
  is passed there, by a guard the primal call goes through (``guarded``), when numba types it.

A name stops holding the argument when a top-level statement re-binds it to a new value (an
arithmetic result, a copy, a new array: ``v = v * 2.0``); a re-binding inside a branch or a
loop may not run, so it does not count. Calls passing such a name on to another user function
count that function's writes and updates. The scan is conservative: a name bound to anything
else that may share memory (``w = v``, ``w = v[1:]``, a view-returning call) holds it too.
"""

from __future__ import annotations

import functools
import types
from dataclasses import dataclass

import gast
from numba.core import types as nbtypes
from numba.core.errors import TypingError

from ..runtime.checks import located_message
from ..runtime.stubs import overloaded_stub
from .source import function_scope, load

# functions and methods whose result may be a view of their first argument (or of the array
# a method is called on)
_VIEWS = frozenset(
    (
        "reshape",
        "ravel",
        "transpose",
        "squeeze",
        "expand_dims",
        "asarray",
        "ascontiguousarray",
        "asfortranarray",
        "atleast_1d",
        "atleast_2d",
        "atleast_3d",
        "diagonal",
        "swapaxes",
        "moveaxis",
        "flip",
        "fliplr",
        "flipud",
        "broadcast_to",
        "view",
        "real",
        "imag",
    )
)


@dataclass(frozen=True)
class Change:
    """Statement ``text`` at ``filename:line`` changes the argument of parameter ``param``,
    through a name holding that argument indexed by ``indexed`` integers (``u = v[i]``: 1,
    which is an element of a vector and a row of a matrix)."""

    param: str
    filename: str
    line: int
    text: str
    indexed: int = 0


@dataclass(frozen=True)
class ArgumentChanges:
    writes: tuple[Change, ...]  # stores through a subscript: always a change
    updates: tuple[Change, ...]  # augmented assignments: a change when an array is passed


@functools.cache
def argument_changes(func: types.FunctionType) -> ArgumentChanges:
    """The writes and updates ``func`` makes to its arguments' memory (see the module)."""
    return _changes(func, frozenset())


def _changes(func: types.FunctionType, visiting: frozenset) -> ArgumentChanges:
    src = load(func)
    scan = _Scan(src, func, visiting | {func})
    params = [a.id for a in src.tree.args.args]
    scan.block(src.tree.body, {p: (p, 0) for p in params}, top=True)
    return ArgumentChanges(tuple(scan.writes), tuple(scan.updates))


class _Scan:
    def __init__(self, src, func: types.FunctionType, visiting: frozenset) -> None:
        self.src, self.func, self.visiting = src, func, visiting
        self.writes: list[Change] = []
        self.updates: list[Change] = []

    def change(self, kind: list[Change], held: tuple[str, int], s: gast.stmt | Change) -> None:
        """Record that ``s`` (a statement here, or a callee's change) changes the argument
        ``held`` holds (its parameter, the integers indexing it)."""
        param, indexed = held
        if isinstance(s, Change):  # the statement that does it, in the callee
            found = Change(param, s.filename, s.line, s.text, indexed + s.indexed)
        else:
            line, text = self.src.file_line(s), self.src.text(s).strip()
            found = Change(param, self.src.filename, line, text, indexed)
        if not any(c.param == param and c.indexed <= found.indexed for c in kind):
            kind.append(found)

    def block(self, stmts: list[gast.stmt], holds: dict, top: bool) -> None:
        """Scan ``stmts``; ``holds`` maps each name that may hold an argument to its
        parameter and the integers indexing it, and changes as names are bound (``top``:
        the function's own body)."""
        for s in stmts:
            for call in (n for n in gast.walk(s) if isinstance(n, gast.Call)):
                self.call(call, holds, s)
            if isinstance(s, (gast.Assign, gast.AugAssign)):
                targets = s.targets if isinstance(s, gast.Assign) else [s.target]
                for t in targets:
                    base = _base(t)
                    stored_into = isinstance(t, (gast.Subscript, gast.Attribute))
                    if stored_into and base in holds:  # v[i] = ..., w.T[0] += ...
                        self.change(self.writes, holds[base], s)
                if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
                    if s.target.id in holds:
                        self.change(self.updates, holds[s.target.id], s)
                if isinstance(s, gast.Assign):
                    self.bind(s.targets, s.value, holds, top)
            elif isinstance(s, gast.For):
                held = _held(s.iter, holds)
                for n in _names(s.target):  # the rows of an array are views of it
                    if held is not None:
                        holds[n] = (held[0], held[1] + 1)
                self.block(s.body, holds, top=False)
                self.block(s.orelse, holds, top=False)
            elif isinstance(s, (gast.While, gast.If)):
                self.block(s.body, holds, top=False)
                self.block(s.orelse, holds, top=False)

    def bind(self, targets: list[gast.expr], value: gast.expr, holds: dict, top: bool) -> None:
        for t in targets:
            pairs = [(t, value)]
            if isinstance(t, gast.Tuple) and isinstance(value, gast.Tuple):
                if len(t.elts) == len(value.elts):  # `p, u = u, p`: element by element
                    pairs = list(zip(t.elts, value.elts, strict=True))
            found = [(target, _held(v, holds)) for target, v in pairs]
            for target, held in found:  # all values are read before any name is bound
                for n in _names(target):
                    if held is not None:
                        holds[n] = held
                    elif top and isinstance(target, gast.Name):
                        holds.pop(n, None)  # a new value, certainly bound from here on

    def call(self, call: gast.Call, holds: dict, s: gast.stmt) -> None:
        """A call passing a name that holds an argument to a user function that changes
        that parameter's argument changes it too."""
        callee = _user_function(call.func, self.func)
        if callee is None or callee in self.visiting:
            return
        inner = _changes(callee, self.visiting)
        params = [a.id for a in load(callee).tree.args.args]
        for k, arg in enumerate(call.args):
            held = _held(arg, holds)
            if held is None or k >= len(params):
                continue
            for mine, theirs in ((self.writes, inner.writes), (self.updates, inner.updates)):
                found = next((c for c in theirs if c.param == params[k]), None)
                if found is not None:
                    self.change(mine, held, found)


def _base(node: gast.expr) -> str | None:
    """The name under subscripts and attributes: ``v`` for ``v[i]``, ``v.T[0]``."""
    while isinstance(node, (gast.Subscript, gast.Attribute)):
        node = node.value
    return node.id if isinstance(node, gast.Name) else None


def _held(value: gast.expr, holds: dict) -> tuple[str, int] | None:
    """The parameter whose argument ``value`` may share memory with, and the integers
    indexing it (an element of a vector is a copy, a row of a matrix a view), if any."""
    if isinstance(value, gast.Name):
        return holds.get(value.id)
    if isinstance(value, gast.Subscript):
        inner = _held(value.value, holds)
        if inner is None:
            return None
        index = value.slice.elts if isinstance(value.slice, gast.Tuple) else [value.slice]
        integers = sum(
            not isinstance(i, gast.Slice) and not (isinstance(i, gast.Constant) and i.value is None)
            for i in index
        )
        return inner[0], inner[1] + integers
    if isinstance(value, gast.Attribute):
        return _held(value.value, holds)  # .T is a view
    if isinstance(value, gast.IfExp):
        return _held(value.body, holds) or _held(value.orelse, holds)
    if isinstance(value, gast.Tuple):
        return next((h for e in value.elts if (h := _held(e, holds)) is not None), None)
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
        if value.func.attr in _VIEWS:
            inner = _held(value.func.value, holds)  # v.reshape(...)
            if inner is None and value.args:
                inner = _held(value.args[0], holds)  # np.reshape(v, ...)
            return inner
    return None


def _names(target: gast.expr) -> list[str]:
    """The names a target binds: ``a`` and ``b`` of ``a, b = ...``, none of ``y[i] = ...``
    (a store into ``y`` copies the value: ``y`` does not come to hold it)."""
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for e in target.elts for n in _names(e)]
    return []


def _user_function(func: gast.expr, owner: types.FunctionType) -> types.FunctionType | None:
    """The user function (with source) a call in ``owner`` names, if any."""
    if not isinstance(func, gast.Name):
        return None
    obj = function_scope(owner).get(func.id)
    py = getattr(obj, "py_func", obj)
    if not isinstance(py, types.FunctionType) or py.__name__ == "<lambda>":
        return None
    if (py.__module__ or "").split(".")[0] in ("numpy", "numba", "math", "st_ad"):
        return None
    try:
        load(py)
    except Exception:  # noqa: BLE001 - no readable source: not a user function st_ad reads
        return None
    return py


# the guard ------------------------------------------------------------------------------------
def guarded(compiled: object, func: types.FunctionType) -> object:
    """``compiled`` (the primal callee) behind a guard that numba types at each call: an array
    passed for a parameter ``func`` updates in place (``v *= a``) is an error naming that
    statement; anything else calls ``compiled``. ``compiled`` itself if nothing is updated."""
    updates = argument_changes(func).updates
    if not updates:
        return compiled
    return _guard(compiled, func, updates)


@functools.cache
def _guard(compiled: object, func: types.FunctionType, updates: tuple[Change, ...]) -> object:
    params = [a.id for a in load(func).tree.args.args]
    positions: dict[int, Change] = {}  # per parameter, its change through the fewest indices
    for c in sorted(updates, key=lambda c: -c.indexed):
        positions[params.index(c.param)] = c

    def check(*argtypes: nbtypes.Type) -> object:
        for k, change in positions.items():
            t = argtypes[k] if k < len(argtypes) else None
            if isinstance(t, nbtypes.Array) and t.ndim > change.indexed:  # still an array
                raise TypingError(
                    located_message(
                        f"`{func.__name__}` updates its argument `{change.param}` in place, and "
                        "an array is passed for it: st_ad cannot follow a change to an "
                        "argument across a call",
                        change.filename,
                        change.line,
                        change.text,
                        f"write `{change.param} = {change.param} ...` (a new array) instead of "
                        "updating it in place, or return the new values",
                    )
                )
        return compiled

    stub = overloaded_stub(func.__name__, params, check)
    stub.__module__, stub.__qualname__ = func.__module__, func.__qualname__
    stub.st_guards = func  # what the generated module's header describes
    return stub  # generated code calls it from compiled code, where numba uses the overload
