"""Public API: grad, value_and_grad, jvp, vjp, source, check_grad.

Each transform is built once (``transform.py``: the pipeline, behind the on-disk cache). The
callables returned are numba dispatchers of the generated module, compiled lazily for the
argument types they meet (or loaded from numba's cache), and callable from other ``@njit``
code.
"""

from __future__ import annotations

import linecache
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np
from numba.core.errors import NumbaError
from numba.core.registry import CPUDispatcher

from .cache import cache_dir
from .errors import StAdError
from .frontend.source import FunctionSource, load, python_function
from .runtime.checks import MARKER
from .transform import Wrt, built, forget, module_text, program


class Dispatcher(CPUDispatcher):
    """A numba dispatcher whose compilation errors on user input become StAdErrors."""

    st_function: Callable | None = None  # the user's function this derivative came from

    @property
    def st_source(self) -> FunctionSource | None:
        # read only when an error needs it: a module read back from the cache has not
        # parsed the user's source
        return None if self.st_function is None else load(self.st_function)

    def _compile_for_args(self, *args, **kws):
        try:
            return super()._compile_for_args(*args, **kws)
        except NumbaError as exc:
            raise _translate(exc, self.st_source) from None
        except ImportError as exc:  # numba's np.dot and @ need scipy's BLAS
            where = _where(self.st_source)
            raise StAdError(
                f"numba needs a missing package to compile this function: {exc}",
                hint="pip install scipy (numba uses its BLAS for np.dot and @)",
                **where,
            ) from None


def _where(src: FunctionSource | None) -> dict:
    if src is None:
        return {}
    return dict(
        filename=src.filename, lineno=src.file_line(src.tree), source_line=src.text(src.tree)
    )


def _translate(exc: Exception, src: FunctionSource | None) -> StAdError:
    text = str(exc)
    where = _where(src)
    if MARKER + "scalar-output" in text:
        return StAdError(
            "grad and value_and_grad need a function that returns a float scalar",
            hint="use st_ad.vjp for array outputs, or reduce the output (e.g. np.sum)",
            **where,
        )
    if MARKER + "differentiable" in text:
        return StAdError(
            "an argument differentiated against is not a float scalar or float array",
            hint="pass floats (e.g. 1.0, not 1) or float arrays, or change `wrt`",
            **where,
        )
    clean = _ANSI.sub("", text)
    reason = _numba_reason(clean) or type(exc).__name__
    line = _user_line(clean)
    if line is not None and src is not None:
        where = dict(where, lineno=line[0], source_line=line[1])
        if line[2]:  # the line is in a callee, maybe in another file
            where["filename"] = line[2]
    return StAdError(
        f"numba could not compile the derivative code of this line: {reason}",
        hint="check the argument types (numba supports this form of the call?); "
        "st_ad.source(f) shows the generated code",
        **where,
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REASONS = (
    "No implementation of function",
    "Unknown attribute",
    "Use of unsupported",
    "NumbaTypeError:",
    "NumbaValueError:",
    "Invalid use of",
    "Cannot unify",
    "Can't unify",
    "Cannot determine Numba type",
)


def _numba_reason(text: str) -> str | None:
    """The line of a numba error that says what failed (its first line says only where)."""
    lines = [line.strip() for line in text.splitlines()]
    for k, line in enumerate(lines):
        if line.startswith(_REASONS):
            if line.endswith("signature:") and k + 2 < len(lines):
                return f"{line} {lines[k + 2]}"  # ">>> f(types...)" follows
            return line
    return next((line for line in lines if line), None)


def _user_line(text: str) -> tuple[int, str, str | None] | None:
    """The user's line behind the generated line numba failed on: the nearest ``# line N:``
    or ``# adjoint of line N:`` comment above it in the generated file, and the user's file
    named in that file's header."""
    m = re.search(r"typing of [^\n]*? at (\S+\.py) \((\d+)\)", text)  # innermost first
    if m is None:
        return None
    path, row = Path(m.group(1)).resolve(), int(m.group(2))
    if path.parent != (cache_dir() / "generated").resolve():
        # a user function numba compiled as it is (a callee's primal)
        return row, linecache.getline(str(path), row).strip(), str(path)
    try:
        generated = Path(m.group(1)).read_text().splitlines()
    except OSError:
        return None
    origins = [re.match(r"# from (.*), line \d+\.", row) for row in generated[:3]]
    filename = next((o.group(1) for o in origins if o), None)
    for row in reversed(generated[: int(m.group(2))]):
        found = re.match(r"\s*# (?:adjoint of )?line (\d+): (.*)", row)
        if found:
            return int(found.group(1)), found.group(2), filename
    return None


def _as_dispatcher(func: Any, user_function: Callable) -> Dispatcher:
    dispatcher = func if isinstance(func, CPUDispatcher) else numba.njit(cache=True)(func)
    dispatcher.__class__ = Dispatcher
    dispatcher.st_function = user_function
    return dispatcher


def forget_transforms() -> None:
    """Drop built transforms (after a rule changes, they would use the old one)."""
    forget()


def _resolve_wrt(wrt: Wrt, argnums: Wrt | None) -> Wrt:
    if argnums is not None:
        return argnums
    if isinstance(wrt, list):
        return tuple(wrt)
    return wrt


def _transform(f, wrt, argnums, mode: str, entry: str):
    wrt = _resolve_wrt(wrt, argnums)

    try:
        hash(wrt)
    except TypeError:
        raise StAdError(f"wrt={wrt!r}: expected an int, a parameter name or a tuple") from None

    def build(func):
        module = built(func, wrt, mode)
        return _as_dispatcher(getattr(module, f"{python_function(func).__name__}_{entry}"), func)

    return build if f is None else build(f)


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


def source(f: Callable, mode: str = "reverse", wrt: Wrt = 0) -> str:
    """The generated module source for ``mode`` ("reverse" or "forward")."""
    if mode not in ("reverse", "forward"):
        raise StAdError(f"mode={mode!r}: expected 'reverse' or 'forward'")
    return module_text(f, _resolve_wrt(wrt, None), mode)


def check_grad(f: Callable, *args: Any, wrt: Wrt = 0, eps: float = 1e-6, seed: int = 0) -> float:
    """Max relative error of st_ad's derivatives: the gradient against central finite
    differences along random directions, and the adjoint (dot-product) identity
    ``<vjp(u), v> == <u, jvp(v)>`` between the tangent and adjoint programs."""
    wrt = _resolve_wrt(wrt, None)
    p = program(f, wrt)
    positions = [p.src.params.index(n) for n in p.wrt]
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
    # dot-product test: u is a random output cotangent, v the random input directions
    out, d_out = jvp(f, wrt=tuple(positions))(*args, *directions)
    u = _random_like(out, rng)
    cotangents = vjp(f, wrt=tuple(positions))(*args, u)
    left = sum(_inner(c, v) for c, v in zip(cotangents, directions, strict=True))
    right = _inner(u, d_out)
    errors.append(abs(left - right) / max(abs(left), abs(right), 1e-12))
    return float(max(errors))


def _random_like(x: Any, rng: np.random.Generator):
    if np.ndim(x) == 0:
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(x)).astype(np.asarray(x).dtype)


def _inner(a: Any, b: Any) -> float:
    return float(np.sum(np.asarray(a, dtype=np.float64) * np.asarray(b, dtype=np.float64)))
