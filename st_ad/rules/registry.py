"""The rule table: one entry per primitive, keyed by the Python object that computes it
(``numpy.sin``, ``math.sin``), by an operator class (``gast.Mult``) or by a name for syntax
(``"getitem"``, ``"transpose"``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .sym import ZERO


@dataclass
class Rule:
    """Derivatives of ``out = primitive(*args)``.

    ``jvp(out, *args, *dargs)`` returns the tangent of ``out``; inactive tangents are ZERO.
    ``vjp(g, out, *args)`` returns one cotangent contribution per argument, given the
    cotangent ``g`` of ``out``. ``diff`` lists the argument positions that carry derivatives;
    ``broadcasts`` says contributions must be summed back to each operand's shape.
    """

    name: str
    jvp: Callable
    vjp: Callable
    diff: tuple[int, ...]
    broadcasts: bool = False


RULES: dict[object, Rule] = {}


def register(keys: Iterable[object], rule: Rule) -> Rule:
    for key in keys:
        RULES[key] = rule
    return rule


def lookup(key: object) -> Rule | None:
    try:
        return RULES.get(key)
    except TypeError:  # unhashable objects have no rule
        return None


def scalar_rule(keys: Iterable[object], partial: Callable, name: str) -> Rule:
    """An elementwise function of one argument from its derivative ``partial(x, y)``, where
    ``y`` is the function's value at ``x``: tangent ``partial * dx``, cotangent ``g * partial``."""
    return register(
        keys,
        Rule(
            name=name,
            jvp=lambda y, x, dx: partial(x, y) * dx,
            vjp=lambda g, y, x: (g * partial(x, y),),
            diff=(0,),
        ),
    )


def no_derivative(keys: Iterable[object], name: str) -> Rule:
    """A primitive whose value does not depend differentiably on its arguments."""
    return register(
        keys,
        Rule(name=name, jvp=lambda *a: ZERO, vjp=lambda g, y, *a: (None,) * len(a), diff=()),
    )
