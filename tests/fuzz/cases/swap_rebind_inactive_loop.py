# ruff: noqa
"""A parameter rebound in a loop to a value with no derivative (np.maximum of constants), then swapped with another name.

Found by the fuzzer (seed 5 index 8, shrunk) against st_ad at commit bb970b1, where it failed:

grad: wrong derivative: rel err 1.00e+00 > 1e-05 (entries [0])
    got  [1.]
    fd   [0.] (h=1e-06)
    fd   [0.] (h=0.0001)
"""

import numpy as np


def f(a, b):
    for i in range(2):
        a = np.maximum(1.0 if not b > 1.0 else 0.5 - 0.5, a)
        a = 0.5 + a
        a, b = (b, a)
    return a


ARGS = (0.18, 0.43)
WRT = (0,)
