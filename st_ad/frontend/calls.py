"""Calls from a differentiated function to other user functions (plain or ``@njit``).

A call ``y = g(a, b)`` to a function with readable source and no derivative rule becomes an
``ir.Let`` whose primitive is a ``UserCall``. The generators do not inline ``g``: they call
``g``'s own generated derivative, built once per (callee, activity pattern): its tangent
function in forward mode, its vjp in reverse mode. The primal runs as ``g`` compiled by numba;
a plain Python callee is compiled with the same treatment of the functions it calls.

The static call graph (the functions a function's code names, found through its globals and
closure) decides what a call chain contains: recursion is rejected, and the on-disk cache key
covers the source of every function reached.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Iterator
from dataclasses import dataclass

import numba

from ..errors import UnsupportedError
from ..rules import lookup
from .argument_writes import guarded
from .source import closure_values


def python_source_function(obj: object) -> types.FunctionType | None:
    """The Python function behind a user callee (itself, a numba dispatcher's ``py_func``,
    or the function a guard stands for, in generated code differentiated again), or None for
    anything else (builtins, numpy, ufuncs, classes)."""
    func = getattr(obj, "st_guards", None) or getattr(obj, "py_func", obj)
    if not isinstance(func, types.FunctionType) or func.__name__ == "<lambda>":
        return None
    if func.__module__ and func.__module__.split(".")[0] in _LIBRARIES:
        return None
    return func


def _has_rule(obj: object) -> bool:
    return lookup(obj) is not None


_LIBRARIES = ("numpy", "numba", "math", "st_ad", "builtins")


def referenced(func: types.FunctionType) -> dict[str, object]:
    """The global and closure objects ``func``'s code may read, by name (nested code objects
    included), and ``module.name`` for the attributes it may read of a user's module."""
    names: set[str] = set()
    stack = [func.__code__]
    while stack:
        code = stack.pop()
        names |= set(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    found = {n: func.__globals__[n] for n in sorted(names) if n in func.__globals__}
    found.update(closure_values(func))
    for n, obj in list(found.items()):
        if isinstance(obj, types.ModuleType) and obj.__name__.split(".")[0] not in _LIBRARIES:
            for a in sorted(names):
                if hasattr(obj, a):
                    found[f"{n}.{a}"] = getattr(obj, a)
    return found


def direct_callees(func: types.FunctionType) -> list[types.FunctionType]:
    """User functions ``func`` may call: referenced functions with source and no rule."""
    out = []
    for obj in referenced(func).values():
        callee = python_source_function(obj)
        if callee is not None and not _has_rule(obj) and callee not in out:
            out.append(callee)
    return out


def call_graph(func: types.FunctionType) -> Iterator[types.FunctionType]:
    """``func`` and every user function reachable from it, each once."""
    seen: list[types.FunctionType] = []
    stack = [func]
    while stack:
        f = stack.pop()
        if f in seen:
            continue
        seen.append(f)
        yield f
        stack += direct_callees(f)


def find_cycle(start: types.FunctionType) -> list[str] | None:
    """A call chain from ``start`` that comes back to a function already on it, as names."""

    def visit(f: types.FunctionType, path: list[types.FunctionType]) -> list[str] | None:
        if f in path:
            chain = path[path.index(f) :] + [f]
            return [g.__qualname__ for g in chain]
        for callee in direct_callees(f):
            found = visit(callee, path + [f])
            if found:
                return found
        return None

    return visit(start, [])


_COMPILING: set[types.FunctionType] = set()


def primal_of(callee: object) -> object:
    """What generated code calls to compute a callee's value: the user's own dispatcher, or
    a compiled plain function, behind a guard if it updates an argument in place
    (``argument_writes.guarded``)."""
    if hasattr(callee, "st_guards"):
        return callee  # already the guard (generated code differentiated again)
    if hasattr(callee, "py_func"):
        return guarded(callee, callee.py_func)
    return guarded(compiled_primal(callee), callee)


@functools.cache
def compiled_primal(func: types.FunctionType) -> object:
    """A numba dispatcher computing the plain Python ``func``, whose own calls to plain user
    functions go to their compiled versions too (numba cannot call a Python function)."""
    namespace = dict(func.__globals__)
    proxies: dict[str, types.ModuleType] = {}
    for n, obj in referenced(func).items():
        callee = python_source_function(obj)
        if callee is None or _has_rule(obj) or obj is not callee or callee in _COMPILING:
            continue  # not a plain user function (numba compiles dispatchers itself)
        _COMPILING.add(callee)
        try:
            compiled = compiled_primal(callee)
        finally:
            _COMPILING.discard(callee)
        if "." in n:  # module.helper: numba reads the attribute from a copy of the module
            owner, attr = n.split(".", 1)
            if owner not in proxies:
                proxies[owner] = types.ModuleType(namespace[owner].__name__)
                proxies[owner].__dict__.update(vars(namespace[owner]))
            setattr(proxies[owner], attr, compiled)
        elif n in namespace:
            namespace[n] = compiled
    namespace.update(proxies)
    clone = types.FunctionType(
        func.__code__, namespace, func.__name__, func.__defaults__, func.__closure__
    )
    clone.__qualname__ = func.__qualname__
    clone.__module__ = func.__module__
    return numba.njit(clone)


@dataclass(eq=False)
class UserCall:
    """The primitive of ``y = callee(*args)`` for a user function: its derivatives are the
    callee's own generated derivative functions (see codegen ``callee_name``)."""

    callee: object  # the object called (a Python function or a numba dispatcher)
    func: types.FunctionType  # its Python function
    global_name: str  # the name generated code calls the compiled primal by
    path: str  # how the caller names it: "helper" or "module.helper"
    params: tuple[str, ...]
    name: str = ""
    broadcasts: bool = False
    custom: bool = False
    parts: None = None
    failure: None = None
    impl: None = None
    view: bool = True  # the callee may return (a view of) an argument

    def __post_init__(self) -> None:
        self.name = self.func.__name__

    def differentiable(self, nargs: int) -> tuple[int, ...]:
        return tuple(range(nargs))


def signature_of(func: types.FunctionType) -> tuple[tuple[str, ...], dict[str, object]]:
    """Parameter names and defaults of a callee; only plain positional parameters."""
    params = list(inspect.signature(func).parameters.values())
    names = tuple(p.name for p in params)
    if any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params):
        raise ValueError("*args, **kwargs, keyword-only or positional-only parameters")
    defaults = {p.name: p.default for p in params if p.default is not p.empty}
    return names, defaults


def recursion_error(chain: list[str], filename: str, line: int, text: str) -> UnsupportedError:
    return UnsupportedError(
        f"recursive calls are not supported: {' -> '.join(chain)}",
        filename=filename,
        lineno=line,
        source_line=text,
        hint="rewrite the recursion as a loop",
    )
