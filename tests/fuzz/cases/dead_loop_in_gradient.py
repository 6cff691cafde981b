# ruff: noqa
"""A loop whose body the gradient does not need (t -= b in range(i)), inside a loop that
updates an active array: f_grad, which skips forward work only the value needs, dropped the
loop while its reverse still popped the loop's trip count (numba: variable 'l_stop' is not
defined) and what its body records.

Found by the fuzzer (seed 2026 index 307), shrunk. When found it failed:

grad: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'l_stop' is not defined.
"""

import numba
import numpy as np


@numba.njit
def mix(p, q):
    return 0.5


def f(x, a, b, m):
    b = mix(a, x[m - 1])
    for i in range(1):
        x = x * np.prod(x)
        t = a
        for l in range(i):
            t -= b
    q = b
    for i in range(1, 4):
        y1 = x
    return q


ARGS = (np.array([0.93, 0.8, -0.08], dtype=np.float64), -0.37, -0.25, 2)
WRT = "x"
