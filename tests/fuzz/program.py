"""The program model: module source (helpers and ``f``) plus the argument values and ``wrt``.

A program is stored as Python source, edited structurally as an ``ast`` tree (the shrinker),
and written out as a self-contained *case file*::

    # ruff: noqa
    \"\"\"What went wrong.\"\"\"

    import numpy as np

    def f(x, a):
        ...

    ARGS = (np.array([0.3, 0.1], dtype=np.float64), 0.5)
    WRT = (0, 1)

``plain_function`` evaluates ``f`` as ordinary Python: ``numba`` is replaced by a stub whose
``njit`` returns the function unchanged, so the reference needs no compilation.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import math
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Wrt = int | str | tuple

FUNC_NAME = "f"
_IMPORTS = (
    ("math", "import math"),
    ("numba", "import numba"),
    ("np", "import numpy as np"),
)


@dataclasses.dataclass
class Program:
    """One test program: ``source`` defines ``f`` (and helpers); ``f(*args)`` is checked."""

    source: str
    args: tuple
    wrt: Wrt
    label: str = ""
    note: str = ""

    # -- rendering ---------------------------------------------------------------------------

    def text(self, note: str | None = None) -> str:
        """The self-contained case module: docstring, imports, functions, ``ARGS``, ``WRT``."""
        note = self.note if note is None else note
        body = self.source.strip("\n")
        used = _used_names(body)
        imports = "\n".join(line for name, line in _IMPORTS if name in used)
        head = "# ruff: noqa\n" + _docstring(note or self.label or "A generated st_ad test.")
        data = f"ARGS = {format_args(self.args)}\nWRT = {self.wrt!r}"
        parts = [head, imports, body, data] if imports else [head, body, data]
        return "\n\n\n".join(parts) + "\n"

    def tree(self) -> ast.Module:
        """A fresh ``ast`` tree of ``source`` (the caller may edit it)."""
        return ast.parse(self.source)

    def replace(self, **changes: Any) -> Program:
        return dataclasses.replace(self, **changes)

    def with_tree(self, tree: ast.Module) -> Program:
        return self.replace(source=ast.unparse(ast.fix_missing_locations(tree)) + "\n")

    # -- evaluation --------------------------------------------------------------------------

    def plain_function(self) -> Callable:
        """``f`` as plain Python (``numba.njit`` a no-op)."""
        return plain_namespace(self.text())[FUNC_NAME]

    def wrt_indices(self) -> tuple[int, ...]:
        return wrt_indices(self.source, self.wrt)

    # -- parsing -----------------------------------------------------------------------------

    @classmethod
    def from_text(cls, text: str, label: str = "") -> Program:
        """Parse a case module: its docstring, ``ARGS``, ``WRT`` and the remaining code."""
        tree = ast.parse(text)
        note = ast.get_docstring(tree) or ""
        keep: list[ast.stmt] = []
        data: dict[str, Any] = {}
        namespace = plain_namespace("import math\nimport numpy as np\n")
        for node in tree.body:
            if _is_docstring(node) or isinstance(node, ast.Import | ast.ImportFrom):
                continue
            target = _assigned_name(node)
            if target in ("ARGS", "WRT"):
                data[target] = eval(ast.unparse(node.value), namespace)  # noqa: S307
                continue
            keep.append(node)
        if "ARGS" not in data or "WRT" not in data:
            raise ValueError("a case module needs module-level ARGS and WRT")
        source = ast.unparse(ast.Module(body=keep, type_ignores=[])) + "\n"
        return cls(source=source, args=tuple(data["ARGS"]), wrt=data["WRT"], label=label, note=note)

    @classmethod
    def from_file(cls, path: str | Path) -> Program:
        path = Path(path)
        return cls.from_text(path.read_text(), label=path.name)


# ---------------------------------------------------------------------------------------------
# plain evaluation
# ---------------------------------------------------------------------------------------------


def _njit_stub(*args: Any, **kwargs: Any) -> Any:
    """``numba.njit`` as a no-op, in both ``@njit`` and ``@njit(...)`` forms."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda fn: fn


_NUMBA_STUB = types.SimpleNamespace(njit=_njit_stub, jit=_njit_stub)


def _plain_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    if name == "numba" or name.startswith("numba."):
        return _NUMBA_STUB
    return builtins.__import__(name, globals, locals, fromlist, level)


def plain_namespace(source: str) -> dict[str, Any]:
    """Execute ``source`` with ``numba`` stubbed out; returns its globals."""
    env_builtins = dict(vars(builtins))
    env_builtins["__import__"] = _plain_import
    namespace: dict[str, Any] = {"__builtins__": env_builtins, "__name__": "fuzz_plain"}
    exec(compile(source, "<fuzz program>", "exec"), namespace)  # noqa: S102
    return namespace


def wrt_indices(source: str, wrt: Wrt) -> tuple[int, ...]:
    """Positions of the ``wrt`` parameters of ``f`` in ``source``."""
    params = parameters(source)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return tuple(params.index(w) if isinstance(w, str) else int(w) for w in items)


def parameters(source: str) -> list[str]:
    """The parameter names of ``f``."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == FUNC_NAME:
            return [a.arg for a in node.args.args]
    raise ValueError(f"no function {FUNC_NAME!r} in the program")


# ---------------------------------------------------------------------------------------------
# formatting helpers
# ---------------------------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """Source text that rebuilds ``value`` exactly (floats, ints, float arrays)."""
    if isinstance(value, np.ndarray):
        dtype = "np.float32" if value.dtype == np.float32 else "np.float64"
        return f"np.array({_nested(value.astype(np.float64).tolist())}, dtype={dtype})"
    if isinstance(value, bool | int | np.integer):
        return repr(int(value))
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("non-finite argument")
    return repr(value)


def _nested(values: Any) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v) for v in values) + "]"
    return repr(float(values))


def format_args(args: tuple) -> str:
    inner = ", ".join(format_value(a) for a in args)
    return f"({inner},)" if len(args) == 1 else f"({inner})"


def _docstring(note: str) -> str:
    note = note.replace("\\", "\\\\").replace('"""', "'''").strip()
    return f'"""{note}\n"""' if "\n" in note else f'"""{note}"""'


def _used_names(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _assigned_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return target.id
    return None
