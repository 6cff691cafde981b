"""Arithmetic operators: ``+ - * / **`` and unary minus.

Operands may be scalars or arrays of different shapes (numpy broadcasting), so cotangents are
marked ``broadcasts``: the generator sums each back to its operand's shape.
"""

from __future__ import annotations

import math

import gast
import numpy

from .registry import Rule, register
from .sym import number, st


def _add_jvp(z, x, y, dx, dy):
    return dx + dy


def _add_vjp(g, z, x, y):
    return g, g


def _sub_jvp(z, x, y, dx, dy):
    return dx - dy


def _sub_vjp(g, z, x, y):
    return g, -g


def _mul_jvp(z, x, y, dx, dy):
    return dx * y + x * dy


def _mul_vjp(g, z, x, y):
    return g * y, g * x


def _div_jvp(z, x, y, dx, dy):
    return (dx - z * dy) / y


def _div_vjp(g, z, x, y):
    if number(x) == 1:  # z = 1 / y: dz/dy = -z^2, with no second division
        return g * z, -g * z * z
    return g / y, -g * z / y


def _pow_jvp(z, x, p, dx, dp):
    return p * x ** (p - 1) * dx + z * st.log_nonzero(x) * dp


def _pow_vjp(g, z, x, p):
    return g * p * x ** (p - 1), g * z * st.log_nonzero(x)


def _neg_jvp(z, x, dx):
    return -dx


def _neg_vjp(g, z, x):
    return (-g,)


def _binary(name: str, jvp, vjp, note: str = "") -> Rule:
    return Rule(name, jvp, vjp, diff=(0, 1), broadcasts=True, family="arithmetic", note=note)


register([gast.Add, numpy.add], _binary("add", _add_jvp, _add_vjp))
register([gast.Sub, numpy.subtract], _binary("subtract", _sub_jvp, _sub_vjp))
register([gast.Mult, numpy.multiply], _binary("multiply", _mul_jvp, _mul_vjp))
register(
    [gast.Div, numpy.divide, numpy.true_divide],
    _binary("divide", _div_jvp, _div_vjp, "1 / y is differentiated as a reciprocal"),
)
register(
    [gast.Pow, numpy.power, math.pow],
    _binary("power", _pow_jvp, _pow_vjp, "d/dp is z log x: needs x > 0 (0 at x = 0, as JAX)"),
)
register([gast.USub], Rule("negative", _neg_jvp, _neg_vjp, diff=(0,), family="arithmetic"))
