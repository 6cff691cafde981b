"""Reject what lies outside the supported subset, before any transformation, with an error that
names the file, line and source text and says what to do instead."""

from __future__ import annotations

import gast
import numba

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
    """Raise UnsupportedError at the first construct st_ad cannot differentiate. Default
    values are allowed only in a function differentiated as a callee (its calls bind them);
    a derivative's entry point takes every argument."""
    args = fn.tree.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise fn.error(
            fn.tree,
            "*args, **kwargs, keyword-only and positional-only parameters are not supported",
            "give the function plain positional parameters",
        )
    if args.defaults and not called:
        raise fn.error(
            fn.tree,
            "parameters with default values are not supported",
            "drop the default and pass every argument explicitly",
        )
    for stmt in fn.tree.body:
        for node in gast.walk(stmt):
            _check_node(fn, node)


def _loop_kind(fn: FunctionSource, func: gast.expr) -> str | None:
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


def _check_node(fn: FunctionSource, node: gast.AST) -> None:
    rejected = _REJECTED.get(type(node))
    if rejected is not None:
        what, hint = rejected
        raise fn.error(node, f"{what} is not supported in a differentiated function", hint)
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
            and _loop_kind(fn, it.func) is not None
        )
        if not is_range or not isinstance(node.target, gast.Name):
            raise fn.error(
                node,
                "for loops must iterate over range(...) with one loop variable",
                "write `for i in range(len(x)):` and index `x[i]`",
            )
        node.st_parallel = _loop_kind(fn, it.func) == "prange"
    if isinstance(node, gast.Return) and node.value is None:
        raise fn.error(node, "a bare `return` returns None", "return the function's value")
    if isinstance(node, gast.Assign) and len(node.targets) != 1:
        raise fn.error(
            node,
            "chained assignment (a = b = ...) is not supported",
            "assign each name in its own statement",
        )
