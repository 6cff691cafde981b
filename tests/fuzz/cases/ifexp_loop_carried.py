# ruff: noqa
"""A conditional expression in a loop reading a loop-carried value (t), updated after it.

Known bug of st_ad at commit bb970b1 (the checker flags it there): grad gave (3.26, 1.2), true (2.94, 1.2).
"""


def f(x, a):
    s = 0.0
    t = a
    for k in range(3):
        s = s + x * (t if x > 0.0 else 1.0)
        t = t + x * x
    return s


ARGS = (0.4, 0.5)
WRT = (0, 1)
