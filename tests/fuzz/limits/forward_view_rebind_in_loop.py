# ruff: noqa
"""A name rebound in a loop to a reversed view of itself (x = x[::-1]) after np.maximum: numba
0.68 fails to lower the ufunc on the name's layout-'A' array type ("Don't know how to allocate
array with layout 'A'"). Plain numba.njit fails the same way on this program with
`while k < 3:` (it compiles the version written here only because it prunes the constant
`0.5 < 3.0`, which st_ad's normalised test no longer shows it). st_ad reports an StAdError
with the hint to copy the view.

Found by the fuzzer (seed 11 index 27), shrunk.
Today's st_ad: unsupported.

jvp: unsupported: st_ad: the derivative code of f failed while running: NotImplementedError: Don't know how to allocate array with layout 'A'.
        def f(x, b):
      What to do: check the arguments' shapes and values (a tangent or cotangent must have the shape of its argument or of the output, indices must be in range); st_ad.source(f) shows the generated code
"""

import numpy as np


def f(x, b):
    k = 0
    while k < 3 and 0.5 < 3.0:
        k += 1
        x = np.maximum(x, 0.5)
        for i in range(1):
            y = x.copy()
            x = x[::-1]
    return 0.5


ARGS = (np.array([0.1, 0.42, 0.3, -0.26, 0.9, 0.07], dtype=np.float64), 0.82)
WRT = 1
LIMIT = "layout 'A'"
