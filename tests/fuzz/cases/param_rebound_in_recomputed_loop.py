# ruff: noqa
"""A parameter re-bound inside a loop (`a, s = (1.0, a)`) in statements the reverse sweep
recomputes: the recomputation re-ran `a = 1.0` in the reverse sweep and nothing recorded the
argument, so the adjoint of the line before the loop read 1.0 (a wrong gradient in a).

Found by the fuzzer (seed 2026 index 1058), shrunk. Today's st_ad: correct.

As found:

grad: wrong derivative: rel err 1.67e-01 > 1e-05 (entries [0])
    got  [0.]
    fd   [0.16666667] (h=1e-06)
    fd   [0.16666667] (h=0.0001)
"""

import numpy as np


def f(x, A, a):
    n = x.shape[0]
    n2 = A.shape[1]
    z = x.copy()
    z[-6] += np.minimum(a, z[n2 - 1])
    for i in range(n - 1, 0, -1):
        a, s = (1.0, a)
        if 0.5 > a:
            return np.tanh(x[n - 1 - n2])
    return np.mean(z)


ARGS = (
    np.array([-0.57, 0.67, -0.12, 0.09, 0.68, 0.43], dtype=np.float64),
    np.array(
        [[-0.1, -0.27], [0.85, -0.95], [-0.56, 0.05], [0.77, -0.88], [-0.55, 0.83], [-0.79, 0.29]],
        dtype=np.float64,
    ),
    0.59,
)
WRT = (2,)
