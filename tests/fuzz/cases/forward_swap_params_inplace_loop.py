# ruff: noqa
"""Parameters swapped (w, x = x, w), a temporary bound in a loop (y = np.sin(w)) and updated in place by its own reverse (y -= 1.0 * y[::-1]): the tangent program gives a non-zero tangent where the true one is 0 (reverse mode is right).

Found by the fuzzer's CI batch (seed 7 index 6, size 16), shrunk.
Today's st_ad: wrong derivative.

jvp.tangent: wrong derivative: rel err 1.84e-01 > 1e-05 (entries [0, 1, 2])
    got  [-0.18366156 -0.18366156 -0.18366156]
    fd   [0. 0. 0.] (h=1e-06)
    fd   [0. 0. 0.] (h=0.0001)

dot: wrong derivative: <vjp(u), v> = 0.0 but <u, jvp(v)> = -0.10144477174047016
"""

import numpy as np


def f(x, w):
    n = x.shape[0]
    w, x = (x, w)
    for i in range(0, n, 2):
        y = np.sin(w)
    for i in range(1):
        y -= 1.0 * y[::-1]
    return x + np.mean(y)


ARGS = (
    np.array([0.64, -0.71, -0.78], dtype=np.float64),
    np.array([-0.3, 0.35, 0.49], dtype=np.float64),
)
WRT = ("x",)
