"""Reject what lies outside the supported subset, before any transformation, with an error that
names the file, line and source text and says what to do instead."""

from __future__ import annotations

import gast
import numba
import numpy

from .source import FunctionSource

# construct -> (what it is, what to do instead)
_REJECTED: dict[type, tuple[str, str]] = {
    gast.Try: ("try/except", "remove the try statement; st_ad needs straight numeric code"),
    gast.With: ("a with statement", "move the context manager outside the function"),
    gast.AsyncWith: ("async with", "use a plain synchronous function"),
    gast.Yield: ("yield (a generator)", "return an array instead of yielding values"),
    gast.YieldFrom: ("yield from (a generator)", "return an array instead of yielding values"),
    gast.Await: ("await", "use a plain synchronous function"),
    gast.Lambda: ("a lambda", "define a module-level function with `def` and call it"),
    gast.FunctionDef: ("a nested def", "move the inner function to module level"),
    gast.AsyncFunctionDef: ("a nested async def", "use a plain module-level function"),
    gast.ClassDef: ("a class definition", "define classes outside the differentiated function"),
    gast.Global: ("a global statement", "pass the value as an argument and return the result"),
    gast.Nonlocal: ("a nonlocal statement", "pass the value as an argument"),
    gast.Delete: ("a del statement", "let the variable go out of scope instead"),
    gast.Raise: ("a raise statement", "check inputs before calling the differentiated function"),
    gast.Assert: ("an assert statement", "check inputs before calling the function"),
    gast.Import: ("an import inside the function", "import at module level"),
    gast.ImportFrom: ("an import inside the function", "import at module level"),
    gast.ListComp: ("a list comprehension", "write a for loop that fills an np.zeros array"),
    gast.SetComp: ("a set comprehension", "write a for loop that fills an array"),
    gast.DictComp: ("a dict comprehension", "write a for loop that fills an array"),
    gast.GeneratorExp: ("a generator expression", "write a for loop that accumulates"),
    gast.Dict: ("a dict", "use arrays or separate variables"),
    gast.Set: ("a set", "use arrays or separate variables"),
    gast.List: ("a list", "use np.zeros(n) and fill it, or separate variables"),
    gast.Starred: ("a starred expression", "pass and unpack values explicitly"),
    gast.JoinedStr: ("an f-string", "remove string formatting from the differentiated code"),
    gast.NamedExpr: ("an assignment expression (:=)", "assign in a separate statement"),
    gast.AnnAssign: ("an annotated assignment", "drop the annotation: `x = value`"),
}
_MATCH = getattr(gast, "Match", None)
if _MATCH is not None:
    _REJECTED[_MATCH] = ("a match statement", "use if/elif/else")


def check_supported(fn: FunctionSource, called: bool = False) -> None:
    """Raise UnsupportedError at the first construct st_ad cannot differentiate. A default
    value must be a number, a bool or None (a callee's calls bind it; the entry points of
    grad and value_and_grad take it as a numba default)."""
    args = fn.tree.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise fn.error(
            fn.tree,
            "*args, **kwargs, keyword-only and positional-only parameters are not supported",
            "give the function plain positional parameters",
        )
    if args.defaults and not called:
        _check_defaults(fn)
    strings = _allowed_strings(fn.tree)
    for stmt in fn.tree.body:
        for node in gast.walk(stmt):
            _check_node(fn, node, strings)
    if not called:
        _check_output(fn)


_DEFAULT_TYPES = (bool, int, float, numpy.integer, numpy.floating, numpy.bool_, type(None))


def _check_defaults(fn: FunctionSource) -> None:
    values = fn.func.__defaults__ or ()
    names = fn.params[len(fn.params) - len(values) :]
    for name, value in zip(names, values, strict=True):
        if not isinstance(value, _DEFAULT_TYPES):
            raise fn.error(
                fn.tree,
                f"the default value of `{name}` is {type(value).__name__}: only number, "
                "bool and None defaults can be left out of a call",
                f"drop the default of `{name}` and pass it, or read the value from a "
                "module-level constant",
            )


def _is_text(node: gast.AST) -> bool:
    return isinstance(node, gast.Constant) and isinstance(node.value, (str, bytes))


def _allowed_strings(tree: gast.FunctionDef) -> set[int]:
    """The string constants st_ad accepts: the docstring and arguments of calls (e.g.
    ``np.linalg.norm(x, ord="fro")``); any other string is rejected."""
    allowed = set()
    for node in gast.walk(tree):
        if isinstance(node, gast.Call):
            allowed |= {id(a) for a in node.args} | {id(k.value) for k in node.keywords}
    body = tree.body
    if body and isinstance(body[0], gast.Expr) and _is_text(body[0].value):
        allowed.add(id(body[0].value))
    return allowed


def _is_bool(node: gast.expr) -> bool:
    """Whether ``node`` certainly evaluates to a bool."""
    if isinstance(node, gast.Compare):
        return True
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.Not):
        return True
    if isinstance(node, gast.BoolOp):
        return all(_is_bool(v) for v in node.values)
    return isinstance(node, gast.Constant) and isinstance(node.value, bool)


def _is_int(node: gast.expr) -> bool:
    return (
        isinstance(node, gast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    )


def _check_output(fn: FunctionSource) -> None:
    """Reject a differentiated function whose every ``return`` gives a bool or an int
    literal (as JAX does, derivatives need a float output)."""
    returns = [n for n in gast.walk(fn.tree) if isinstance(n, gast.Return) and n.value]
    if not returns or not all(_is_bool(r.value) or _is_int(r.value) for r in returns):
        return
    first = returns[0]
    if _is_bool(first.value):
        raise fn.error(
            first,
            "the function returns a bool: derivatives need a float output",
            "return a float; a comparison has no derivative (for a step, return "
            "`1.0 if ... else 0.0`)",
        )
    raise fn.error(
        first,
        "the function returns an int: derivatives need a float output",
        f"return a float (write `{first.value.value}.0`)",
    )


def loop_kind(fn: FunctionSource, func: gast.expr) -> str | None:
    """ "range" or "prange" (numba's parallel range) for the callee of a for loop's iterator."""
    if isinstance(func, gast.Name):
        obj = fn.resolve(func.id)
    elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        obj = getattr(fn.resolve(func.value.id), func.attr, None)
    else:
        return None
    if obj is range:
        return "range"
    if obj is numba.prange:
        return "prange"
    return None


def _check_node(fn: FunctionSource, node: gast.AST, strings: set[int]) -> None:
    rejected = _REJECTED.get(type(node))
    if rejected is not None:
        what, hint = rejected
        raise fn.error(node, f"{what} is not supported in a differentiated function", hint)
    if _is_text(node) and id(node) not in strings:
        raise fn.error(
            node,
            f"the string {node.value!r} is not supported in a differentiated function",
            "keep strings (messages, modes, formatting) outside the function; "
            "pass numbers or arrays",
        )
    if isinstance(node, (gast.For, gast.While)) and node.orelse:
        kind = "for" if isinstance(node, gast.For) else "while"
        raise fn.error(
            node,
            f"{kind}/else is not supported",
            "set a flag before `break` and test it after the loop",
        )
    if isinstance(node, gast.For):
        it = node.iter
        is_range = (
            isinstance(it, gast.Call)
            and 1 <= len(it.args) <= 3
            and not it.keywords
            and loop_kind(fn, it.func) is not None
        )
        if not is_range or not isinstance(node.target, gast.Name):
            raise fn.error(
                node,
                "for loops must iterate over range(...) with one loop variable",
                "write `for i in range(len(x)):` and index `x[i]`",
            )
    if isinstance(node, gast.Return) and node.value is None:
        raise fn.error(node, "a bare `return` returns None", "return the function's value")
    if isinstance(node, gast.Assign) and len(node.targets) != 1:
        raise fn.error(
            node,
            "chained assignment (a = b = ...) is not supported",
            "assign each name in its own statement",
        )
