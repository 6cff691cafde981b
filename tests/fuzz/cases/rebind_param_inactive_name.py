# ruff: noqa
"""A differentiated parameter rebound to an inactive name (c = s, s = 0.0): its gradient must be 0.

Found by the fuzzer (seed 5 index 29, shrunk) against st_ad at commit bb970b1, where it failed:

grad: wrong derivative: rel err 1.00e+00 > 2e-03 (entries [0])
    got  [1.]
    fd   [0.] (h=1e-06)
    fd   [0.] (h=0.0001)
"""

import numpy as np


def f(A, c):
    s = 0.0
    c = s
    E = A
    return c + np.mean(E)


ARGS = (
    np.array(
        [
            [-0.6399999856948853, 0.9900000095367432, -0.8899999856948853, -0.8100000023841858],
            [-0.27000001072883606, 0.20000000298023224, -0.1599999964237213, -0.5],
            [-0.5400000214576721, 0.38999998569488525, -0.8399999737739563, 0.03999999910593033],
        ],
        dtype=np.float32,
    ),
    0.91,
)
WRT = (1,)
