"""The rule table: one entry per primitive, keyed by the Python object that computes it
(``numpy.sin``, ``math.sin``), by an operator class (``gast.Mult``), by a method name
(``".sum"`` for ``x.sum()``) or by a name for syntax (``"getitem"``, ``"transpose"``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .sym import ZERO


class RuleError(Exception):
    """Raised by a rule while generating code (e.g. a mode it does not have); the generator
    turns it into an UnsupportedError pointing at the user's line."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(eq=False)
class Rule:
    """Derivatives of ``out = primitive(*args)``.

    ``jvp(out, *args, *dargs)`` returns the tangent of ``out``; inactive tangents are ZERO.
    ``vjp(g, out, *args)`` returns one cotangent contribution per argument (None or ZERO for
    none), given the cotangent ``g`` of ``out``. Arguments the call leaves out arrive as
    Python ``None``. ``diff`` lists the argument positions that carry derivatives.

    Optional parts:
    - ``broadcasts``: operands may broadcast; cotangents are summed back to each shape.
    - ``params``: parameter names, for binding keyword arguments (read from ``vjp`` when it
      has a plain signature).
    - ``impl``: emit the primal as ``st.<impl>(*args)``, for forms numba lacks; with
      ``impl_if``, only when the call passes that parameter (``axis=`` of ``np.mean``).
    - ``sequence``: the first parameter is a tuple of arrays (``np.concatenate((a, b))``);
      they are passed as separate leading arguments, all differentiable.
    - ``parts``: the primitive returns a tuple; ``parts[k]`` is the rule of element ``k``
      (its functions also receive the tuple, last), or None for an element with no
      derivative (an integer rank, a sign).
    - ``family`` and ``note`` document the rule in docs/primitives.md.
    - ``injected``: globals the generated code of this rule refers to (user rules).
    - ``custom``: ``vjp`` returns one call producing the tuple of cotangents.
    - ``defaults``: values for parameters a call leaves out, where numpy's default is not
      None (``axis=0`` of ``np.concatenate``).
    - ``view``: the result may share memory with an array argument (slices, transposes,
      reshapes), so an in-place write into either changes the other.
    """

    name: str
    jvp: Callable | None
    vjp: Callable | None
    diff: tuple[int, ...]
    broadcasts: bool = False
    params: tuple[str, ...] | None = None
    impl: str | None = None
    impl_if: str | None = None
    sequence: bool = False
    parts: tuple[Rule | None, ...] | None = None
    family: str = ""
    note: str = ""
    injected: dict[str, object] = field(default_factory=dict)
    custom: bool = False
    defaults: dict[str, object] = field(default_factory=dict)
    failure: tuple[str, str] | None = None  # (message, hint) of a primitive st_ad rejects
    view: bool = False

    def __post_init__(self) -> None:
        if self.params is None and self.vjp is not None:
            self.params = _parameter_names(self.vjp)

    def differentiable(self, nargs: int) -> tuple[int, ...]:
        """Positions of the differentiable arguments in a call with ``nargs`` arguments."""
        if self.sequence:
            return tuple(range(nargs - len(self.params or ()) + 1))
        return self.diff


def _parameter_names(f: Callable) -> tuple[str, ...] | None:
    """The primal parameters of a vjp ``f(g, out, *params)``; None if it takes ``*args``."""
    params = list(inspect.signature(f).parameters.values())
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params):
        return None
    return tuple(p.name for p in params[2:])


RULES: dict[object, Rule] = {}


def register(keys: Iterable[object], rule: Rule) -> Rule:
    for key in keys:
        RULES[key] = rule
    return rule


def lookup(key: object) -> Rule | None:
    """The rule for ``key``; a numba dispatcher finds the rule of its Python function."""
    try:
        rule = RULES.get(key)
    except TypeError:  # unhashable objects have no rule
        return None
    if rule is None and hasattr(key, "py_func"):
        return lookup(key.py_func)
    return rule


def elementwise(keys: Iterable[object], name: str, partial: Callable, note: str = "") -> Rule:
    """An elementwise function of one argument from its derivative ``partial(x, y)``, where
    ``y`` is the function's value at ``x``: tangent ``partial * dx``, cotangent ``g * partial``."""

    def jvp(y, x, dx):
        return partial(x, y) * dx

    def vjp(g, y, x):
        return (g * partial(x, y),)

    return register(keys, Rule(name, jvp, vjp, diff=(0,), family="elementwise", note=note))


def binary(keys: Iterable[object], name: str, partials: Callable, note: str = "") -> Rule:
    """An elementwise function of two broadcasting arguments from its partial derivatives
    ``partials(a, b, z) -> (dz/da, dz/db)``."""

    def jvp(z, a, b, da, db):
        pa, pb = partials(a, b, z)
        return pa * da + pb * db

    def vjp(g, z, a, b):
        pa, pb = partials(a, b, z)
        return g * pa, g * pb

    rule = Rule(name, jvp, vjp, diff=(0, 1), broadcasts=True, family="elementwise", note=note)
    return register(keys, rule)


def unsupported(name: str, message: str, hint: str, diff: tuple[int, ...]) -> Rule:
    """A primitive st_ad cannot differentiate: an error if a derivative is asked of it."""

    def fail(*args):
        raise RuleError(message, hint)

    return Rule(
        name=name,
        jvp=fail,
        vjp=fail,
        diff=diff,
        params=None,
        note="not differentiated",
        failure=(message, hint),
    )


def no_derivative(keys: Iterable[object], name: str, family: str = "", note: str = "") -> Rule:
    """A primitive whose value does not depend differentiably on its arguments."""
    return register(
        keys,
        Rule(
            name=name,
            jvp=lambda *a: ZERO,
            vjp=lambda g, y, *a: (None,) * len(a),
            diff=(),
            family=family,
            note=note or "zero derivative",
        ),
    )
