"""Each cause of a wrong derivative or a wrongly rejected program found for issue 9, checked in
every mode (grad, value_and_grad, vjp, jvp) against an analytic derivative. The programs are in
tests/regressions.py; the comment above each group there names the cause."""

import math
import warnings

import numpy as np
import pytest

import st_ad
from tests import regressions as r


def _as_tuple(value, multi):
    return tuple(value) if multi else (value,)


def _inner(a, b):
    return float(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64)))


def check_every_mode(f, args, wrt, grads, rtol=1e-12):
    """grad, value_and_grad and vjp give ``grads`` (a tuple, one per ``wrt`` position) and
    the value of the plain function; jvp's tangent along random directions is <grads, v>."""
    multi = isinstance(wrt, tuple)
    positions = wrt if multi else (wrt,)
    value = f(*args)

    def same(got, want, what):
        assert len(got) == len(want), what
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol, err_msg=what)

    same(_as_tuple(st_ad.grad(f, wrt=wrt)(*args), multi), grads, "grad")
    v, g = st_ad.value_and_grad(f, wrt=wrt)(*args)
    assert math.isclose(v, value, rel_tol=rtol, abs_tol=rtol), ("value_and_grad", v, value)
    same(_as_tuple(g, multi), grads, "value_and_grad")
    cotangents = _as_tuple(st_ad.vjp(f, wrt=wrt)(*args, 2.0), multi)
    same(cotangents, [2.0 * np.asarray(x) for x in grads], "vjp")
    rng = np.random.default_rng(0)
    directions = [
        rng.standard_normal(np.shape(args[k])) if np.ndim(args[k]) else float(rng.standard_normal())
        for k in positions
    ]
    passed = [np.copy(a) for a in (*args, *directions)]
    out, d_out = st_ad.jvp(f, wrt=wrt)(*args, *directions)
    for before, after in zip(passed, (*args, *directions), strict=True):
        np.testing.assert_array_equal(after, before, err_msg="jvp changed what it was given")
    assert math.isclose(out, value, rel_tol=rtol, abs_tol=rtol), ("jvp value", out, value)
    slope = sum(_inner(g, d) for g, d in zip(grads, directions, strict=True))
    assert math.isclose(d_out, slope, rel_tol=1e-10, abs_tol=1e-12), ("jvp", d_out, slope)


X4 = np.array([0.3, 0.1, 0.5, 0.9])


def test_rebinding_to_an_inactive_value_ends_the_adjoint():
    check_every_mode(r.rebind_to_local_constant, (0.5,), 0, (0.0,))
    check_every_mode(r.rebind_array_to_inactive, (np.ones(3),), 0, (np.zeros(3),))
    check_every_mode(r.rebind_by_tuple, (0.3, 0.2), (0, 1), (0.0, 0.0))
    check_every_mode(r.rebind_to_local_in_loop, (0.3,), 0, (1.0,))


def test_a_view_keeps_the_values_it_had_when_read():
    x = X4
    check_every_mode(r.view_then_inplace_add, (x,), 0, (np.array([1.0, 1.2, 2.0, 2.8]),))
    want = np.array([0.0, 1.0, 0.0, 0.0]) + 1.0 - np.sin(x)  # the min is x[1]
    check_every_mode(r.reversed_view_then_inplace_add, (x,), 0, (want,))
    want = np.array([1.0, 2 * x[1] + 1.0, 2 * x[2], 2 * x[3] + 1.0])
    check_every_mode(r.view_then_store, (x,), 0, (want,))


def test_a_view_read_after_its_base_is_written():
    x = X4
    with pytest.raises(st_ad.StAdError, match="cannot follow a view across a write") as info:
        st_ad.grad(r.view_read_after_base_write)(x)
    assert info.value.lineno == _line_of(r.view_read_after_base_write, "y[1] = 0.0")
    v = np.array([0.7, -0.2, 0.4, 1.1])
    out, d_out = st_ad.jvp(r.view_read_after_base_write)(x, v)  # forward mode follows views
    assert math.isclose(d_out, 2 * (x[2] * v[2] + x[3] * v[3]), rel_tol=1e-12)
    want = np.array([0.0, 4 * x[1], 0.0, 0.0])
    check_every_mode(r.scalar_read_then_written, (x,), 0, (want,))


def test_a_name_bound_to_an_argument_updated_in_place():
    x, y = X4.copy(), np.array([0.5, -0.1, 0.2, 0.3])
    before = (x.copy(), y.copy())
    v, w = np.array([0.2, 0.4, -0.3, 1.0]), np.array([-0.6, 0.1, 0.5, 0.25])
    out, d_out = st_ad.jvp(r.alias_updated_in_place, wrt=(0, 1))(x, y, v, w)
    assert math.isclose(out, np.sum((x + y) ** 2), rel_tol=1e-12)
    assert math.isclose(d_out, np.sum(2 * (x + y) * (v + w)), rel_tol=1e-12)
    with pytest.raises(st_ad.StAdError, match="cannot follow a view across a write"):
        st_ad.grad(r.alias_updated_in_place, wrt=(0, 1))(x, y)
    assert np.array_equal(x, before[0]) and np.array_equal(y, before[1])  # inputs untouched
    assert np.array_equal(v, [0.2, 0.4, -0.3, 1.0])


def test_in_place_updates_by_an_overlapping_operand():
    x = X4
    s = np.sin(x)
    y = s - s[::-1]  # d sum(y^2) / dx = 2 (y - y[::-1]) cos(x)
    check_every_mode(r.subtract_own_reverse, (x,), 0, (2 * (y - y[::-1]) * np.cos(x),))
    y = x.copy()
    y[1:] += x[:-1]
    want = 2 * y + np.concatenate((2 * y[1:], [0.0]))
    check_every_mode(r.add_shifted_slice, (x,), 0, (want,))


def test_multiplying_in_place():
    x, a = X4, 0.7
    c = (0.9 * a / (1.0 + a * a)) ** 3  # sum(y * x) = c sum(x^2)
    dc = 3 * c * (1.0 / a - 2 * a / (1.0 + a * a))
    check_every_mode(r.scale_in_place_in_loop, (x, a), (0, 1), (2 * c * x, dc * np.sum(x * x)))
    x32 = X4.astype(np.float32)
    g = st_ad.grad(r.scale_in_place_in_loop)(x32, a)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * c * x32, rtol=1e-5)


def test_multiplying_in_place_by_itself():
    check_every_mode(r.square_in_place, (-0.3,), 0, (-0.6,))
    x = X4
    check_every_mode(r.square_array_in_place, (x,), 0, (2 * x,))
    # sum(x_i^2 x_{n-1-i}): d/dx_k = 2 x_k x_{n-1-k} + x_{n-1-k}^2
    check_every_mode(r.multiply_by_own_reverse, (x,), 0, (2 * x * x[::-1] + x[::-1] ** 2,))


def test_writes_through_views():
    x = X4  # v = [2 x2, x2, x3]
    check_every_mode(r.write_through_view, (x,), 0, (np.array([0, 0, 10 * x[2], 2 * x[3]]),))
    v = np.sin(x)
    v[0] = 0.5 * v[1]
    want = v + np.cos(x) * x
    want[0] = v[0]  # v[0] no longer depends on x[0]
    want[1] += 0.5 * np.cos(x[1]) * x[0]
    check_every_mode(r.rebound_view_then_written, (x,), 0, (want,))


def _line_of(f, text):
    import inspect

    lines, first = inspect.getsourcelines(f)
    return first + next(k for k, line in enumerate(lines) if text in line)


def test_an_ifexp_operand_overwritten_later_in_the_loop():
    x, a = 0.4, 0.5  # s = 3 a x + 3 x^3
    check_every_mode(r.ifexp_operand_overwritten, (x, a), (0, 1), (3 * a + 9 * x * x, 3 * x))


def test_loop_variables_read_after_their_loop():
    check_every_mode(r.loop_variable_after_loop, (0.5,), 0, (7.0,))
    check_every_mode(r.inner_loop_variable_in_outer_body, (0.5,), 0, (1.96875,))


def test_a_value_of_an_inner_loop_read_in_the_outer_body():
    x, y = np.array([0.3, -0.2, 0.7]), np.array([0.4, 1.1])
    dx = 2 * y[1] ** 2 * x
    dy = np.array([0.0, 2 * y[1] * np.sum(x * x)])
    check_every_mode(r.inner_value_read_in_outer_body, (x, y), (0, 1), (dx, dy))


def test_norm_of_a_negative_stride_view():
    x = np.array([3.0, 4.0, 0.0])
    assert st_ad.value_and_grad(r.norm_of_reversed_view)(x)[0] == pytest.approx(5.0)
    check_every_mode(r.norm_of_reversed_view, (x,), 0, (x / 5.0,))


@pytest.mark.parametrize("f", [r.power_of_base, r.numpy_power_of_base])
def test_power_of_a_zero_base(f):
    check_every_mode(f, (0.0, 2.0), (0, 1), (0.0, 0.0))
    check_every_mode(f, (0.5, 2.0), (0, 1), (1.0, 0.25 * math.log(0.5)))


def test_functions_returning_a_constant():
    check_every_mode(r.calls_constant_helper, (2.0,), 0, (1.5,))
    check_every_mode(r.returns_constant, (2.0,), 0, (0.0,))


def test_name_bound_in_a_branch_not_taken():
    x, a = 0.3, 0.2
    check_every_mode(r.bound_in_untaken_branch, (x, a), (0, 1), (-a, 0.5 - x))


def test_constant_condition_in_a_loop():
    check_every_mode(r.constant_condition_in_loop, (0.3,), 0, (6.0,))


def test_return_in_the_first_iteration():
    check_every_mode(r.return_in_first_iteration, (0.3, 0.2), (0, 1), (0.2, 0.3))


def test_parameters_that_become_active():
    check_every_mode(r.multivar_if, (0.3, 0.2), 1, (0.3,))
    check_every_mode(r.multivar_if, (-0.3, 0.2), 1, (1.0,))
    a, b = 0.3, 2.0
    # without a warning: numba warned (NumbaIRAssumptionWarning, "variable ... is not in
    # scope") about a conditional expression in st.log_nonzero, inlined in a branch
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_every_mode(r.gradgrad_pow, (a, b), 1, (a**b * math.log(a),))
    x, y = 0.5, 0.7
    check_every_mode(r.inactive_param_becomes_active_in_loop, (x, y), 0, (3 * y * x * x,))


def test_a_parameter_rebound_to_another_shape():
    x = np.array([0.5, -1.0, 2.0])
    check_every_mode(r.rebind_array_parameter_to_scalar, (x,), 0, (2 * np.sum(x) * np.ones(3),))
    check_every_mode(r.rebind_array_to_longer_array, (x,), 0, (10 * x,))


def test_a_loop_with_an_empty_body():
    check_every_mode(r.loop_with_empty_body, (0.3,), 0, (2.0,))


def test_infinite_derivatives_follow_numpy():
    assert st_ad.grad(r.sqrt_at_zero)(0.0) == math.inf
    assert st_ad.grad(r.arcsin_at_one)(1.0) == math.inf
    assert np.all(np.isnan(st_ad.grad(r.norm_at_zero)(np.zeros(3))))


@pytest.mark.parametrize("a", [1.0, -1.0])
def test_a_tangent_has_its_values_float_type(a):
    x = np.array([0.25, 0.5, 4.0], dtype=np.float32)
    dx = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    slope = 1.5 * np.sqrt(x.astype(np.float64)) if a > 0 else np.ones(3)
    value, tangent = st_ad.jvp(r.returns_of_two_float_types, wrt=0)(x, a, dx)
    assert tangent.dtype == value.dtype
    np.testing.assert_allclose(tangent, slope * dx, rtol=1e-6)
    u = np.array([0.5, 1.0, -1.0])
    cotangent = st_ad.vjp(r.returns_of_two_float_types, wrt=0)(x, a, u)
    np.testing.assert_allclose(cotangent, slope * u, rtol=1e-6)


@pytest.mark.parametrize("b", [0.5, -0.5])
def test_a_name_bound_in_both_branches_then_updated(b):
    w = X4
    scale = 1.0 / (1.0 + b * b) ** 2
    dscale = -4.0 * b / (1.0 + b * b) ** 3
    if b > 0.0:
        grads = (2.0 * scale * w[::-1], dscale * np.sum(w[::-1] * w))
    else:
        grads = (scale * 4.0 * w, dscale * 2.0 * np.sum(w * w))
    check_every_mode(r.bound_in_both_branches_then_divided, (w, b), (0, 1), grads)


@pytest.mark.parametrize("a", [0.5, -0.5])
def test_a_test_numba_folds(a):
    w = X4
    if a > 0.0:
        grads = (np.zeros(4), 2 * a + 1.0)
    else:
        grads = (np.cos(w) * a, np.sum(np.sin(w)))
    check_every_mode(r.branch_numba_folds, (w, a), (0, 1), grads)


def test_an_inactive_value_made_active_by_a_later_write():
    A = np.arange(6.0).reshape(2, 3)
    b = 0.5
    # f = b * mean(2 A[0]) + mean(2 A[1]): d/db = mean(2 A[0]) = 2.0
    check_every_mode(r.mean_axis_then_written, (A, b), 1, (2.0,))


def test_a_parameter_rebound_in_a_loop_keeps_its_value_for_earlier_adjoints():
    x = np.array([0.3, -0.2, 0.8])
    a = 0.59  # min(a, 0.7) = a: f = a * sum(x)
    grads = (np.full(3, a), float(np.sum(x)))
    check_every_mode(r.param_rebound_in_loop, (x, a), (0, 1), grads)


def test_a_new_array_whose_tangent_folds_to_another_keeps_its_own():
    x, s = X4, 0.4
    want = 2 * (x + np.minimum(x, s)) * (1 + (x <= s))
    check_every_mode(r.fresh_by_identity_then_updated, (x, s), 0, (want,))
