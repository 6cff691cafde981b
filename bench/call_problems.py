"""A problem written as a program: the Lennard-Jones energy with its pair term in an @njit
helper, as a user would factor it. st_ad differentiates the call through the helper's own
generated derivative; the hand-written gradient is the same as for the inlined version."""

import numba


@numba.njit(cache=True)
def pair_energy(r2):
    """Lennard-Jones pair energy (epsilon = sigma = 1) at squared distance r2."""
    inv6 = 1.0 / r2**3
    return 4.0 * (inv6 * inv6 - inv6)


def lj_energy_calls(pos):
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            e += pair_energy(dx * dx + dy * dy + dz * dz)
    return e


lj_energy_calls_nb = numba.njit(cache=True)(lj_energy_calls)
