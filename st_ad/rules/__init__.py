"""The rule library: one module per family of primitives, all registered in ``RULES``.

- arithmetic.py: ``+ - * / **`` and unary minus (and np.add, np.multiply, ...)
- elementwise.py: ufuncs and ``math`` functions: sin, exp, log, sqrt, arctan2, maximum, clip,
  where, ...
- reductions.py: sum, mean, prod, max/min, var, std, norm, cumsum (with ``axis``)
- arrays.py: constructors, copies, indexing, transpose, reshape, concatenate, stack, diag
- linalg.py: dot, ``@``, vdot, inner, outer, trace, inv, det, slogdet, solve, cholesky, eigh,
  lstsq
- runtime.py: st_ad's own runtime helpers, so generated code can be differentiated again

Rules users register (``register_vjp``, ...) are made by ``st_ad/user_rules.py``.
docs/primitives.md is generated from this table (``python -m st_ad.rules.docs``).
"""

from . import (  # noqa: F401  (they register rules)
    arithmetic,
    arrays,
    elementwise,
    linalg,
    reductions,
    runtime,
)
from .registry import RULES, Rule, lookup

__all__ = ["RULES", "Rule", "lookup"]
