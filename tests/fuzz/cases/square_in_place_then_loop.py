# ruff: noqa
"""A parameter squared in place (a *= a), then read in a loop that scales an array in place (z *= ...): the adjoint added a's cotangent into its own before scaling it, and the tangent read da after scaling it.

Found by the fuzzer (seed 2026 index 10), shrunk by hand. When found it failed:

grad: wrong derivative: rel err 1.71e-01 > 1e-05 (entries [0])
    got  [-0.12658831]
    fd   [-0.2974] (h=1e-06)
    fd   [-0.2974] (h=0.0001)
"""

import math
import numpy as np


def f(a):
    a *= a
    z = np.zeros(5)
    for i in range(5 - 1, -1, -1):
        z[i] = (1.5 + math.sin(a)) ** a
        z *= math.tanh(np.exp(np.cos(z[1])))
    return a + np.mean(z)


ARGS = (-0.1487,)
WRT = (0,)
