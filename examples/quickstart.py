"""st_ad in one minute: a compiled gradient of a function with a loop, a branch and a call to a
helper, used from a numba loop, and the adjoint source st_ad generated for it."""

import math

import numpy as np
from numba import njit

import st_ad


def soft_penalty(v):
    """A helper: st_ad differentiates it through its own generated derivative."""
    return math.log1p(v * v)


def energy(x, k):
    """A chain of springs with a soft penalty: sum_i k (x[i+1] - x[i])^2 + log(1 + x[i]^2)."""
    e = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        e += k * d * d
        if x[i] > 0.0:
            e += soft_penalty(x[i])
    return e


grad_energy = st_ad.grad(energy)  # a numba dispatcher compiled in nopython mode


@njit
def relax(x, k, steps, rate):
    """Gradient descent compiled by numba, calling st_ad's gradient at every step."""
    for _ in range(steps):
        x = x - rate * grad_energy(x, k)
    return x


x = np.linspace(-1.0, 1.0, 6)
print("energy   :", energy(x, 2.0))
print("gradient :", grad_energy(x, 2.0))
print("max rel. error vs finite differences:", st_ad.check_grad(energy, x, 2.0))
print("energy after 200 descent steps in @njit code:", energy(relax(x, 2.0, 200, 0.05), 2.0))
print()
print(st_ad.source(energy, x, 2.0, mode="reverse"))  # the adjoint generated for these types
