"""Structural simplifications of a program, for the shrinker.

``simplifications(program)`` yields smaller variants, roughly largest reduction first:

* fewer ``wrt`` parameters;
* statements deleted (chunks, then one at a time), helpers no longer called removed;
* an ``if``/``for``/``while`` replaced by its body (a ``for`` body preceded by
  ``i = <first value>``), ``elif``/``else`` dropped;
* smaller constant trip counts;
* an expression replaced by one of its operands, a parameter or a constant of the same kind
  (kinds are observed by running the instrumented plain function once, ``probe_kinds``);
* unused parameters dropped, argument values rounded.

Every variant is a valid Python module; whether it still runs and still fails is for the
shrinker to decide.
"""

from __future__ import annotations

import ast
import copy
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .program import FUNC_NAME, Program, parameters, plain_namespace, wrt_indices

Kind = Any  # "f", "i", ("a", shape, dtype), "o" (other) or "mixed"


# ---------------------------------------------------------------------------------------------
# statement lists
# ---------------------------------------------------------------------------------------------


def _bodies(tree: ast.Module) -> list[list[ast.stmt]]:
    """Every statement list in the module's functions (function bodies first)."""
    found: list[list[ast.stmt]] = []
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    functions.sort(key=lambda n: n.name != FUNC_NAME)
    for fn in functions:
        found.append(fn.body)
        for node in ast.walk(fn):
            if node is fn:
                continue
            for field in ("body", "orelse"):
                block = getattr(node, field, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    found.append(block)
    return found


def _variants(program: Program, edit: Callable[[ast.Module], bool]) -> Iterator[Program]:
    """``edit`` applied to a fresh tree (it returns False when it did not apply)."""
    tree = program.tree()
    if edit(tree):
        yield program.with_tree(tree)


def _statement_deletions(program: Program) -> Iterator[Program]:
    """Delete chunks of statements from each statement list (halves first, then singles)."""
    count = len(_bodies(program.tree()))
    for b in range(count):
        size = len(_bodies(program.tree())[b])
        chunk = max(1, size // 2)
        while chunk >= 1:
            for start in range(0, size, chunk):

                def edit(tree: ast.Module, b: int = b, start: int = start, chunk: int = chunk):
                    body = _bodies(tree)[b]
                    is_function = body is _function(tree, body)
                    keep = body[:start] + body[start + chunk :]
                    if not keep or (is_function and not isinstance(keep[-1], ast.Return)):
                        return False
                    if any(_is_counter_step(st, tree) for st in body[start : start + chunk]):
                        return False  # the while loop would never end
                    body[:] = keep
                    return True

                yield from _variants(program, edit)
            chunk //= 2


def _is_counter_step(stmt: ast.stmt, tree: ast.Module) -> bool:
    """``k += 1`` opening a ``while`` body: the statement that makes the loop terminate."""
    if not (isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name)):
        return False
    return any(isinstance(n, ast.While) and n.body and n.body[0] is stmt for n in ast.walk(tree))


def _function(tree: ast.Module, body: list[ast.stmt]) -> list[ast.stmt] | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.body is body:
            return body
    return None


def _compound_replacements(program: Program) -> Iterator[Program]:
    """An ``if``/``for``/``while`` replaced by its body; ``elif``/``else`` dropped."""
    count = len(_bodies(program.tree()))
    for b in range(count):
        size = len(_bodies(program.tree())[b])
        for k in range(size):
            for how in ("body", "orelse", "drop_else", "first_iteration"):

                def edit(tree: ast.Module, b: int = b, k: int = k, how: str = how) -> bool:
                    body = _bodies(tree)[b]
                    node = body[k]
                    new = _replace_compound(node, how)
                    if new is None:
                        return False
                    body[k : k + 1] = new
                    return True

                yield from _variants(program, edit)


def _replace_compound(node: ast.stmt, how: str) -> list[ast.stmt] | None:
    if isinstance(node, ast.If):
        if how == "body":
            return node.body
        if how == "orelse" and node.orelse:
            return node.orelse
        if how == "drop_else" and node.orelse:
            node.orelse = []
            return [node]
        return None
    if isinstance(node, ast.While) and how == "body":
        return node.body
    if isinstance(node, ast.For) and how == "first_iteration":
        call = node.iter
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "range"
            and call.args
        ):
            return None
        start = call.args[0] if len(call.args) >= 2 else ast.Constant(0)
        first = ast.Assign(targets=[copy.deepcopy(node.target)], value=copy.deepcopy(start))
        return [first, *node.body]
    return None


def _trip_counts(program: Program) -> Iterator[Program]:
    """``range(K)`` with a smaller constant ``K`` (and ``range(n)`` -> ``range(1)``)."""
    nodes = list(ast.walk(program.tree()))
    for k, node in enumerate(nodes):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and len(node.args) == 1
        ):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
            smaller = range(arg.value - 1, 0, -1) if arg.value > 1 else ()
        else:
            smaller = (1, 2)
        for value in smaller:

            def edit(tree: ast.Module, k: int = k, value: int = value) -> bool:
                target = list(ast.walk(tree))[k]
                target.args[0] = ast.Constant(value)
                return True

            yield from _variants(program, edit)


# ---------------------------------------------------------------------------------------------
# expressions
# ---------------------------------------------------------------------------------------------

_PROBED = (
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Name,
    ast.Subscript,
    ast.IfExp,
    ast.Attribute,
    ast.Constant,
)


def _probe_targets(tree: ast.Module) -> dict[int, ast.expr]:
    """Expression nodes whose value can be observed, by position in ``ast.walk`` order."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            skip.add(id(node.func))
            for kw in node.keywords:
                skip.add(id(kw.value))
        if isinstance(node, ast.Slice):
            for child in ast.walk(node):
                skip.add(id(child))
        if isinstance(node, ast.Subscript):
            for child in ast.walk(node.slice):
                skip.add(id(child))
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                for child in ast.walk(dec):
                    skip.add(id(child))
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("np", "math", "numba")
        ):
            skip.add(id(node.value))
    found = {}
    for k, node in enumerate(ast.walk(tree)):
        if not isinstance(node, _PROBED) or id(node) in skip:
            continue
        if isinstance(getattr(node, "ctx", None), ast.Store | ast.Del):
            continue
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            continue
        found[k] = node
    return found


def _kind(value: Any) -> Kind:
    if isinstance(value, np.ndarray):
        return ("a", value.shape, str(value.dtype))
    if isinstance(value, bool | np.bool_):
        return "b"
    if isinstance(value, float | np.floating):
        return "f"
    if isinstance(value, int | np.integer):
        return "i"
    return "o"


def probe_kinds(program: Program) -> dict[int, Kind]:
    """The kind of value each expression node takes when ``f`` runs on its arguments."""
    tree = program.tree()
    targets = _probe_targets(tree)
    seen: dict[int, Kind] = {}

    def probe(k: int, value: Any) -> Any:
        kind = _kind(value)
        if seen.setdefault(k, kind) != kind:
            seen[k] = "mixed"
        return value

    class Wrap(ast.NodeTransformer):
        def generic_visit(self, node: ast.AST) -> ast.AST:
            k = getattr(node, "_probe", None)
            super().generic_visit(node)
            if k is None:
                return node
            return ast.Call(
                func=ast.Name("__probe__", ast.Load()), args=[ast.Constant(k), node], keywords=[]
            )

    for k, node in targets.items():
        node._probe = k
    instrumented = ast.fix_missing_locations(Wrap().visit(tree))
    try:
        namespace = plain_namespace(_imports() + ast.unparse(instrumented))
        namespace["__probe__"] = probe
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in program.args)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            namespace[FUNC_NAME](*args)
    except Exception:  # noqa: BLE001 - no kinds: no expression simplifications
        return {}
    return seen


def _imports() -> str:
    return "import math\nimport numba\nimport numpy as np\n"


def _expression_replacements(program: Program) -> Iterator[Program]:
    """Replace an expression by an operand, a parameter or a constant of the same kind."""
    kinds = probe_kinds(program)
    if not kinds:
        return
    tree = program.tree()
    nodes = list(ast.walk(tree))
    params = _param_kinds(program)
    for k, node in _probe_targets(tree).items():
        kind = kinds.get(k)
        if kind not in ("f",) and not (isinstance(kind, tuple) and kind[0] == "a"):
            continue
        replacements: list[ast.expr] = []
        for child in ast.iter_child_nodes(node):
            ck = nodes.index(child) if child in nodes else -1
            if kinds.get(ck) == kind:
                replacements.append(child)
        if not isinstance(node, ast.Name | ast.Constant):
            replacements += [ast.Name(p, ast.Load()) for p, pk in params.items() if pk == kind]
        if kind == "f" and not isinstance(node, ast.Constant):
            replacements += [ast.Constant(0.5), ast.Constant(1.0)]
        for rep in replacements:

            def edit(tree: ast.Module, k: int = k, rep: ast.expr = rep) -> bool:
                target = list(ast.walk(tree))[k]
                return _substitute(tree, target, copy.deepcopy(rep))

            yield from _variants(program, edit)


def _substitute(tree: ast.Module, old: ast.expr, new: ast.expr) -> bool:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return True
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return True
    return False


def _param_kinds(program: Program) -> dict[str, Kind]:
    names = parameters(program.source)
    return {
        n: _kind(a)
        for n, a in zip(names, program.args, strict=True)
        if _kind(a) in ("f",) or isinstance(_kind(a), tuple)
    }


# ---------------------------------------------------------------------------------------------
# parameters, arguments, helpers
# ---------------------------------------------------------------------------------------------


def _wrt_reductions(program: Program) -> Iterator[Program]:
    """The same program differentiated w.r.t. one parameter fewer."""
    if not isinstance(program.wrt, tuple) or len(program.wrt) < 2:
        return
    for k in range(len(program.wrt)):
        yield program.replace(wrt=program.wrt[:k] + program.wrt[k + 1 :])


def _unused_parameters(program: Program) -> Iterator[Program]:
    """Drop a parameter ``f`` never reads (not in ``wrt``); positions in ``wrt`` shift."""
    names = parameters(program.source)
    chosen = set(wrt_indices(program.source, program.wrt))
    tree = program.tree()
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == FUNC_NAME)
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name)}
    for k, name in enumerate(names):
        if k in chosen or name in read:
            continue
        fn.args.args = [a for a in fn.args.args if a.arg != name]
        args = program.args[:k] + program.args[k + 1 :]
        wrt = program.wrt
        if isinstance(wrt, tuple):
            wrt = tuple(w - (w > k) if isinstance(w, int) else w for w in wrt)
        elif isinstance(wrt, int):
            wrt = wrt - (wrt > k)
        yield program.with_tree(tree).replace(args=args, wrt=wrt)
        return


def _rounded_arguments(program: Program) -> Iterator[Program]:
    """Argument values rounded to two decimals (easier to read in a kept case)."""
    rounded = []
    for a in program.args:
        if isinstance(a, np.ndarray):
            rounded.append(np.round(a, 2).astype(a.dtype))
        elif isinstance(a, float):
            rounded.append(round(a, 2))
        else:
            rounded.append(a)
    if any(not _same(a, b) for a, b in zip(rounded, program.args, strict=True)):
        yield program.replace(args=tuple(rounded))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    return a == b


def unused_helpers_removed(program: Program) -> Program:
    """The program without module-level functions nothing calls (no check needed)."""
    tree = program.tree()
    removed = False
    while True:
        keep = [
            n
            for n in tree.body
            if not isinstance(n, ast.FunctionDef)
            or n.name == FUNC_NAME
            or _calls_elsewhere(tree, n.name)
        ]
        if len(keep) == len(tree.body):
            return program.with_tree(tree) if removed else program
        tree.body, removed = keep, True


def _calls_elsewhere(tree: ast.Module, name: str) -> bool:
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef) and fn.name != name:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(fn)):
                return True
    return False


def well_formed(program: Program) -> bool:
    """Static checks that keep a shrunk program inside the subset: every name a function
    reads is bound somewhere (in it, the module, or builtins), and no ``for`` loop's
    variable is read outside its loop (st_ad documents that as unsupported)."""
    tree = program.tree()
    module_names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    module_names |= {"np", "math", "numba", "range", "float", "abs", "int", "len"}
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        bound = {a.arg for a in fn.args.args} | {
            n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        reads = {
            n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        if not reads <= bound | module_names:
            return False
        if _loop_variable_escapes(fn) or _overlapping_update(fn):
            return False
    return True


def _overlapping_update(fn: ast.FunctionDef) -> bool:
    """``y -= y[::-1]``: an in-place update by a view of its own target, which numba
    (unlike NumPy) computes without buffering."""
    for node in ast.walk(fn):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            value = node.value
            while isinstance(value, ast.Attribute):  # y.T
                value = value.value
            if (
                isinstance(value, ast.Subscript)
                and isinstance(value.value, ast.Name)
                and value.value.id == node.target.id
                and any(isinstance(n, ast.Slice) for n in ast.walk(value.slice))
            ):
                return True
    return False


def _loop_variable_escapes(fn: ast.FunctionDef) -> bool:
    """Whether a ``for`` loop's variable is read (or bound otherwise) outside every loop
    over it."""
    loop_vars = {
        n.target.id
        for n in ast.walk(fn)
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name)
    }
    if not loop_vars:
        return False

    def visit(node: ast.AST, inside: frozenset[str]) -> bool:
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            if visit(node.iter, inside):
                return True
            inner = inside | {node.target.id}
            return any(visit(child, inner) for child in node.body + node.orelse)
        if isinstance(node, ast.Name) and node.id in loop_vars and node.id not in inside:
            return True
        return any(visit(child, inside) for child in ast.iter_child_nodes(node))

    return any(visit(stmt, frozenset()) for stmt in fn.body)


def simplifications(program: Program) -> Iterator[Program]:
    """Smaller variants of ``program``, roughly largest reduction first."""
    yield from _wrt_reductions(program)
    yield from _statement_deletions(program)
    yield from _compound_replacements(program)
    yield from _trip_counts(program)
    yield from _unused_parameters(program)
    yield from _expression_replacements(program)
    yield from _rounded_arguments(program)
