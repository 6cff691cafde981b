"""Elementwise helpers for derivative rules whose textbook form is NaN at a point where the
derivative is known (as JAX defines it there)."""

from __future__ import annotations

import numpy as np
from numba.extending import overload


def log_nonzero(x):  # pragma: no cover
    """``log(x)``, and 0 where ``x`` is 0: in the exponent's derivative ``z log x`` of
    ``z = x ** p``, which is 0 at ``x = 0`` for ``p > 0`` (``0 * log 0`` would be NaN)."""


@overload(log_nonzero, inline="always")
def _log_nonzero(x):
    # log(x + 1) where x is 0, log(x + 0) elsewhere; branch-free, since numba warns
    # (NumbaIRAssumptionWarning) about a conditional expression in an inlined overload
    return lambda x: np.log(x + (x == 0))
