"""API surface: decorator forms, numba dispatchers as input, calling derivatives from numba."""

import math

import numba
import numpy as np

import st_ad


@st_ad.grad
def decorated(x):
    return math.sin(x) * x


@st_ad.grad(wrt="y")
def decorated_wrt(x, y):
    return x * y * y


@numba.njit
def jitted(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.exp(x[i]) * x[i]
    return s


def test_decorator_forms():
    x = 0.7
    assert math.isclose(decorated(x), math.cos(x) * x + math.sin(x), rel_tol=1e-14)
    assert math.isclose(decorated_wrt(2.0, 3.0), 12.0, rel_tol=1e-14)


def test_numba_dispatcher_input_uses_its_python_source():
    x = np.linspace(-1.0, 1.0, 5)
    g = st_ad.grad(jitted)(x)
    np.testing.assert_allclose(g, np.exp(x) * (1.0 + x), rtol=1e-13)


def test_derivatives_are_dispatchers_callable_from_njit():
    grad = st_ad.grad(jitted)
    assert isinstance(grad, numba.core.registry.CPUDispatcher)

    @numba.njit
    def descend(x, steps, rate):
        for _ in range(steps):
            x = x - rate * grad(x)
        return x

    x0 = np.array([0.5, -0.3])
    x = descend(x0.copy(), 3, 0.1)
    want = x0.copy()
    for _ in range(3):
        want = want - 0.1 * np.exp(want) * (1.0 + want)
    np.testing.assert_allclose(x, want, rtol=1e-13)


def test_float32_gradient_keeps_dtype():
    x = np.linspace(0.1, 1.0, 4).astype(np.float32)
    g = st_ad.grad(jitted)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.exp(x) * (1.0 + x), rtol=1e-5)
