"""Export: a function's derivative kernels as one standalone module that needs only numpy and
numba (and the standard library), to check into a repository, review and ship without st_ad.

``export(f, path)`` writes, in one namespace:

- the generated entry points of each mode (``f_grad``, ``f_value_and_grad``, ``f_vjp``;
  ``f_tangent``), ``@njit(cache=True)``;
- every binding of those modules written as source rather than injected: the derivative
  functions of called user functions (each callee's generated entry point, under the name
  the caller uses, with its own bindings), the called user functions themselves and what
  they read (their callees, constants, arrays), user rules, and global arrays;
- the runtime helpers that code calls, and what they call in turn, copied from
  ``st_ad/runtime/*.py`` (``export_runtime.py``); generated code calls them as ``st.<name>``,
  and ``st`` is bound to the exported module itself. Objects become source in
  ``export_values.py``.

One namespace means one meaning per name: two different definitions of a name (two modules'
constants, a user function named like a runtime helper) raise an ``StAdError``.
"""

from __future__ import annotations

import ast
import copy
import functools
import os
import re
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import gast
import numpy as np

from . import transform
from .api import argument_types, split_types
from .codegen.binding import Binding
from .codegen.emit import DECORATOR, globals_of, unparse
from .errors import StAdError
from .export_layout import module_text, shown
from .export_runtime import bound_name, runtime_source
from .export_typed import typed_functions, types_text
from .export_values import (
    Rewrite,
    array_literal,
    attribute_node,
    function_source,
    global_reads,
    importable,
    is_literal,
    library_path,
    literal_source,
    name_node,
    njit_decorator,
    runtime_name,
)
from .frontend.argument_writes import argument_changes
from .frontend.calls import python_source_function
from .frontend.source import function_scope, python_function
from .transform import ENTRIES

MODES = ("reverse", "forward")


def export(
    f: Callable,
    path: str | os.PathLike,
    modes: str | Iterable[str] = MODES,
    wrt: transform.Wrt = 0,
    signatures: Iterable[Any] | None = None,
) -> Path:
    """Write the derivative kernels of ``f`` (modes ``"reverse"``: ``f_grad``,
    ``f_value_and_grad``, ``f_vjp``; ``"forward"``: ``f_tangent``) w.r.t. ``wrt`` to ``path``
    as a standalone module whose only imports are numpy, numba and the standard library.

    Without ``signatures`` the kernels are the type-blind ones, for any argument types. With
    them (each a string of numba types, ``"float64[:], int64"``, or a tuple of example values,
    numba types or type strings, one per parameter), the module holds, per signature, the code
    a call with those types runs, named for them (``f_grad_f64_1d_i64``) and compiled for them
    only (``export_typed.py``). Returns the path written."""
    out = Path(path)
    text = export_source(f, modes, wrt, output=shown(os.path.abspath(out)), signatures=signatures)
    out.write_text(text)
    return out


def export_source(
    f: Callable,
    modes: str | Iterable[str] = MODES,
    wrt: transform.Wrt = 0,
    output: str = "FILE.py",
    signatures: Iterable[Any] | None = None,
) -> str:
    """The text ``export`` writes (``output``: the file's name, for the header)."""
    modes = _modes(modes)
    if isinstance(wrt, list):
        wrt = tuple(wrt)
    try:
        hash(wrt)
    except TypeError:
        raise StAdError(f"wrt={wrt!r}: expected an int, a parameter name or a tuple") from None
    func = python_function(f)
    typed = _argument_types(f, signatures)
    exporter = _Exporter(func)
    for mode in modes:
        p = transform.program(f, wrt)
        for argtypes in typed or [None]:
            exporter.entry_points(p, mode, argtypes)
    return module_text(exporter, modes, wrt, output)


def _argument_types(f: Callable, signatures: Iterable[Any] | None) -> list[tuple]:
    """The argument types of each signature, in order, without repeats."""
    if signatures is None:
        return []
    if isinstance(signatures, str):
        raise StAdError(
            f"signatures={signatures!r}: expected a list of signatures",
            hint=f"pass signatures=[{signatures!r}] (one signature per item)",
        )
    found: list[tuple] = []
    for s in signatures:
        values = tuple(split_types(s)) if isinstance(s, str) else tuple(s)
        argtypes = argument_types(f, values)
        if argtypes not in found:
            found.append(argtypes)
    if not found:
        raise StAdError(
            "signatures is empty",
            hint='leave it out for the type-blind kernels, or pass e.g. ["float64[:]"]',
        )
    return found


def _modes(modes: str | Iterable[str]) -> tuple[str, ...]:
    items = (modes,) if isinstance(modes, str) else tuple(modes)
    out: list[str] = []
    for m in items:
        if m not in MODES:
            raise StAdError(f"mode {m!r}: expected 'reverse' or 'forward'")
        if m not in out:
            out.append(m)
    if not out:
        raise StAdError("modes is empty", hint="export modes=('reverse', 'forward') or one")
    return tuple(out)


# the exported namespace ---------------------------------------------------------------------
_HEADER_IMPORTS = ("import sys", "import numpy as np", "from numba import njit")


class _Exporter:
    """Collects the definitions of the exported module, one meaning per name."""

    def __init__(self, func: types.FunctionType) -> None:
        self.func = func
        self.runtime = runtime_source()
        self.claims: dict[str, tuple[object, str]] = {}
        self.imports: dict[tuple[str, str | None, str], None] = {}  # (module, attr, as)
        self.constants: list[str] = []
        self.functions: list[str] = []  # user functions, rules
        self.derivatives: list[str] = []  # derivatives of called functions
        self.entries: list[tuple[str, list[str]]] = []  # (mode, functions)
        self.signatures: list[tuple[str, list[str]]] = []  # (name, params) of entry points
        self.program: transform.Program | None = None  # the exported function's
        self.typed_entries = False  # the entry points being collected are a signature's
        for line in _HEADER_IMPORTS:
            self.add_import(ast.parse(line).body[0], "the exported module's imports")
        for s in self.runtime.imports:
            self.add_import(s, "st_ad's runtime helpers")
        for n in sorted(
            self.runtime.names - {bound_name(a) for s in self.runtime.imports for a in s.names}
        ):
            self.claim(n, ("runtime", n), f"st_ad's runtime helper `{n}`")
        self.claim("st", ("st",), "the runtime namespace `st` (this module)")

    # names ------------------------------------------------------------------------------------
    def claim(self, name: str, key: object, what: str) -> bool:
        """Reserve ``name`` for ``key``: True the first time (the caller emits it), False if
        it already stands for the same thing, an StAdError if for something else."""
        found = self.claims.get(name)
        if found is None:
            self.claims[name] = (key, what)
            return True
        if found[0] == key:
            return False
        raise StAdError(
            f"cannot export {self.func.__qualname__}: in the exported module, the name "
            f"`{name}` would stand for both {found[1]} and {what}",
            hint="rename one of them (the exported module is one namespace, shared with "
            "st_ad's runtime helpers)",
        )

    def add_import(self, s: ast.stmt, what: str) -> None:
        for a in s.names:
            if isinstance(s, ast.Import):
                module, attr = a.name, None
                bound = a.asname or a.name.split(".")[0]
                if a.asname is None and "." in a.name:
                    module = a.name.split(".")[0]
            else:
                module, attr = s.module, a.name
                bound = a.asname or a.name
            if self.claim(bound, ("import", module, attr), f"{what} ({ast.unparse(s)})"):
                self.imports[(module, attr, bound)] = None

    # entry points -----------------------------------------------------------------------------
    def entry_points(self, p: transform.Program, mode: str, argtypes: tuple | None) -> None:
        """The entry points of ``mode``: the type-blind ones, or those of ``argtypes``."""
        if argtypes is None:
            made = transform.generated_functions(p, mode)
            functions, callees = made.functions, made.callees
            decorators = [DECORATOR] * len(functions)
            kinds = [fd.name[len(p.fn.name) + 1 :] for fd in functions]
        else:
            functions, callees, decorators = typed_functions(p, mode, argtypes)
            kinds = list(ENTRIES[mode])
        for fd, kind in zip(functions, kinds, strict=True):
            self.claim(fd.name, ("entry", fd.name), f"the generated `{fd.name}`")
            self.signatures.append((fd.name, [a.id for a in fd.args.args], kind))
        self.typed_entries = argtypes is not None
        self._needs(p, functions, callees)
        texts = [self._generated(fd, d) for fd, d in zip(functions, decorators, strict=True)]
        for_types = "" if argtypes is None else types_text(argtypes)
        self.entries.append((mode, for_types, texts))
        self.program = p

    def _needs(self, p: transform.Program, functions: list, callees: list) -> None:
        """What ``functions`` (generated from ``p``) read: module lines and bindings (as
        ``transform.generate`` binds them), only those the functions use."""
        lines, _ = globals_of(p.src, p.fn)
        bindings = transform.bindings_of(p, callees)
        used = set()
        for fd in functions:
            used |= {n.id for n in gast.walk(fd) if isinstance(n, gast.Name)}
            for n in gast.walk(fd):
                if (
                    isinstance(n, gast.Attribute)
                    and isinstance(n.value, gast.Name)
                    and n.value.id == "st"
                    and n.attr not in self.runtime.public
                ):  # pragma: no cover - st_ad's own consistency
                    raise StAdError(f"generated code calls st.{n.attr}, not a runtime helper")
        origin = f"{p.src.name} ({shown(p.src.filename)})"
        modules = {}
        for line in lines:
            s = ast.parse(line).body[0]
            if isinstance(s, (ast.Import, ast.ImportFrom)):
                for a in s.names:
                    bound = bound_name(a)
                    module = p.src.namespace.get(bound)
                    if bound not in used:
                        continue
                    if isinstance(module, types.ModuleType) and not importable(module.__name__):
                        modules[bound] = module  # written out below: st_ad.x, mine.x
                    else:
                        self.add_import(s, f"a module {origin} reads")
            elif isinstance(s, ast.Assign) and s.targets[0].id in used:
                name = s.targets[0].id
                value = p.src.namespace.get(name)  # written as literal_source writes it (np.inf)
                text = literal_source(value) if is_literal(value) else ast.unparse(s.value)
                self.constant(name, text, f"`{name} = {text}` read by {origin}")
        for n, b in bindings.items():
            if n in used:
                self._binding(b, p.src.func)
        for fd in functions:
            self._module_reads(fd, modules, origin)

    def _module_reads(
        self, tree: ast.AST, modules: dict[str, types.ModuleType], origin: str
    ) -> bool:
        """Rewrite, in ``tree`` (an ast or a gast tree), reads ``module.name`` of modules the
        exported file cannot import: ``st_ad.stop_gradient`` -> ``st.stop_gradient``, a user
        module's ``mine.helper`` -> ``mine_helper``, bound here. Whether anything changed."""
        rewrites: dict[tuple[str, str], Callable[[], ast.expr]] = {}
        family = gast if type(tree).__module__.split(".")[0] == "gast" else ast
        for node in ast.walk(tree):
            if not (
                isinstance(node, family.Attribute)
                and isinstance(node.value, family.Name)
                and node.value.id in modules
            ):
                continue
            n, attr = node.value.id, node.attr
            if (n, attr) in rewrites:
                continue
            module = modules[n]
            target = getattr(module, attr, None)
            if module.__name__.split(".")[0] == "st_ad":
                helper = runtime_name(target)
                if helper is None:
                    raise StAdError(
                        f"cannot export: {origin} uses {n}.{attr}, a part of st_ad that the "
                        "exported module cannot contain",
                        hint="of st_ad, exported code may only call st_ad.stop_gradient",
                    )
                rewrites[(n, attr)] = functools.partial(attribute_node, family, "st", helper)
            else:
                flat = f"{n}_{attr}"
                self.global_value(flat, target, f"`{n}.{attr}` read by {origin}")
                rewrites[(n, attr)] = functools.partial(name_node, family, flat)
        Rewrite(rewrites).visit(tree)
        if any(isinstance(n, family.Name) and n.id in modules for n in ast.walk(tree)):
            raise StAdError(
                f"cannot export: {origin} uses a module that the exported module cannot "
                f"import ({', '.join(sorted(modules))}) other than as `module.name`",
                hint="read functions from your own modules as `module.name`",
            )
        return bool(rewrites)

    def _generated(self, fd: gast.FunctionDef, decorator: str = DECORATOR) -> str:
        return decorator + "\n" + unparse(fd).rstrip()

    def _binding(self, b: Binding, owner: types.FunctionType) -> None:
        where = f"{owner.__qualname__} ({shown(owner.__code__.co_filename)})"
        if b.kind == "callee":
            self._callee(b, owner)
        elif b.kind == "primal":
            obj = transform.lookup_path(owner, b.path)
            self._refuse_in_place_updates(obj, b.path)
            self.function(obj, b.name, f"the function `{b.path}` that {where} calls")
        elif b.kind == "rule":
            obj = transform.resolve(b, owner)
            self.function(obj, b.name, f"the rule `{b.name}` of `{b.path}`")
        elif b.kind == "global":
            obj = transform.lookup_path(owner, b.path)
            self.global_value(b.name, obj, f"the global `{b.path}` of {where}")
        else:  # pragma: no cover - st_ad's own consistency
            raise StAdError(f"cannot export a binding of kind {b.kind!r}")

    def _callee(self, b: Binding, owner: types.FunctionType) -> None:
        obj = transform.lookup_path(owner, b.path)
        key = ("callee", python_function(obj), b.wrt, b.mode, b.entry)
        what = f"the {b.mode}-mode derivative of `{b.path}` ({b.entry})"
        if not self.claim(b.name, key, what):
            return
        p = transform.program(obj, b.wrt, called=True)
        made = transform.generated_functions(p, b.mode)
        functions, callees = made.functions, made.callees
        fd = copy.deepcopy(next(fd for fd in functions if fd.name == b.entry))
        fd.name = b.name
        self._needs(p, [fd], callees)
        self.derivatives.append(
            f"# the {b.mode}-mode derivative of {p.src.name} ({shown(p.src.filename)}) "
            f"w.r.t. {', '.join(p.wrt)}: its {b.entry}\n" + self._generated(fd)
        )

    def _refuse_in_place_updates(self, obj: object, path: str) -> None:
        """Type-blind kernels call ``obj`` for any argument types: if it updates an argument
        in place (``v *= a``), an array passed there would change behind the derivative's
        back, and the exported module has no guard against it (st_ad's own modules do)."""
        if self.typed_entries:
            return  # the signatures' types were checked when their code was generated
        updates = argument_changes(getattr(obj, "py_func", obj)).updates
        if updates:
            c = updates[0]
            raise StAdError(
                f"cannot export the type-blind kernels: `{path}` updates its argument "
                f"`{c.param}` in place, which is wrong for an array argument",
                filename=c.filename,
                lineno=c.line,
                source_line=c.text,
                hint="export with signatures=[...] (their types say whether it is an array), "
                f"or write `{c.param} = {c.param} ...` instead of updating it in place",
            )

    # values -----------------------------------------------------------------------------------
    def constant(self, name: str, value_text: str, what: str) -> None:
        if self.claim(name, ("value", value_text), what):
            self.constants.append(f"{name} = {value_text}")

    def global_value(self, name: str, obj: object, what: str) -> None:
        """Bind ``name`` to ``obj`` (a global a function reads) in the exported module."""
        helper = runtime_name(obj)
        if helper is not None:
            if name != helper:
                self.constant(name, helper, what)
            else:
                self.claim(name, ("runtime", name), what)
            return
        if isinstance(obj, types.ModuleType):
            if not importable(obj.__name__):
                raise StAdError(
                    f"cannot export: {what} is the module {obj.__name__}, which the exported "
                    "module could not import without it",
                    hint="read only functions, constants and arrays of your own modules",
                )
            line = f"import {obj.__name__} as {name}" if name != obj.__name__ else f"import {name}"
            self.add_import(ast.parse(line).body[0], what)
        elif is_literal(obj):
            text = literal_source(obj)
            self.constant(name, text, f"`{name} = {text}` ({what})")
        elif isinstance(obj, np.ndarray):
            key = ("array", obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
            if self.claim(name, key, what):
                self.constants.append(f"{name} = {array_literal(obj, what)}")
        elif python_source_function(obj) is not None:
            self.function(obj, name, what)
        else:
            found = library_path(obj)
            if found is None:
                raise StAdError(
                    f"cannot export: {what} is {type(obj).__name__} {obj!r}, which cannot be "
                    "written as source",
                    hint="read numbers, tuples, arrays and functions from the module instead",
                )
            module, attr = found
            line = f"from {module} import {attr}" + (f" as {name}" if name != attr else "")
            self.add_import(ast.parse(line).body[0], what)

    def function(self, obj: object, name: str, what: str) -> None:
        """The user's function ``obj`` as njit'd source named ``name``, with what it reads."""
        py = getattr(obj, "py_func", obj)
        if not isinstance(py, types.FunctionType):
            raise StAdError(f"cannot export: {what} is {type(obj).__name__}, not a function")
        if not self.claim(name, ("function", py), what):
            return
        tree, text = function_source(py, what)
        scope = function_scope(py)
        free = global_reads(py)
        loads = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
        defaults = tree.args.defaults + [d for d in tree.args.kw_defaults if d is not None]
        free |= {n.id for d in defaults for n in ast.walk(d) if isinstance(n, ast.Name)}
        origin = f"{py.__qualname__} ({shown(py.__code__.co_filename)})"
        modules = {}
        for n in sorted({n.id for n in loads if n.id in free and n.id in scope}):
            value = scope[n]
            if isinstance(value, types.ModuleType) and not importable(value.__name__):
                modules[n] = value
            else:
                self.global_value(n, value, f"the global `{n}` of {origin}")
        if self._module_reads(tree, modules, origin):
            tree.name = name
            text = ast.unparse(tree)
        elif tree.name != name:
            first, _, rest = text.partition("\n")
            first = re.sub(rf"^def\s+{re.escape(tree.name)}\b", f"def {name}", first)
            text = first + ("\n" + rest if rest else "")
        self.functions.append(f"# {what}\n{njit_decorator(obj)}\n{text.rstrip()}")
