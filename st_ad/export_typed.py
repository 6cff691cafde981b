"""Typed entry points for ``st_ad.export(f, path, signatures=[...])``.

For each argument-type signature the exported module holds the code a call with those types
runs (what ``st_ad.source(f, *types)`` prints): helpers written out for those types, scalar
adjoints as plain arithmetic. Each function is named for its signature
(``energy_grad_f64_2d``; ``energy_grad_f32_2dF`` for a Fortran-order float32 array) and
compiled for that signature only (``@njit("(float64[:, ::1],)", ...)``): code written for
one set of types may be wrong for another (a broadcast summed back by rank, a scalar adjoint
where an array one is needed), so numba refuses other types with "No matching definition"
instead of compiling it for them. The cost is that the module compiles its signatures when
it is imported (once: numba caches them with ``cache=True``).
"""

from __future__ import annotations

import gast
import numba

from . import transform
from .codegen.specialise import specialise
from .errors import StAdError

_DECORATOR = '@njit("{signature}", cache=True, error_model="numpy")'


def typed_functions(
    p: transform.Program, mode: str, argtypes: tuple[numba.types.Type, ...]
) -> tuple[list[gast.FunctionDef], list, list[str]]:
    """The entry points of ``mode`` for ``argtypes``, named for them; the callee derivatives
    they call; the decorator of each (its full signature, the cotangent or tangents
    included)."""
    made = transform.generated_functions(p, mode)
    signatures = transform.entry_signatures(p, mode, argtypes)
    suffix = signature_suffix(argtypes)
    functions, decorators = [], []
    for fd, s in zip(made.functions, signatures, strict=True):
        typed = specialise(fd, transform.typed_names(p, s, made))
        typed.name = f"{fd.name}_{suffix}"
        functions.append(typed)
        decorators.append(_DECORATOR.format(signature=numba_signature(s.arguments + s.extra)))
    return functions, made.callees, decorators


def signature_suffix(argtypes: tuple[numba.types.Type, ...]) -> str:
    """A name part for ``argtypes``: ``f64_2d_i64`` for (float64[:, ::1], int64)."""
    return "_".join(_short(t) for t in argtypes)


def numba_signature(argtypes: tuple[numba.types.Type, ...]) -> str:
    """``argtypes`` as numba reads a signature: ``(float64[:, ::1], int64)``."""
    return "(" + types_text(argtypes) + ("," if len(argtypes) == 1 else "") + ")"


def types_text(argtypes: tuple[numba.types.Type, ...]) -> str:
    """``argtypes`` as ``--types`` takes them: ``float64[:, ::1], int64``."""
    return ", ".join(_numba_text(t) for t in argtypes)


def _scalar(t: numba.types.Type) -> str:
    if isinstance(t, numba.types.Boolean):
        return "boolean"
    if isinstance(t, (numba.types.Float, numba.types.Integer)):
        return str(t)
    raise StAdError(
        f"cannot export a signature with the type {t}",
        hint="export signatures of float, int and bool scalars and arrays of them",
    )


def _numba_text(t: numba.types.Type) -> str:
    if isinstance(t, numba.types.Array):
        axes = [":"] * t.ndim
        if t.layout == "C" and t.ndim:
            axes[-1] = "::1"
        elif t.layout == "F" and t.ndim:
            axes[0] = "::1"
        if not t.mutable:
            raise StAdError(
                f"cannot export a signature with the read-only array type {t}",
                hint="give the signature a writable array (numba types `float64[:]`)",
            )
        return f"{_scalar(t.dtype)}[{', '.join(axes)}]"
    return _scalar(numba.types.unliteral(t))


def _short(t: numba.types.Type) -> str:
    if isinstance(t, numba.types.Array):
        layout = "" if t.layout == "C" else t.layout
        return f"{_short(t.dtype)}_{t.ndim}d{layout}"
    text = _scalar(numba.types.unliteral(t))
    if text == "boolean":
        return "b"
    kind = "f" if text.startswith("float") else "u" if text.startswith("uint") else "i"
    return kind + "".join(c for c in text if c.isdigit())
