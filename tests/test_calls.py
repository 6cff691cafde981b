"""Calls between user functions (plain and @njit, across modules, several levels deep),
module-level constants and closures, numba interoperability (derivatives called from @njit
code, parallel=True primals, prange) and recursion. Checked against central differences and
analytic gradients."""

import numpy as np
import pytest
from numba import njit, prange

import st_ad
from tests.callees import (
    WEIGHTS,
    abs_of_array,
    fill_first,
    pair,
    scale_in_place,
    scale_new_array,
    scale_scalar,
    scale_through_helper,
    shift_through_view,
    smooth,
    store_a_float,
    swap_then_update,
)


def central_difference(g, t0, h=1e-6):
    return (g(t0 + h) - g(t0 - h)) / (2 * h)


def chain(x, eps):
    """Level 1: calls pair (plain, another module), which calls smooth (@njit) and square
    (plain); smooth is also called directly."""
    e = 0.0
    for i in range(x.shape[0] - 1):
        e += pair(x[i], x[i + 1], eps)
    return e + smooth(x[0]) * eps


def two_patterns(x, c):
    """pair called with (a, b) active, then with (b, eps) active."""
    return pair(x[0], x[1], c) + pair(c, x[2], x[0] * x[1])


def with_keywords(x):
    return pair(b=x[1], a=x[0], eps=0.5) + scaled(x[2])


def scaled(v, k=3.0):
    return k * v * v


X = np.array([0.3, -0.2, 0.9, 0.4])


def _fd_gradient(f, x, *rest):
    return np.array(
        [
            central_difference(lambda t, k=k: f(x + t * np.eye(len(x))[k], *rest), 0.0)
            for k in range(len(x))
        ]
    )


def test_three_level_chain_reverse():
    gx, geps = st_ad.grad(chain, wrt=(0, 1))(X, 0.7)
    np.testing.assert_allclose(gx, _fd_gradient(chain, X, 0.7), rtol=1e-7, atol=1e-9)
    fd_eps = central_difference(lambda t: chain(X, 0.7 + t), 0.0)
    assert geps == pytest.approx(fd_eps, rel=1e-7)


def test_three_level_chain_forward():
    v = np.array([0.5, -1.0, 0.25, 2.0])
    y, dy = st_ad.jvp(chain, wrt=(0, 1))(X, 0.7, v, 0.3)
    assert y == pytest.approx(chain(X, 0.7), rel=1e-14)
    fd = central_difference(lambda t: chain(X + t * v, 0.7 + 0.3 * t), 0.0)
    assert dy == pytest.approx(fd, rel=1e-7)


def test_callee_with_two_activity_patterns():
    text = st_ad.source(two_patterns)
    assert "pair_vjp_a_b(" in text and "pair_vjp_b_eps(" in text  # one per pattern
    g = st_ad.grad(two_patterns)(X, 0.35)
    np.testing.assert_allclose(g, _fd_gradient(two_patterns, X, 0.35), rtol=1e-7, atol=1e-9)
    v = np.array([1.0, 0.5, -0.5, 0.0])
    _, dy = st_ad.jvp(two_patterns)(X, 0.35, v)
    assert dy == pytest.approx(g @ v, rel=1e-10)


def pair_again(x, c):
    return pair(x[2], x[3], c) * 2.0


def test_callee_derivative_is_shared_by_callers_with_the_same_pattern():
    first = st_ad.grad(two_patterns).st_generic.py_func.__globals__["pair_vjp_a_b"]
    second = st_ad.grad(pair_again).st_generic.py_func.__globals__["pair_vjp_a_b"]
    assert first is second  # one generated (and compiled) vjp of pair w.r.t. (a, b)


def test_keywords_and_defaults_bind_like_python():
    g = st_ad.grad(with_keywords)(X)
    np.testing.assert_allclose(g, _fd_gradient(with_keywords, X), rtol=1e-7, atol=1e-9)


def make_closure(scale):
    def closed(x):
        return scale * np.sum(WEIGHTS * x * x)

    return closed


def test_module_arrays_and_closures_are_read_when_built():
    x = np.array([1.0, -2.0, 0.5])
    closed = make_closure(2.5)
    np.testing.assert_allclose(st_ad.grad(closed)(x), 2.5 * 2 * WEIGHTS * x, rtol=1e-14)


def fact_like(x, n):
    if n == 0:
        return x
    return x * fact_like(x, n - 1)


def ping(x):
    return pong(x) + 1.0


def pong(x):
    return 2.0 * ping(x)


@pytest.mark.parametrize("f, chain_text", [(fact_like, "fact_like -> fact_like"), (ping, "ping")])
def test_recursion_is_rejected_at_the_call(f, chain_text):
    with pytest.raises(st_ad.UnsupportedError, match="recursive calls") as info:
        st_ad.grad(f)
    assert chain_text in str(info.value) and "test_calls.py" in str(info.value)


def calls_fill_first(x):
    y = x.copy()
    return fill_first(y, x[1]) + np.sum(y)


def test_a_callee_writing_into_its_argument_is_rejected():
    with pytest.raises(st_ad.UnsupportedError, match="writes into its argument `v`") as info:
        st_ad.grad(calls_fill_first)
    assert "return fill_first(y, x[1]) + np.sum(y)" in str(info.value)


def calls_scale_in_place(x, a):
    y = x.copy()
    s = scale_in_place(y, a)
    return s + np.sum(y * y)


def calls_scale_through_helper(x, a):
    y = x.copy()
    s = scale_through_helper(y, a)
    return s + np.sum(y * y)


def calls_shift_through_view(x, a):
    y = x.copy()
    t = shift_through_view(y, a)
    return np.sum(y * y) + t


@pytest.mark.parametrize("f", [calls_scale_in_place, calls_scale_through_helper])
def test_a_callee_updating_an_array_argument_in_place_is_rejected(f):
    # Regression: `v *= a` in a callee changed the caller's `y` in place, and the gradient
    # ignored it ([2.72, 3.4, 4.76] where central differences give [3.434, 4.59, 6.902]):
    # only subscript stores (`v[0] = ...`) were recognised as writes into an argument
    x = np.array([0.3, 0.5, 0.9])
    for transform in (st_ad.grad, st_ad.value_and_grad, st_ad.jvp):
        args = (x, 1.7) + ((np.ones(3),) if transform is st_ad.jvp else ())
        with pytest.raises(st_ad.StAdError, match="updates its argument `v` in place") as info:
            transform(f)(*args)
        assert info.value.lineno is not None and "v *= a" in str(info.value)
    np.testing.assert_array_equal(x, [0.3, 0.5, 0.9])


def test_a_callee_writing_through_a_view_of_its_argument_is_rejected():
    with pytest.raises(st_ad.UnsupportedError, match="writes into its argument `v`") as info:
        st_ad.grad(calls_shift_through_view)
    assert "w[0] = a" in str(info.value)


def calls_scale_scalar(x, a):
    return scale_scalar(x[0], a) + scale_scalar(a, x[1])


def calls_scale_new_array(x, a):
    y = x.copy()
    s = scale_new_array(y, a)
    return s + np.sum(y * y)


def calls_swap_then_update(x, a):
    y = x * 2.0
    s = swap_then_update(a, y)
    return s + np.sum(y * y)


def calls_store_a_float(x, a):
    return store_a_float(x[0], a) * x[1] + np.sum(x)


@pytest.mark.parametrize(
    "f",
    [calls_scale_scalar, calls_scale_new_array, calls_swap_then_update, calls_store_a_float],
)
def test_in_place_updates_the_caller_cannot_see_are_fine(f):
    # a float updated with `u *= a` is a new binding; so is an array after `v = v * a`
    x, a = np.array([0.3, 0.5, 0.9]), 1.7
    gx, ga = st_ad.grad(f, wrt=(0, 1))(x, a)
    np.testing.assert_allclose(
        gx, [central_difference(lambda t, e=e: f(x + t * e, a), 0.0) for e in np.eye(3)], rtol=1e-6
    )
    assert ga == pytest.approx(central_difference(lambda t: f(x, t), a), rel=1e-6)


def rosenbrock(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def rosenbrock_gradient(x):
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return g


ROSEN_GRAD = st_ad.grad(rosenbrock)
ROSEN_VALUE_AND_GRAD = st_ad.value_and_grad(rosenbrock)


@njit
def descend(x, steps, lr):
    """A gradient-descent loop compiled by numba, calling st_ad's gradient each step."""
    for _ in range(steps):
        x = x - lr * ROSEN_GRAD(x)
    value, g = ROSEN_VALUE_AND_GRAD(x)
    return x, value, g


def test_njit_optimisation_loop_calls_st_ad_gradient():
    x0 = np.array([-0.5, 0.8, 0.1])
    x, value, g = descend(x0, 500, 1e-3)
    expected = x0.copy()  # the same iteration with the analytic gradient, in Python
    for _ in range(500):
        expected = expected - 1e-3 * rosenbrock_gradient(expected)
    np.testing.assert_allclose(x, expected, rtol=1e-10)
    assert value == pytest.approx(rosenbrock(expected), rel=1e-10)
    np.testing.assert_allclose(g, rosenbrock_gradient(x), rtol=1e-12)
    assert value < rosenbrock(x0)


@njit(parallel=True)
def parallel_primal(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += np.sin(x[i]) * x[i]
    return s


@njit(parallel=True)
def with_prange(x):
    s = 0.0
    for i in prange(x.shape[0]):
        s += np.sin(x[i]) * x[i]
    return s


def test_parallel_njit_with_range_differentiates():
    x = np.array([0.1, 0.7, -1.2])
    g = st_ad.grad(parallel_primal)(x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-14)


def test_prange_is_rejected_in_reverse_mode_and_runs_in_forward_mode():
    with pytest.raises(st_ad.UnsupportedError, match="prange loops") as info:
        st_ad.grad(with_prange)
    assert "for i in prange(x.shape[0]):" in str(info.value)
    x = np.array([0.1, 0.7, -1.2])
    v = np.array([1.0, -2.0, 0.5])
    y, dy = st_ad.jvp(with_prange)(x, v)
    assert y == pytest.approx(with_prange(x), rel=1e-14)
    assert dy == pytest.approx(np.sum((np.cos(x) * x + np.sin(x)) * v), rel=1e-14)


def calls_abs_of_array(x):
    return abs_of_array(x * 3.0) + 1.0


def test_numba_typing_error_in_a_callee_points_into_its_module():
    with pytest.raises(st_ad.StAdError, match="abs") as info:
        st_ad.grad(calls_abs_of_array)(np.ones(3))
    assert info.value.filename.endswith("callees.py")
    assert "return np.sum(abs(w))" in str(info.value)
    assert "Traceback" not in str(info.value)
