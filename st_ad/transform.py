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

import gast
import numba
import numpy

from . import cache, ir
from . import runtime as st_runtime
from .analysis.bindings import split_bindings
from .analysis.plan import forward_plan, reverse_plan
from .analysis.typing import ProgramTypes, infer_types
from .codegen.binding import Binding
from .codegen.calls import CalleeDerivative
from .codegen.emit import GENERATED_PACKAGE, globals_of, module_source
from .codegen.forward import ForwardGenerator
from .codegen.reverse import ReverseGenerator
from .codegen.specialise import specialise
from .errors import StAdError, caller_location
from .frontend.calls import primal_of
from .frontend.check import check_supported
from .frontend.normalize import normalize
from .frontend.source import FunctionSource, function_scope, load, python_function
from .rules import RULES

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
    return Program(src, split_bindings(normalize(src)), names, as_tuple)


def wrt_names(src: FunctionSource, wrt: Wrt) -> tuple[list[str], bool]:
    """Parameter names for ``wrt`` and whether the caller asked for a tuple."""
    try:
        positions, as_tuple = resolve_wrt(src.name, src.params, wrt)
    except WrtError as exc:
        raise src.error(src.tree, exc.message, exc.hint, cls=StAdError) from None
    return [src.params[k] for k in positions], as_tuple


class WrtError(Exception):
    """A bad ``wrt``: what is wrong and what to do (the caller adds where)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def resolve_wrt(name: str, params: list[str], wrt: object) -> tuple[list[int], bool]:
    """The positions ``wrt`` names among ``params`` (parameters of function ``name``) and
    whether a tuple was asked for. A negative position counts from the end, as in JAX's
    ``argnums=-1``."""
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    signature = f"{name}({', '.join(params)})"
    positions: list[int] = []
    for item in items:
        k = _position(signature, params, wrt, item)
        if k in positions:
            raise WrtError(f"wrt names `{params[k]}` twice", "list each argument once")
        positions.append(k)
    if not positions:
        raise WrtError("wrt is empty", "differentiate w.r.t. at least one argument")
    return positions, isinstance(wrt, tuple)


def _position(signature: str, params: list[str], wrt: object, item: object) -> int:
    n = len(params)
    if isinstance(item, (bool, numpy.bool_)):
        raise WrtError(
            f"wrt={wrt!r}: {item!r} is a bool, not a position or a parameter name",
            "pass e.g. wrt=0, wrt='x' or wrt=(0, 1)",
        )
    if isinstance(item, (int, numpy.integer)):
        if not -n <= int(item) < n:
            raise WrtError(
                f"wrt={int(item)} is out of range: {signature} has {n} parameter(s)",
                f"use a position between {-n} and {n - 1}, or a parameter name",
            )
        return int(item) % n
    if isinstance(item, str):
        if item not in params:
            raise WrtError(
                f"wrt={item!r} is not a parameter of {signature}",
                f"choose among {', '.join(params)}",
            )
        return params.index(item)
    raise WrtError(
        f"wrt={wrt!r}: expected an int position or a parameter name, got "
        f"{type(item).__name__} {item!r}",
        "pass e.g. wrt=0, wrt='x' or wrt=(0, 1)",
    )


def parameters(func: types.FunctionType) -> list[str]:
    """The parameter names of ``func`` (positional parameters; read without parsing)."""
    code = func.__code__
    return list(code.co_varnames[: code.co_argcount])


# generation -----------------------------------------------------------------------------------
# The entry points of each mode, and how the reverse generator writes each one.
ENTRIES = {"forward": ("tangent",), "reverse": ("grad", "value_and_grad", "vjp")}
_REVERSE_ENTRIES = {
    "grad": dict(with_value=False, seed_value=1.0),
    "value_and_grad": dict(seed_value=1.0),
    "vjp": dict(with_value=False),
}


@dataclass
class Generated:
    """A generator's functions, the callee derivatives they call and the derivative names it
    gave (for typing them)."""

    functions: list[gast.FunctionDef]
    callees: list[CalleeDerivative]
    names: dict[str, str]  # derivative name -> its primal's name
    cotangent: str | None  # the parameter holding the output's cotangent (vjp)


def generated_functions(p: Program, mode: str, entries: tuple[str, ...] | None = None) -> Generated:
    """The generated functions of ``mode`` (its ``entries``, all by default)."""
    name = p.fn.name
    entries = ENTRIES[mode] if entries is None else entries
    if mode == "forward":
        forward = ForwardGenerator(forward_plan(p.fn, p.wrt))
        functions = [forward.function(f"{name}_tangent")]
        derived = {d: v for v, d in forward.names.dots().items()}
        return Generated(functions, forward.callees.all(), derived, None)
    # Each entry point is generated whole rather than as a wrapper around a shared adjoint:
    # numba then compiles one function per entry point used, and grad stays in the
    # differentiable subset (st_ad.jvp(st_ad.grad(f)) gives Hessian-vector products).
    generator = ReverseGenerator(reverse_plan(p.fn, p.wrt), p.as_tuple)
    functions = [generator.function(f"{name}_{e}", **_REVERSE_ENTRIES[e]) for e in entries]
    derived = {b: v for v, b in generator.names.bars().items()}
    return Generated(functions, generator.callees.all(), derived, generator.seed)


def bindings_of(p: Program, callees: list[CalleeDerivative]) -> dict[str, Binding]:
    """The bindings of a module generated from ``p`` whose functions call ``callees``."""
    _, bindings = globals_of(p.src, p.fn)
    for c in callees:
        entry = f"{c.call.func.__name__}_{c.kind}"
        bindings[c.name] = Binding("callee", c.name, c.call.path, c.mode, c.wrt, entry)
    return bindings


def generate(
    p: Program, mode: str, signatures: list[Signature] | None = None
) -> tuple[str, list[Binding], dict[str, object]]:
    """The module source of ``mode``, its bindings and the objects they resolve to; with
    ``signatures``, the module of their entry points for those argument types."""
    entries = None if signatures is None else tuple(s.entry for s in signatures)
    made = generated_functions(p, mode, entries)
    functions = made.functions
    typed = None
    if signatures is not None:
        functions = [
            specialise(f, typed_names(p, s, made))
            for f, s in zip(functions, signatures, strict=True)
        ]
        typed = signatures[0].text() if len(signatures) == 1 else signatures[0].text(False)
    bindings = bindings_of(p, made.callees)
    injected = {n: resolve(b, p.src.func) for n, b in bindings.items()}
    kind = "tangent (forward mode)" if mode == "forward" else "adjoint (reverse mode)"
    source = module_source(p.src, p.fn, functions, kind, injected, typed)
    return source, list(bindings.values()), injected


# types ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Signature:
    """The argument types of one call of an entry point: the user function's arguments, then
    the entry's own (the output's cotangent for vjp, the tangents for tangent)."""

    entry: str
    arguments: tuple[numba.types.Type, ...]
    extra: tuple[numba.types.Type, ...] = ()

    def text(self, extra: bool = True) -> str:
        return ", ".join(str(t) for t in self.arguments + (self.extra if extra else ()))


def program_types(p: Program, argtypes: tuple[numba.types.Type, ...]) -> ProgramTypes:
    """The numba type of every name of ``p`` for one argument-type signature
    (``analysis/typing.py``), typed in the namespace its generated module will have."""
    return infer_types(p.fn, primal_namespace(p), argtypes)


def typed_names(p: Program, signature: Signature, made: Generated) -> dict[str, numba.types.Type]:
    """The types of the names of ``made``'s functions for ``signature``: the primal's, and
    a derivative name's as its primal's where the tangents or cotangent passed have their
    primal's types (else the derivative names stay untyped, and their helpers general)."""
    found = program_types(p, signature.arguments)
    names = dict(found.names)
    if signature.entry == "vjp":
        own = (found.result,)
    elif signature.entry == "tangent":
        own = tuple(found[w] for w in p.wrt)
    else:
        own = ()
    if tuple(numba.types.unliteral(t) for t in signature.extra) != own:
        return names
    for derived, primal in made.names.items():
        if primal in names:
            names[derived] = names[primal]
    if made.cotangent is not None and signature.entry == "vjp":
        names[made.cotangent] = found.result
    return names


def primal_namespace(p: Program) -> dict[str, object]:
    """The globals the normalised primal of ``p`` reads, as its generated module binds them:
    modules and literals as written, compiled callees and rules as injected."""
    lines, bindings = globals_of(p.src, p.fn)
    scope: dict[str, object] = {"np": numpy, "st": st_runtime}
    exec("\n".join(lines), scope)
    for n, b in bindings.items():
        scope[n] = resolve(b, p.src.func)
    return scope


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
        for rule in RULES.values():
            if b.name in rule.injected:
                return rule.injected[b.name]
        raise KeyError(b.name)
    obj = lookup_path(func, b.path)
    if b.kind == "global":
        return _jitted(obj) if isinstance(obj, types.FunctionType) else obj
    if b.kind == "primal":
        return primal_of(obj)
    if b.kind == "callee":  # a guard's function, in generated code differentiated again
        obj = getattr(obj, "st_guards", obj)
        return getattr(built(obj, b.wrt, b.mode, called=True), b.entry)
    raise ValueError(f"unknown binding kind {b.kind!r}")


# modules ------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def built(func: Callable, wrt: Wrt, mode: str, called: bool = False) -> types.ModuleType:
    """The generated module of ``mode`` for ``func``, for any argument types: from the on-disk
    cache when its key is there and intact, else generated (and stored)."""
    _refuse_reverse_of_generated(func, mode)
    key = cache.transform_key(func, wrt, mode)
    stem = f"{python_function(func).__name__}_{mode}"
    return _cached_module(func, key, stem, lambda: generate(program(func, wrt, called), mode))


def require(func: Callable, wrt: Wrt, mode: str) -> None:
    """Make sure the type-blind transform exists (generating it raises the errors of an
    unsupported program): an intact cache entry is enough, its module is not imported."""
    _refuse_reverse_of_generated(func, mode)
    if cache.read_entry(cache.transform_key(func, wrt, mode)) is None:
        built(func, wrt, mode)


@functools.lru_cache(maxsize=1024)
def built_for(
    func: Callable, wrt: Wrt, mode: str, signature: Signature, called: bool = False
) -> types.ModuleType:
    """The generated module of one entry point of ``mode`` for one argument-type signature:
    its helpers written out for those types (``codegen/specialise.py``)."""
    _refuse_reverse_of_generated(func, mode)
    key = cache.signature_key(
        cache.transform_key(func, wrt, mode), signature.text(), signature.entry
    )
    stem = f"{python_function(func).__name__}_{signature.entry}"  # the file says what it runs
    return _cached_module(
        func, key, stem, lambda: generate(program(func, wrt, called), mode, [signature])
    )


def _cached_module(
    func: Callable, key: str, stem: str, make: Callable[[], tuple[str, list[Binding], dict]]
) -> types.ModuleType:
    """The module of cache ``key``: read back (its bindings resolved anew), else ``make()``
    gives its source, bindings and their objects, and it is stored."""
    py = python_function(func)
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
    source, bindings, injected = make()
    _check_syntax(source, func)
    path = cache.write_module(source, stem)
    cache.write_entry(key, path, source, [b.to_json() for b in bindings])
    cache.STATS["generated"] += 1
    return _import(path, injected)


def _refuse_reverse_of_generated(func: Callable, mode: str) -> None:
    """Reverse mode over st_ad's own derivative code is not supported (its tape and tuple
    returns have no adjoint); say so at the user's call rather than at a generated line."""
    py = python_function(func)
    if mode == "reverse" and (py.__module__ or "").startswith(GENERATED_PACKAGE + "."):
        raise StAdError(
            f"`{py.__name__}` is a derivative st_ad generated, and reverse mode cannot "
            "differentiate st_ad's derivative code",
            hint="compose forward over reverse: st_ad.jvp(st_ad.grad(f)) gives "
            "Hessian-vector products; to read generated code, call st_ad.source(f, mode=...) "
            "on your own function",
            **caller_location(),
        )


def _import(path: Path, injected: dict[str, object]) -> types.ModuleType:
    module_name = f"{GENERATED_PACKAGE}.{path.stem}"
    if module_name in sys.modules and not injected:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(injected)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]  # a half-imported module must not be found again
        raise
    return module


def _check_syntax(source: str, func: Callable) -> None:
    """Generated code that Python cannot compile is st_ad's bug: say so before it is cached."""
    try:
        compile(source, "<st_ad generated>", "exec")
    except SyntaxError as exc:
        py = python_function(func)
        raise StAdError(
            f"internal error: st_ad generated invalid code for {py.__qualname__} "
            f"({exc.msg}, generated line {exc.lineno})",
            filename=py.__code__.co_filename,
            lineno=py.__code__.co_firstlineno,
            hint="please report this with the function's source; st_ad.source(f) shows the "
            "generated code",
        ) from None


def module_text(
    func: Callable, wrt: Wrt, mode: str, argtypes: tuple[numba.types.Type, ...] | None = None
) -> str:
    """The generated source of ``mode`` (what ``st_ad.source`` prints): for ``argtypes``, the
    code calls with those argument types run (each entry point's cotangent or tangents typed
    as the output or argument they belong to); without, the type-blind module."""
    _refuse_reverse_of_generated(func, mode)
    p = program(func, wrt)
    if argtypes is None:
        return generate(p, mode)[0]
    return generate(p, mode, entry_signatures(p, mode, argtypes))[0]


def entry_signatures(
    p: Program, mode: str, argtypes: tuple[numba.types.Type, ...]
) -> list[Signature]:
    """The signature of each entry point of ``mode`` called with ``argtypes``: a vjp's
    cotangent typed as the output, the tangents as the arguments they belong to."""
    found = program_types(p, argtypes)
    if mode == "forward":
        return [Signature("tangent", argtypes, tuple(found[w] for w in p.wrt))]
    return [
        Signature("grad", argtypes),
        Signature("value_and_grad", argtypes),
        Signature("vjp", argtypes, (found.result,)),
    ]


def forget() -> None:
    """Drop built transforms (after a rule changes, they would use the old one)."""
    program.cache_clear()
    built.cache_clear()
    built_for.cache_clear()
