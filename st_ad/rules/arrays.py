"""Array construction, copies, indexing, transposition and reductions."""

from __future__ import annotations

import numpy

from .registry import Rule, no_derivative, register
from .sym import ZERO, np

# Constructors: the new array's entries do not depend on the arguments (shapes, dtypes, or an
# array whose shape is taken).
no_derivative(
    [numpy.zeros, numpy.ones, numpy.empty, numpy.zeros_like, numpy.ones_like, numpy.empty_like],
    "array constructor",
)

# ``y = x``: the same value under another name.
register(["name"], Rule("copy", lambda y, x, dx: dx, lambda g, y, x: (g,), diff=(0,)))

# ``y = x.copy()`` / ``np.copy(x)``.
register(
    ["copy", numpy.copy],
    Rule("copy", lambda y, x, dx: dx.method("copy"), lambda g, y, x: (g,), diff=(0,)),
)

# ``y = x.T`` / ``np.transpose(x)``.
register(
    ["transpose", numpy.transpose],
    Rule("transpose", lambda y, x, dx: dx.T, lambda g, y, x: (g.T,), diff=(0,)),
)

# ``y = x[index]``: the generator writes the cotangent into ``x_bar[index]``; this rule only
# serves the tangent (``dx[index]``), which the generator builds the same way.
register(["getitem"], Rule("getitem", lambda y, x, dx: ZERO, lambda g, y, x: (g,), diff=(0,)))

# ``y = np.sum(x)`` / ``x.sum()``: a scalar cotangent broadcasts back over x.
register(
    ["sum", numpy.sum],
    Rule("sum", lambda y, x, dx: np.sum(dx), lambda g, y, x: (g,), diff=(0,)),
)
