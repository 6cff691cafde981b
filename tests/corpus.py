"""Derivative test corpus for st_ad.

Every function here is a plain Python function written in the language subset
that st_ad differentiates.  ``CASES`` registers them with an argument maker,
the argument(s) to differentiate (``wrt``) and, where one is easy to write, an
analytic gradient.

Conventions
-----------
* ``Case.gen(rng)`` builds the argument tuple from a numpy ``Generator``;
  ``Case.args(seed)`` seeds it (seed 0 is the canonical input).  Python floats
  are returned for scalar arguments and Python ints for integer arguments.
* ``Case.grad`` (optional) takes the same arguments as the function (evaluated
  in float64) and returns the gradient w.r.t. ``wrt``: one value for an int or
  str ``wrt``, a tuple in ``wrt`` order for a tuple ``wrt``.
* ``Case.robust`` is True when *any* seed yields inputs at which the function
  is smooth (no branch switch near the point, positive log/sqrt arguments).
  Cases with hand-picked inputs set it to False.
* ``Case.vector`` marks functions returning arrays (tested with jvp/vjp only).
* ``Case.rtol`` overrides the default comparison tolerance (float32 cases).

Inputs are chosen so that every function is smooth at (and within a finite
difference step of) the evaluation point.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

F32_RTOL = 1e-3


@dataclass(frozen=True)
class Case:
    fn: Callable
    gen: Callable[[np.random.Generator], tuple]
    wrt: Any = 0
    grad: Callable | None = None
    name: str | None = None
    robust: bool = True
    vector: bool = False
    rtol: float | None = None

    @property
    def id(self) -> str:
        return self.name or self.fn.__name__

    def args(self, seed: int = 0) -> tuple:
        return tuple(self.gen(np.random.default_rng(1234 + seed)))


# ---------------------------------------------------------------------------
# argument helpers
# ---------------------------------------------------------------------------


def _u(r, lo, hi, *shape):
    """Uniform sample: a Python float when no shape is given, else a float64 array."""
    if not shape:
        return float(r.uniform(lo, hi))
    return r.uniform(lo, hi, size=shape)


def _u32(r, lo, hi, *shape):
    return r.uniform(lo, hi, size=shape).astype(np.float32)


def _signed(r, lo, hi, *shape):
    """Magnitude in [lo, hi] with a random sign (keeps values away from 0)."""
    mag = r.uniform(lo, hi, size=shape or None)
    sign = r.choice([-1.0, 1.0], size=shape or None)
    out = mag * sign
    return float(out) if not shape else out


# ===========================================================================
# Scalar-input functions
# ===========================================================================


def s_poly(x, y):
    return x * x * y + 3.0 * x - y / 2.0 + 1.0


def s_poly_grad(x, y):
    return 2.0 * x * y + 3.0


def s_unary_neg(x, y):
    z = -x
    w = -(z * y) + -y
    return z * w - x


def s_unary_neg_grad(x, y):
    return (-2.0 * x * y + y - 1.0, -x * x + x)


def s_straight_line(x, y):
    a = x * y
    b = a + x
    c = b * b - a / y
    d = c - 2.0 * x
    return d * 0.5


def s_straight_line_grad(x, y):
    b = x * y + x
    return b * (y + 1.0) - 1.5


def s_sin(x):
    return math.sin(x) * x


def s_sin_grad(x):
    return math.cos(x) * x + math.sin(x)


def s_cos(x, y):
    return math.cos(2.0 * x) * y


def s_cos_grad(x, y):
    return -2.0 * math.sin(2.0 * x) * y


def s_tan(x):
    return math.tan(x) + 1.0


def s_tan_grad(x):
    return 1.0 / math.cos(x) ** 2


def s_exp(x):
    return math.exp(-x * x) + math.exp(x)


def s_exp_grad(x):
    return -2.0 * x * math.exp(-x * x) + math.exp(x)


def s_log(x):
    return math.log(x * x + 1.0) + math.log(x)


def s_log_grad(x):
    return 2.0 * x / (x * x + 1.0) + 1.0 / x


def s_log1p(x):
    return math.log1p(x * x) - math.log1p(x)


def s_log1p_grad(x):
    return 2.0 * x / (1.0 + x * x) - 1.0 / (1.0 + x)


def s_sqrt(x):
    return math.sqrt(x) + math.sqrt(x * x + 1.0)


def s_sqrt_grad(x):
    return 0.5 / math.sqrt(x) + x / math.sqrt(x * x + 1.0)


def s_tanh(x):
    return math.tanh(2.0 * x)


def s_tanh_grad(x):
    t = math.tanh(2.0 * x)
    return 2.0 * (1.0 - t * t)


def s_abs(x):
    return abs(x) * x + math.fabs(x - 0.5) * 2.0


def s_abs_grad(x):
    return 2.0 * abs(x) + (2.0 if x > 0.5 else -2.0)


def s_np_scalar(x):
    a = np.sin(x) * np.cos(x) + np.exp(0.5 * x) + np.log(x) + np.sqrt(x)
    b = np.tanh(x) + np.abs(x) + np.tan(0.3 * x) + np.log1p(x)
    return a + b


def s_np_scalar_grad(x):
    t = math.tanh(x)
    return (
        math.cos(2.0 * x)
        + 0.5 * math.exp(0.5 * x)
        + 1.0 / x
        + 0.5 / math.sqrt(x)
        + (1.0 - t * t)
        + 1.0
        + 0.3 / math.cos(0.3 * x) ** 2
        + 1.0 / (1.0 + x)
    )


def s_pow_int(x):
    return x**3 - 2.0 * x**2 + 4.0 * x**1


def s_pow_int_grad(x):
    return 3.0 * x * x - 4.0 * x + 4.0


def s_pow_float(x):
    return x**2.5 + x**0.5


def s_pow_float_grad(x):
    return 2.5 * x**1.5 + 0.5 * x**-0.5


def s_pow_neg(x):
    return x**-2 + 3.0 * x**-0.5 - x**-1


def s_pow_neg_grad(x):
    return -2.0 * x**-3 - 1.5 * x**-1.5 + x**-2


def s_pow_var(x, y):
    return x**y


def s_pow_var_grad(x, y):
    return (y * x ** (y - 1.0), x**y * math.log(x))


def s_div(x, y):
    return (x + 1.0) / (y * y + 1.0) - y / x


def s_div_grad(x, y):
    d = y * y + 1.0
    return (1.0 / d + y / (x * x), -(x + 1.0) * 2.0 * y / (d * d) - 1.0 / x)


def s_augassign(x, y):
    z = x
    z += y
    z *= x
    z -= 1.0
    z /= y
    z += z * x
    return z


def s_augassign_grad(x, y):
    p = x * x + x * y - 1.0
    return ((2.0 * x + y) * (1.0 + x) + p) / y


def s_tuple_unpack(x, y):
    p, q = x * y, x - y
    p, q = q, p
    return p * math.exp(q)


def s_tuple_unpack_grad(x, y):
    e = math.exp(x * y)
    return (e + (x - y) * y * e, -e + (x - y) * x * e)


def s_tuple_swap_loop(x, n):
    a, b = 1.0, x
    for _ in range(n):
        a, b = b, a * b
    return a + b


def s_overwrite(x, n):
    for _ in range(n):
        x = math.sin(x) + 0.5 * x
    return x * x


def s_overwrite_two(x, y, n):
    for i in range(n):
        y = y * x + math.cos(y)
        x = x * 0.9 + 0.01 * i
    return x * y


def s_while_counter(x):
    y = x
    k = 0
    while k < 5:
        y = y * 0.5 + math.cos(y)
        k += 1
    return y


def s_while_data(x):
    y = x
    while y < 10.0:
        y = y * 1.5
    return y * y


def s_while_data_grad(x):
    # inputs in (1.0, 1.25): exactly six iterations
    return 2.0 * x * 1.5**12


def s_while_and(x, n):
    i = 0
    acc = x
    while i < n and acc < 50.0:
        acc = acc * 1.3 + math.sin(acc)
        i += 1
    return acc


def s_break(x, n):
    acc = 0.0
    for i in range(n):
        acc += x * (i + 1)
        if acc > 5.0:
            break
    return acc * x


def s_break_grad(x, n):
    # inputs in (0.55, 0.8): breaks after 4 iterations, acc = 10 x
    return 20.0 * x


def s_continue(x, n):
    acc = 0.0
    for i in range(n):
        if i > 2 and i < 5:
            continue
        if i == 7:
            continue
        acc += math.sin(x * i)
    return acc


def s_continue_grad(x, n):
    return sum(i * math.cos(x * i) for i in range(n) if i not in (3, 4, 7))


def s_early_return_loop(x, n):
    for _ in range(n):
        x = x * 1.2 + 0.1
        if x > 3.0:
            return x * x
    return -x


def s_return_branches(x):
    if x > 0.0:
        return x * x * x
    else:
        return math.sin(x)


def s_return_branches_grad(x):
    return 3.0 * x * x if x > 0.0 else math.cos(x)


def s_if_elif(x, y):
    if x > 1.0:
        z = x * y
    elif x > -1.0:
        z = math.sin(x) * y
    else:
        z = y / x
    return z * z


def s_if_elif_grad(x, y):
    if x > 1.0:
        z, dx, dy = x * y, y, x
    elif x > -1.0:
        z, dx, dy = math.sin(x) * y, math.cos(x) * y, math.sin(x)
    else:
        z, dx, dy = y / x, -y / (x * x), 1.0 / x
    return (2.0 * z * dx, 2.0 * z * dy)


def s_ifexp(x, y):
    z = x * y if x < y else x + y
    w = math.exp(z) if z > 0.0 else -z * z
    return w + (z if x > 0.0 else 2.0 * z)


def s_bool_ops(x, y, n):
    acc = 0.0
    for i in range(n):
        if (i >= 2 and i != 4) or not (i < 6):
            acc += x * i
        elif i == 0 or i <= 1:
            acc -= y
        else:
            acc += x * y
    if acc > 0.0 and not (x < 0.0):
        acc = acc * acc
    return acc


def s_bool_ops_grad(x, y, n):
    # n == 8: acc = 23 x - 2 y + x y > 0 for the inputs used
    acc = 23.0 * x - 2.0 * y + x * y
    return (2.0 * acc * (23.0 + y), 2.0 * acc * (x - 2.0))


def s_nested_loops(x, n, m):
    acc = 0.0
    for i in range(n):
        for j in range(m):
            acc += math.sin(x * i + j)
    return acc


def s_nested_loops_grad(x, n, m):
    return sum(i * math.cos(x * i + j) for i in range(n) for j in range(m))


def s_nested_triangular(x, n):
    acc = 1.0
    for i in range(n):
        for j in range(i):
            acc = acc * 0.9 + x * (i - j)
        acc = math.sqrt(acc * acc + 1.0)
    return acc


def s_range_forms(x):
    acc = 0.0
    for i in range(4):
        acc += x * i
    for i in range(2, 5):
        acc += x * x * i
    for i in range(1, 10, 3):
        acc += math.sin(x * i)
    for i in range(10, 0, -3):
        acc += math.cos(x) * i
    for i in range(5, 1, -1):
        acc = acc * 0.5 + x * i
    return acc


def s_range_empty(x, n):
    acc = x * x
    for i in range(3, 3):
        acc += x * i
    for _ in range(0, 5, -1):
        acc = acc * x
    for _ in range(n, 0):
        acc = acc * 2.0
    return acc


def s_range_empty_grad(x, n):
    return 2.0 * x


# ===========================================================================
# Array-input functions with scalar output
# ===========================================================================


def a_sum_sq(x):
    return np.sum(x * x)


def a_sum_sq_grad(x):
    return 2.0 * x


def a_sum_expr(x, y):
    return np.sum(np.sin(x) * y + x / y)


def a_sum_expr_grad(x, y):
    return (np.cos(x) * y + 1.0 / y, np.sin(x) - x / (y * y))


def a_np_elementwise(x):
    a = np.sin(x) + np.cos(x) + np.tan(x) + np.exp(x) + np.log(x)
    b = np.log1p(x) + np.sqrt(x) + np.tanh(x) + np.abs(x - 2.0)
    return np.sum(a + b)


def a_np_elementwise_grad(x):
    t = np.tanh(x)
    return (
        np.cos(x)
        - np.sin(x)
        + 1.0 / np.cos(x) ** 2
        + np.exp(x)
        + 1.0 / x
        + 1.0 / (1.0 + x)
        + 0.5 / np.sqrt(x)
        + (1.0 - t * t)
        - 1.0
    )


def a_pow(x):
    return np.sum(x**2 + x**3.5 + x**-1 - 2.0 * x**0.5)


def a_pow_grad(x):
    return 2.0 * x + 3.5 * x**2.5 - x**-2.0 - x**-0.5


def a_unary_div(x, y):
    z = -x / y
    return np.sum(-z * x) / 2.0


def a_unary_div_grad(x, y):
    return (x / y, -x * x / (2.0 * y * y))


def a_loop_sum(x, n):
    acc = 0.0
    for i in range(n):
        acc += x[i] * x[i] * (i + 1.0)
    return acc


def a_loop_sum_grad(x, n):
    return 2.0 * x * (np.arange(n) + 1.0)


def a_horner(c, t, n):
    acc = 0.0
    for i in range(n - 1, -1, -1):
        acc = acc * t + c[i]
    return acc


def a_horner_grad(c, t, n):
    gc = t ** np.arange(n, dtype=np.float64)
    gt = sum(i * c[i] * t ** (i - 1) for i in range(1, n))
    return (gc, gt)


def a_prefix_product(x, n):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, n):
        y[i] = y[i - 1] * x[i]
    return np.sum(y)


def a_out_accumulate(x, n):
    out = np.zeros(n)
    for i in range(n):
        out[i] += x[i] * x[i]
        out[i] += math.sin(x[i])
        if i > 0:
            out[i] -= 0.5 * x[i - 1]
    return np.sum(out * out)


def a_subscript_augassign(x, n):
    y = x.copy()
    for i in range(1, n):
        y[i] *= y[i - 1]
        y[i] /= 1.5
        y[i] -= 0.1
        y[i] += 0.2 * x[i]
    return np.sum(y * y)


def a_slices(x):
    y = x[1:4] * x[0:3]
    z = np.zeros(5)
    z[0:3] = y
    z[3:5] = x[4:6] * 2.0
    z[1:3] += x[3:5]
    return np.sum(z * z)


def a_slices_open(x):
    y = x[:3] * x[3:]
    z = x.copy()
    z[2:] = z[:4] * 0.5
    return np.sum(y) + np.sum(z * z)


def a_slices_var(x, n):
    acc = 0.0
    for i in range(n - 1):
        acc += np.sum(x[i : i + 2] * x[i : i + 2]) * (i + 1)
    return acc


def a_copy_modify(x):
    y = x.copy()
    y[0] = y[0] * 2.0
    y[2] = math.sin(y[1])
    y[1:3] *= 3.0
    return np.sum(y * x)


def a_zeros_like_fill(x, n):
    y = np.zeros_like(x)
    for i in range(n):
        y[i] = math.exp(x[i]) * (i + 1)
    return np.dot(y, x)


def a_zeros_like_fill_grad(x, n):
    return (np.arange(n) + 1.0) * np.exp(x) * (1.0 + x)


def a_empty_ones(x, n):
    y = np.empty(n)
    w = np.ones(n)
    e = np.empty_like(x)
    for i in range(n):
        y[i] = x[i] * x[i]
        e[i] = w[i] + x[i]
    return np.sum(y * e)


def a_empty_ones_grad(x, n):
    return 2.0 * x + 3.0 * x * x


def a_augassign_arrays(x, y):
    z = x * 1.0
    z += y
    z *= x
    z -= y
    z /= 2.0
    return np.sum(z)


def a_augassign_arrays_grad(x, y):
    return ((2.0 * x + y) / 2.0, (x - 1.0) / 2.0)


def a_2d_index(A, n, m):
    acc = 0.0
    for i in range(n):
        for j in range(m):
            acc += A[i, j] * A[i, j] * (i + 1) - A[i, j] * j
    return acc


def a_2d_index_grad(A, n, m):
    i = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    return 2.0 * A * (i + 1.0) - j


def a_2d_write(A, n):
    B = np.zeros_like(A)
    for i in range(n):
        for j in range(n):
            B[i, j] = math.sin(A[i, j]) * A[j, i]
            B[i, j] += A[i, j]
    return np.sum(B * B)


def a_zeros_2d(A, n, m):
    B = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            B[i, j] = A[i, j] * (i - j)
    return np.sum(B * A)


def a_zeros_2d_grad(A, n, m):
    i = np.arange(n)[:, None]
    j = np.arange(m)[None, :]
    return 2.0 * A * (i - j)


def a_rank3(T, n, m, k):
    acc = 0.0
    for i in range(n):
        for j in range(m):
            for l in range(k):
                acc += T[i, j, l] * (i + 2 * j - l) + T[i, j, l] * T[i, j, l] * T[i, j, l]
    return acc


def a_rank3_grad(T, n, m, k):
    i = np.arange(n)[:, None, None]
    j = np.arange(m)[None, :, None]
    l = np.arange(k)[None, None, :]
    return (i + 2.0 * j - l) + 3.0 * T * T


def a_matvec_dot(A, x):
    y = np.dot(A, x)
    return np.sum(y * y)


def a_matvec_grad(A, x):
    y = A @ x
    return (2.0 * np.outer(y, x), 2.0 * A.T @ y)


def a_matvec_at(A, x):
    y = A @ x
    return y @ y


def a_matvec_at_grad(A, x):
    return 2.0 * A.T @ (A @ x)


def a_vecmat(x, A):
    z = x @ A
    return np.sum(np.sin(z))


def a_vecmat_grad(x, A):
    return A @ np.cos(x @ A)


def a_transpose(A, x):
    z = A.T @ x
    return np.dot(z, z) + np.sum(A.T * A.T)


def a_transpose_grad(A, x):
    z = A.T @ x
    return (2.0 * np.outer(x, z) + 2.0 * A, 2.0 * A @ z)


def a_matmat(A, B):
    C = A @ B
    return np.sum(C * C)


def a_matmat_grad(A, B):
    C = A @ B
    return (2.0 * C @ B.T, 2.0 * A.T @ C)


def a_matmat_dot_T(A, B):
    C = np.dot(A, B.T)
    return np.sum(C**2)


def a_dot_1d(x, y):
    return np.dot(x, y) + (x @ y) * 0.5


def a_dot_1d_grad(x, y):
    return (1.5 * y, 1.5 * x)


def a_float32_sum(x):
    return np.sum(x * x * 0.5 + np.sin(x))


def a_float32_sum_grad(x):
    return x + np.cos(x)


def a_float32_loop(x, n):
    acc = 0.0
    for i in range(n):
        acc += x[i] * x[i] * x[i]
    return acc


def a_float32_loop_grad(x, n):
    return 3.0 * x * x


def a_float32_matvec(A, x):
    y = A @ x
    return np.sum(y**2)


def a_wrt_name(x, w, b):
    return np.sum(np.tanh(w * x + b))


def a_wrt_name_grad_w(x, w, b):
    t = np.tanh(w * x + b)
    return float(np.sum(x * (1.0 - t * t)))


def a_wrt_name_grad_wb(x, w, b):
    t = np.tanh(w * x + b)
    return (float(np.sum(x * (1.0 - t * t))), float(np.sum(1.0 - t * t)))


def a_wrt_name_grad_xb(x, w, b):
    t = np.tanh(w * x + b)
    return (w * (1.0 - t * t), float(np.sum(1.0 - t * t)))


def a_mixed_scalar_array(t, v, n):
    acc = 0.0
    for i in range(n):
        acc += v[i] * math.exp(t * i)
    return acc


def a_mixed_scalar_array_grad(t, v, n):
    return float(sum(v[i] * i * math.exp(t * i) for i in range(n)))


def a_while_array(x, n):
    i = 0
    acc = 0.0
    while i < n and x[i] > 0.0:
        acc += math.log(x[i]) * x[i]
        i += 1
    return acc


def a_while_array_grad(x, n):
    g = np.zeros_like(x)
    i = 0
    while i < n and x[i] > 0.0:
        g[i] = math.log(x[i]) + 1.0
        i += 1
    return g


def a_break_array(x, n):
    acc = 0.0
    for i in range(n):
        if x[i] < 0.0:
            break
        acc += x[i] ** 2 * (i + 1)
    return acc


def a_early_return_array(x, n):
    acc = 0.0
    for i in range(n):
        acc += x[i] * x[i]
        if acc > 2.0:
            return acc * x[i]
    return acc


def a_return_branches_array(x, n):
    if np.sum(x) > 0.0:
        return np.sum(x * x)
    else:
        return np.sum(np.exp(x))


def a_return_branches_array_grad(x, n):
    return 2.0 * x if np.sum(x) > 0.0 else np.exp(x)


def a_ifexp_array(x, n):
    acc = 0.0
    for i in range(n):
        acc += x[i] * x[i] if x[i] > 0.0 else -x[i] * 3.0
    return acc


def a_ifexp_array_grad(x, n):
    return np.where(x > 0.0, 2.0 * x, -3.0)


def a_reverse_write(x, n):
    y = np.empty_like(x)
    for i in range(n - 1, -1, -1):
        y[n - 1 - i] = x[i] * (i + 1)
    return np.sum(y * y * y) + y[0] * x[0]


def a_loop_continue_array(x, n):
    acc = 0.0
    for i in range(n):
        if x[i] < 0.0:
            continue
        acc += math.sqrt(x[i]) * x[i]
    return acc


def a_loop_continue_array_grad(x, n):
    return np.where(x < 0.0, 0.0, 1.5 * np.sqrt(np.abs(x)))


# --- beyond the core list: len(), x.sum(), np.copy, np.ones_like -----------


def a_len_and_sum_method(x):
    acc = 0.0
    for i in range(len(x)):
        acc += x[i] * x[i] * i
    return acc + x.sum()


def a_len_and_sum_method_grad(x):
    return 2.0 * x * np.arange(len(x)) + 1.0


def a_npcopy_ones_like(x):
    y = np.copy(x)
    w = np.ones_like(x)
    y[1] = 3.0
    return np.sum(y * x + w * x)


def a_npcopy_ones_like_grad(x):
    g = 2.0 * x + 1.0
    g[1] = 4.0
    return g


# --- edge cases -------------------------------------------------------------


def s_pow_negative_base(x, n):
    # constant float exponents and an int-argument exponent on a negative base:
    # no log(x) may leak into the derivative
    return x**2.0 + x**3.0 + x**n


def s_pow_negative_base_grad(x, n):
    return 2.0 * x + 3.0 * x * x + n * x ** (n - 1)


def s_pow_const_base(x):
    return 2.0**x + 0.5 ** (x * x)


def s_pow_const_base_grad(x):
    return math.log(2.0) * 2.0**x + 2.0 * x * math.log(0.5) * 0.5 ** (x * x)


def s_int_mixing(x, n):
    return x / n + n / (x * x + 1.0) + (n - 1) * x


def s_int_mixing_grad(x, n):
    return 1.0 / n - 2.0 * n * x / (x * x + 1.0) ** 2 + (n - 1)


def s_unused_arg(x, y):
    return y * y + 1.0


def s_unused_arg_grad(x, y):
    return 0.0


def s_chained_compare(x, y):
    if 0.0 < x < 2.0:
        z = x * y
    else:
        z = x + y
    if -1.0 <= y <= x:
        z = z * x
    return z


def s_break_nested(x, n):
    acc = 0.0
    for i in range(n):
        for j in range(n):
            if j > i:
                break
            acc += math.sin(x * (i + 1) + j)
    return acc


def s_break_nested_grad(x, n):
    return sum((i + 1) * math.cos(x * (i + 1) + j) for i in range(n) for j in range(i + 1))


def s_return_nested_loop(x, n):
    acc = x
    for i in range(n):
        for j in range(n):
            acc = acc * 1.1 + 0.05 * j
            if acc > 4.0:
                return acc * acc + i
    return acc


def s_while_continue(x, n):
    k = 0
    acc = 0.0
    while k < n:
        k += 1
        if k == 2 or k == 4:
            continue
        acc = acc + math.cos(acc + x * k)
    return acc


def s_while_break(x):
    y = x
    k = 0
    while k < 100:
        y = y * 1.25 + 0.1
        k += 1
        if y > 6.0:
            break
    return y * k


def s_long_loop(x, n):
    for _ in range(n):
        x = x + 0.001 * math.sin(x)
    return x


def a_long_overwrite(x, n):
    y = x.copy()
    for _ in range(n):
        for i in range(3):
            y[i] = y[i] * 0.999 + 0.002 * math.sin(y[i])
    return np.sum(y * y)


def a_negative_index(x, n):
    return x[-1] * x[0] + x[n - 1] * x[-2] + np.sum(x[-3:-1])


def a_negative_index_grad(x, n):
    g = np.zeros_like(x)
    g[-1] += x[0]
    g[0] += x[-1]
    g[n - 1] += x[-2]
    g[-2] += x[n - 1]
    g[-3:-1] += 1.0
    return g


def a_unpack_elements(x):
    a, b = x[0], x[1]
    a, b = b * a, a - b
    return a * b + x[2]


def a_unpack_elements_grad(x):
    x0, x1 = x[0], x[1]
    # f = x0 x1 (x0 - x1) + x2
    return np.array([2.0 * x0 * x1 - x1 * x1, x0 * x0 - 2.0 * x0 * x1, 1.0])


def a_rebind_arg(x, n):
    x = x * 2.0
    x = np.sin(x)
    acc = 0.0
    for i in range(n):
        acc += x[i] * (i + 1)
    return acc


def a_rebind_arg_grad(x, n):
    return 2.0 * np.cos(2.0 * x) * (np.arange(n) + 1.0)


def a_unused_array(x, y):
    return np.sum(y * y)


def a_unused_array_grad(x, y):
    return np.zeros_like(x)


def s_while_data_zero_iter_grad(x):
    # inputs above 10: the loop body never runs
    return 2.0 * x


def s_int_init_acc(x, n):
    acc = 0
    for i in range(n):
        acc = acc + x * i
    return acc * x


def s_int_init_acc_grad(x, n):
    # acc = x * n (n - 1) / 2, f = acc * x
    return n * (n - 1) * x


def s_loop_local_after(x, n):
    acc = 0.0
    for i in range(n):
        t = math.sin(x * i)
        acc += t
    return acc + t * x


def s_range_args(x, a, b, c):
    acc = 0.0
    for i in range(a, b, c):
        acc = acc * 0.5 + math.sin(x * i)
    return acc


def s_while_return(x):
    k = 0
    while k < 10:
        x = x * 1.3
        k += 1
        if x > 5.0:
            return x * k
    return x


def s_break_while_in_for(x, n):
    acc = 0.0
    for i in range(n):
        k = 0
        while k < 10:
            acc += math.sin(x * (k + 1))
            k += 1
            if k > i:
                break
    return acc


def s_break_while_in_for_grad(x, n):
    return sum((k + 1) * math.cos(x * (k + 1)) for i in range(n) for k in range(i + 1))


def a_rebind_then_write(x, n):
    y = x.copy()
    for k in range(n - 1):
        y = y * 1.5
        y[k] = math.sin(y[k]) + y[k + 1]
    return np.sum(y * y)


def a_overlap_slices(x, n):
    y = np.zeros(n + 1)
    for i in range(n):
        y[i : i + 2] += x[i] * y[i] + x[i]
    return np.sum(y * y)


def a_array_in_branch(x, n):
    if x[0] > 0.0:
        y = np.zeros(n)
    else:
        y = np.ones(n)
    for i in range(n):
        y[i] += x[i] * x[i]
    return np.sum(y * x)


def a_array_in_branch_grad(x, n):
    base = 0.0 if x[0] > 0.0 else 1.0
    return base + 3.0 * x * x


def a_broadcast(A, x):
    # (3, 4) with (4,) and scalars: cotangents must be summed back to each shape
    return np.sum(A * x + x * 2.0 - A / (x * x + 1.0))


def a_broadcast_grad(A, x):
    d = x * x + 1.0
    gA = x - 1.0 / d + np.zeros_like(A)
    gx = np.sum(A, axis=0) + 2.0 * A.shape[0] + np.sum(A, axis=0) * 2.0 * x / (d * d)
    return (gA, gx)


# ===========================================================================
# Array-output functions (jvp / vjp only)
# ===========================================================================


def v_elementwise(x):
    return 2.0 * x + np.sin(x) * np.exp(-x)


def v_prefix_product(x, n):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, n):
        y[i] = y[i - 1] * x[i]
    return y


def v_matvec(A, x):
    return A @ x


def v_matvec_T(A, x):
    return A.T @ x + np.dot(A.T, x) * 0.5


def v_matmat(A, B):
    return np.dot(A, B)


def v_gram(A):
    return A.T @ A


def v_slices(x):
    out = np.zeros(4)
    out[0:2] = x[2:4]
    out[2:4] = x[0:2] * x[1:3]
    return out


def v_reverse_fill(x, n):
    y = np.empty_like(x)
    for i in range(n):
        y[i] = math.exp(x[i]) * x[n - 1 - i]
    return y


def v_scalar_to_array(t, n):
    out = np.zeros(n)
    for i in range(n):
        out[i] = math.sin(t * (i + 1))
    return out


def v_branchy(x, n):
    y = np.zeros_like(x)
    for i in range(n):
        if x[i] > 0.0:
            y[i] = x[i] ** 2
        else:
            y[i] = -x[i]
    return y


def v_2d_loop(A, n):
    B = np.zeros_like(A)
    for i in range(n):
        for j in range(n):
            B[i, j] = A[i, j] * A[j, i] + math.cos(A[i, j])
    return B


def v_inplace_iter(x, n):
    y = x.copy()
    for _ in range(3):
        for i in range(1, n):
            y[i] = y[i] + 0.5 * y[i - 1] * y[i]
    return y


def v_cauchy(x, n):
    out = np.zeros(n)
    for i in range(n):
        for j in range(i + 1):
            out[i] += x[j] * x[i - j]
    return out


def v_tanh_affine(x, w, b):
    return np.tanh(w * x + b)


def v_rank3(T):
    return T * T + np.sin(T)


def v_while(x):
    y = x.copy()
    k = 0
    while k < 3:
        y = y * 0.5 + np.cos(y)
        k += 1
    return y


def v_early_return(x, n):
    y = x.copy()
    for i in range(n):
        y[i] = y[i] * 2.0
        if i == 2:
            return y * x
    return y


def v_float32(x):
    return x * x + np.sin(x)


# ===========================================================================
# Registry
# ===========================================================================

CASES = [
    # --- scalar straight-line math -----------------------------------------
    Case(s_poly, lambda r: (_u(r, -2, 2), _u(r, -2, 2)), 0, s_poly_grad),
    Case(s_unary_neg, lambda r: (_u(r, -2, 2), _u(r, -2, 2)), (0, 1), s_unary_neg_grad),
    Case(s_straight_line, lambda r: (_u(r, -2, 2), _u(r, 0.5, 2)), 0, s_straight_line_grad),
    # --- each elementwise function -------------------------------------------
    Case(s_sin, lambda r: (_u(r, -3, 3),), 0, s_sin_grad),
    Case(s_cos, lambda r: (_u(r, -3, 3), _u(r, -2, 2)), 0, s_cos_grad),
    Case(s_tan, lambda r: (_u(r, -1, 1),), 0, s_tan_grad),
    Case(s_exp, lambda r: (_u(r, -2, 2),), 0, s_exp_grad),
    Case(s_log, lambda r: (_u(r, 0.5, 3),), 0, s_log_grad),
    Case(s_log1p, lambda r: (_u(r, -0.5, 2),), 0, s_log1p_grad),
    Case(s_sqrt, lambda r: (_u(r, 0.3, 3),), 0, s_sqrt_grad),
    Case(s_tanh, lambda r: (_u(r, -1.5, 1.5),), 0, s_tanh_grad),
    Case(s_abs, lambda r: (_signed(r, 0.8, 2.0),), 0, s_abs_grad),
    Case(s_abs, lambda r: (_u(r, -1.5, -0.3),), 0, s_abs_grad, name="s_abs_negative"),
    Case(s_np_scalar, lambda r: (_u(r, 0.5, 2),), 0, s_np_scalar_grad),
    # --- powers and division -------------------------------------------------
    Case(s_pow_int, lambda r: (_u(r, -2, 2),), 0, s_pow_int_grad),
    Case(s_pow_float, lambda r: (_u(r, 0.3, 2),), 0, s_pow_float_grad),
    Case(s_pow_neg, lambda r: (_u(r, 0.5, 2),), 0, s_pow_neg_grad),
    Case(s_pow_var, lambda r: (_u(r, 0.5, 2), _u(r, -2, 2)), (0, 1), s_pow_var_grad),
    Case(s_div, lambda r: (_u(r, 0.5, 2), _u(r, -2, 2)), (0, 1), s_div_grad),
    # --- assignment forms ----------------------------------------------------
    Case(s_augassign, lambda r: (_u(r, -2, 2), _u(r, 0.5, 2)), 0, s_augassign_grad),
    Case(s_tuple_unpack, lambda r: (_u(r, -1, 1), _u(r, -1, 1)), (0, 1), s_tuple_unpack_grad),
    Case(s_tuple_swap_loop, lambda r: (_u(r, 0.8, 1.2), 4)),
    Case(s_overwrite, lambda r: (_u(r, -2, 2), 5)),
    Case(s_overwrite_two, lambda r: (_u(r, 0.5, 1.0), _u(r, -1, 1), 4), (0, 1)),
    # --- loops ---------------------------------------------------------------
    Case(s_while_counter, lambda r: (_u(r, -2, 2),)),
    Case(s_while_data, lambda r: (_u(r, 1.02, 1.23),), 0, s_while_data_grad),
    Case(s_while_and, lambda r: (0.7, 10), robust=False),
    Case(s_while_and, lambda r: (0.7, 3), name="s_while_and_counter_stops", robust=False),
    Case(s_break, lambda r: (_u(r, 0.56, 0.79), 10), 0, s_break_grad),
    Case(s_continue, lambda r: (_u(r, -1, 1), 9), 0, s_continue_grad),
    Case(s_early_return_loop, lambda r: (1.5, 10), robust=False),
    Case(
        s_early_return_loop,
        lambda r: (1.5, 2),
        name="s_early_return_loop_falls_through",
        robust=False,
    ),
    Case(s_nested_loops, lambda r: (_u(r, -1, 1), 3, 4), 0, s_nested_loops_grad),
    Case(s_nested_triangular, lambda r: (_u(r, -1, 1), 5)),
    Case(s_range_forms, lambda r: (_u(r, -1, 1),)),
    Case(s_range_empty, lambda r: (_u(r, -2, 2), 4), 0, s_range_empty_grad),
    # --- branches ------------------------------------------------------------
    Case(
        s_return_branches,
        lambda r: (_u(r, 0.3, 2),),
        0,
        s_return_branches_grad,
        name="s_return_branches_pos",
    ),
    Case(
        s_return_branches,
        lambda r: (_u(r, -2, -0.3),),
        0,
        s_return_branches_grad,
        name="s_return_branches_neg",
    ),
    Case(
        s_if_elif,
        lambda r: (_u(r, 1.5, 3), _u(r, -2, 2)),
        (0, 1),
        s_if_elif_grad,
        name="s_if_elif_if",
    ),
    Case(
        s_if_elif,
        lambda r: (_u(r, -0.5, 0.5), _u(r, -2, 2)),
        (0, 1),
        s_if_elif_grad,
        name="s_if_elif_elif",
    ),
    Case(
        s_if_elif,
        lambda r: (_u(r, -3, -1.5), _u(r, -2, 2)),
        (0, 1),
        s_if_elif_grad,
        name="s_if_elif_else",
    ),
    Case(s_ifexp, lambda r: (_u(r, 0.3, 0.8), _u(r, 1.2, 2)), (0, 1), name="s_ifexp_mul"),
    Case(s_ifexp, lambda r: (_u(r, 1.5, 2.5), _u(r, 0.2, 1.0)), (0, 1), name="s_ifexp_add"),
    Case(s_ifexp, lambda r: (_u(r, -2.5, -1.5), _u(r, 0.2, 1.0)), (0, 1), name="s_ifexp_neg"),
    Case(s_bool_ops, lambda r: (_u(r, 0.5, 1), _u(r, 0.5, 1), 8), (0, 1), s_bool_ops_grad),
    # --- arrays: reductions and elementwise ----------------------------------
    Case(a_sum_sq, lambda r: (_u(r, -2, 2, 6),), 0, a_sum_sq_grad),
    Case(a_sum_expr, lambda r: (_u(r, -2, 2, 5), _u(r, 0.5, 2, 5)), (0, 1), a_sum_expr_grad),
    Case(a_np_elementwise, lambda r: (_u(r, 0.5, 1.2, 6),), 0, a_np_elementwise_grad),
    Case(a_pow, lambda r: (_u(r, 0.5, 2, 5),), 0, a_pow_grad),
    Case(a_unary_div, lambda r: (_u(r, -2, 2, 4), _u(r, 0.5, 2, 4)), (0, 1), a_unary_div_grad),
    Case(
        a_augassign_arrays,
        lambda r: (_u(r, -2, 2, 5), _u(r, -2, 2, 5)),
        (0, 1),
        a_augassign_arrays_grad,
    ),
    # --- arrays: loops and subscripts ----------------------------------------
    Case(a_loop_sum, lambda r: (_u(r, -2, 2, 6), 6), 0, a_loop_sum_grad),
    Case(a_horner, lambda r: (_u(r, -1, 1, 6), _u(r, -1.5, 1.5), 6), (0, 1), a_horner_grad),
    Case(a_prefix_product, lambda r: (_u(r, 0.5, 1.5, 7), 7)),
    Case(a_out_accumulate, lambda r: (_u(r, -1, 1, 6), 6)),
    Case(a_subscript_augassign, lambda r: (_u(r, 0.5, 1.5, 6), 6)),
    Case(a_slices, lambda r: (_u(r, -1, 1, 6),)),
    Case(a_slices_open, lambda r: (_u(r, -1, 1, 6),)),
    Case(a_slices_var, lambda r: (_u(r, -1, 1, 6), 6)),
    Case(a_copy_modify, lambda r: (_u(r, -1, 1, 5),)),
    Case(a_zeros_like_fill, lambda r: (_u(r, -1, 1, 5), 5), 0, a_zeros_like_fill_grad),
    Case(a_empty_ones, lambda r: (_u(r, -1, 1, 5), 5), 0, a_empty_ones_grad),
    Case(a_reverse_write, lambda r: (_u(r, -1, 1, 5), 5)),
    # --- arrays: 2-D / 3-D ---------------------------------------------------
    Case(a_2d_index, lambda r: (_u(r, -1, 1, 3, 4), 3, 4), 0, a_2d_index_grad),
    Case(a_2d_write, lambda r: (_u(r, -1, 1, 3, 3), 3)),
    Case(a_zeros_2d, lambda r: (_u(r, -1, 1, 3, 4), 3, 4), 0, a_zeros_2d_grad),
    Case(a_rank3, lambda r: (_u(r, -1, 1, 2, 3, 2), 2, 3, 2), 0, a_rank3_grad),
    # --- arrays: linear algebra ----------------------------------------------
    Case(a_matvec_dot, lambda r: (_u(r, -1, 1, 3, 4), _u(r, -1, 1, 4)), (0, 1), a_matvec_grad),
    Case(a_matvec_at, lambda r: (_u(r, -1, 1, 3, 4), _u(r, -1, 1, 4)), "x", a_matvec_at_grad),
    Case(a_vecmat, lambda r: (_u(r, -1, 1, 3), _u(r, -1, 1, 3, 4)), 0, a_vecmat_grad),
    Case(a_transpose, lambda r: (_u(r, -1, 1, 3, 4), _u(r, -1, 1, 3)), (0, 1), a_transpose_grad),
    Case(a_matmat, lambda r: (_u(r, -1, 1, 2, 3), _u(r, -1, 1, 3, 4)), (0, 1), a_matmat_grad),
    Case(a_matmat_dot_T, lambda r: (_u(r, -1, 1, 2, 3), _u(r, -1, 1, 4, 3)), 1),
    Case(a_dot_1d, lambda r: (_u(r, -1, 1, 5), _u(r, -1, 1, 5)), (0, 1), a_dot_1d_grad),
    # --- float32 -------------------------------------------------------------
    Case(a_float32_sum, lambda r: (_u32(r, -1, 1, 6),), 0, a_float32_sum_grad, rtol=F32_RTOL),
    Case(a_float32_loop, lambda r: (_u32(r, -1, 1, 6), 6), 0, a_float32_loop_grad, rtol=F32_RTOL),
    Case(
        a_float32_matvec, lambda r: (_u32(r, -1, 1, 3, 4), _u32(r, -1, 1, 4)), (0, 1), rtol=F32_RTOL
    ),
    # --- wrt by name / tuples / mixed scalar+array ---------------------------
    Case(
        a_wrt_name, lambda r: (_u(r, -1, 1, 5), _u(r, -1, 1), _u(r, -1, 1)), "w", a_wrt_name_grad_w
    ),
    Case(
        a_wrt_name,
        lambda r: (_u(r, -1, 1, 5), _u(r, -1, 1), _u(r, -1, 1)),
        ("w", "b"),
        a_wrt_name_grad_wb,
        name="a_wrt_name_tuple",
    ),
    Case(
        a_wrt_name,
        lambda r: (_u(r, -1, 1, 5), _u(r, -1, 1), _u(r, -1, 1)),
        (0, "b"),
        a_wrt_name_grad_xb,
        name="a_wrt_mixed_int_name",
    ),
    Case(
        a_mixed_scalar_array,
        lambda r: (_u(r, -0.5, 0.5), _u(r, -1, 1, 5), 5),
        0,
        a_mixed_scalar_array_grad,
    ),
    # --- arrays: control flow ------------------------------------------------
    Case(
        a_while_array,
        lambda r: (np.concatenate([_u(r, 0.5, 2, 4), [-0.7], _u(r, 0.5, 2, 2)]), 7),
        0,
        a_while_array_grad,
    ),
    Case(
        a_while_array,
        lambda r: (_u(r, 0.5, 2, 5), 3),
        0,
        a_while_array_grad,
        name="a_while_array_counter_stops",
    ),
    Case(a_break_array, lambda r: (np.concatenate([_u(r, 0.2, 1, 3), [-0.5], _u(r, -1, 1, 2)]), 6)),
    Case(
        a_early_return_array, lambda r: (np.array([0.5, 0.8, 0.9, 0.3, 0.6, 0.4]), 6), robust=False
    ),
    Case(
        a_early_return_array,
        lambda r: (np.array([0.5, 0.8, 0.2, 0.3, 0.6, 0.4]), 6),
        name="a_early_return_array_falls_through",
        robust=False,
    ),
    Case(
        a_return_branches_array,
        lambda r: (_u(r, 0.1, 1, 4), 4),
        0,
        a_return_branches_array_grad,
        name="a_return_branches_array_pos",
    ),
    Case(
        a_return_branches_array,
        lambda r: (_u(r, -1, -0.1, 4), 4),
        0,
        a_return_branches_array_grad,
        name="a_return_branches_array_neg",
    ),
    Case(a_ifexp_array, lambda r: (_signed(r, 0.2, 1, 6), 6), 0, a_ifexp_array_grad),
    Case(
        a_loop_continue_array, lambda r: (_signed(r, 0.2, 1, 6), 6), 0, a_loop_continue_array_grad
    ),
    # --- extras beyond the core subset list --------------------------------
    Case(a_len_and_sum_method, lambda r: (_u(r, -1, 1, 5),), 0, a_len_and_sum_method_grad),
    Case(a_npcopy_ones_like, lambda r: (_u(r, -1, 1, 4),), 0, a_npcopy_ones_like_grad),
    # --- edge cases ---------------------------------------------------------
    Case(s_pow_negative_base, lambda r: (_u(r, -2, -0.5), 3), 0, s_pow_negative_base_grad),
    Case(s_pow_const_base, lambda r: (_u(r, -2, 2),), 0, s_pow_const_base_grad),
    Case(s_int_mixing, lambda r: (_u(r, -2, 2), 3), 0, s_int_mixing_grad),
    Case(s_unused_arg, lambda r: (_u(r, -2, 2), _u(r, -2, 2)), 0, s_unused_arg_grad),
    Case(
        s_chained_compare,
        lambda r: (_u(r, 0.5, 1.5), _u(r, -0.5, 0.3)),
        (0, 1),
        name="s_chained_compare_true",
    ),
    Case(
        s_chained_compare,
        lambda r: (_u(r, 2.5, 3.0), _u(r, 3.5, 4.0)),
        (0, 1),
        name="s_chained_compare_false",
    ),
    Case(s_break_nested, lambda r: (_u(r, -1, 1), 4), 0, s_break_nested_grad),
    Case(s_return_nested_loop, lambda r: (1.3, 4), robust=False),
    Case(
        s_return_nested_loop,
        lambda r: (0.5, 2),
        name="s_return_nested_loop_falls_through",
        robust=False,
    ),
    Case(s_while_continue, lambda r: (_u(r, -1, 1), 6)),
    Case(s_while_break, lambda r: (1.0,), robust=False),
    Case(s_long_loop, lambda r: (_u(r, -2, 2), 5000)),
    Case(a_long_overwrite, lambda r: (_u(r, -1, 1, 3), 400)),
    Case(a_negative_index, lambda r: (_u(r, -1, 1, 5), 3), 0, a_negative_index_grad),
    Case(a_unpack_elements, lambda r: (_u(r, -1, 1, 3),), 0, a_unpack_elements_grad),
    Case(a_rebind_arg, lambda r: (_u(r, -1, 1, 4), 4), 0, a_rebind_arg_grad),
    Case(a_unused_array, lambda r: (_u(r, -1, 1, 3), _u(r, -1, 1, 3)), 0, a_unused_array_grad),
    Case(
        s_while_data,
        lambda r: (_u(r, 10.5, 12),),
        0,
        s_while_data_zero_iter_grad,
        name="s_while_data_zero_iter",
    ),
    Case(s_int_init_acc, lambda r: (_u(r, -2, 2), 5), 0, s_int_init_acc_grad),
    Case(s_loop_local_after, lambda r: (_u(r, -1, 1), 5)),
    Case(s_range_args, lambda r: (_u(r, -1, 1), 1, 8, 2), name="s_range_args_pos_step"),
    Case(s_range_args, lambda r: (_u(r, -1, 1), 7, 0, -2), name="s_range_args_neg_step"),
    Case(s_while_return, lambda r: (1.0,), robust=False),
    Case(s_while_return, lambda r: (0.05,), name="s_while_return_falls_through", robust=False),
    Case(s_break_while_in_for, lambda r: (_u(r, -1, 1), 4), 0, s_break_while_in_for_grad),
    Case(a_rebind_then_write, lambda r: (_u(r, -1, 1, 5), 5)),
    Case(a_overlap_slices, lambda r: (_u(r, -1, 1, 5), 5)),
    Case(
        a_array_in_branch,
        lambda r: (_u(r, 0.2, 1, 4), 4),
        0,
        a_array_in_branch_grad,
        name="a_array_in_branch_zeros",
    ),
    Case(
        a_array_in_branch,
        lambda r: (-_u(r, 0.2, 1, 4), 4),
        0,
        a_array_in_branch_grad,
        name="a_array_in_branch_ones",
    ),
    Case(a_broadcast, lambda r: (_u(r, -1, 1, 3, 4), _u(r, -1, 1, 4)), (0, 1), a_broadcast_grad),
    # --- array outputs (jvp / vjp) -------------------------------------------
    Case(v_elementwise, lambda r: (_u(r, -1, 1, 5),), vector=True),
    Case(v_prefix_product, lambda r: (_u(r, 0.5, 1.5, 6), 6), vector=True),
    Case(v_matvec, lambda r: (_u(r, -1, 1, 3, 4), _u(r, -1, 1, 4)), (0, 1), vector=True),
    Case(v_matvec_T, lambda r: (_u(r, -1, 1, 3, 4), _u(r, -1, 1, 3)), "x", vector=True),
    Case(v_matmat, lambda r: (_u(r, -1, 1, 2, 3), _u(r, -1, 1, 3, 4)), (0, 1), vector=True),
    Case(v_gram, lambda r: (_u(r, -1, 1, 3, 2),), vector=True),
    Case(v_slices, lambda r: (_u(r, -1, 1, 5),), vector=True),
    Case(v_reverse_fill, lambda r: (_u(r, -1, 1, 5), 5), vector=True),
    Case(v_scalar_to_array, lambda r: (_u(r, -1, 1), 5), vector=True),
    Case(v_branchy, lambda r: (_signed(r, 0.2, 1, 6), 6), vector=True),
    Case(v_2d_loop, lambda r: (_u(r, -1, 1, 3, 3), 3), vector=True),
    Case(v_inplace_iter, lambda r: (_u(r, -0.5, 0.5, 5), 5), vector=True),
    Case(v_cauchy, lambda r: (_u(r, -1, 1, 5), 5), vector=True),
    Case(
        v_tanh_affine,
        lambda r: (_u(r, -1, 1, 4), _u(r, -1, 1), _u(r, -1, 1)),
        ("w", "b"),
        vector=True,
    ),
    Case(v_rank3, lambda r: (_u(r, -1, 1, 2, 2, 3),), vector=True),
    Case(v_while, lambda r: (_u(r, -1, 1, 4),), vector=True),
    Case(v_early_return, lambda r: (_u(r, -1, 1, 5), 5), vector=True),
    Case(v_float32, lambda r: (_u32(r, -1, 1, 5),), vector=True, rtol=F32_RTOL),
]

SCALAR_CASES = [c for c in CASES if not c.vector]
VECTOR_CASES = [c for c in CASES if c.vector]
ANALYTIC_CASES = [c for c in CASES if c.grad is not None]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
