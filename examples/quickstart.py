"""st_ad in one minute: a compiled gradient of a function with a loop and a branch, and the
adjoint source st_ad generated for it."""

import math

import numpy as np

import st_ad


def energy(x, k):
    """A chain of springs with a soft penalty: sum_i k (x[i+1] - x[i])^2 + log(1 + x[i]^2)."""
    e = 0.0
    for i in range(x.shape[0] - 1):
        d = x[i + 1] - x[i]
        e += k * d * d
        if x[i] > 0.0:
            e += math.log1p(x[i] * x[i])
    return e


grad_energy = st_ad.grad(energy)  # a numba dispatcher compiled in nopython mode

x = np.linspace(-1.0, 1.0, 6)
print("energy   :", energy(x, 2.0))
print("gradient :", grad_energy(x, 2.0))
print("max rel. error vs finite differences:", st_ad.check_grad(energy, x, 2.0))
print()
print(st_ad.source(energy, mode="reverse"))
