# ruff: noqa
"""A parameter re-bound to `1.0 * A` (a new array) then updated in place (`A += np.minimum(A, 0.5)`): the tangent `1.0 * dA` folds to `dA` itself, the normalised second name of A was bound to it, and `A += ...` then updated the caller's tangent in place; jvp gave half the derivative, and the tangent passed in came back changed.

Found by the fuzzer (seed 1208 index 626), shrunk. When found it failed:

jvp.tangent: wrong derivative: rel err 5.00e-01 > 1e-05 (entries [0])
    got  [1.12883665]
    fd   [2.2576733] (h=1e-06)
    fd   [2.2576733] (h=0.0001)
"""

import numpy as np


def f(A, m):
    n2 = A.shape[1]
    A = 1.0 * A
    A += np.minimum(A, 0.5)
    t = A[n2, m]
    return t


ARGS = (
    np.array(
        [
            [-0.93, 0.99, 0.13],
            [0.84, 0.36, 0.86],
            [-0.03, -0.54, -0.57],
            [0.73, 0.35, -0.93],
            [-0.54, -0.6, -0.86],
        ],
        dtype=np.float64,
    ),
    2,
)
WRT = "A"
