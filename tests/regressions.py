"""Minimal programs that once got wrong derivatives or were wrongly rejected (issue 9), one per
cause. tests/test_regressions.py checks each against an analytic derivative or central
differences; tests/fuzz/cases/ holds the minimal cases the differential fuzzer found."""
# ruff: noqa: B007  (loops that only count, as the programs that showed a bug did)

import math

import numpy as np

# W1: re-binding an active name to an inactive value must end the old value's adjoint.


def rebind_to_local_constant(a):
    c = 1.0
    s = a
    s = c
    return s


def rebind_array_to_inactive(x):
    z = np.ones(3)
    y = x * 2.0
    y = z
    return np.sum(y)


def rebind_by_tuple(x, a):
    s = x
    s, t = -0.7, a
    return s + 0.0 * t


def rebind_to_local_in_loop(x):
    c = 0.5
    s = 0.0
    for i in range(3):
        s = s + x
        if i == 1:
            s = c
    return s


# W3: a view taken before its base is updated in place reads the old values.


def view_then_inplace_add(x):
    y = x.copy()
    s = np.sum(y[1:] * y[1:])
    y += 1.0
    return s + np.sum(y)


def reversed_view_then_inplace_add(x):
    y = x.copy()
    s = np.min(y[::-1])
    y += np.cos(y)
    return s + np.sum(y)


def view_then_store(x):
    y = x.copy()
    s = np.sum(y[1:] * y[1:])
    y[2] = 5.0
    return s + np.sum(y)


# A view read after its base is written: reverse mode cannot follow it and says so; a scalar
# read out of the array is a copy and differentiates.


def view_read_after_base_write(x):
    y = x.copy()
    v = y[1:]
    y[1] = 0.0
    return np.sum(v * v)


def scalar_read_then_written(x):
    y = x.copy()
    t = y[1]
    y[1] = 2.0 * t
    return t * y[1]


def alias_updated_in_place(x, y):
    z = x
    z += y  # arrays: x changes too
    return np.sum(z * x)


# numba's in-place operators read entries they already wrote when the operand overlaps.


def subtract_own_reverse(x):
    y = np.sin(x)
    y -= y[::-1]
    return np.sum(y * y)


def add_shifted_slice(x):
    y = x.copy()
    y[1:] += y[:-1]
    return np.sum(y * y)


# y *= v and y /= v update an array in place, as y += v does (its views see it, and a float32
# array stays float32: numba computes y * 0.9 in float64).


def scale_in_place_in_loop(x, a):
    y = x.copy()
    for i in range(3):
        y *= 0.9
        y /= 1.0 + a * a
        y *= a
    return np.sum(y * x)


# y *= v where v is y or a view of it: the adjoint added v's cotangent into y's before scaling
# it (y_bar = (g + g y) y for a *= a), and the tangent read dy after scaling it.


def square_in_place(a):
    a *= a
    return a


def square_array_in_place(x):
    y = x.copy()
    y *= y
    return np.sum(y)


def multiply_by_own_reverse(x):
    y = x.copy()
    y *= y[::-1]
    return np.sum(y * x)


# Writes through a view (they change its base), and a name re-bound from a view to a fresh
# array, then written into.


def write_through_view(x):
    y = x.copy()
    v = y[1:]
    v[0] = 2.0 * v[1]
    return np.sum(v * v)


def rebound_view_then_written(x):
    v = x[::-1]
    v = np.sin(x)
    v[0] = 0.5 * v[1]
    return np.sum(v * x)


# W4: an operand of a conditional expression is overwritten later in the loop.


def ifexp_operand_overwritten(x, a):
    s = 0.0
    t = a
    for k in range(3):
        s = s + x * (t if x > 0.0 else 1.0)
        t = t + x * x
    return s


# The loop variable read after its loop, once another loop over it ran.


def loop_variable_after_loop(x):
    s = 0.0
    for i in range(3):
        s = s + x
    y = x * i
    for i in range(2):
        s = s + y
    return s


def inner_loop_variable_in_outer_body(x):
    s = 0.0
    for k in range(2):
        for j in range(3):
            s = s + x * 0.5
        s = s * (j + 1.0) * 0.25
    return s


# A first assignment inside an inner loop, read after that loop in the outer body.


def inner_value_read_in_outer_body(x, y):
    s = 0.0
    for i in range(3):
        for j in range(2):
            u = y[j] * x[i]
        s = s + u * u
    return s


# N1: numba's norm of a negative-stride view.


def norm_of_reversed_view(x):
    y = x.copy()
    return np.linalg.norm(y[::-1])


# np.power(0, y) and 0 ** y: the exponent's derivative is 0 there (0 * log 0 is NaN).


def power_of_base(x, y):
    return x**y


def numpy_power_of_base(x, y):
    return np.power(x, y)


# F1: functions and callees that return a constant.


def constant_helper(u):
    return 1.5


def calls_constant_helper(x):
    return x * constant_helper(x)


def returns_constant(u):
    return 1.5


# R1: a name first bound in a branch that is not taken.


def bound_in_untaken_branch(x, a):
    t0 = 0.5
    s0 = 1.0
    if s0 > 2.0:
        s0, t0 = s0, x
    s0 = (t0 - x) * a
    return s0


# R2: a conditional expression with a constant condition, inside a loop.


def constant_condition_in_loop(x):
    s = 0.0
    for i in range(3):
        s = s + x * (2.0 if True else 3.0)
    return s


# R3: a return inside a loop that always returns in its first iteration.


def return_in_first_iteration(a, x):
    for i in range(2):
        return a * x
    return a + x


# Forward mode: a parameter not differentiated becomes active in one branch.


def multivar_if(x, y):
    if x > 0:
        z = x * y
    else:
        z = x + y
    return z


def gradgrad_pow(a, b):
    if a >= 0:
        a = a**b
    else:
        a = (-a) ** b
    return a


def inactive_param_becomes_active_in_loop(x, y):
    for i in range(3):
        y = y * x
    return y


# Reverse mode: an array parameter re-bound to a scalar.


def rebind_array_parameter_to_scalar(x):
    x = np.sum(x)
    return x * x


def rebind_array_to_longer_array(x):
    x = np.concatenate((x, 2.0 * x))
    return np.sum(x * x)


# C1: a loop whose body does nothing.


def loop_with_empty_body(x):
    for i in range(3):
        pass
    return x * 2.0


# C2: derivatives that are infinite at the point (numpy semantics, no ZeroDivisionError).


def sqrt_at_zero(x):
    return math.sqrt(x)


def arcsin_at_one(x):
    return np.arcsin(x)


def norm_at_zero(x):
    return np.linalg.norm(x)


# A tangent simplified to an operand's (d(1.0 * x) = dx) kept x's float32 while numba computes
# 1.0 * x in float64: two returns gave the output's tangent two types (numba: "Cannot unify").


def returns_of_two_float_types(x, a):
    if a > 0.0:
        return x**1.5
    return 1.0 * x


# A name bound in both branches of a conditional expression, then divided in place in a loop
# (the generated else branch records a previous value that numba reads as undefined).


def bound_in_both_branches_then_divided(w, b):
    x = (1.0 * w[::-1]) if b > 0.0 else (2.0 * w)
    for i in range(2):
        x /= 1.0 + b * b
    return np.sum(x * w)


# A test numba folds at compile time (b is the constant 0.3 where it is read, in SSA form:
# b has another definition), nested in another
# branch: numba dropped the forward sweep's dead branch, with the adjoints it defines, but not
# the reverse sweep's, which then read them (numba: "Unsupported assignment encountered:
# Undefined").


def branch_numba_folds(w, a):
    b = 0.3
    if a > 0.0:
        t = a * a
        b = a
    elif b <= 0.7:
        t = np.sum(np.sin(w)) * a
    else:
        t = np.sum(np.cos(w)) * a
    return t + b


# Forward mode: a value computed from inactive operands only, made active later by a write
# into it, got its tangent from the rule applied to zero tangents: for np.mean with axis=
# that wrote `st.mean(0.0, 1)`, which numba cannot compile (fuzz seed 2026 #1032). A jvp is
# linear in the tangents: with all of them zero, the tangent is zeros of the value's shape.


def mean_axis_then_written(A, b):
    z = np.mean(A * 2.0, axis=1)
    z[0] = z[0] * b
    return np.sum(z)


# A parameter re-bound inside a loop, in a statement the reverse sweep recomputes (it reads
# only constants): the recomputation, counting one definition of `a` in the body, re-ran
# `a = 1.0` in the reverse sweep and recorded nothing, so an adjoint before the loop read 1.0
# where it needed the argument (fuzz seed 2026 #1058: a wrong gradient). A parameter is
# bound on entry: re-bound in the body, it has two definitions.


def param_rebound_in_loop(x, a):
    z = x * np.minimum(a, 0.7)
    for i in range(2):
        a, s = 1.0, a  # noqa: F841 (s reads the argument, then 1.0: one web with it)
        if a < 0.5:
            return np.sum(x)
    return np.sum(z)


# Forward mode wrote into the caller's tangent: `x = x * 1.0` is a new array, but the rule's
# tangent `dx * 1.0` folds to `dx` itself; normalised, the re-bound `x` is a second name bound
# to that new array (`x2 = x_t1`), and `x += ...` updated x2's tangent in place, which was the
# caller's (fuzz seed 1208 #626: a wrong jvp, the program reading its tangent again). A name
# whose memory a later statement updates in place, through any alias, gets its own tangent.


def fresh_by_identity_then_updated(x, s):
    x = x * 1.0
    x += np.minimum(x, s)
    return np.sum(x * x)
