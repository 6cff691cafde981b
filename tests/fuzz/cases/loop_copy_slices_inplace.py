# ruff: noqa
"""A copy made inside a loop, read through two slices (np.sum(y1[:-1] * y1[1:])), then updated in place (y1 += t1): the reverse sweep gets the slices' cotangent wrong.

Found by the fuzzer as a dot-product mismatch (seed 11 index 56), shrunk, then simplified by hand.
Today's st_ad: wrong derivative.

value_and_grad.grad: wrong derivative: rel err 1.50e-02 > 1e-05 (entries [0, 1, 2])
    got  [ 1.588 -0.044  0.588]
    fd   [ 1.6  -0.02  0.6 ] (h=1e-06)
    fd   [ 1.6  -0.02  0.6 ] (h=0.0001)

grad: wrong derivative: rel err 1.50e-02 > 1e-05 (entries [0, 1, 2])
    got  [ 1.588 -0.044  0.588]
    fd   [ 1.6  -0.02  0.6 ] (h=1e-06)
    fd   [ 1.6  -0.02  0.6 ] (h=0.0001)

vjp: wrong derivative: rel err 1.50e-02 > 1e-05 (entries [0, 1, 2])
    got  [ 1.09514974 -0.0303442   0.40550885]
    fd   [ 1.10342544 -0.01379282  0.41378454] (h=1e-06)
    fd   [ 1.10342544 -0.01379282  0.41378454] (h=0.0001)

dot: wrong derivative: <vjp(u), v> = -0.020534950425819876 but <u, jvp(v)> = -0.011885626554004922
"""

import numpy as np


def f(x):
    y = x.copy()
    u = 0.0
    for i in range(2):
        y1 = y.copy()
        t1 = np.sum(y1[:-1] * y1[1:])
        y1 += t1
        u = y1[0]
    return u


ARGS = (np.array([-0.46, 0.6, 0.44], dtype=np.float64),)
WRT = (0,)
