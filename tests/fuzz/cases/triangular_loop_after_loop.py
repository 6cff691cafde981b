# ruff: noqa
"""A loop, then a loop nest whose inner loop is range(i) over the outer counter (here never entered): the adjoint program did not compile (numba: variable 'j_stop' is not defined).

Found by the fuzzer (seed 13 index 28), shrunk. When found it failed:

vjp: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'j_stop' is not defined.
        def f(A, a):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code
"""

import numpy as np


def f(A, a):
    n2 = A.shape[1]
    for i in range(1):
        y1 = np.zeros(n2)
    for i in range(0):
        for j in range(i):
            B2 = A / (1.0 + a * a)
    return A @ A[n2 - 1]


ARGS = (
    np.array(
        [
            [-0.14, -0.32, 0.46, 0.38],
            [0.1, -0.91, 0.68, 0.12],
            [0.5, 0.2, -0.09, 0.38],
            [-0.09, 0.63, -0.86, -0.83],
            [0.26, -0.98, -0.12, 0.76],
            [0.05, 0.68, -0.33, 0.45],
        ],
        dtype=np.float64,
    ),
    -0.64,
)
WRT = ("A",)
