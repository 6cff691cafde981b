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

``folded_tests(fn)`` names the ``If`` tests that may fold this way: each name the test reads
is reached by exactly one definition there, a ``Let`` of a constant, and has other
definitions (or in-place updates) elsewhere. The reverse generator passes them through
``st.unfolded``.
"""

from __future__ import annotations

import gast

from .. import ir
from .bindings import ReachingDefinitions


def folded_tests(fn: ir.Function) -> set[str]:
    """Names of ``If`` tests that numba may fold in the forward sweep only."""
    found = ReachingDefinitions(fn)
    lets = {id(s): s for s in ir.walk(fn.body) if isinstance(s, ir.Let)}
    constants = {  # definition numbers of Lets of a constant
        number
        for key, number in found.ids.items()
        if key in lets and isinstance(lets[key].expr, gast.Constant)
    }
    counts: dict[str, int] = {}  # numba's definitions: in-place updates are new versions
    updated = [s.target for s in ir.walk(fn.body) if isinstance(s, ir.Accumulate)]
    for name in found.names + updated:
        counts[name] = counts.get(name, 0) + 1
    tests = {s.test for s in ir.walk(fn.body) if isinstance(s, ir.If)}
    folded = set()
    for s in ir.walk(fn.body):
        if isinstance(s, ir.Let) and s.target in tests and s.prim is None:
            state = found.before.get(id(s), {})
            names = ir.names_in(s.expr)
            if names and all(
                counts.get(n, 0) > 1
                and state.get(n) is not None
                and state[n] <= constants
                and len(state[n]) == 1
                for n in names
            ):
                folded.add(s.target)
    return folded
