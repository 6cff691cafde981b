"""Building a transform: the pipeline run once per (function, wrt, mode), behind the cache.

``built(f, wrt, mode)`` returns the imported generated module. It first looks for the
transform's key in the on-disk cache (``st_ad.cache``); on a miss it runs the pipeline: front
end (source, parse, check, normalise), analyses and a generator, then emission. A called user
function's derivative is itself a transform, built (or read back) the same way, once per
activity pattern.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numba

from . import cache, ir
from .codegen.binding import Binding
from .codegen.calls import CalleeDerivative
from .codegen.emit import globals_of, module_source
from .codegen.forward import ForwardGenerator
from .codegen.reverse import ReverseGenerator
from .errors import StAdError
from .frontend.calls import primal_of
from .frontend.check import check_supported
from .frontend.normalize import normalize
from .frontend.source import FunctionSource, function_scope, load, python_function

Wrt = int | str | tuple[int | str, ...]


@dataclass
class Program:
    src: FunctionSource
    fn: ir.Function
    wrt: list[str]
    as_tuple: bool


@functools.lru_cache(maxsize=256)
def program(func: Callable, wrt: Wrt, called: bool = False) -> Program:
    """The front end's work on ``func`` (``called``: as a callee of another transform): its
    parsed source and normalised program."""
    src = load(func)
    check_supported(src, called)
    names, as_tuple = wrt_names(src, wrt)
    return Program(src, normalize(src), names, as_tuple)


def wrt_names(src: FunctionSource, wrt: Wrt) -> tuple[list[str], bool]:
    """Parameter names for ``wrt`` and whether the caller asked for a tuple."""
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    names = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise src.error(
                src.tree,
                f"wrt={wrt!r}: expected an int position or a parameter name",
                "pass e.g. wrt=0, wrt='x' or wrt=(0, 1)",
                cls=StAdError,
            )
        if isinstance(item, int):
            if not -len(src.params) <= item < len(src.params):
                raise src.error(
                    src.tree,
                    f"wrt={item} is out of range: {src.name} has {len(src.params)} parameter(s)",
                    f"use a position between 0 and {len(src.params) - 1}",
                    cls=StAdError,
                )
            item = src.params[item]
        elif item not in src.params:
            raise src.error(
                src.tree,
                f"wrt={item!r} is not a parameter of {src.name}",
                f"choose among {', '.join(src.params)}",
                cls=StAdError,
            )
        if item in names:
            raise src.error(
                src.tree, f"wrt names `{item}` twice", "list each argument once", cls=StAdError
            )
        names.append(item)
    if not names:
        raise src.error(
            src.tree, "wrt is empty", "differentiate w.r.t. at least one argument", cls=StAdError
        )
    return names, isinstance(wrt, tuple)


# generation -----------------------------------------------------------------------------------
def generated_functions(p: Program, mode: str) -> tuple[list, list[CalleeDerivative]]:
    """The generated functions of ``mode`` and the callee derivatives they call."""
    name = p.fn.name
    if mode == "forward":
        generator = ForwardGenerator(p.fn, p.wrt)
        return [generator.function(f"{name}_tangent")], generator.callees.all()
    # Each entry point is generated whole rather than as a wrapper around a shared adjoint:
    # numba then compiles one function per entry point used, and grad stays in the
    # differentiable subset (st_ad.jvp(st_ad.grad(f)) gives Hessian-vector products).
    generator = ReverseGenerator(p.fn, p.wrt, p.as_tuple)
    functions = [
        generator.function(f"{name}_grad", with_value=False, seed_value=1.0),
        generator.function(f"{name}_value_and_grad", seed_value=1.0),
        generator.function(f"{name}_vjp", with_value=False),
    ]
    return functions, generator.callees.all()


def bindings_of(p: Program, callees: list[CalleeDerivative]) -> dict[str, Binding]:
    """The bindings of a module generated from ``p`` whose functions call ``callees``."""
    _, bindings = globals_of(p.src, p.fn)
    for c in callees:
        entry = f"{c.call.func.__name__}_{c.kind}"
        bindings[c.name] = Binding("callee", c.name, c.call.path, c.mode, c.wrt, entry)
    return bindings


def generate(p: Program, mode: str) -> tuple[str, list[Binding], dict[str, object]]:
    """The module source of ``mode``, its bindings and the objects they resolve to."""
    functions, callees = generated_functions(p, mode)
    bindings = bindings_of(p, callees)
    injected = {n: resolve(b, p.src.func) for n, b in bindings.items()}
    kind = "tangent (forward mode)" if mode == "forward" else "adjoint (reverse mode)"
    return module_source(p.src, p.fn, functions, kind, injected), list(bindings.values()), injected


# bindings ---------------------------------------------------------------------------------
def lookup_path(func: types.FunctionType, path: str) -> object:
    """The object the user's function names ``path`` (``helper`` or ``module.helper``)."""
    head, *rest = path.split(".")
    scope = function_scope(func)
    obj = scope[head]
    for part in rest:
        obj = getattr(obj, part)
    return obj


@functools.cache
def _jitted(func: types.FunctionType) -> object:
    return numba.njit(func)


def resolve(b: Binding, func: types.FunctionType) -> object:
    """The object binding ``b`` of a module generated for ``func`` stands for."""
    if b.kind == "rule":
        from .rules import RULES

        for rule in RULES.values():
            if b.name in rule.injected:
                return rule.injected[b.name]
        raise KeyError(b.name)
    obj = lookup_path(func, b.path)
    if b.kind == "global":
        return _jitted(obj) if isinstance(obj, types.FunctionType) else obj
    if b.kind == "primal":
        return primal_of(obj)
    if b.kind == "callee":
        return getattr(built(obj, b.wrt, b.mode, called=True), b.entry)
    raise ValueError(f"unknown binding kind {b.kind!r}")


# modules ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def built(func: Callable, wrt: Wrt, mode: str, called: bool = False) -> types.ModuleType:
    """The generated module of ``mode`` for ``func``: from the on-disk cache when its key is
    there and intact, else generated (and stored)."""
    key = cache.transform_key(func, wrt, mode)
    py = python_function(func)
    stem = f"{py.__name__}_{mode}"
    found = cache.read_entry(key)
    if found is not None:
        path, stored = found
        try:
            bindings = [Binding.from_json(b) for b in stored]
            injected = {b.name: resolve(b, py) for b in bindings}
        except (KeyError, AttributeError, TypeError, ValueError):
            pass  # the entry no longer fits this program: generate it anew
        else:
            cache.STATS["reused"] += 1
            return _import(path, injected)
    source, bindings, injected = generate(program(func, wrt, called), mode)
    path = cache.write_module(source, stem)
    cache.write_entry(key, path, source, [b.to_json() for b in bindings])
    cache.STATS["generated"] += 1
    return _import(path, injected)


def _import(path: Path, injected: dict[str, object]) -> types.ModuleType:
    module_name = f"{cache.GENERATED_PACKAGE}.{path.stem}"
    if module_name in sys.modules and not injected:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(injected)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def module_text(func: Callable, wrt: Wrt, mode: str) -> str:
    """The generated source of ``mode`` (what ``st_ad.source`` prints)."""
    source, _, _ = generate(program(func, wrt), mode)
    return source


def forget() -> None:
    """Drop built transforms (after a rule changes, they would use the old one)."""
    program.cache_clear()
    built.cache_clear()
