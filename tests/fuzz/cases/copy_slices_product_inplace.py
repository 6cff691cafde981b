# ruff: noqa
"""The product of two slices of a copy (np.sum(v[:-1] * v[1:])), then the copy updated in place (v += 2.0).

Found by the fuzzer (seed 5 index 17, shrunk) against st_ad at commit bb970b1, where it failed:

grad: wrong derivative: rel err 4.00e+00 > 1e-05 (entries [0, 1, 2, 3, 4, 5])
    got  [1.96 3.95 4.65 3.47 4.53 1.68]
    fd   [-0.04 -0.05  0.65 -0.53  0.53 -0.32] (h=1e-06)
    fd   [-0.04 -0.05  0.65 -0.53  0.53 -0.32] (h=0.0001)
"""

import numpy as np


def f(x):
    v = x.copy()
    p = np.sum(v[:-1] * v[1:])
    v += 2.0
    return p


ARGS = (np.array([0.16, -0.04, -0.21, 0.69, -0.32, -0.16], dtype=np.float64),)
WRT = ("x",)
