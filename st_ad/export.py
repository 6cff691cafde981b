"""Export: a function's derivative kernels as one standalone module that needs only numpy and
numba (and the standard library), to check into a repository, review and ship without st_ad.

``export(f, path)`` writes, in one namespace:

- the generated entry points of each mode (``f_grad``, ``f_value_and_grad``, ``f_vjp``;
  ``f_tangent``), ``@njit(cache=True)``;
- every binding of those modules written as source rather than injected: the derivative
  functions of called user functions (each callee's generated entry point, under the name
  the caller uses, with its own bindings), the called user functions themselves and what
  they read (their callees, constants, arrays), user rules, and global arrays;
- st_ad's runtime helpers, copied from ``st_ad/runtime/*.py``; generated code calls them as
  ``st.<name>``, and ``st`` is bound to the exported module itself.

One namespace means one meaning per name: two different definitions of a name (two modules'
constants, a user function named like a runtime helper) raise an ``StAdError``.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import io
import linecache
import math
import os
import re
import sys
import textwrap
import tokenize
import types
from collections.abc import Callable, Iterable
from pathlib import Path

import gast
import numpy as np

from . import runtime as _runtime_package
from . import transform
from ._version import VERSION
from .codegen.binding import Binding
from .codegen.emit import DECORATOR, globals_of, unparse
from .errors import StAdError
from .frontend.calls import python_source_function
from .frontend.source import function_scope, python_function

MODES = ("reverse", "forward")
_ENTRIES = {"reverse": ("grad", "value_and_grad", "vjp"), "forward": ("tangent",)}
_WIDTH = 96  # line width of array literals
_NJIT_OPTIONS = ("parallel", "fastmath", "error_model", "boundscheck")  # kept from @njit(...)


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


# the runtime ----------------------------------------------------------------------------------
class _Runtime:
    """st_ad's runtime helpers as one section of source: each module of ``st_ad/runtime``
    (dependencies first), with relative and ``__future__`` imports removed, the other
    imports gathered for the top of the file, and private names two modules define
    differently renamed in the later one."""

    def __init__(self) -> None:
        directory = Path(_runtime_package.__file__).parent
        sources = {p.stem: p.read_text() for p in sorted(directory.glob("*.py"))}
        init = ast.parse(sources.pop("__init__"))
        self.public = {
            (a.asname or a.name)
            for s in init.body
            if isinstance(s, ast.ImportFrom) and s.level == 1
            for a in s.names
        }
        listed = [s.module for s in init.body if isinstance(s, ast.ImportFrom) and s.level == 1]
        order = [m for m in listed if m in sources] + [m for m in sources if m not in listed]
        self.imports: list[ast.stmt] = []  # absolute imports, for the top of the file
        self.names: set[str] = set()  # every top-level name the section defines or imports
        defined: dict[str, str] = {}  # name -> the text of the statement defining it
        parts = []
        for m in _dependency_order(order, sources):
            parts.append(self._module(m, sources[m], defined))
        self.names |= set(defined)
        self.body = "\n\n\n".join(parts)
        missing = self.public - self.names
        if missing:  # pragma: no cover - st_ad's own consistency
            raise StAdError(f"st_ad.runtime exports undefined names: {sorted(missing)}")

    def _module(self, module: str, text: str, defined: dict[str, str]) -> str:
        tree = ast.parse(text)
        lines = text.splitlines()
        segment = {id(s): "\n".join(lines[_first_line(s) - 1 : s.end_lineno]) for s in tree.body}
        drop: dict[int, list[str]] = {}  # first line (0-based) -> replacement; spans dropped
        spans: list[tuple[int, int]] = []
        renames: dict[str, str] = {}
        for k, s in enumerate(tree.body):
            span = (_first_line(s) - 1, s.end_lineno)
            if k == 0 and _is_docstring(s):
                drop[span[0]] = [
                    f"# {row}".rstrip() for row in inspect.cleandoc(s.value.value).splitlines()
                ]
                spans.append(span)
            elif isinstance(s, (ast.Import, ast.ImportFrom)):
                if isinstance(s, ast.Import) or (s.level == 0 and s.module != "__future__"):
                    self.imports.append(s)
                    self.names |= {_bound_name(a) for a in s.names}
                spans.append(span)  # relative imports name what an earlier module defined
            else:
                for n in _defined_names(s):
                    if n not in defined:
                        defined[n] = segment[id(s)]
                    elif defined[n] == segment[id(s)]:
                        spans.append(span)  # the same definition: keep the first
                    elif n in self.public:  # pragma: no cover - st_ad's own consistency
                        raise StAdError(f"st_ad.runtime defines `{n}` twice, differently")
                    else:
                        renames[n] = f"_{module}{n}" if n.startswith("_") else f"_{module}_{n}"
        if renames:
            lines = _rename(text, renames).splitlines()
            for n, new in renames.items():
                defined[new] = f"(`{n}` of st_ad.runtime.{module})"
        out: list[str] = [f"# ---- st_ad.runtime.{module} ----"]
        skip = {row for a, b in spans for row in range(a, b)}
        for row, line in enumerate(lines):
            if row in drop:
                out += drop[row]
            elif row not in skip:
                out.append(line)
        return _collapse_blank_lines("\n".join(out)).strip()


def _dependency_order(order: list[str], sources: dict[str, str]) -> list[str]:
    """Modules in ``order``, each after the modules it imports from (``from .x import``)."""
    needs = {
        m: [
            s.module
            for s in ast.parse(sources[m]).body
            if isinstance(s, ast.ImportFrom) and s.level == 1 and s.module in sources
        ]
        for m in order
    }
    out: list[str] = []

    def visit(m: str, path: tuple[str, ...]) -> None:
        if m in out:
            return
        if m in path:  # pragma: no cover - st_ad's own consistency
            raise StAdError(f"st_ad.runtime modules import each other: {' -> '.join(path)}")
        for d in needs[m]:
            visit(d, path + (m,))
        out.append(m)

    for m in order:
        visit(m, ())
    return out


def _first_line(s: ast.stmt) -> int:
    decorators = getattr(s, "decorator_list", [])
    return min([s.lineno] + [d.lineno for d in decorators])


def _is_docstring(s: ast.stmt) -> bool:
    return (
        isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Constant)
        and isinstance(s.value.value, str)
    )


def _bound_name(alias: ast.alias) -> str:
    return alias.asname or alias.name.split(".")[0]


def _defined_names(s: ast.stmt) -> list[str]:
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [s.name]
    targets: list[ast.expr] = []
    if isinstance(s, ast.Assign):
        targets = s.targets
    elif isinstance(s, (ast.AnnAssign, ast.AugAssign)):
        targets = [s.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _rename(text: str, renames: dict[str, str]) -> str:
    """``text`` with the names in ``renames`` replaced (names only: not attributes, strings or
    comments), its layout kept."""
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.NAME and tok.string in renames:
            if not (previous is not None and previous.string == "."):
                row, col = tok.start
                edits.append((row - 1, col, col + len(tok.string), renames[tok.string]))
        if tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = tok
    for row, start, end, new in sorted(edits, reverse=True):
        lines[row] = lines[row][:start] + new + lines[row][end:]
    return "".join(lines)


def _collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n{4,}", "\n\n\n", text)


@functools.cache
def _runtime() -> _Runtime:
    return _Runtime()


# the exported namespace ---------------------------------------------------------------------
_HEADER_IMPORTS = ("import sys", "import numpy as np", "from numba import njit")


class _Exporter:
    """Collects the definitions of the exported module, one meaning per name."""

    def __init__(self, func: types.FunctionType) -> None:
        self.func = func
        self.runtime = _runtime()
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
            self.runtime.names - {_bound_name(a) for s in self.runtime.imports for a in s.names}
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
        functions, callees = transform.generated_functions(p, mode)
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
                    bound = _bound_name(a)
                    module = p.src.namespace.get(bound)
                    if bound not in used:
                        continue
                    if isinstance(module, types.ModuleType) and not _importable(module.__name__):
                        modules[bound] = module  # written out below: st_ad.x, mine.x
                    else:
                        self.add_import(s, f"a module {origin} reads")
            elif isinstance(s, ast.Assign) and s.targets[0].id in used:
                name = s.targets[0].id
                value = p.src.namespace.get(name)  # written as _literal writes it (np.inf)
                text = _literal(value) if _is_literal(value) else ast.unparse(s.value)
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
                helper = _runtime_name(target)
                if helper is None:
                    raise StAdError(
                        f"cannot export: {origin} uses {n}.{attr}, a part of st_ad that the "
                        "exported module cannot contain",
                        hint="of st_ad, exported code may only call st_ad.stop_gradient",
                    )
                rewrites[(n, attr)] = functools.partial(_attribute, family, "st", helper)
            else:
                flat = f"{n}_{attr}"
                self.global_value(flat, target, f"`{n}.{attr}` read by {origin}")
                rewrites[(n, attr)] = functools.partial(_name, family, flat)
        _Rewrite(rewrites).visit(tree)
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
        functions, callees = transform.generated_functions(p, b.mode)
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
        runtime_name = _runtime_name(obj)
        if runtime_name is not None:
            if name != runtime_name:
                self.constant(name, runtime_name, what)
            else:
                self.claim(name, ("runtime", name), what)
            return
        if isinstance(obj, types.ModuleType):
            if not _importable(obj.__name__):
                raise StAdError(
                    f"cannot export: {what} is the module {obj.__name__}, which the exported "
                    "module could not import without it",
                    hint="read only functions, constants and arrays of your own modules",
                )
            line = f"import {obj.__name__} as {name}" if name != obj.__name__ else f"import {name}"
            self.add_import(ast.parse(line).body[0], what)
        elif _is_literal(obj):
            text = _literal(obj)
            self.constant(name, text, f"`{name} = {text}` ({what})")
        elif isinstance(obj, np.ndarray):
            key = ("array", obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
            if self.claim(name, key, what):
                self.constants.append(f"{name} = {_array_literal(obj, what)}")
        elif python_source_function(obj) is not None:
            self.function(obj, name, what)
        else:
            found = _library_path(obj)
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
        tree, text = _function_source(py, what)
        scope = function_scope(py)
        free = _global_reads(py)
        loads = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
        defaults = tree.args.defaults + [d for d in tree.args.kw_defaults if d is not None]
        free |= {n.id for d in defaults for n in ast.walk(d) if isinstance(n, ast.Name)}
        origin = f"{py.__qualname__} ({_shown(py.__code__.co_filename)})"
        modules = {}
        for n in sorted({n.id for n in loads if n.id in free and n.id in scope}):
            value = scope[n]
            if isinstance(value, types.ModuleType) and not _importable(value.__name__):
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
        self.functions.append(f"# {what}\n{_decorator(obj)}\n{text.rstrip()}")

    # the module -------------------------------------------------------------------------------
    def text(self, modes: tuple[str, ...], wrt: transform.Wrt, output: str) -> str:
        sections = [self._header(modes, wrt, output)]
        sections.append(
            self._imports() + "\n\n"
            "# Generated code calls the runtime helpers (at the end of this file) as st.<name>:\n"
            "# st is this module.\n"
            "st = sys.modules[__name__]"
        )
        if self.constants:
            sections.append(
                "# constants read by the differentiated functions\n" + "\n".join(self.constants)
            )
        sections += self.functions + self.derivatives
        for mode, texts in self.entries:
            kind = "adjoint (reverse mode)" if mode == "reverse" else "tangent (forward mode)"
            sections.append(f"# ==== the {kind} of {self.func.__name__} ====")
            sections += texts
        sections.append(
            "# ==== st_ad's runtime helpers (copied from st_ad/runtime) ====\n" + self.runtime.body
        )
        return "\n\n\n".join(s.rstrip() for s in sections) + "\n"

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

    def _imports(self) -> str:
        std: list[str] = []
        third: list[str] = []
        froms: dict[str, list[str]] = {}
        for module, attr, bound in self.imports:
            if attr is None:
                plain = module == bound or (module.split(".")[0] == bound and "." in module)
                line = f"import {module}" if plain else f"import {module} as {bound}"
                (std if _stdlib(module) else third).append(line)
            else:
                froms.setdefault(module, []).append(attr if attr == bound else f"{attr} as {bound}")
        for module, names in froms.items():
            line = f"from {module} import {', '.join(sorted(names))}"
            (std if _stdlib(module) else third).append(line)

        def order(line: str) -> tuple[bool, str, str]:  # isort's: `import` lines first
            return (line.startswith("from"), line.split()[1], line)

        return "\n".join(sorted(std, key=order)) + "\n\n" + "\n".join(sorted(third, key=order))


def _shown(filename: str) -> str:
    """``filename`` relative to the current directory when it is under it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive
        return filename
    return filename if relative.startswith("..") else relative


def _stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names


def _importable(module: str) -> bool:
    """Whether the exported module may import ``module``: numpy, numba or the stdlib."""
    top = module.split(".")[0]
    return top in ("numpy", "numba") or top in sys.stdlib_module_names


def _runtime_name(obj: object) -> str | None:
    """The name of ``obj`` among st_ad's runtime helpers, if it is one."""
    for n in _runtime().public:
        if getattr(_runtime_package, n, None) is obj and obj is not None:
            return n
    return None


def _library_path(obj: object) -> tuple[str, str] | None:
    """``(module, name)`` to import a numpy, numba or stdlib object from."""
    name = getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if not isinstance(name, str) or not isinstance(module, str) or not _importable(module):
        return None
    candidates = [module.split(".")[0], module]
    if module.split(".")[0] == "numpy" and isinstance(obj, np.ufunc):
        candidates.insert(0, "numpy")
    for m in candidates:
        try:
            found = getattr(sys.modules.get(m) or __import__(m), name, None)
        except ImportError:
            continue
        if found is obj:
            return m, name
    return None


def _is_literal(obj: object) -> bool:
    if isinstance(obj, tuple):
        return all(_is_literal(o) for o in obj)
    return obj is None or isinstance(obj, (bool, int, float, complex, str, np.generic))


def _literal(obj: object) -> str:
    """Source for a constant (``_is_literal``): ``np.nan`` rather than ``nan``."""
    if isinstance(obj, tuple):
        inner = ", ".join(_literal(o) for o in obj)
        return f"({inner},)" if len(obj) == 1 else f"({inner})"
    if type(obj) in (float, complex):
        return _number(obj)
    return repr(obj)


def _name(family: types.ModuleType, name: str) -> ast.expr:
    if family is gast:
        return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
    return ast.Name(id=name, ctx=ast.Load())


def _attribute(family: types.ModuleType, value: str, attr: str) -> ast.expr:
    return family.Attribute(value=_name(family, value), attr=attr, ctx=family.Load())


class _Rewrite(ast.NodeTransformer):
    """``module.name`` -> a new expression (works on gast trees too)."""

    def __init__(self, rewrites: dict[tuple[str, str], Callable[[], ast.expr]]) -> None:
        self.rewrites = rewrites

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = node.value
        if type(value).__name__ == "Name" and (value.id, node.attr) in self.rewrites:
            return ast.copy_location(self.rewrites[(value.id, node.attr)](), node)
        return self.generic_visit(node)


def _global_reads(py: types.FunctionType) -> set[str]:
    """Names ``py``'s code reads from its globals or closure (nested code included)."""
    names: set[str] = set(py.__code__.co_freevars)
    stack = [py.__code__]
    while stack:
        code = stack.pop()
        names |= set(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def _function_source(py: types.FunctionType, what: str) -> tuple[ast.FunctionDef, str]:
    """The definition of ``py`` without decorators, and its text from the ``def`` line
    (comments kept); a lambda becomes a ``def`` returning its expression."""
    if py.__name__ == "<lambda>":
        return _lambda_source(py, what)
    try:
        text = textwrap.dedent(inspect.getsource(py))
    except (OSError, TypeError) as exc:
        raise StAdError(
            f"cannot export: cannot read the source of {what}: {exc}",
            hint="define it in a .py file",
        ) from None
    tree = ast.parse(text).body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise StAdError(f"cannot export: the source of {what} is not a `def`")
    tree.decorator_list = []
    lines = text.splitlines()[tree.lineno - 1 : tree.end_lineno]
    return tree, "\n".join(lines)


def _lambda_source(py: types.FunctionType, what: str) -> tuple[ast.FunctionDef, str]:
    code = py.__code__
    lines = linecache.getlines(code.co_filename, py.__globals__)
    params = list(code.co_varnames[: code.co_argcount])
    found = set()
    try:
        module = ast.parse("".join(lines))
    except SyntaxError:
        module = ast.Module(body=[], type_ignores=[])
    for node in ast.walk(module):
        if (
            isinstance(node, ast.Lambda)
            and node.lineno == code.co_firstlineno
            and [a.arg for a in node.args.args] == params
        ):
            found.add(
                f"def {code.co_name}({ast.unparse(node.args)}):\n"
                f"    return {ast.unparse(node.body)}"
            )
    if len(found) != 1:
        raise StAdError(
            f"cannot export: cannot find the source of {what} (a lambda)",
            hint="define it with `def`",
        )
    text = found.pop().replace("def <lambda>", "def _lambda", 1)
    tree = ast.parse(text).body[0]
    return tree, text


def _decorator(obj: object) -> str:
    options = getattr(obj, "targetoptions", {}) or {}
    kept = [f"{k}={options[k]!r}" for k in _NJIT_OPTIONS if options.get(k) not in (None, False)]
    return f"@njit({', '.join(['cache=True'] + kept)})"


def _array_literal(a: np.ndarray, what: str) -> str:
    if a.dtype.kind not in "biufc":
        raise StAdError(f"cannot export: {what} is an array of {a.dtype}, not numbers")
    dtype = (
        f"np.{a.dtype.name}"
        if getattr(np, a.dtype.name, None) is a.dtype.type
        else (f"np.dtype({a.dtype.str!r})")
    )
    if a.size == 0:
        return f"np.zeros({a.shape!r}, dtype={dtype})"
    body = _nested(a.tolist(), len("np.array("))
    return f"np.array({body}, dtype={dtype})"


def _number(v: object) -> str:
    if isinstance(v, complex):
        return f"complex({_number(v.real)}, {_number(v.imag)})"
    if isinstance(v, float):
        if math.isnan(v):
            return "np.nan"
        if math.isinf(v):
            return "np.inf" if v > 0 else "-np.inf"
    return repr(v)


def _nested(v: object, indent: int) -> str:
    """A nested list of numbers as source: one line if it fits, else one row per line."""
    if not isinstance(v, list):
        return _number(v)
    flat = "[" + ", ".join(_nested(e, 0) for e in v) + "]"
    if indent + len(flat) <= _WIDTH:
        return flat
    pad = " " * (indent + 1)
    if v and isinstance(v[0], list):
        rows = [_nested(e, indent + 1) for e in v]
        return "[" + (",\n" + pad).join(rows) + "]"
    wrapped = textwrap.wrap(
        ", ".join(_number(e) for e in v),
        width=max(_WIDTH - indent - 1, 20),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "[" + ("\n" + pad).join(wrapped) + "]"
