"""Reference problems: st_ad gradients against finite differences and hand-written adjoints.

The hand-written numba gradients in ``tests/problems.py`` are themselves validated
against finite differences here, so a disagreement with st_ad can be attributed.
"""

import numpy as np
import pytest

from tests.problems import (
    LORENZ_PARAMS,
    LORENZ_U0,
    lattice_positions,
    lj_energy,
    lj_energy_nb,
    lj_forces_nb,
    lorenz_rk4,
    lorenz_rk4_grad_nb,
    lorenz_rk4_nb,
    rosenbrock,
    rosenbrock_grad_nb,
    rosenbrock_nb,
    rosenbrock_point,
)

# Lorenz horizon t = dt * nsteps = 1.0: short enough that the chaotic growth of
# perturbations does not spoil the finite-difference reference.
LORENZ_DT = 1e-4
LORENZ_NSTEPS = 10000
LJ_N = 50
ROSEN_N = 200


def fd_grad(f, x, rel_step):
    """Fourth-order central finite differences of scalar ``f`` w.r.t. array ``x``.

    Step for entry k is ``rel_step * max(1, |x_k|)``; truncation error O(h^4).
    """
    x = np.asarray(x, dtype=np.float64)
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        h = rel_step * max(1.0, abs(x[idx]))
        vals = []
        for s in (2.0, 1.0, -1.0, -2.0):
            xs = x.copy()
            xs[idx] += s * h
            vals.append(f(xs))
        g[idx] = (-vals[0] + 8.0 * vals[1] - 8.0 * vals[2] + vals[3]) / (12.0 * h)
    return g


def _atol(ref, factor):
    return factor * float(np.max(np.abs(ref)))


# ---------------------------------------------------------------------------
# st_ad transforms: built once per module
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def st_ad():
    import st_ad

    return st_ad


@pytest.fixture(scope="module")
def lorenz_grad(st_ad):
    return st_ad.grad(lorenz_rk4, wrt=(0, 1))


@pytest.fixture(scope="module")
def lj_grad(st_ad):
    return st_ad.grad(lj_energy)


@pytest.fixture(scope="module")
def rosen_grad(st_ad):
    return st_ad.grad(rosenbrock)


# ---------------------------------------------------------------------------
# Reference inputs and finite-difference gradients (computed once)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lorenz_fd():
    u0, p = LORENZ_U0.copy(), LORENZ_PARAMS.copy()
    # The 10k-step primal carries ~1e-13 relative rounding noise; with a
    # fourth-order stencil a relative step of 1e-3 gives ~1e-10 accuracy.
    gu = fd_grad(lambda v: lorenz_rk4_nb(v, p, LORENZ_DT, LORENZ_NSTEPS), u0, 1e-3)
    gp = fd_grad(lambda v: lorenz_rk4_nb(u0, v, LORENZ_DT, LORENZ_NSTEPS), p, 1e-3)
    return gu, gp


@pytest.fixture(scope="module")
def lj_pos():
    return lattice_positions(LJ_N, seed=1)


@pytest.fixture(scope="module")
def rosen_x():
    return rosenbrock_point(ROSEN_N, seed=2)


# ---------------------------------------------------------------------------
# The references themselves
# ---------------------------------------------------------------------------


def test_primals_match_numba():
    u0, p = LORENZ_U0, LORENZ_PARAMS
    assert lorenz_rk4(u0, p, LORENZ_DT, 200) == pytest.approx(
        lorenz_rk4_nb(u0, p, LORENZ_DT, 200), rel=1e-14
    )
    pos = lattice_positions(LJ_N, seed=1)
    assert lj_energy(pos) == pytest.approx(lj_energy_nb(pos), rel=1e-13)
    x = rosenbrock_point(ROSEN_N, seed=2)
    assert rosenbrock(x) == pytest.approx(rosenbrock_nb(x), rel=1e-13)


def test_lattice_has_no_overlaps(lj_pos):
    d = lj_pos[:, None, :] - lj_pos[None, :, :]
    r = np.sqrt((d * d).sum(-1))
    r[np.diag_indices(LJ_N)] = np.inf
    assert r.min() > 1.0


def test_lorenz_handwritten_vs_fd(lorenz_fd):
    gu, gp = lorenz_rk4_grad_nb(LORENZ_U0, LORENZ_PARAMS, LORENZ_DT, LORENZ_NSTEPS)
    fu, fp = lorenz_fd
    np.testing.assert_allclose(gu, fu, rtol=1e-7, atol=_atol(fu, 1e-9))
    np.testing.assert_allclose(gp, fp, rtol=1e-7, atol=_atol(fp, 1e-9))


def test_lj_handwritten_vs_fd(lj_pos):
    forces = lj_forces_nb(lj_pos)
    fd = fd_grad(lj_energy_nb, lj_pos, 1e-4)
    np.testing.assert_allclose(-forces, fd, rtol=1e-7, atol=_atol(fd, 1e-9))
    # Newton's third law: total force vanishes
    assert np.abs(forces.sum(axis=0)).max() < 1e-10 * np.abs(forces).max()


def test_rosenbrock_handwritten_vs_fd(rosen_x):
    g = rosenbrock_grad_nb(rosen_x)
    fd = fd_grad(rosenbrock_nb, rosen_x, 1e-4)
    np.testing.assert_allclose(g, fd, rtol=1e-7, atol=_atol(fd, 1e-9))


# ---------------------------------------------------------------------------
# st_ad against the references
# ---------------------------------------------------------------------------


def test_lorenz_st_ad_vs_fd(lorenz_grad, lorenz_fd):
    u0, p = LORENZ_U0.copy(), LORENZ_PARAMS.copy()
    gu, gp = lorenz_grad(u0, p, LORENZ_DT, LORENZ_NSTEPS)
    fu, fp = lorenz_fd
    np.testing.assert_allclose(gu, fu, rtol=1e-6, atol=_atol(fu, 1e-8))
    np.testing.assert_allclose(gp, fp, rtol=1e-6, atol=_atol(fp, 1e-8))
    # inputs are not modified
    np.testing.assert_array_equal(u0, LORENZ_U0)
    np.testing.assert_array_equal(p, LORENZ_PARAMS)


def test_lorenz_st_ad_vs_handwritten(lorenz_grad):
    gu, gp = lorenz_grad(LORENZ_U0, LORENZ_PARAMS, LORENZ_DT, LORENZ_NSTEPS)
    hu, hp = lorenz_rk4_grad_nb(LORENZ_U0, LORENZ_PARAMS, LORENZ_DT, LORENZ_NSTEPS)
    np.testing.assert_allclose(gu, hu, rtol=1e-10, atol=_atol(hu, 1e-12))
    np.testing.assert_allclose(gp, hp, rtol=1e-10, atol=_atol(hp, 1e-12))


def test_lj_st_ad_vs_handwritten(lj_grad, lj_pos):
    pos = lj_pos.copy()
    g = lj_grad(pos)
    ref = -lj_forces_nb(lj_pos)
    assert g.shape == lj_pos.shape
    np.testing.assert_allclose(g, ref, rtol=1e-10, atol=_atol(ref, 1e-13))
    np.testing.assert_array_equal(pos, lj_pos)


def test_rosenbrock_st_ad_vs_handwritten(rosen_grad, rosen_x):
    x = rosen_x.copy()
    g = rosen_grad(x)
    ref = rosenbrock_grad_nb(rosen_x)
    assert g.shape == rosen_x.shape
    np.testing.assert_allclose(g, ref, rtol=1e-10, atol=_atol(ref, 1e-13))
    np.testing.assert_array_equal(x, rosen_x)
