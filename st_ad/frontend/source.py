"""Fetch a function's source and parse it with gast; resolve the global names it reads."""

from __future__ import annotations

import builtins
import functools
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field

import gast
import numpy

from ..errors import StAdError, UnsupportedError, caller_location


@dataclass
class FunctionSource:
    """A parsed user function and what its names refer to when the transform is built."""

    func: types.FunctionType
    name: str
    filename: str
    first_line: int  # file line of the ``def`` line
    lines: list[str]  # the function's source lines, dedented
    tree: gast.FunctionDef
    params: list[str]
    namespace: dict[str, object] = field(default_factory=dict)

    def file_line(self, node: gast.AST) -> int:
        """The file line number of a node parsed from this source."""
        return self.first_line + getattr(node, "lineno", 1) - 1

    def text(self, node: gast.AST) -> str:
        index = getattr(node, "lineno", 1) - 1
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def error(self, node: gast.AST, message: str, hint: str, cls=UnsupportedError) -> StAdError:
        return cls(
            message,
            filename=self.filename,
            lineno=self.file_line(node),
            source_line=self.text(node),
            hint=hint,
        )

    def resolve(self, name: str) -> object:
        """The object a free name refers to (globals, closure cells, builtins)."""
        if name in self.namespace:
            return self.namespace[name]
        return getattr(builtins, name, _MISSING)


_MISSING = object()
MISSING = _MISSING


def python_function(f: object) -> types.FunctionType:
    """The Python function behind ``f``: itself, or the ``py_func`` of a numba dispatcher
    (of st_ad's type-blind derivative, for one st_ad returned)."""
    f = getattr(f, "st_generic", None) or f
    py_func = getattr(f, "py_func", None)
    if isinstance(py_func, types.FunctionType):
        return py_func
    if isinstance(f, types.FunctionType):
        return f
    what, hint = _not_a_function(f)
    raise StAdError(f"st_ad cannot differentiate {what}", hint=hint, **caller_location())


_WRAP = "wrap it in a function of your own, e.g. `def g(x): return {call}`, and differentiate g"


def _not_a_function(f: object) -> tuple[str, str]:
    """What ``f`` is, and what to pass instead (st_ad reads the source of a ``def``)."""
    label = getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)
    module = getattr(f, "__module__", None)
    full = f"{module}.{label}" if isinstance(module, str) and module != "builtins" else label
    if isinstance(f, (types.BuiltinFunctionType, types.BuiltinMethodType, numpy.ufunc)):
        return (
            f"`{full}`: it is a builtin (compiled code), with no Python source to transform",
            _WRAP.format(call=f"{full}(x)")
            + " (docs/primitives.md lists the numpy and math functions st_ad has rules for)",
        )
    if isinstance(f, functools.partial):
        inner = getattr(f.func, "__name__", "f")
        return (
            f"a functools.partial of `{inner}`: st_ad reads the source of a `def`",
            _WRAP.format(call=f"{inner}(x, ...)") + " with the bound values written in, "
            f"or differentiate `{inner}` itself and pass them as arguments",
        )
    if isinstance(f, types.MethodType):
        return (
            f"the bound method `{label}`: its `self` is not a number or an array",
            "move the computation into a module-level function that takes what it reads from "
            "self (arrays, numbers) as arguments",
        )
    if isinstance(f, type):
        return (f"the class `{label}`", "differentiate a function defined with `def`")
    if callable(f):
        cls = type(f).__qualname__
        return (
            f"an instance of `{cls}` (a callable object): st_ad differentiates functions",
            f"move `{cls}.__call__`'s computation into a module-level function that takes "
            "the instance's arrays and numbers as arguments",
        )
    return (
        f"{type(f).__name__} {f!r:.60}: it is not a function",
        "pass a function defined with `def` (optionally decorated with numba.njit)",
    )


def closure_values(func: types.FunctionType) -> dict[str, object]:
    """The values of the variables ``func`` closes over, by name (empty cells left out)."""
    values = {}
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or (), strict=True):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # an empty cell
            pass
    return values


def function_scope(func: types.FunctionType) -> dict[str, object]:
    """What a free name in ``func`` may refer to: its module's globals and its closure."""
    return {**func.__globals__, **closure_values(func)}


def load(f: object) -> FunctionSource:
    """Read and parse the source of ``f``."""
    func = python_function(f)
    code = func.__code__
    if func.__name__ == "<lambda>":
        raise UnsupportedError(
            "lambda functions cannot be differentiated",
            filename=code.co_filename,
            lineno=code.co_firstlineno,
            source_line=linecache.getline(code.co_filename, code.co_firstlineno).strip(),
            hint="define the function with `def` at module level",
        )
    try:
        raw_lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        where = f"{code.co_filename}, line {code.co_firstlineno}"
        raise StAdError(
            f"cannot read the source of {func.__qualname__} (defined in {where}): {exc}",
            hint="define the function with `def` in a .py file (not through exec, eval or "
            "the interactive prompt): st_ad transforms source code",
            **caller_location(),
        ) from None
    source = textwrap.dedent("".join(raw_lines))
    module = gast.parse(source)
    tree = module.body[0]
    if not isinstance(tree, gast.FunctionDef):
        raise StAdError(f"expected a function definition for {func.__qualname__}")
    tree.decorator_list = []
    params = [arg.id for arg in tree.args.args]
    namespace = function_scope(func)
    return FunctionSource(
        func=func,
        name=func.__name__,
        filename=func.__code__.co_filename,
        first_line=first_line,
        lines=source.splitlines(),
        tree=tree,
        params=params,
        namespace=namespace,
    )
