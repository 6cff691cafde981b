"""Matrix-calculus identities (../shared/seeds, the matrix calculus text) with analytic
gradients, and a Hessian-vector product by forward mode over the generated adjoint."""

from __future__ import annotations

import numpy as np
import pytest

import st_ad

RNG = np.random.default_rng(7)
N = 5


def _spd(n):
    a = RNG.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def trace_minus_logdet(X, S):
    return np.sum(S * X) - np.log(np.linalg.det(X))


def trace_minus_slogdet(X, S):
    sign, logdet = np.linalg.slogdet(X)
    return np.sum(S * X) - logdet


def log_quadratic(x, A):
    return np.log(x @ (A @ x))


def frobenius_residual(X, A, B):
    return np.linalg.norm(A @ X - B)


def softplus_linear(x, a):
    return np.log(1.0 + np.exp(a @ x))


@pytest.mark.parametrize("f", [trace_minus_logdet, trace_minus_slogdet])
def test_trace_minus_logdet(f):
    X = _spd(N) + 0.3 * RNG.standard_normal((N, N))  # not symmetric: X^-T matters
    S = RNG.standard_normal((N, N))
    g = st_ad.grad(f)(X, S)
    np.testing.assert_allclose(g, S - np.linalg.inv(X).T, rtol=1e-10, atol=1e-12)


def test_log_quadratic_form():
    A = _spd(N)
    x = RNG.standard_normal(N)
    g = st_ad.grad(log_quadratic)(x, A)
    np.testing.assert_allclose(g, 2 * A @ x / (x @ A @ x), rtol=1e-10)


def test_frobenius_residual():
    A = RNG.standard_normal((6, N))
    X = RNG.standard_normal((N, 3))
    B = RNG.standard_normal((6, 3))
    g = st_ad.grad(frobenius_residual)(X, A, B)
    r = A @ X - B
    np.testing.assert_allclose(g, A.T @ r / np.linalg.norm(r), rtol=1e-10)


def test_softplus_gradient_and_hessian_vector_product():
    a = RNG.standard_normal(N)
    x = 0.3 * RNG.standard_normal(N)
    v = RNG.standard_normal(N)
    s = 1.0 / (1.0 + np.exp(-(a @ x)))
    np.testing.assert_allclose(st_ad.grad(softplus_linear)(x, a), s * a, rtol=1e-12)
    # forward mode over the generated reverse-mode gradient: H v
    grad_f = st_ad.grad(softplus_linear)
    g, hv = st_ad.jvp(grad_f)(x, a, v)
    np.testing.assert_allclose(g, s * a, rtol=1e-12)
    np.testing.assert_allclose(hv, s * (1 - s) * (a @ v) * a, rtol=1e-10)


def test_hessian_vector_product_of_matrix_function():
    A = _spd(N)
    x = RNG.standard_normal(N)
    v = RNG.standard_normal(N)
    _, hv = st_ad.jvp(st_ad.grad(log_quadratic))(x, A, v)
    q = x @ A @ x
    expected = 2 * A @ v / q - 4 * (A @ x) * (x @ A @ v) / q**2
    np.testing.assert_allclose(hv, expected, rtol=1e-10)


def recurrence(x):
    s = 0.0
    for i in range(x.shape[0]):
        s = s * 0.5 + np.sin(x[i]) * s + x[i]
    return s


def test_forward_over_a_gradient_that_records_is_a_clear_error():
    with pytest.raises(st_ad.UnsupportedError, match="tape"):
        st_ad.jvp(st_ad.grad(recurrence))(np.ones(3), np.ones(3))
