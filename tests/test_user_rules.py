"""Rules users register: register_vjp / register_jvp, scalar_rule, non_differentiable,
stop_gradient; and the error for a function with no rule and no source."""

from __future__ import annotations

import numpy as np
import pytest

import st_ad
from st_ad.api import forget_transforms
from st_ad.rules.registry import RULES

X = np.linspace(-1.5, 2.0, 7)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _sigmoid_slope(x):
    s = _sigmoid(x)
    return s * (1 - s)


# each test registers rules for its own functions: the registry is global
def sigmoid_a(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_b(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_c(x):
    return 1.0 / (1.0 + np.exp(-x))


def loss_a(x):
    return np.sum(sigmoid_a(x) * x)


def loss_b(x):
    return np.sum(sigmoid_b(x) * x)


def loss_c(x):
    return np.sum(sigmoid_c(x))


def _expected(x):
    return _sigmoid_slope(x) * x + _sigmoid(x)


def test_scalar_rule_gives_both_modes():
    st_ad.scalar_rule(sigmoid_a, lambda x, y: y * (1.0 - y))
    np.testing.assert_allclose(st_ad.grad(loss_a)(X), _expected(X), rtol=1e-12)
    v = np.cos(X)
    _, dv = st_ad.jvp(loss_a)(X, v)
    np.testing.assert_allclose(dv, _expected(X) @ v, rtol=1e-12)
    assert st_ad.check_grad(loss_a, X) < 1e-6
    assert "rule_sigmoid_a_partial(" in st_ad.source(loss_a)


def test_registered_rules_are_used_and_replaced():
    @st_ad.register_vjp(sigmoid_b)
    def sigmoid_vjp(g, y, x):
        return (2.0 * g * y * (1.0 - y),)  # deliberately twice the truth

    @st_ad.register_jvp(sigmoid_b)
    def sigmoid_jvp(y, x, dx):
        return y * (1.0 - y) * dx

    scaled = st_ad.grad(loss_b)(X)
    np.testing.assert_allclose(scaled, _sigmoid_slope(X) * 2 * X + _sigmoid(X), rtol=1e-12)
    # the wrong reverse rule disagrees with finite differences and with the forward rule
    assert st_ad.check_grad(loss_b, X) > 0.1

    @st_ad.register_vjp(sigmoid_b)
    def sigmoid_vjp_fixed(g, y, x):
        return (g * y * (1.0 - y),)

    np.testing.assert_allclose(st_ad.grad(loss_b)(X), _expected(X), rtol=1e-12)
    assert st_ad.check_grad(loss_b, X) < 1e-6


def test_a_missing_mode_is_a_clear_error():
    @st_ad.register_vjp(sigmoid_c)
    def sigmoid_vjp(g, y, x):
        return (g * y * (1.0 - y),)

    np.testing.assert_allclose(st_ad.grad(loss_c)(X), _sigmoid_slope(X), rtol=1e-12)
    with pytest.raises(st_ad.UnsupportedError, match="register_jvp") as info:
        st_ad.jvp(loss_c)(X, X)
    assert "sigmoid_c" in str(info.value)
    assert "test_user_rules.py" in str(info.value)


def _index_weight(n):
    return np.arange(n) * 1.0


def weighted(x):
    return np.sum(_index_weight(x.shape[0]) * x * x)


def held(x):
    return np.sum(x * st_ad.stop_gradient(x))


def test_non_differentiable_and_stop_gradient():
    st_ad.non_differentiable(_index_weight)
    np.testing.assert_allclose(st_ad.grad(weighted)(X), 2 * np.arange(7) * X, rtol=1e-12)
    np.testing.assert_allclose(st_ad.grad(held)(X), X, rtol=1e-12)  # not 2x
    _, d = st_ad.jvp(held)(X, np.ones(7))
    assert d == pytest.approx(np.sum(X))


def uses_qr(a):
    q, r = np.linalg.qr(a)
    return np.sum(r)


def test_a_function_with_no_rule_and_no_source():
    with pytest.raises(st_ad.UnsupportedError) as info:
        st_ad.grad(uses_qr)
    text = str(info.value)
    assert "np.linalg.qr" in text and "register_vjp" in text
    assert "test_user_rules.py" in text and "q, r = np.linalg.qr(a)" in text


def sinc_energy(x):
    return np.sum(np.sinc(x) * x)


def _central(f, x, h=1e-6):
    out = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        out[k] = (f(x + e) - f(x - e)) / (2 * h)
    return out


def test_a_rule_for_a_numpy_function_without_one():
    """np.sinc has no built-in rule; the error says how to give it one, and the rule a user
    registers for numpy's own function is then used in both modes."""
    with pytest.raises(st_ad.UnsupportedError, match=r"register_vjp\(np.sinc\)"):
        st_ad.grad(sinc_energy)
    x = np.array([0.3, -0.8, 1.7, 2.2])
    try:
        # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x
        @st_ad.register_vjp(np.sinc)
        def _sinc_vjp(g, y, x):
            return (g * (np.cos(np.pi * x) - y) / x,)

        @st_ad.register_jvp(np.sinc)
        def _sinc_jvp(y, x, dx):
            return (np.cos(np.pi * x) - y) / x * dx

        want = _central(sinc_energy, x)
        np.testing.assert_allclose(st_ad.grad(sinc_energy)(x), want, rtol=1e-7)
        v = np.array([1.0, -0.5, 0.25, 2.0])
        _, dy = st_ad.jvp(sinc_energy)(x, v)
        assert dy == pytest.approx(want @ v, rel=1e-7)
    finally:
        RULES.pop(np.sinc, None)
        forget_transforms()
