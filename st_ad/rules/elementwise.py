"""Elementwise functions of one argument, each given by its derivative: ``d/dx f(x)`` written
with ``x`` (the argument) and ``y`` (the value ``f(x)``) where reusing ``y`` saves work."""

from __future__ import annotations

import math

import numpy

from .registry import scalar_rule
from .sym import np

scalar_rule([numpy.sin, math.sin], lambda x, y: np.cos(x), "sin")
scalar_rule([numpy.cos, math.cos], lambda x, y: -np.sin(x), "cos")
scalar_rule([numpy.tan, math.tan], lambda x, y: 1.0 + y * y, "tan")
scalar_rule([numpy.exp, math.exp], lambda x, y: y, "exp")
scalar_rule([numpy.log, math.log], lambda x, y: 1.0 / x, "log")
scalar_rule([numpy.log1p, math.log1p], lambda x, y: 1.0 / (1.0 + x), "log1p")
scalar_rule([numpy.sqrt, math.sqrt], lambda x, y: 0.5 / y, "sqrt")
scalar_rule([numpy.tanh, math.tanh], lambda x, y: 1.0 - y * y, "tanh")
scalar_rule([numpy.abs, numpy.absolute, math.fabs, abs], lambda x, y: np.sign(x), "abs")
scalar_rule([float], lambda x, y: 1.0, "float")
