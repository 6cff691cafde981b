# ruff: noqa
"""A value computed from inactive operands by np.mean(..., axis=1), made active later by a
write into it: the tangent program called `st.mean(0.0, 1)` (the rule applied to zero
tangents), which numba cannot compile. jvp crashed with an error naming no line.

Found by the fuzzer (seed 2026 index 1032, float32 arrays), reduced by hand.
Today's st_ad: correct (a jvp with all-zero tangents is zeros of the value's shape).
"""

import numpy as np


def f(A, b):
    z = np.mean(A * 2.0, axis=1)
    z[0] = z[0] * b
    return np.sum(z)


ARGS = (np.array([[0.3, -0.6, 0.9], [0.2, 0.5, -0.4]], dtype=np.float32), 0.39848)
WRT = (1,)
