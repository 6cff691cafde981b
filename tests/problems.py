"""Reference problems shared by the tests and the benchmark.

The plain-Python primals (``lorenz_rk4``, ``lj_energy``, ``rosenbrock``) are the
inputs handed to ``st_ad``. They deliberately use only the restricted subset of
Python the compiler targets: float scalars, arrays, ``for ... in range(...)``,
``+ - * / **``, indexing and ``x.shape[0]`` / ``len(x)``.

The ``*_nb`` functions are numba-compiled primals and hand-written gradients
used as performance baselines and as correctness references.
"""

import numba
import numpy as np

# ---------------------------------------------------------------------------
# Plain-Python primals (inputs to st_ad)
# ---------------------------------------------------------------------------


def lorenz_rk4(u0, params, dt, nsteps):
    """Integrate the Lorenz system with classical RK4; return x*x + y + z at the end."""
    sigma = params[0]
    rho = params[1]
    beta = params[2]
    x = u0[0]
    y = u0[1]
    z = u0[2]
    half = 0.5 * dt
    for _ in range(nsteps):
        # stage 1
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        # stage 2
        x2 = x + half * k1x
        y2 = y + half * k1y
        z2 = z + half * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        # stage 3
        x3 = x + half * k2x
        y3 = y + half * k2y
        z3 = z + half * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        # stage 4
        x4 = x + dt * k3x
        y4 = y + dt * k3y
        z4 = z + dt * k3z
        k4x = sigma * (y4 - x4)
        k4y = x4 * (rho - z4) - y4
        k4z = x4 * y4 - beta * z4
        # update
        x = x + dt / 6.0 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + dt / 6.0 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + dt / 6.0 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
    return x * x + y + z


def lj_energy(pos):
    """Lennard-Jones energy (epsilon = sigma = 1) of particles at ``pos`` (shape (N, 3))."""
    n = pos.shape[0]
    e = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            dx = pos[i, 0] - pos[j, 0]
            dy = pos[i, 1] - pos[j, 1]
            dz = pos[i, 2] - pos[j, 2]
            r2 = dx * dx + dy * dy + dz * dz
            inv6 = 1.0 / r2**3
            inv12 = inv6 * inv6
            e += 4.0 * (inv12 - inv6)
    return e


def rosenbrock(x):
    """Extended Rosenbrock function, written as a loop."""
    n = len(x)
    s = 0.0
    for i in range(n - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


# ---------------------------------------------------------------------------
# numba-compiled primals
# ---------------------------------------------------------------------------

lorenz_rk4_nb = numba.njit(cache=True)(lorenz_rk4)
lj_energy_nb = numba.njit(cache=True)(lj_energy)
rosenbrock_nb = numba.njit(cache=True)(rosenbrock)


# ---------------------------------------------------------------------------
# Hand-written gradients (numba)
# ---------------------------------------------------------------------------


@numba.njit(cache=True)
def lj_forces_nb(pos):
    """Forces -dE/dpos for ``lj_energy``; returns an array of shape (N, 3)."""
    n = pos.shape[0]
    f = np.zeros((n, 3))
    for i in range(n):
        xi = pos[i, 0]
        yi = pos[i, 1]
        zi = pos[i, 2]
        fxi = 0.0
        fyi = 0.0
        fzi = 0.0
        for j in range(i + 1, n):
            dx = xi - pos[j, 0]
            dy = yi - pos[j, 1]
            dz = zi - pos[j, 2]
            r2 = dx * dx + dy * dy + dz * dz
            inv2 = 1.0 / r2
            inv6 = inv2 * inv2 * inv2
            inv12 = inv6 * inv6
            # -dE/dr2 * 2 = (48 inv12 - 24 inv6) / r2
            c = (48.0 * inv12 - 24.0 * inv6) * inv2
            fx = c * dx
            fy = c * dy
            fz = c * dz
            fxi += fx
            fyi += fy
            fzi += fz
            f[j, 0] -= fx
            f[j, 1] -= fy
            f[j, 2] -= fz
        f[i, 0] += fxi
        f[i, 1] += fyi
        f[i, 2] += fzi
    return f


@numba.njit(cache=True)
def rosenbrock_grad_nb(x):
    """Gradient of ``rosenbrock``."""
    n = len(x)
    g = np.zeros(n)
    for i in range(n - 1):
        xi = x[i]
        t = x[i + 1] - xi * xi
        g[i] += -400.0 * xi * t - 2.0 * (1.0 - xi)
        g[i + 1] += 200.0 * t
    return g


@numba.njit(cache=True, inline="always")
def _lorenz_rhs_adj(x, y, z, sigma, rho, beta, vx, vy, vz):
    """Vector-Jacobian product of the Lorenz right-hand side at (x, y, z).

    Returns (bx, by, bz, bsigma, brho, bbeta) = J^T v for state and parameters.
    """
    bx = -sigma * vx + (rho - z) * vy + y * vz
    by = sigma * vx - vy + x * vz
    bz = -x * vy - beta * vz
    bsigma = (y - x) * vx
    brho = x * vy
    bbeta = -z * vz
    return bx, by, bz, bsigma, brho, bbeta


@numba.njit(cache=True)
def lorenz_rk4_grad_nb(u0, params, dt, nsteps):
    """Hand-written adjoint of ``lorenz_rk4``; returns (grad_u0, grad_params)."""
    sigma = params[0]
    rho = params[1]
    beta = params[2]
    half = 0.5 * dt
    c6 = dt / 6.0
    states = np.empty((nsteps + 1, 3))
    x = u0[0]
    y = u0[1]
    z = u0[2]
    states[0, 0] = x
    states[0, 1] = y
    states[0, 2] = z
    # forward sweep: store the state at the start of every step
    for n in range(nsteps):
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2 = x + half * k1x
        y2 = y + half * k1y
        z2 = z + half * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3 = x + half * k2x
        y3 = y + half * k2y
        z3 = z + half * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        x4 = x + dt * k3x
        y4 = y + dt * k3y
        z4 = z + dt * k3z
        k4x = sigma * (y4 - x4)
        k4y = x4 * (rho - z4) - y4
        k4z = x4 * y4 - beta * z4
        x = x + c6 * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
        y = y + c6 * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
        z = z + c6 * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
        states[n + 1, 0] = x
        states[n + 1, 1] = y
        states[n + 1, 2] = z
    # objective x*x + y + z
    bx = 2.0 * x
    by = 1.0
    bz = 1.0
    bsig = 0.0
    brho = 0.0
    bbet = 0.0
    # reverse sweep
    for n in range(nsteps - 1, -1, -1):
        x = states[n, 0]
        y = states[n, 1]
        z = states[n, 2]
        # recompute stages
        k1x = sigma * (y - x)
        k1y = x * (rho - z) - y
        k1z = x * y - beta * z
        x2 = x + half * k1x
        y2 = y + half * k1y
        z2 = z + half * k1z
        k2x = sigma * (y2 - x2)
        k2y = x2 * (rho - z2) - y2
        k2z = x2 * y2 - beta * z2
        x3 = x + half * k2x
        y3 = y + half * k2y
        z3 = z + half * k2z
        k3x = sigma * (y3 - x3)
        k3y = x3 * (rho - z3) - y3
        k3z = x3 * y3 - beta * z3
        x4 = x + dt * k3x
        y4 = y + dt * k3y
        z4 = z + dt * k3z
        # adjoint of the update s' = s + dt/6 (k1 + 2 k2 + 2 k3 + k4)
        b1x = c6 * bx
        b1y = c6 * by
        b1z = c6 * bz
        b2x = 2.0 * b1x
        b2y = 2.0 * b1y
        b2z = 2.0 * b1z
        b3x = b2x
        b3y = b2y
        b3z = b2z
        b4x = b1x
        b4y = b1y
        b4z = b1z
        # stage 4: k4 = f(s + dt k3)
        sx, sy, sz, ps, pr, pb = _lorenz_rhs_adj(x4, y4, z4, sigma, rho, beta, b4x, b4y, b4z)
        bsig += ps
        brho += pr
        bbet += pb
        bx += sx
        by += sy
        bz += sz
        b3x += dt * sx
        b3y += dt * sy
        b3z += dt * sz
        # stage 3: k3 = f(s + dt/2 k2)
        sx, sy, sz, ps, pr, pb = _lorenz_rhs_adj(x3, y3, z3, sigma, rho, beta, b3x, b3y, b3z)
        bsig += ps
        brho += pr
        bbet += pb
        bx += sx
        by += sy
        bz += sz
        b2x += half * sx
        b2y += half * sy
        b2z += half * sz
        # stage 2: k2 = f(s + dt/2 k1)
        sx, sy, sz, ps, pr, pb = _lorenz_rhs_adj(x2, y2, z2, sigma, rho, beta, b2x, b2y, b2z)
        bsig += ps
        brho += pr
        bbet += pb
        bx += sx
        by += sy
        bz += sz
        b1x += half * sx
        b1y += half * sy
        b1z += half * sz
        # stage 1: k1 = f(s)
        sx, sy, sz, ps, pr, pb = _lorenz_rhs_adj(x, y, z, sigma, rho, beta, b1x, b1y, b1z)
        bsig += ps
        brho += pr
        bbet += pb
        bx += sx
        by += sy
        bz += sz
    gu = np.empty(3)
    gu[0] = bx
    gu[1] = by
    gu[2] = bz
    gp = np.empty(3)
    gp[0] = bsig
    gp[1] = brho
    gp[2] = bbet
    return gu, gp


# ---------------------------------------------------------------------------
# Problem inputs
# ---------------------------------------------------------------------------


def lattice_positions(n, spacing=1.2, jitter=0.05, seed=0):
    """``n`` particles on a jittered simple-cubic lattice (no overlaps).

    With spacing 1.2 and jitter amplitude 0.05 the minimum pair distance is
    at least 1.1, so the LJ energy and forces are well conditioned.
    """
    rng = np.random.default_rng(seed)
    m = int(np.ceil(n ** (1.0 / 3.0) - 1e-9))
    grid = np.array(
        [(i, j, k) for i in range(m) for j in range(m) for k in range(m)], dtype=np.float64
    )[:n]
    return grid * spacing + rng.uniform(-jitter, jitter, size=(n, 3))


def rosenbrock_point(n, seed=0):
    """A generic point for the extended Rosenbrock function."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.5, 1.5, size=n)


LORENZ_U0 = np.array([1.0, 1.0, 1.0])
LORENZ_PARAMS = np.array([10.0, 28.0, 8.0 / 3.0])
