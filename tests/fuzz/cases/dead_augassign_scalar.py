# ruff: noqa
"""A scalar copied from a parameter and updated in place but never used (q = a; q -= 0.5), in a function returning a float32-derived array: the adjoint program did not compile (numba: variable 'q' is not defined).

Found by the fuzzer (seed 13 index 37), shrunk. When found it failed:

vjp: unsupported: st_ad: numba could not compile the derivative code of this line: The compiler failed to analyze the bytecode. Variable 'q' is not defined.
        def f(a, x):
      What to do: check the argument types (numba supports this form of the call?); st_ad.source(f) shows the generated code
"""

import math
import numpy as np


def f(a, x):
    n = x.shape[0]
    v = x
    q = a
    q -= 0.5
    r = 0.5
    y1 = np.cos(v)
    r -= math.cos(a)
    y1[n - 1] = r
    g1 = y1.copy()
    return g1


ARGS = (
    -0.36,
    np.array(
        [0.25, 0.23999999463558197, 0.36000001430511475, -0.14000000059604645, -0.7099999785423279],
        dtype=np.float32,
    ),
)
WRT = (0,)
