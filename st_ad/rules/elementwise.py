"""Elementwise functions (numpy ufuncs and the ``math`` module), each given by its partial
derivatives, written with the arguments and, where reusing it saves work, the value ``y``.

Functions of two arguments broadcast: their cotangents are summed back to each operand's
shape by the generator.
"""

from __future__ import annotations

import math

import numpy

from .registry import Rule, binary, elementwise, no_derivative, register
from .sym import ZERO, np

LN2 = math.log(2.0)
LN10 = math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# trigonometric
elementwise([numpy.sin, math.sin], "sin", lambda x, y: np.cos(x))
elementwise([numpy.cos, math.cos], "cos", lambda x, y: -np.sin(x))
elementwise([numpy.tan, math.tan], "tan", lambda x, y: 1.0 + y * y)
elementwise([numpy.arcsin, math.asin], "arcsin", lambda x, y: 1.0 / np.sqrt(1.0 - x * x))
elementwise([numpy.arccos, math.acos], "arccos", lambda x, y: -1.0 / np.sqrt(1.0 - x * x))
elementwise([numpy.arctan, math.atan], "arctan", lambda x, y: 1.0 / (1.0 + x * x))

# hyperbolic
elementwise([numpy.sinh, math.sinh], "sinh", lambda x, y: np.cosh(x))
elementwise([numpy.cosh, math.cosh], "cosh", lambda x, y: np.sinh(x))
elementwise([numpy.tanh, math.tanh], "tanh", lambda x, y: 1.0 - y * y)
elementwise([numpy.arcsinh, math.asinh], "arcsinh", lambda x, y: 1.0 / np.sqrt(x * x + 1.0))
elementwise([numpy.arccosh, math.acosh], "arccosh", lambda x, y: 1.0 / np.sqrt(x * x - 1.0))
elementwise([numpy.arctanh, math.atanh], "arctanh", lambda x, y: 1.0 / (1.0 - x * x))

# exponentials and logarithms
elementwise([numpy.exp, math.exp], "exp", lambda x, y: y)
elementwise([numpy.exp2], "exp2", lambda x, y: LN2 * y)
elementwise([numpy.expm1, math.expm1], "expm1", lambda x, y: y + 1.0)
elementwise([numpy.log, math.log], "log", lambda x, y: 1.0 / x)
elementwise([numpy.log2, math.log2], "log2", lambda x, y: 1.0 / (LN2 * x))
elementwise([numpy.log10, math.log10], "log10", lambda x, y: 1.0 / (LN10 * x))
elementwise([numpy.log1p, math.log1p], "log1p", lambda x, y: 1.0 / (1.0 + x))
elementwise([math.erf], "erf", lambda x, y: TWO_OVER_SQRT_PI * np.exp(-(x * x)), note="math.erf")
elementwise(
    [math.erfc], "erfc", lambda x, y: -TWO_OVER_SQRT_PI * np.exp(-(x * x)), note="math.erfc"
)

# powers and roots
elementwise([numpy.sqrt, math.sqrt], "sqrt", lambda x, y: 0.5 / y)
elementwise([numpy.cbrt], "cbrt", lambda x, y: 1.0 / (3.0 * y * y))
elementwise([numpy.square], "square", lambda x, y: 2.0 * x)
elementwise([numpy.reciprocal], "reciprocal", lambda x, y: -(y * y))
elementwise([numpy.negative], "negative", lambda x, y: -1.0)
elementwise([numpy.positive, float], "identity", lambda x, y: 1.0)
elementwise(
    [numpy.abs, numpy.absolute, numpy.fabs, math.fabs, abs],
    "abs",
    lambda x, y: np.sign(x),
    note="derivative sign(x): 0 at x = 0",
)

# piecewise constant: zero derivative almost everywhere
no_derivative(
    [numpy.sign, numpy.floor, numpy.ceil, numpy.trunc, numpy.rint, numpy.round, numpy.around],
    "piecewise constant",
    family="elementwise",
    note="zero derivative (constant between jumps; no derivative at them)",
)


# two arguments, broadcasting
def _arctan2(a, b, z):
    r2 = a * a + b * b
    return b / r2, -a / r2


def _hypot(a, b, z):
    return a / z, b / z


def _maximum(a, b, z):
    return np.greater_equal(a, b), np.less(a, b)


def _minimum(a, b, z):
    return np.less_equal(a, b), np.greater(a, b)


binary([numpy.arctan2, math.atan2], "arctan2", _arctan2, note="arctan2(y, x)")
binary([numpy.hypot, math.hypot], "hypot", _hypot)
binary([numpy.maximum, numpy.fmax], "maximum", _maximum, note="ties: the derivative goes to `a`")
binary([numpy.minimum, numpy.fmin], "minimum", _minimum, note="ties: the derivative goes to `a`")


# clip and where: selections
def _clip_partials(x, lo, hi):
    inside = np.logical_and(np.greater_equal(x, lo), np.less_equal(x, hi))
    return inside, np.less(x, lo), np.greater(x, hi)


def _clip_jvp(y, x, lo, hi, dx, dlo, dhi):
    px, plo, phi = _clip_partials(x, lo, hi)
    return px * dx + plo * dlo + phi * dhi


def _clip_vjp(g, y, x, lo, hi):
    px, plo, phi = _clip_partials(x, lo, hi)
    return g * px, g * plo, g * phi


def _where_jvp(z, cond, a, b, dcond, da, db):
    if da is ZERO and db is ZERO:
        return ZERO
    return np.where(cond, da, db)


def _where_vjp(g, z, cond, a, b):
    return None, g * cond, g * np.logical_not(cond)


register(
    [numpy.clip],
    Rule(
        "clip",
        _clip_jvp,
        _clip_vjp,
        diff=(0, 1, 2),
        broadcasts=True,
        family="elementwise",
        note="derivative 1 inside [lo, hi], to the bound outside",
    ),
)
register(
    [numpy.where],
    Rule(
        "where",
        _where_jvp,
        _where_vjp,
        diff=(1, 2),
        broadcasts=True,
        family="elementwise",
        note="np.where(cond, a, b), three arguments",
    ),
)
