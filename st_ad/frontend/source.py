"""Fetch a function's source and parse it with gast; resolve the global names it reads."""

from __future__ import annotations

import builtins
import inspect
import textwrap
import types
from dataclasses import dataclass, field

import gast

from ..errors import StAdError, UnsupportedError


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
    """The Python function behind ``f``: itself, or the ``py_func`` of a numba dispatcher."""
    py_func = getattr(f, "py_func", None)
    if isinstance(py_func, types.FunctionType):
        return py_func
    if isinstance(f, types.FunctionType):
        return f
    raise StAdError(
        f"st_ad differentiates Python functions and numba @njit functions, not {type(f).__name__}",
        hint="pass a function defined with `def` (optionally decorated with numba.njit)",
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
    if func.__name__ == "<lambda>":
        raise UnsupportedError(
            "lambda functions cannot be differentiated",
            filename=func.__code__.co_filename,
            lineno=func.__code__.co_firstlineno,
            hint="define the function with `def`",
        )
    try:
        raw_lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise StAdError(
            f"cannot read the source of {func.__qualname__}: {exc}",
            filename=func.__code__.co_filename,
            lineno=func.__code__.co_firstlineno,
            hint="define the function in a .py file (st_ad transforms source code)",
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
