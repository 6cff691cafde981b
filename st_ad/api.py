"""Public API: grad, value_and_grad, jvp, vjp, source, check_grad.

Each transform is built once (``transform.py``: the pipeline, behind the on-disk cache). The
callables returned are numba dispatchers of the generated module, compiled lazily for the
argument types they meet (or loaded from numba's cache), and callable from other ``@njit``
code.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from .dispatch import CallSpec, Dispatcher, def_place, with_defaults
from .errors import StAdError, StAdWarning, caller_location
from .frontend.source import load, python_function
from .signatures import typed_dispatcher
from .transform import (
    Signature,
    Wrt,
    WrtError,
    built,
    built_for,
    forget,
    module_text,
    parameters,
    require,
    resolve_wrt,
)


def forget_transforms() -> None:
    """Drop built transforms (after a rule changes, they would use the old one)."""
    forget()
    with_defaults.cache_clear()
    _dispatcher.cache_clear()


def _resolve_wrt(wrt: Wrt, argnums: Wrt | None) -> Wrt:
    if argnums is not None:
        return argnums
    if isinstance(wrt, list):
        return tuple(wrt)
    return wrt


def _definition(func: Callable) -> dict:
    """Where ``func`` is defined: its ``def`` line (read only for an error message)."""
    try:
        return def_place(load(func))
    except StAdError:
        code = python_function(func).__code__
        return dict(filename=code.co_filename, lineno=code.co_firstlineno)


def _positions(func: Callable, wrt: Wrt) -> tuple[tuple[int, ...], bool]:
    """The positions of the arguments ``wrt`` names, and whether a tuple was asked for."""
    py = python_function(func)
    try:
        positions, as_tuple = resolve_wrt(py.__name__, parameters(py), wrt)
    except WrtError as exc:
        raise StAdError(exc.message, hint=exc.hint, **_definition(func)) from None
    return tuple(positions), as_tuple


def _transform(f, wrt, argnums, mode: str, entry: str):
    wrt = _resolve_wrt(wrt, argnums)

    try:
        hash(wrt)
    except TypeError:
        raise StAdError(
            f"wrt={wrt!r}: expected an int, a parameter name or a tuple",
            hint="pass e.g. wrt=0, wrt='x' or wrt=(0, 1)",
            **caller_location(),
        ) from None

    def build(func):
        py = python_function(func)
        positions, as_tuple = _positions(func, wrt)
        key = positions if as_tuple else positions[0]  # grad(f, 0) is grad(f, "x")
        try:  # errors in f show now, at grad(f), not at its first call
            require(func, key, mode)
        except StAdError as exc:  # an error with no place (the cache directory): f's def
            if exc.filename is None:
                exc.located(**_definition(func))
            raise
        spec = CallSpec(py.__name__, tuple(parameters(py)), positions, entry, _defaults(py))
        return _dispatcher(func, key, mode, spec)

    return build if f is None else build(f)


@functools.lru_cache(maxsize=256)
def _dispatcher(func: Callable, key: Wrt, mode: str, spec: CallSpec) -> Dispatcher:
    """The callable of one entry point of one transform: one object for ``grad(f, -1)`` and
    ``grad(f, "c")``, so the signatures either compiles serve both."""
    entry = f"{spec.name}_{spec.kind}"

    def typed(signature: Signature):
        return getattr(built_for(func, key, mode, signature), entry)

    def generic():  # imported only when asked for: a warm start reads one typed module
        return getattr(built(func, key, mode), entry)

    return typed_dispatcher(generic, func, spec, typed)


def _defaults(py: Callable) -> tuple:
    return tuple(py.__defaults__ or ())


def grad(f: Callable | None = None, wrt: Wrt = 0, *, argnums: Wrt | None = None) -> Any:
    """The gradient of the float scalar ``f(*args)`` w.r.t. ``args[wrt]``.

    ``wrt`` is a position, a parameter name, or a tuple of those (then a tuple of gradients is
    returned). Usable as ``@st_ad.grad`` or ``st_ad.grad(f, wrt=...)``.
    """
    return _transform(f, wrt, argnums, "reverse", "grad")


def value_and_grad(f: Callable | None = None, wrt: Wrt = 0, *, argnums: Wrt | None = None) -> Any:
    """``g(*args)`` returns ``(f(*args), gradient(s))``."""
    return _transform(f, wrt, argnums, "reverse", "value_and_grad")


def vjp(f: Callable | None = None, wrt: Wrt = 0, *, argnums: Wrt | None = None) -> Any:
    """``bf(*args, cotangent)`` returns the cotangent(s) of the ``wrt`` arguments."""
    return _transform(f, wrt, argnums, "reverse", "vjp")


def jvp(f: Callable | None = None, wrt: Wrt = 0, *, argnums: Wrt | None = None) -> Any:
    """``df(*args, *tangents)`` returns ``(f(*args), tangent of the output)``."""
    return _transform(f, wrt, argnums, "forward", "tangent")


def source(f: Callable, *example_args: Any, mode: str = "reverse", wrt: Wrt = 0) -> str:
    """The generated module source for ``mode`` ("reverse" or "forward").

    With example arguments (values, numba types, or numba type strings such as
    ``"float64[:, ::1]"``), the source generated for their types: the code a call with such
    arguments runs. Without, the type-blind module (what export writes)."""
    if mode not in ("reverse", "forward"):
        raise StAdError(f"mode={mode!r}: expected 'reverse' or 'forward'")
    argtypes = argument_types(f, example_args) if example_args else None
    return module_text(f, _resolve_wrt(wrt, None), mode, argtypes)


def argument_types(f: Callable, values: tuple) -> tuple[numba.types.Type, ...]:
    """The numba type of each example argument (a value, a numba type or a type string)."""
    params = parameters(python_function(f))
    if len(values) != len(params):
        raise StAdError(
            f"{len(values)} example argument(s) for {len(params)} parameter(s) "
            f"({', '.join(params)})",
            hint="pass one example value or type per parameter, defaults included",
            **_definition(f),
        )
    return tuple(_argument_type(v) for v in values)


def split_types(text: str) -> list[str]:
    """``"float64[:, :], int64"`` split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for k, c in enumerate(text):
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(text[start:k].strip())
            start = k + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _argument_type(value: Any) -> numba.types.Type:
    if isinstance(value, numba.types.Type):
        return value
    if isinstance(value, str):
        return parse_type(value)
    return numba.typeof(value)


def parse_type(text: str) -> numba.types.Type:
    """A numba type written as numba's signatures write it: ``float64``, ``float32[:]``,
    ``float64[:, ::1]`` (C-contiguous), ``int64``."""
    try:
        found = eval(text, {"__builtins__": {}}, dict(vars(numba.types)))  # noqa: S307
    except Exception:  # a typo: any exception eval raises
        found = None
    if not isinstance(found, numba.types.Type):
        raise StAdError(
            f"{text!r} is not a numba type",
            hint='write types as numba signatures do: "float64", "float64[:]", '
            '"float64[:, ::1]" (C-contiguous), "int64"',
            **caller_location(),
        )
    return found


def check_grad(f: Callable, *args: Any, wrt: Wrt = 0, eps: float = 1e-6, seed: int = 0) -> float:
    """Max relative error of st_ad's derivatives: the gradient against central finite
    differences along random directions, and the adjoint (dot-product) identity
    ``<vjp(u), v> == <u, jvp(v)>`` between the tangent and adjoint programs. The second
    test needs forward mode: when a user rule has only a vjp, it is skipped with a warning."""
    positions, _ = _positions(f, _resolve_wrt(wrt, None))
    positions = list(positions)
    args = _bind_defaults(f, args)
    # the primal as the user wrote it (numpy, or their numba dispatcher): independent of st_ad
    primal = f
    rng = np.random.default_rng(seed)
    grads = grad(f, wrt=tuple(positions))(*args)
    directions = [_random_like(args[k], rng) for k in positions]
    slope = sum(_inner(g, v) for g, v in zip(grads, directions, strict=True))

    def shifted(t: float):
        moved = list(args)
        for k, v in zip(positions, directions, strict=True):
            moved[k] = np.asarray(args[k]) + t * v if np.ndim(args[k]) else args[k] + t * v
        return primal(*moved)

    h = eps * max(1.0, max(float(np.max(np.abs(args[k]))) for k in positions))
    fd = (shifted(h) - shifted(-h)) / (2 * h)
    errors = [abs(slope - fd) / max(abs(fd), abs(slope), 1e-12)]
    tangent = _forward_or_none(f, tuple(positions))
    if tangent is None:
        return float(errors[0])
    # dot-product test: u is a random output cotangent, v the random input directions
    out, d_out = tangent(*args, *directions)
    u = _random_like(out, rng)
    cotangents = vjp(f, wrt=tuple(positions))(*args, u)
    left = sum(_inner(c, v) for c, v in zip(cotangents, directions, strict=True))
    right = _inner(u, d_out)
    errors.append(abs(left - right) / max(abs(left), abs(right), 1e-12))
    return float(max(errors))


def _forward_or_none(f: Callable, wrt: tuple[int, ...]) -> Dispatcher | None:
    """``jvp(f)``, or None (with a warning) when a user rule has no forward mode."""
    try:
        return jvp(f, wrt=wrt)
    except StAdError as exc:
        if "none for forward mode" not in exc.message:
            raise
        warnings.warn(
            f"st_ad.check_grad({python_function(f).__name__}): the dot-product test was "
            f"skipped, only the finite-difference test ran: {exc.message} "
            f"({exc.filename}, line {exc.lineno}); {exc.hint}",
            StAdWarning,
            stacklevel=3,
        )
        return None


def _bind_defaults(f: Callable, args: tuple) -> tuple:
    """``args`` completed with ``f``'s defaults for the parameters left out."""
    py = python_function(f)
    params, defaults = parameters(py), _defaults(py)
    missing = len(params) - len(args)
    if 0 < missing <= len(defaults):
        return tuple(args) + defaults[len(defaults) - missing :]
    return tuple(args)


def _random_like(x: Any, rng: np.random.Generator):
    if np.ndim(x) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(x)).astype(np.asarray(x).dtype)


def _inner(a: Any, b: Any) -> float:
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))
