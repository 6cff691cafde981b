"""st_ad's runtime helpers as source for an exported module (``st_ad/export.py``).

Each module of ``st_ad/runtime`` is read (dependencies first), its relative and ``__future__``
imports removed, its other imports gathered for the top of the file, and the private names
two modules define differently renamed in the later one. ``RuntimeSource.body(needed)`` then
writes only the top-level statements the exported code needs: those defining a name it reads,
the registrations (``@overload(helper)``) of those, and, transitively, what they read.
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from . import runtime as _runtime_package
from .errors import StAdError


@dataclass(frozen=True)
class _Piece:
    """One top-level statement of a runtime module, with the comments just above it."""

    module: str
    text: str
    defines: frozenset[str]
    reads: frozenset[str]  # every name it reads, in its body and decorators
    registers: frozenset[str]  # names its decorators register it for (``@overload(name)``)


class RuntimeSource:
    """st_ad's runtime helpers as source, one piece per top-level statement, in the order of
    the modules (dependencies first)."""

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
        self.modules: list[tuple[str, str]] = []  # (module, its header comment)
        self.pieces: list[_Piece] = []
        for m in _dependency_order(order, sources):
            header, pieces = _pieces(m, self._module(m, sources[m], defined))
            self.modules.append((m, header))
            self.pieces += pieces
        self.names |= set(defined)
        missing = self.public - self.names
        if missing:  # pragma: no cover - st_ad's own consistency
            raise StAdError(f"st_ad.runtime exports undefined names: {sorted(missing)}")

    def body(self, needed: set[str]) -> str:
        """The pieces that define the names in ``needed`` or register overloads of them, and
        what those read, transitively; each module's kept pieces under its header."""
        wanted = set(needed)
        kept: set[int] = set()
        changed = True
        while changed:
            changed = False
            for k, piece in enumerate(self.pieces):
                if k not in kept and (piece.defines | piece.registers) & wanted:
                    kept.add(k)
                    wanted |= piece.reads
                    changed = True
        parts = []
        for module, header in self.modules:
            texts = [p.text for k, p in enumerate(self.pieces) if k in kept and p.module == module]
            if texts:
                parts.append(header + "\n\n" + "\n\n\n".join(texts))
        return "\n\n\n".join(parts)

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
                    self.names |= {bound_name(a) for a in s.names}
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


def _pieces(module: str, text: str) -> tuple[str, list[_Piece]]:
    """A module's final text as its header (the comment lines before its first statement) and
    one piece per top-level statement (with the comments just above it)."""
    tree = ast.parse(text)
    lines = text.splitlines()
    if not tree.body:
        return text.strip(), []
    start = _first_line(tree.body[0]) - 1
    while start > 0 and lines[start - 1].strip().startswith("#") and lines[start - 1].strip():
        start -= 1  # comments just above the first statement belong to it
    header = "\n".join(lines[:start]).strip()
    pieces = []
    for s in tree.body:
        first = _first_line(s) - 1
        while first > start and lines[first - 1].strip().startswith("#"):
            first -= 1
        body = "\n".join(lines[first : s.end_lineno]).strip()
        decorators = getattr(s, "decorator_list", [])
        pieces.append(
            _Piece(
                module,
                body,
                frozenset(_defined_names(s)),
                frozenset(_names_read(s)),
                frozenset(_registered(decorators)),
            )
        )
        start = s.end_lineno
    return header, pieces


def _registered(decorators: list[ast.expr]) -> set[str]:
    """The names a statement's decorators register it for: the arguments of a decorator call
    (``helper`` in ``@overload(helper, inline="always")``), not the decorator itself."""
    found: set[str] = set()
    for d in decorators:
        if isinstance(d, ast.Call):
            for a in d.args:
                found |= _names_read(a)
    return found


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


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


def bound_name(alias: ast.alias) -> str:
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
def runtime_source() -> RuntimeSource:
    return RuntimeSource()
