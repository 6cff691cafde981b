"""How the objects an exported module needs become its source (``st_ad/export.py``): user
functions and lambdas, numbers, arrays, library objects, and module reads rewritten to names
the exported module binds."""

from __future__ import annotations

import ast
import inspect
import linecache
import math
import sys
import textwrap
import types
from collections.abc import Callable

import gast
import numpy as np

from . import runtime as _runtime_package
from .errors import StAdError
from .export_runtime import runtime_source

_WIDTH = 96  # line width of array literals
_NJIT_OPTIONS = ("parallel", "fastmath", "error_model", "boundscheck")  # kept from @njit(...)


def stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names


def importable(module: str) -> bool:
    """Whether the exported module may import ``module``: numpy, numba or the stdlib."""
    top = module.split(".")[0]
    return top in ("numpy", "numba") or top in sys.stdlib_module_names


def runtime_name(obj: object) -> str | None:
    """The name of ``obj`` among st_ad's runtime helpers, if it is one."""
    for n in runtime_source().public:
        if getattr(_runtime_package, n, None) is obj and obj is not None:
            return n
    return None


def library_path(obj: object) -> tuple[str, str] | None:
    """``(module, name)`` to import a numpy, numba or stdlib object from."""
    name = getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if not isinstance(name, str) or not isinstance(module, str) or not importable(module):
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


def is_literal(obj: object) -> bool:
    if isinstance(obj, tuple):
        return all(is_literal(o) for o in obj)
    return obj is None or isinstance(obj, (bool, int, float, complex, str, np.generic))


def literal_source(obj: object) -> str:
    """Source for a constant (``is_literal``): ``np.nan`` rather than ``nan``."""
    if isinstance(obj, tuple):
        inner = ", ".join(literal_source(o) for o in obj)
        return f"({inner},)" if len(obj) == 1 else f"({inner})"
    if type(obj) in (float, complex):
        return number_source(obj)
    return repr(obj)


def name_node(family: types.ModuleType, name: str) -> ast.expr:
    if family is gast:
        return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
    return ast.Name(id=name, ctx=ast.Load())


def attribute_node(family: types.ModuleType, value: str, attr: str) -> ast.expr:
    return family.Attribute(value=name_node(family, value), attr=attr, ctx=family.Load())


class Rewrite(ast.NodeTransformer):
    """``module.name`` -> a new expression (works on gast trees too)."""

    def __init__(self, rewrites: dict[tuple[str, str], Callable[[], ast.expr]]) -> None:
        self.rewrites = rewrites

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        value = node.value
        if type(value).__name__ == "Name" and (value.id, node.attr) in self.rewrites:
            return ast.copy_location(self.rewrites[(value.id, node.attr)](), node)
        return self.generic_visit(node)


def global_reads(py: types.FunctionType) -> set[str]:
    """Names ``py``'s code reads from its globals or closure (nested code included)."""
    names: set[str] = set(py.__code__.co_freevars)
    stack = [py.__code__]
    while stack:
        code = stack.pop()
        names |= set(code.co_names)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def function_source(py: types.FunctionType, what: str) -> tuple[ast.FunctionDef, str]:
    """The definition of ``py`` without decorators, and its text from the ``def`` line
    (comments kept); a lambda becomes a ``def`` returning its expression."""
    if py.__name__ == "<lambda>":
        return lambda_source(py, what)
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


def lambda_source(py: types.FunctionType, what: str) -> tuple[ast.FunctionDef, str]:
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


def njit_decorator(obj: object) -> str:
    options = getattr(obj, "targetoptions", {}) or {}
    kept = [f"{k}={options[k]!r}" for k in _NJIT_OPTIONS if options.get(k) not in (None, False)]
    return f"@njit({', '.join(['cache=True'] + kept)})"


def array_literal(a: np.ndarray, what: str) -> str:
    if a.dtype.kind not in "biufc":
        raise StAdError(f"cannot export: {what} is an array of {a.dtype}, not numbers")
    dtype = (
        f"np.{a.dtype.name}"
        if getattr(np, a.dtype.name, None) is a.dtype.type
        else (f"np.dtype({a.dtype.str!r})")
    )
    if a.size == 0:
        return f"np.zeros({a.shape!r}, dtype={dtype})"
    body = nested_source(a.tolist(), len("np.array("))
    return f"np.array({body}, dtype={dtype})"


def number_source(v: object) -> str:
    if isinstance(v, complex):
        return f"complex({number_source(v.real)}, {number_source(v.imag)})"
    if isinstance(v, float):
        if math.isnan(v):
            return "np.nan"
        if math.isinf(v):
            return "np.inf" if v > 0 else "-np.inf"
    return repr(v)


def nested_source(v: object, indent: int) -> str:
    """A nested list of numbers as source: one line if it fits, else one row per line."""
    if not isinstance(v, list):
        return number_source(v)
    flat = "[" + ", ".join(nested_source(e, 0) for e in v) + "]"
    if indent + len(flat) <= _WIDTH:
        return flat
    pad = " " * (indent + 1)
    if v and isinstance(v[0], list):
        rows = [nested_source(e, indent + 1) for e in v]
        return "[" + (",\n" + pad).join(rows) + "]"
    wrapped = textwrap.wrap(
        ", ".join(number_source(e) for e in v),
        width=max(_WIDTH - indent - 1, 20),
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "[" + ("\n" + pad).join(wrapped) + "]"
