# ruff: noqa
"""A copy read through a slice (np.max(y[1:])), then updated in place (y += x).

Found by the fuzzer (seed 5 index 0, shrunk) against st_ad at commit bb970b1, where it failed:

grad: wrong derivative: rel err 1.00e+00 > 2e-03 (entries [3])
    got  [0. 0. 0. 0. 0. 0.]
    fd   [0. 0. 0. 1. 0. 0.] (h=1e-06)
    fd   [0. 0. 0. 1. 0. 0.] (h=0.0001)
"""

import numpy as np


def f(x):
    y = x.copy()
    t = np.max(y[1:])
    y += x
    return t


ARGS = (
    np.array(
        [
            0.9100000262260437,
            -0.6299999952316284,
            -0.3499999940395355,
            0.9900000095367432,
            0.6000000238418579,
            -0.10999999940395355,
        ],
        dtype=np.float32,
    ),
)
WRT = (0,)
