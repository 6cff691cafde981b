"""Branch tests numba folds at compile time, which the reverse sweep must keep opaque.

numba prunes a branch whose test compares constants, after it has put the function in SSA
form: in ``b = 0.3; ...; b = x`` the test ``b <= 0.7`` reads the first version of ``b``, a
constant, and its dead branch is dropped with every name it defines. The adjoint program
branches on the same test twice, in the forward and in the reverse sweep; where the test is
nested in another branch, the reverse sweep reads it through an SSA merge, which numba does
not fold, and the reverse sweep's copy of the dead branch then reads adjoints that no longer
have a definition ("Unsupported assignment encountered: Undefined", measured with numba
0.68). A name with one definition in the whole function is folded before SSA form, in both
sweeps alike, and needs nothing.

``folded_tests(fn)`` names the ``If`` tests that may fold this way: the test, or one
comparison in it (numba branches on each operand of ``and``/``or``), reads only names reached
there by exactly one definition, of a constant or of a copy of one. (A name defined once in
the whole function folds consistently and needs nothing, but telling the two apart buys only
a shorter line.) The reverse generator passes them through ``st.unfolded``.
"""

from __future__ import annotations

import gast

from .. import ir
from .bindings import ReachingDefinitions


def folded_tests(fn: ir.Function) -> set[str]:
    """Names of ``If`` tests that numba may fold in the forward sweep only."""
    found = ReachingDefinitions(fn)
    lets = {id(s): s for s in ir.walk(fn.body) if isinstance(s, ir.Let)}
    defining = {n: lets[k] for k, n in found.ids.items() if k in lets}  # number -> its Let

    def constant(name: str, state: dict, depth: int = 0) -> bool:
        """Whether ``name`` holds a constant where ``state`` holds: one definition reaches
        it, of a constant or a copy of a constant (numba follows copies)."""
        defs = state.get(name, frozenset())
        let = defining.get(next(iter(defs))) if len(defs) == 1 else None
        if let is None or depth > 16:
            return False
        if isinstance(let.expr, gast.Constant):
            return True
        if isinstance(let.expr, gast.Name):
            return constant(let.expr.id, found.before.get(id(let), {}), depth + 1)
        return False

    tests = {s.test for s in ir.walk(fn.body) if isinstance(s, ir.If)}
    folded = set()
    for s in ir.walk(fn.body):
        if not (isinstance(s, ir.Let) and s.target in tests and s.prim is None):
            continue
        state = found.before.get(id(s), {})
        # the whole test, or one comparison of an `and`/`or` (numba branches on each)
        parts = [s.expr] + [n for n in gast.walk(s.expr) if isinstance(n, gast.Compare)]
        for part in parts:
            names = ir.names_in(part)
            if isinstance(part, gast.Compare) or names:
                if all(constant(n, state) for n in names):
                    folded.add(s.target)
                    break
    return folded
