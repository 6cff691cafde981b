# ruff: noqa
"""A loop whose body is only 'continue', then a loop nest with an inner range(i): the adjoint program does not compile (numba: variable 'j_stop' is not defined).

Found by the fuzzer (seed 11 index 22), shrunk.
Today's st_ad: unsupported.

grad: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'j_stop' is not defined.
        def f(x, c):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code

vjp: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'j_stop' is not defined.
        def f(x, c):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code
"""

import numpy as np


def f(x, c):
    n = x.shape[0]
    for i in range(1):
        continue
    for i in range(n - 1, 0, -1):
        for j in range(i):
            y1 = np.zeros(n)
    return c


ARGS = (np.array([-0.9, 0.81, 0.9, 0.48], dtype=np.float64), -0.28)
WRT = (1,)
