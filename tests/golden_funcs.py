"""Functions whose generated source is pinned by golden files (keep their lines stable)."""

import math


def damped_sum(x, n):
    s = 0.0
    for i in range(n):
        t = math.sin(x[i] * s + 1.0)
        s += t * t
    return s
