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

import gast
import numpy as np

from . import transform
from ._version import VERSION
from .codegen.binding import Binding
from .codegen.emit import DECORATOR, globals_of, unparse
from .errors import StAdError
from .export_runtime import bound_name, runtime_source
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
    stdlib,
)
from .frontend.calls import python_source_function
from .frontend.source import function_scope, python_function

MODES = ("reverse", "forward")
_ENTRIES = {"reverse": ("grad", "value_and_grad", "vjp"), "forward": ("tangent",)}


def export(
    f: Callable,
    path: str | os.PathLike,
    modes: str | Iterable[str] = MODES,
    wrt: transform.Wrt = 0,
) -> Path:
    """Write the derivative kernels of ``f`` (modes ``"reverse"``: ``f_grad``,
    ``f_value_and_grad``, ``f_vjp``; ``"forward"``: ``f_tangent``) w.r.t. ``wrt`` to ``path``
    as a standalone module whose only imports are numpy, numba and the standard library.
    Returns the path written."""
    out = Path(path)
    out.write_text(export_source(f, modes, wrt, output=_shown(os.path.abspath(out))))
    return out


def export_source(
    f: Callable,
    modes: str | Iterable[str] = MODES,
    wrt: transform.Wrt = 0,
    output: str = "FILE.py",
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
    exporter = _Exporter(func)
    for mode in modes:
        exporter.entry_points(transform.program(f, wrt), mode)
    return exporter.text(modes, wrt, output)


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
    def entry_points(self, p: transform.Program, mode: str) -> None:
        made = transform.generated_functions(p, mode)
        functions, callees = made.functions, made.callees
        texts = []
        for fd in functions:
            self.claim(fd.name, ("entry", fd.name), f"the generated `{fd.name}`")
            self.signatures.append((fd.name, [a.id for a in fd.args.args]))
        self._needs(p, functions, callees)
        for fd in functions:
            texts.append(self._generated(fd))
        self.entries.append((mode, texts))
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
        origin = f"{p.src.name} ({_shown(p.src.filename)})"
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

    def _generated(self, fd: gast.FunctionDef) -> str:
        return DECORATOR + "\n" + unparse(fd).rstrip()

    def _binding(self, b: Binding, owner: types.FunctionType) -> None:
        where = f"{owner.__qualname__} ({_shown(owner.__code__.co_filename)})"
        if b.kind == "callee":
            self._callee(b, owner)
        elif b.kind == "primal":
            obj = transform.lookup_path(owner, b.path)
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
            f"# the {b.mode}-mode derivative of {p.src.name} ({_shown(p.src.filename)}) "
            f"w.r.t. {', '.join(p.wrt)}: its {b.entry}\n" + self._generated(fd)
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
        origin = f"{py.__qualname__} ({_shown(py.__code__.co_filename)})"
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

    # the module -------------------------------------------------------------------------------
    def text(self, modes: tuple[str, ...], wrt: transform.Wrt, output: str) -> str:
        code = []
        if self.constants:
            code.append(
                "# constants read by the differentiated functions\n" + "\n".join(self.constants)
            )
        code += self.functions + self.derivatives
        for mode, texts in self.entries:
            kind = "adjoint (reverse mode)" if mode == "reverse" else "tangent (forward mode)"
            code.append(f"# ==== the {kind} of {self.func.__name__} ====")
            code += texts
        # only the runtime helpers the code calls, and only the imports something reads
        runtime = self.runtime.body(_names_used("\n".join(code)) & self.runtime.names)
        if runtime:
            code.append(
                "# ==== st_ad's runtime helpers this module calls (copied from st_ad/runtime) "
                "====\n" + runtime
            )
        used = _names_used("\n".join(code)) | {"sys"}
        sections = [self._header(modes, wrt, output)]
        sections.append(
            self._imports(used) + "\n\n"
            "# Generated code calls the runtime helpers (at the end of this file) as st.<name>:\n"
            "# st is this module.\n"
            "st = sys.modules[__name__]"
        )
        return "\n\n\n".join(s.rstrip() for s in sections + code) + "\n"

    def _header(self, modes: tuple[str, ...], wrt: transform.Wrt, output: str) -> str:
        func = self.func
        p = self.program
        filename = _shown(func.__code__.co_filename)
        target = f"{func.__module__}:{func.__qualname__}"
        mode_text = ", ".join(modes)
        wrt_text = str(wrt)
        if isinstance(wrt, tuple):  # a trailing comma makes a tuple of one
            wrt_text = ",".join(str(w) for w in wrt) + ("," if len(wrt) == 1 else "")
        rows = [
            f"# Generated by st_ad {VERSION} from {target} ({filename}, line "
            f"{func.__code__.co_firstlineno})",
            f"# modes: {mode_text}; wrt={wrt!r} (differentiated w.r.t. {', '.join(p.wrt)})",
            "# Do not edit: regenerate with st_ad.export, or",
            f"#   python -m st_ad export {target} -o {output} "
            + ("" if len(modes) == 2 else f"--mode {modes[0]} ")
            + f"--wrt {wrt_text}",
            "#",
        ]
        if func.__module__ == "__main__" or "<locals>" in func.__qualname__:
            rows[2:4] = ["# Do not edit: regenerate with st_ad.export."]
        rows += [
            "# A standalone module: it needs numpy and numba, not st_ad. Its functions are",
            "# numba dispatchers (compiled on first call, cached by numba), callable from",
            "# Python and from other @njit code:",
        ]
        names = ", ".join(p.wrt)
        value = f"{func.__name__}(...)"
        grads = "a tuple of gradients" if p.as_tuple else "the gradient"
        for name, params in self.signatures:
            call = f"#   {name}({', '.join(params)}) -> "
            kind = name[len(func.__name__) + 1 :]
            rows.append(
                call
                + {
                    "grad": f"{grads} of {value} w.r.t. {names}",
                    "value_and_grad": f"({value}, {grads})",
                    "vjp": f"the cotangent(s) of {names}, given the cotangent "
                    f"{params[-1]} of {value}",
                    "tangent": f"({value}, its derivative along the tangent(s) of {names})",
                }[kind]
            )
        rows.append("# ruff: noqa")  # generated: it may compute values it does not use
        return "\n".join(rows)

    def _imports(self, used: set[str]) -> str:
        """The import lines, of the modules and names in ``used``."""
        std: list[str] = []
        third: list[str] = []
        froms: dict[str, list[str]] = {}
        for module, attr, bound in self.imports:
            if bound not in used:
                continue
            if attr is None:
                plain = module == bound or (module.split(".")[0] == bound and "." in module)
                line = f"import {module}" if plain else f"import {module} as {bound}"
                (std if stdlib(module) else third).append(line)
            else:
                froms.setdefault(module, []).append(attr if attr == bound else f"{attr} as {bound}")
        for module, names in froms.items():
            line = f"from {module} import {', '.join(sorted(names))}"
            (std if stdlib(module) else third).append(line)

        def order(line: str) -> tuple[bool, str, str]:  # isort's: `import` lines first
            return (line.startswith("from"), line.split()[1], line)

        return "\n".join(sorted(std, key=order)) + "\n\n" + "\n".join(sorted(third, key=order))


def _names_used(text: str) -> set[str]:
    """The names ``text`` reads, and the attributes it reads of ``st`` (this module)."""
    found = set()
    for n in ast.walk(ast.parse(text)):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "st":
            found.add(n.attr)
    return found


def _shown(filename: str) -> str:
    """``filename`` relative to the current directory when it is under it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive
        return filename
    return filename if relative.startswith("..") else relative
