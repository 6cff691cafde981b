"""Helpers in a module of their own, called from tests/test_calls.py: calls across modules,
plain and @njit, several levels deep, reading module-level constants."""

import math

import numpy as np
from numba import njit

SCALE = 1.5  # module-level constants, read when the transform is built
OFFSETS = (0.25, -0.5)
WEIGHTS = np.array([1.0, 2.0, 0.5])


@njit
def smooth(r):
    """Third level (@njit)."""
    return SCALE * math.exp(-r * r) + OFFSETS[0] * r


def square(d):
    """Third level (plain Python, called by a plain function)."""
    return d * d


def pair(a, b, eps):
    """Second level (plain Python): calls an @njit helper and a plain one."""
    d = a - b
    return eps * smooth(d) + square(d)


def weighted(x):
    """Reads a module-level array."""
    return np.sum(WEIGHTS * x * x)


def abs_of_array(v):
    w = v * 2.0
    return np.sum(abs(w))  # numba has no builtin abs for arrays: a typing error here


def fill_first(v, value):
    v[0] = value  # writes into its argument: st_ad cannot follow that across a call
    return value


@njit
def scale_in_place(v, a):
    v *= a  # an array argument is changed in place: the caller's derivative must refuse it
    return np.sum(v)


def shift_through_view(v, a):
    w = v[1:]
    w[0] = a  # writes into v's memory through a view
    return a


def scale_scalar(u, a):
    u *= a  # on a float, a new binding: nothing of the caller's changes
    u += 1.0
    return u * u


def scale_new_array(v, a):
    v = v * a  # a new array from here on: the in-place updates below do not reach the caller
    v += 1.0
    v[0] = 0.5
    return np.sum(v * v)


def scale_through_helper(v, a):
    return scale_in_place(v, a)


def swap_then_update(p, v):
    # found by the fuzzer (seed 1208, #510), wrongly rejected: `u = v[i]` of a vector is a
    # float, so `p += ...` after the swap changes nothing of the caller's
    for i in range(v.shape[0]):
        u = v[i]
        if u <= p:
            p += v[i] - p
            continue
        p, u = u, p
    p += np.cos(v[0])
    return p * v[1]


def store_a_float(p, r):
    # found by the fuzzer (seed 1208, #957), wrongly rejected: `y[i] = r` copies the float r
    # into y; it did not make y hold r's memory
    y = np.zeros(3)
    for i in range(3):
        y[i] = r
        y *= p
    return np.sum(y)
