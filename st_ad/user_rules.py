"""Rules users register for their own functions: ``register_vjp``, ``register_jvp``,
``scalar_rule``, ``non_differentiable`` (public API; the rule of ``st_ad.stop_gradient`` is in
``rules/runtime.py``).

A user's rule is an ordinary numba-compilable function. Generated code calls it by a name
bound in the generated module (``rule_<function>_vjp``), so it runs compiled, like the rest.
Registering again replaces the rule.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

import gast
import numba
import numpy
from numba.core.registry import CPUDispatcher

from .api import forget_transforms
from .frontend.source import python_function
from .rules.registry import RULES, Rule, RuleError, lookup, no_derivative
from .rules.sym import ZERO, Sym, call, const, name, st


def _compiled(f: Callable) -> Any:
    return f if isinstance(f, CPUDispatcher) else numba.njit(f)


def _user_rule(func: Callable, params: tuple[str, ...] | None = None) -> Rule:
    """The rule of ``func``, created (with both modes missing) on first registration.
    ``params`` are the primal parameters the rule function names, used for a library
    callable (a numpy function or ufunc, a builtin), whose own signature may list options
    (``out=``, ``dtype=``) differentiated code does not pass."""
    rule = lookup(func)
    if rule is not None and rule.family == "user":
        return rule
    library = _library_callable(func)
    if library:
        label = getattr(func, "__name__", type(func).__name__)
        keys = [func]
        if params is None:
            raise TypeError(f"give {label} a rule with register_vjp or register_jvp first")
    else:
        py = python_function(func)
        params = tuple(inspect.signature(py).parameters)
        label = py.__name__
        keys = [py] if func is py else [py, func]
    rule = Rule(
        name=label,
        jvp=_missing(label, "register_jvp"),
        vjp=_missing(label, "register_vjp"),
        diff=tuple(range(len(params))),
        params=params,
        family="user",
    )
    for key in keys:
        RULES[key] = rule
    return rule


def _library_callable(func: object) -> bool:
    """A function of numpy or Python itself (no source st_ad would read): its rule is keyed
    by the object, and its call in differentiated code stays as written."""
    if isinstance(func, (numpy.ufunc, types.BuiltinFunctionType)):
        return True
    module = getattr(func, "__module__", None) or ""
    return callable(func) and module.split(".")[0] == "numpy"


def _rule_params(function: Callable, skip: int, halves: bool = False) -> tuple[str, ...]:
    """The primal parameters a rule function names: after its first ``skip`` parameters
    (and, for a jvp, the first half of the rest: the other half are tangents)."""
    names = [
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ][skip:]
    return tuple(names[: len(names) // 2] if halves else names)


def _missing(label: str, decorator: str) -> Callable:
    mode = "forward" if decorator == "register_jvp" else "reverse"

    def fail(*args):
        raise RuleError(
            f"`{label}` has a user rule but none for {mode} mode",
            f"register one with @st_ad.{decorator}({label})",
        )

    return fail


def _bind(rule: Rule, kind: str, function: Callable) -> str:
    """Bind a compiled ``function`` into generated modules under a stable name."""
    global_name = f"rule_{rule.name}_{kind}"
    rule.injected[global_name] = _compiled(function)
    forget_transforms()  # transforms built before this registration used the old rule
    return global_name


def _expr(value: Sym | None) -> gast.expr:
    return const(None) if value is None else value.node


def register_vjp(func: Callable) -> Callable[[Callable], Callable]:
    """Decorator: ``rule(g, result, *args)`` returns the cotangents of ``func``'s arguments
    (a tuple, ``None`` for one with no derivative), given the cotangent ``g`` of its result.
    Calls to ``func`` in differentiated code then use it in reverse mode."""

    def decorator(vjp: Callable) -> Callable:
        rule = _user_rule(func, _rule_params(vjp, 2))
        global_name = _bind(rule, "vjp", vjp)

        def vjp_rule(g: Sym, y: Sym, *args: Sym | None) -> Sym:
            operands = [g.node, y.node] + [_expr(a) for a in args]
            return Sym(call(name(global_name), *operands))

        rule.vjp = vjp_rule
        rule.custom = True
        return vjp

    return decorator


def register_jvp(func: Callable) -> Callable[[Callable], Callable]:
    """Decorator: ``rule(result, *args, *tangents)`` returns the tangent of ``func``'s
    result. Calls to ``func`` in differentiated code then use it in forward mode; an
    argument with no tangent gets zeros of its shape."""

    def decorator(jvp: Callable) -> Callable:
        rule = _user_rule(func, _rule_params(jvp, 1, halves=True))
        global_name = _bind(rule, "jvp", jvp)

        def jvp_rule(y: Sym, *rest: Sym | None) -> Sym:
            n = len(rest) // 2
            args, tangents = rest[:n], rest[n:]
            operands = [y.node] + [_expr(a) for a in args]
            for a, d in zip(args, tangents, strict=True):
                operands.append((st.zeros_adj(a) if d is ZERO else d).node)
            return Sym(call(name(global_name), *operands))

        rule.jvp = jvp_rule
        return jvp

    return decorator


def scalar_rule(func: Callable, partial: Callable) -> Callable:
    """Both modes for an elementwise ``func(x)`` from its derivative ``partial(x, y)``, with
    ``y = func(x)``: e.g. ``scalar_rule(sigmoid, lambda x, y: y * (1 - y))``."""
    rule = _user_rule(func, ("x",))
    if len(rule.params or ()) != 1:
        raise TypeError(f"scalar_rule needs a function of one argument, not {func!r}")
    global_name = _bind(rule, "partial", partial)

    def slope(x: Sym, y: Sym) -> Sym:
        return Sym(call(name(global_name), x.node, y.node))

    rule.jvp = lambda y, x, dx: slope(x, y) * dx
    rule.vjp = lambda g, y, x: (g * slope(x, y),)
    rule.custom = False
    return func


def non_differentiable(func: Callable) -> Callable:
    """Mark ``func`` as having no derivative (its result is a constant for st_ad); usable as
    a decorator."""
    if _library_callable(func):
        keys, label = [func], getattr(func, "__name__", type(func).__name__)
    else:
        py = python_function(func)
        keys, label = ([py] if func is py else [py, func]), py.__name__
    no_derivative(keys, label, family="user", note="marked non_differentiable")
    forget_transforms()
    return func
