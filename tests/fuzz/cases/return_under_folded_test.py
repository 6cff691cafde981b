# ruff: noqa
"""A helper whose early return sits under a test numba folds (r is a copy of the constant
0.5, and `r < 0.5` is one operand of an `and`): numba dropped the return's branch in the
forward sweep only, and could not type the result's adjoint and tangent at the merge.

Found by the fuzzer (seed 2026 index 578). When found it failed in every mode:

jvp: unsupported: st_ad: numba could not compile the derivative code of this line: Type of variable 'dresult.3' cannot be determined
"""

import math
import numpy as np


def mix(p, q, r):
    p, q = q, p
    s = 0.5
    r, s = s, r
    for i in range(4):
        if s > 0.7:
            t = r
            if p < s:
                v = np.zeros(2)
                if r < 0.5 and ((3.0 / (2.0 + math.cos(r))) > q):
                    return q * p
            elif p > 0.1:
                s1 = (1.5 + math.sin(r)) ** math.atan(q)
                s1 *= np.tanh(np.sqrt(1.0 + q * q))
            s = s * (-0.75) + math.cos(p)
        else:
            p, q = q, p
            t1 = (0.5 * i) * s
        if i > 2:
            if i % 2 == 0:
                v1 = np.zeros(3)
                v1[0] += np.maximum(p, v1[0])
            g1 = np.zeros(3)
            g1 = g1[::-1] * (p * np.minimum(-0.75, p))
    return s


def f(a, m):
    s = 0.0
    t, u = mix(s, a, 2.0), np.cos(math.sqrt(1.0 + a * a))
    s, a = (1.5 + np.sin(a)) ** (float(m) * 0.5), t
    p = mix(0.25, -1.0, math.sin(a * u))
    q = a
    u = u - np.cos(q)
    r = t - 0.5
    t = mix(-0.75, 0.5, math.tanh(u if u < 0.3 else q))
    y1 = np.zeros(2)
    a = t
    z1 = y1.copy()
    u1 = np.mean(z1[:-1] + z1[1:])
    z1 += np.exp(-y1[::-1] * y1[::-1])
    if a < -0.4:
        p1 = mix(
            np.sin(mix(np.tanh(mix(0.5, 0.3, u)), 3.0, np.cos(q - r))),
            np.arctan((p / (1.0 + u1 * u1)) / (2.0 + np.cos(-0.75))),
            -0.75,
        )
        z1[-1] += np.cumsum(np.minimum(y1[::-1], y1) + y1[::-1])[-2]
    q1 = 0.8
    r1 = p / (2.0 + math.cos(z1[0]))
    s = u
    return u


ARGS = (-0.40971, 2)
WRT = (0,)
