"""What every generated entry point does first with the caller's arguments."""

from __future__ import annotations

import gast

from .. import ir
from ..analysis.aliases import written_parameters
from ..syntax import const, name
from .build import assign, comment, st_call


def protect_inputs(fn: ir.Function, tangents: dict[str, str] | None = None) -> list[gast.stmt]:
    """For each parameter the function writes into: an error if another argument shares its
    memory (the derivative of ``f(x, x)`` with a write into one is not that of ``f``), then a
    copy of it (and of its tangent), so that the caller's arrays stay as they were."""
    written = written_parameters(fn)
    out: list[gast.stmt] = []
    for p in written:
        for q in fn.params:
            if q != p:
                check = st_call("check_distinct", name(p), name(q), const(p), const(q))
                out.append(gast.Expr(value=check))
    for p in written:
        out.append(comment(f"{p} is written into: work on a copy, the caller's stays as it is"))
        out.append(assign(p, st_call("keep", name(p))))
        if tangents and p in tangents:
            out.append(assign(tangents[p], st_call("keep", name(tangents[p]))))
    return out
