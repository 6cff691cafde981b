"""Bad-input corpus: every case gives a correct result or an StAdError (UnsupportedError for
constructs outside the subset) that names the file, the line and the source text of the
offending code and says what to do; never a raw Python or numba exception, never a changed
input array.

Lines are found by searching a function's source for a marker text (``line_of``), so the
tests do not depend on where a function sits in this file. Checks that must run on every call
(shapes, shared memory, copies of written arguments) are emitted by the generator
(``st_ad/runtime/checks.py`` helpers); ``st_ad.dispatch.Dispatcher`` turns their errors into
StAdErrors."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numba
import numpy as np
import pytest

import st_ad
import st_ad.runtime as rt
from st_ad.dispatch import CallSpec, as_dispatcher
from st_ad.runtime.checks import located_message

HERE = __file__
REPO = Path(__file__).resolve().parent.parent


def line_of(fn, marker: str) -> int:
    """The file line of the first line of ``fn``'s source containing ``marker``."""
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if marker in text:
            return first + k
    raise AssertionError(f"{marker!r} is not in the source of {fn.__name__}")


def check_error(info, cls, line: int, phrase: str, filename: str = HERE) -> str:
    """The error is exactly ``cls``, names ``filename:line`` and its text, says ``phrase``
    and what to do; returns the message."""
    err = info.value
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    text = str(err)
    assert err.filename == filename and err.lineno == line, text
    assert f'File "{filename}", line {line}' in text
    if os.path.exists(filename):
        source = Path(filename).read_text().splitlines()[line - 1].strip()
        assert source in text, text
    assert phrase in text, text
    assert "What to do: " in text, text
    assert "Traceback" not in text and "\x1b[" not in text
    return text


@functools.cache
def transform(kind: str, fn, wrt=0):
    return getattr(st_ad, kind)(fn, wrt=wrt)


X3 = np.array([0.5, -1.25, 2.0])


# 1. unsupported syntax: one function each, the error at the offending line ------------------
COUNTER = 0.0


def uses_try(x):
    try:
        y = x * 2.0
    except ValueError:
        y = 0.0
    return y


def uses_with(x):
    with open("f") as fh:  # noqa: F841
        y = x
    return y


def uses_lambda(x):
    f = lambda t: t * 2.0  # noqa: E731
    return f(x)


def uses_yield(x):
    yield x * 2.0


def uses_list_comp(x):
    y = [v * 2.0 for v in x]
    return y[0]


def uses_set_comp(x):
    y = {v for v in x}
    return x[0] + len(y)


def uses_dict_comp(x):
    y = {i: x[i] for i in range(3)}
    return y[0]


def uses_generator_expression(x):
    return sum(v * v for v in x)


def uses_f_string(x):
    label = f"{x}"  # noqa: F841
    return x


def uses_global(x):
    global COUNTER
    COUNTER = x
    return x * 2.0


def _make_nonlocal():
    total = 0.0

    def uses_nonlocal(x):
        nonlocal total
        total = x
        return x * 2.0

    return uses_nonlocal


uses_nonlocal = _make_nonlocal()


def uses_class(x):
    class Box:
        pass

    return x


def uses_nested_def(x):
    def inner(t):
        return t * 2.0

    return inner(x)


def uses_star_args(x, *rest):
    return x


def uses_kwargs(x, **options):
    return x


def uses_keyword_only(x, *, scale):
    return x * scale


def recurse(x, n):
    if n == 0:
        return x
    return x * recurse(x, n - 1)


def ping(x):
    return pong(x) + 1.0


def pong(x):
    return 2.0 * ping(x)


def uses_dict(x):
    d = {1: x}
    return d[1]


def uses_list(x):
    pair = [x, x]
    return pair[0]


def uses_set(x):
    s = {x, 2.0}
    return x + len(s)


def string_concat(x):
    s = "a" + "b"  # noqa: F841
    return x


def string_method(x):
    s = "abc".upper()  # noqa: F841
    return x


def uses_del(x):
    y = x * 2.0
    del y
    return x


def uses_raise(x):
    if x < 0.0:
        raise ValueError("negative")
    return x


def uses_assert(x):
    assert x > 0.0
    return x


def uses_import(x):
    import os  # noqa: F401

    return x


def uses_walrus(x):
    if (y := x * 2.0) > 1.0:
        return y
    return x


def uses_match(x):
    match x:
        case 1.0:
            return x
    return 2.0 * x


def uses_chained_assignment(x):
    a = b = x * 2.0
    return a + b


def uses_for_else(x):
    s = 0.0
    for _i in range(3):
        s += x
    else:
        s = 1.0
    return s


def uses_while_else(x):
    s = 0.0
    while s < 1.0:
        s += x
    else:
        s = 0.0
    return s


def loops_over_array(x):
    s = 0.0
    for v in x:
        s += v
    return s


def bare_return(x):
    if x > 0.0:
        return  # BARE
    return x


def falls_off_end(x):
    if x > 0.0:
        return x


def expression_statement(x):
    x * 2.0
    return x


def calls_pinv(x):
    return np.linalg.pinv(x)[0, 0] * 2.0


def calls_sorted(x):
    return sorted(x)[0]


def starred_call(x):
    args = (x, 2.0)
    return math.pow(*args)


SYNTAX = [
    (uses_try, "try:", "try/except"),
    (uses_with, 'with open("f")', "with statement"),
    (uses_lambda, "lambda t", "lambda"),
    (uses_yield, "yield x", "yield"),
    (uses_list_comp, "[v * 2.0 for", "list comprehension"),
    (uses_set_comp, "{v for v", "set comprehension"),
    (uses_dict_comp, "{i: x[i]", "dict comprehension"),
    (uses_generator_expression, "sum(v * v", "generator expression"),
    (uses_f_string, 'f"{x}"', "f-string"),
    (uses_global, "global COUNTER", "global statement"),
    (uses_nonlocal, "nonlocal total", "nonlocal statement"),
    (uses_class, "class Box", "class definition"),
    (uses_nested_def, "def inner", "nested def"),
    (uses_star_args, "def uses_star_args", "*args"),
    (uses_kwargs, "def uses_kwargs", "**kwargs"),
    (uses_keyword_only, "def uses_keyword_only", "keyword-only"),
    (recurse, "x * recurse(", "recursive calls are not supported: recurse -> recurse"),
    (ping, "pong(x) + 1.0", "recursive calls are not supported: ping -> pong -> ping"),
    (uses_dict, "{1: x}", "a dict is not supported"),
    (uses_list, "[x, x]", "a list is not supported"),
    (uses_set, "{x, 2.0}", "a set is not supported"),
    (string_concat, '"a" + "b"', "the string 'a' is not supported"),
    (string_method, '"abc".upper()', "the string 'abc' is not supported"),
    (uses_del, "del y", "del statement"),
    (uses_raise, "raise ValueError", "raise statement"),
    (uses_assert, "assert x", "assert statement"),
    (uses_import, "import os", "import inside the function"),
    (uses_walrus, ":=", "assignment expression (:=)"),
    (uses_match, "match x", "match statement"),
    (uses_chained_assignment, "a = b =", "chained assignment"),
    (uses_for_else, "for _i in range(3)", "for/else"),
    (uses_while_else, "while s < 1.0", "while/else"),
    (loops_over_array, "for v in x", "must iterate over range(...)"),
    (bare_return, "# BARE", "bare `return`"),
    (falls_off_end, "def falls_off_end", "can reach its end without returning"),
    (expression_statement, "    x * 2.0", "expression statement"),
    (calls_pinv, "np.linalg.pinv", "`np.linalg.pinv` has no derivative rule"),
    (calls_sorted, "sorted(x)[0]", "`sorted` has no derivative rule"),
    (starred_call, "math.pow(*args)", "starred expression"),
]


@pytest.mark.parametrize("fn, marker, phrase", SYNTAX, ids=[c[0].__name__ for c in SYNTAX])
def test_unsupported_syntax(fn, marker, phrase):
    with pytest.raises(st_ad.UnsupportedError) as info:
        st_ad.grad(fn)
    check_error(info, st_ad.UnsupportedError, line_of(fn, marker), phrase)


# 2. bad wrt ----------------------------------------------------------------------------------
def two_args(x, n):
    return math.sin(x) * n


BAD_WRT = [
    (5, "wrt=5 is out of range: two_args(x, n) has 2 parameter(s)"),
    (-3, "wrt=-3 is out of range"),
    ("z", "wrt='z' is not a parameter of two_args(x, n)"),
    ((0, 0), "wrt names `x` twice"),
    ((1, -1), "wrt names `n` twice"),
    ((), "wrt is empty"),
    (1.5, "expected an int position or a parameter name, got float 1.5"),
    (True, "True is a bool"),
]


@pytest.mark.parametrize("wrt, phrase", BAD_WRT, ids=[repr(c[0]) for c in BAD_WRT])
def test_bad_wrt(wrt, phrase):
    with pytest.raises(st_ad.StAdError) as info:
        st_ad.grad(two_args, wrt=wrt)
    check_error(info, st_ad.StAdError, line_of(two_args, "def two_args"), phrase)


def test_unhashable_wrt_names_the_call():
    with pytest.raises(st_ad.StAdError) as info:
        st_ad.grad(two_args, wrt={"x": 0})  # CALL
    check_error(
        info,
        st_ad.StAdError,
        line_of(test_unhashable_wrt_names_the_call, "# CALL"),
        "expected an int, a parameter name or a tuple",
    )


def int_arg(x, n):
    return math.sin(x) * n


def test_wrt_an_int_argument_names_it_at_call_time():
    g = st_ad.grad(int_arg, wrt="n")  # building is fine: types are known at call time
    with pytest.raises(st_ad.StAdError) as info:
        g(0.5, 3)
    check_error(
        info,
        st_ad.StAdError,
        line_of(int_arg, "def int_arg"),
        "argument `n` of int_arg is differentiated (wrt) but is the int 3",
    )
    assert "pass a float (e.g. 3.0)" in str(info.value)


def three_args(a, b, c):
    return a * b * b * c * c * c


def test_negative_wrt_counts_from_the_end():
    a, b, c = 1.5, 2.0, 0.5
    assert st_ad.grad(three_args, wrt=-1)(a, b, c) == 3.0 * a * b * b * c * c
    assert st_ad.grad(three_args, wrt=(-1, 0))(a, b, c) == (
        3.0 * a * b * b * c * c,
        b * b * c * c * c,
    )
    # one transform for -1, 2 and "c"
    assert st_ad.grad(three_args, wrt=-1) is st_ad.grad(three_args, wrt="c")


# 3. wrong call-time arguments ---------------------------------------------------------------
def weighted(x, w):
    return np.sum(np.sin(x) * w)


def indexed(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


def doubled(x):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = 2.0 * x[i] * x[i]
    return y


def sines(x):
    return np.sin(x)


def reciprocal(x):
    return 1.0 / x


W3 = np.array([1.0, 2.0, 3.0])
WEIGHTED = line_of(weighted, "def weighted")

CALLS = [
    ("grad", weighted, (X3, W3, W3), "grad(weighted) takes 2 argument(s): weighted(x, w); got 3"),
    ("grad", weighted, (X3,), "grad(weighted) takes 2 argument(s): weighted(x, w); got 1"),
    ("value_and_grad", weighted, (), "value_and_grad(weighted) takes 2 argument(s)"),
    (
        "grad",
        weighted,
        ([0.5, 1.0, 2.0], W3),
        "argument `x` of weighted is differentiated (wrt) but is a list",
    ),
    ("grad", weighted, (X3, [1.0, 2.0, 3.0]), "argument `w` of weighted is a list"),
    ("grad", weighted, (np.arange(3), W3), "but is an array of dtype int64"),
    ("grad", weighted, (X3 + 0j, W3), "but is an array of dtype complex128"),
    ("grad", weighted, (X3, "abc"), "argument `w` of weighted is a string"),
    ("grad", weighted, (None, W3), "argument `x` of weighted is differentiated (wrt) but is None"),
    (
        "jvp",
        weighted,
        (X3, W3),
        "jvp(weighted) takes the 2 argument(s) of weighted(x, w), "
        "defaults included, then one tangent per differentiated argument (dx); got 2",
    ),
    (
        "jvp",
        weighted,
        (X3, W3, np.ones(3, dtype=np.int64)),
        "the tangent `dx` of `x` is an array of dtype int64",
    ),
    ("jvp", weighted, (X3, W3, 1.0), "the tangent `dx` of `x` has 0 dimension(s), and `x` has 1"),
    ("jvp", weighted, (X3, W3, np.ones(2)), "shape"),  # numba's broadcast fails at run time
    (
        "vjp",
        weighted,
        (X3, W3),
        "vjp(weighted) takes the 2 argument(s) of weighted(x, w), "
        "defaults included, then the output's cotangent; got 2",
    ),
    ("vjp", weighted, (X3, W3, 1), "the cotangent of weighted's output is the int 1"),
    ("vjp", sines, (X3, np.ones(2)), "shape"),  # numba's broadcast fails at run time
]


@pytest.mark.parametrize(
    "kind, fn, args, phrase", CALLS, ids=[f"{c[0]}-{c[3][:40]}" for c in CALLS]
)
def test_bad_call_arguments(kind, fn, args, phrase):
    f = transform(kind, fn)
    with pytest.raises(st_ad.StAdError) as info:
        f(*args)
    check_error(info, st_ad.StAdError, line_of(fn, f"def {fn.__name__}"), phrase)


def inverse_sum(a):
    return np.sum(np.linalg.inv(a))


def test_runtime_error_in_compiled_code_is_an_st_ad_error():
    g = transform("grad", inverse_sum)
    np.testing.assert_allclose(g(2.0 * np.eye(2)), -0.25 * np.ones((2, 2)), rtol=1e-15)
    with pytest.raises(st_ad.StAdError) as info:
        g(np.zeros((2, 2)))  # numba's inv raises LinAlgError, as numpy's does
    check_error(
        info,
        st_ad.StAdError,
        line_of(inverse_sum, "def inverse_sum"),
        "the derivative code of inverse_sum failed while running: LinAlgError: Matrix is singular",
    )


@numba.njit
def dot_with_zeros(v):
    g = np.zeros(v.shape[0])
    return np.dot(g, v) + v[0]  # marker: mixed dtypes


def calls_dot_with_zeros(x):
    return dot_with_zeros(x) * 2.0


@pytest.mark.parametrize("kind", ["grad", "jvp"])
def test_a_numba_limit_inside_a_callee_names_the_callees_line(kind):
    """np.dot of a float64 and a float32 array: numba rejects it (in the plain function too);
    the error names the user's line in the callee, not numba's own source."""
    x = np.ones(3, dtype=np.float32)
    with pytest.raises(st_ad.StAdError) as info:
        if kind == "grad":
            transform("grad", calls_dot_with_zeros)(x)
        else:
            transform("jvp", calls_dot_with_zeros)(x, np.ones(3, dtype=np.float32))
    check_error(info, st_ad.StAdError, line_of(dot_with_zeros, "# marker: mixed dtypes"), "dot")


def test_tangent_of_the_wrong_shape_read_by_index():
    df = transform("jvp", indexed)
    with pytest.raises(st_ad.StAdError) as info:
        df(X3, np.ones(2))  # without the check: reads past its end
    check_error(
        info,
        st_ad.StAdError,
        line_of(indexed, "def indexed"),
        "the tangent of `x` has a different shape from `x`",
    )


def test_cotangent_of_the_wrong_shape_read_by_index():
    bf = transform("vjp", doubled)
    np.testing.assert_allclose(bf(X3, np.ones(3)), 4.0 * X3, rtol=1e-15)
    with pytest.raises(st_ad.StAdError) as info:
        bf(X3, np.ones(2))  # without the check: reads past its end
    check_error(
        info,
        st_ad.StAdError,
        line_of(doubled, "def doubled"),
        "the cotangent has a different shape from the output of doubled",
    )


def test_array_cotangent_for_a_scalar_output():
    bf = transform("vjp", weighted)
    with pytest.raises(st_ad.StAdError) as info:
        bf(X3, W3, np.ones(3))  # without the check: sum(u) times the answer
    check_error(
        info,
        st_ad.StAdError,
        line_of(weighted, "return np.sum"),
        "the cotangent does not match the function's output",
    )


# the check helpers the generator is to emit, and their errors, through a Dispatcher
def tangent_checked(x, dx):
    dx = rt.check_tangent(dx, x, "x")
    return np.sum(dx * x)


def cotangent_checked(y, u):
    u = rt.check_cotangent(u, y)
    return u * 2.0


def distinct_checked(x, y):
    x = rt.check_distinct(x, y, "x", "y")
    return np.sum(x * y)


@functools.cache
def checked(fn):
    """``fn`` compiled behind an st_ad Dispatcher whose user function is ``weighted``."""
    spec = CallSpec("weighted", ("x", "w"), (), "grad")  # no argument checks before compiling
    return as_dispatcher(numba.njit(fn), weighted, spec)


RETURN_LINE = line_of(weighted, "return np.sum")
HELPERS = [
    (tangent_checked, (X3, np.ones(2)), WEIGHTED, "the tangent of `x` has a different shape"),
    (tangent_checked, (X3, np.ones(3, np.int64)), WEIGHTED, "the tangent of `x` does not match"),
    (tangent_checked, (X3, 1.0), WEIGHTED, "has type float64, and `x` has type array"),
    (cotangent_checked, (X3, np.ones(2)), WEIGHTED, "the cotangent has a different shape"),
    (cotangent_checked, (1.0, X3), RETURN_LINE, "the cotangent does not match the function's"),
    (distinct_checked, (X3, X3), WEIGHTED, "the arguments `x` and `y` share memory"),
    (distinct_checked, (X3[1:], X3[:2]), WEIGHTED, "the arguments `x` and `y` share memory"),
]


@pytest.mark.parametrize(
    "fn, args, line, phrase", HELPERS, ids=[f"{c[0].__name__}-{c[3][4:30]}" for c in HELPERS]
)
def test_check_helper_errors_are_st_ad_errors(fn, args, line, phrase):
    with pytest.raises(st_ad.StAdError) as info:
        checked(fn)(*args)
    check_error(info, st_ad.StAdError, line, phrase)


def test_check_helpers_pass_good_arguments():
    assert checked(tangent_checked)(X3, W3) == float(np.sum(W3 * X3))
    assert checked(cotangent_checked)(2.0, np.array(1.5)) == 3.0  # a 0-d array: its float
    np.testing.assert_array_equal(checked(cotangent_checked)(X3, W3), 2.0 * W3)
    a = np.arange(6.0)
    assert checked(distinct_checked)(a[:3], a[3:]) == float(np.sum(a[:3] * a[3:]))
    assert checked(distinct_checked)(a[:3], a[3:].copy()) == float(np.sum(a[:3] * a[3:]))


def test_located_message_of_a_generated_check():
    line = line_of(reads_both, "return np.sum")
    message = located_message(
        "`x` and `y` share memory", HERE, line, "return np.sum(x * y * y)", "copy one"
    )

    @numba.njit
    def unshared(x, y):
        rt.check_unshared(x, y, message)
        return np.sum(x * y)

    spec = CallSpec("reads_both", ("x", "y"), (), "grad")
    with pytest.raises(st_ad.StAdError) as info:
        as_dispatcher(unshared, reads_both, spec)(X3, X3)
    check_error(info, st_ad.StAdError, line, "`x` and `y` share memory")


def test_derivatives_stay_callable_from_njit_code():
    g = transform("grad", weighted)
    df = transform("jvp", weighted)

    @numba.njit
    def both(x, w, v):
        _, d = df(x, w, v)
        return g(x, w), d

    got, d = both(X3, W3, W3)
    np.testing.assert_allclose(got, np.cos(X3) * W3, rtol=1e-15)
    assert math.isclose(d, float(np.sum(np.cos(X3) * W3 * W3)), rel_tol=1e-14)


# 4. outputs ----------------------------------------------------------------------------------
def int_output(x):
    return 3


def bool_output(x):
    y = x * 2.0
    return y > 1.0


def int_variable_output(x):
    n = x.shape[0]
    return n


def array_output(x):
    y = np.sin(x) * 2.0
    return y


def constant_output(x):
    return 2.5


OUTPUTS = [
    ("grad", int_output, 0.5, st_ad.UnsupportedError, "return 3", "returns an int"),
    ("grad", bool_output, 0.5, st_ad.UnsupportedError, "return y > 1.0", "returns a bool"),
    ("value_and_grad", int_variable_output, X3, st_ad.StAdError, "return n", "gives an int"),
    (
        "grad",
        array_output,
        X3,
        st_ad.StAdError,
        "return y",
        "need a function that returns a float scalar: this `return` gives array(float64, 1d, C)",
    ),
    ("value_and_grad", array_output, X3, st_ad.StAdError, "return y", "returns a float scalar"),
]


@pytest.mark.parametrize(
    "kind, fn, x, cls, marker, phrase", OUTPUTS, ids=[f"{c[0]}-{c[1].__name__}" for c in OUTPUTS]
)
def test_bad_output(kind, fn, x, cls, marker, phrase):
    with pytest.raises(cls) as info:
        transform(kind, fn)(x)
    check_error(info, cls, line_of(fn, marker), phrase)


def test_grad_of_an_int_variable_output():
    with pytest.raises(st_ad.StAdError) as info:
        transform("grad", int_variable_output)(X3)
    check_error(info, st_ad.StAdError, line_of(int_variable_output, "return n"), "gives an int")


def test_constant_output_has_zero_gradient():
    assert transform("grad", constant_output)(0.5) == 0.0
    assert transform("value_and_grad", constant_output)(0.5) == (2.5, 0.0)
    g = transform("grad", constant_output)(X3)
    assert g.shape == (3,) and not g.any()


# 5. values -----------------------------------------------------------------------------------
def sin_x(x):
    return np.sum(np.sin(x) * x)


def sin_x_slope(x):
    return np.cos(x) * x + np.sin(x)


def exp_sum(x):
    return np.sum(np.exp(x))


def count_loop(x, n):
    s = 0.0
    for _i in range(n):
        s += x * x
    return s


def grid(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s += a[i, j] * a[i, j] * (i + 1.0)
    return s


def reads_both(x, y):
    return np.sum(x * y * y)


def writes_first(x, y):
    x[0] = x[0] * y[0]
    return np.sum(x * y)


def writes_input(x):
    x[0] = x[0] * x[0]
    return np.sum(x * x)


def writes_input_slope(x):  # the gradient of what writes_input computes: x0^4 + x1^2 + x2^2
    return np.array([4.0 * x[0] ** 3, 2.0 * x[1], 2.0 * x[2]])


def test_zero_dimensional_array():
    x = np.array(1.5)
    g = transform("grad", sin_x)(x)
    assert np.ndim(g) == 0 and float(g) == pytest.approx(float(sin_x_slope(x)), rel=1e-14)


def test_zero_dimensional_array_in_a_loop_names_the_loop():
    with pytest.raises(st_ad.StAdError) as info:
        transform("grad", indexed)(np.array(1.5))
    check_error(
        info, st_ad.StAdError, line_of(indexed, "for i in range"), "tuple index out of range"
    )


@pytest.mark.parametrize("fn", [sin_x, indexed])
def test_empty_array(fn):
    g = transform("grad", fn)(np.zeros(0))
    assert g.shape == (0,) and g.dtype == np.float64


def test_zero_trip_loop():
    assert transform("grad", count_loop)(1.5, 0) == 0.0
    assert transform("value_and_grad", count_loop)(1.5, 0) == (0.0, 0.0)
    assert transform("grad", count_loop)(1.5, 3) == 9.0


def test_nan_and_inf_propagate_as_the_formula_does():
    x = np.array([np.nan, 1.0, np.inf, -np.inf])
    with np.errstate(invalid="ignore"):
        want = sin_x_slope(x)  # nan, finite, nan, nan
    np.testing.assert_array_equal(transform("grad", sin_x)(x), want)
    e = np.array([np.inf, -np.inf, 0.0, np.nan])
    np.testing.assert_array_equal(transform("grad", exp_sum)(e), np.exp(e))  # inf, 0, 1, nan
    assert transform("grad", reciprocal)(0.0) == -math.inf  # -1 / x**2 at 0


@pytest.mark.parametrize("fn", [sin_x, indexed])
def test_strided_input_equals_its_contiguous_copy(fn):
    a = np.linspace(-1.0, 2.0, 7)
    view = a[::2]
    np.testing.assert_array_equal(transform("grad", fn)(view), transform("grad", fn)(view.copy()))


@pytest.mark.parametrize("layout", ["transposed", "fortran"])
@pytest.mark.parametrize("fn", [sin_x, grid])
def test_two_d_layouts_equal_the_c_order_copy(fn, layout):
    a = np.linspace(-1.0, 2.0, 6).reshape(2, 3)
    arg = a.T if layout == "transposed" else np.asfortranarray(a)
    got = transform("grad", fn)(arg)
    np.testing.assert_array_equal(got, transform("grad", fn)(np.ascontiguousarray(arg)))
    assert got.shape == arg.shape


def test_same_array_for_two_arguments_it_only_reads():
    a = np.array([0.5, -1.0, 2.0])
    gx, gy = transform("grad", reads_both, (0, 1))(a, a)
    np.testing.assert_allclose(gx, a * a, rtol=1e-15)
    np.testing.assert_allclose(gy, 2.0 * a * a, rtol=1e-15)


def test_same_array_twice_when_one_is_written():
    a = np.array([2.0, 1.0])
    with pytest.raises(st_ad.StAdError) as info:
        transform("grad", writes_first, (0, 1))(a, a)  # without the check: 6x where the truth is 8x
    check_error(
        info,
        st_ad.StAdError,
        line_of(writes_first, "def writes_first"),
        "the arguments `x` and `y` share memory, and writes_first writes into `x`",
    )


@pytest.mark.parametrize("kind", ["grad", "vjp", "jvp"])
def test_writing_into_an_input_leaves_the_callers_array_alone(kind):
    x = np.array([2.0, -1.0, 0.5])
    v = np.array([1.0, 0.5, -2.0])
    args = {"grad": (x,), "vjp": (x, 1.5), "jvp": (x, v)}[kind]
    copies = [a.copy() for a in args if isinstance(a, np.ndarray)]
    got = transform(kind, writes_input)(*args)
    for a, c in zip([a for a in args if isinstance(a, np.ndarray)], copies, strict=True):
        np.testing.assert_array_equal(a, c)  # the caller's arrays, the tangent included
    slope = writes_input_slope(copies[0])
    if kind == "jvp":
        assert got == (16.0 + 1.0 + 0.25, pytest.approx(float(slope @ v), rel=1e-15))
    else:
        np.testing.assert_allclose(got, slope * (1.5 if kind == "vjp" else 1.0), rtol=1e-15)


def test_zero_dimensional_cotangent_for_a_scalar_output():
    bf = transform("vjp", writes_input)
    x = np.array([2.0, -1.0, 0.5])
    got = bf(x.copy(), np.array(1.5))  # check_cotangent reads its float (was [48, 0, 0])
    np.testing.assert_allclose(got, 1.5 * writes_input_slope(x), rtol=1e-15)


def test_float32_inputs_keep_float32_derivatives():
    x = np.linspace(0.1, 1.0, 4).astype(np.float32)
    g = transform("grad", sin_x)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, sin_x_slope(x.astype(np.float64)), rtol=1e-5)
    value, g2 = transform("value_and_grad", sin_x)(x)
    assert g2.dtype == np.float32
    _, dy = transform("jvp", sines)(x, np.ones(4, dtype=np.float32))
    assert dy.dtype == np.float32


# 6. functions with no source ---------------------------------------------------------------
class Scaler:
    def __init__(self, w):
        self.w = w

    def __call__(self, x):
        return self.w * x

    def apply(self, x):
        return self.w * x


NAMESPACE: dict = {}
exec("def from_exec(x):\n    return x * 2.0\n", NAMESPACE)
LAMBDA = lambda x: x * 2.0  # noqa: E731

NO_SOURCE = [
    (math.sin, "`math.sin`: it is a builtin", "def g(x): return math.sin(x)"),
    (len, "`len`: it is a builtin", "def g(x): return len(x)"),
    (np.sin, "`numpy.sin`: it is a builtin", "docs/primitives.md"),
    (
        NAMESPACE["from_exec"],
        "cannot read the source of from_exec (defined in <string>, line 1)",
        "not through exec",
    ),
    (
        functools.partial(two_args, n=2.0),
        "a functools.partial of `two_args`",
        "def g(x): return two_args(x, ...)",
    ),
    (Scaler(2.0), "an instance of `Scaler` (a callable object)", "module-level function"),
    (Scaler(2.0).apply, "the bound method `Scaler.apply`", "module-level function"),
]


@pytest.mark.parametrize("obj, phrase, hint", NO_SOURCE, ids=[c[1][:30] for c in NO_SOURCE])
def test_no_source_names_the_call(obj, phrase, hint):
    with pytest.raises(st_ad.StAdError) as info:
        st_ad.grad(obj)  # CALL
    text = check_error(
        info, st_ad.StAdError, line_of(test_no_source_names_the_call, "# CALL"), phrase
    )
    assert hint in text


def test_lambda_is_rejected_at_its_line():
    with pytest.raises(st_ad.UnsupportedError) as info:
        st_ad.grad(LAMBDA)
    check_error(
        info,
        st_ad.UnsupportedError,
        LAMBDA.__code__.co_firstlineno,
        "lambda functions cannot be differentiated",
    )


def sine_energy(x):
    return np.sum(np.sin(x) * x)


@pytest.mark.parametrize("make", ["grad_of_jvp", "source_of_jvp", "grad_of_grad"])
def test_reverse_mode_of_a_derivative_names_the_call(make):
    """Reverse mode cannot differentiate st_ad's own derivative code (forward over reverse
    can): the error says so at the user's call, not at a line of generated code."""
    with pytest.raises(st_ad.StAdError) as info:
        if make == "grad_of_jvp":
            st_ad.grad(st_ad.jvp(sine_energy))  # CALL
        elif make == "source_of_jvp":
            st_ad.source(st_ad.jvp(sine_energy))  # CALL
        else:
            st_ad.grad(st_ad.grad(sine_energy))  # CALL
    line = line_of(test_reverse_mode_of_a_derivative_names_the_call, "# CALL")
    line += {"grad_of_jvp": 0, "source_of_jvp": 2, "grad_of_grad": 4}[make]
    text = check_error(info, st_ad.StAdError, line, "is a derivative st_ad generated")
    assert "st_ad.jvp(st_ad.grad(f))" in text and "st_ad.source(f, mode=" in text


def test_forward_mode_of_a_gradient_is_still_supported():
    x = np.array([0.3, -1.2, 0.8])
    hvp = st_ad.jvp(st_ad.grad(sine_energy))
    _, hv = hvp(x, np.array([1.0, 0.0, 0.0]))
    # d/dx0 of (sin x0 + x0 cos x0) is 2 cos x0 - x0 sin x0
    assert hv[0] == pytest.approx(2 * np.cos(0.3) - 0.3 * np.sin(0.3), rel=1e-12)
    assert hv[1] == pytest.approx(0.0, abs=1e-15) and hv[2] == pytest.approx(0.0, abs=1e-15)


# 7. environment ----------------------------------------------------------------------------
def for_cache_file_test(x):
    return x * 3.0


@pytest.mark.parametrize("below", [False, True], ids=["a-file", "below-a-file"])
def test_cache_directory_that_is_a_file(tmp_path, monkeypatch, below):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("")
    monkeypatch.setenv("ST_AD_CACHE_DIR", str(blocker / "cache" if below else blocker))
    with pytest.raises(st_ad.StAdError) as info:
        st_ad.grad(for_cache_file_test)
    text = check_error(
        info, st_ad.StAdError, line_of(for_cache_file_test, "def for_cache"), f"{blocker} is a file"
    )
    assert "ST_AD_CACHE_DIR" in text


MOVED = """
import numpy as np


def moved(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s
"""


def _import_moved(path: Path, blank_lines: int):
    path.write_text("\n" * blank_lines + MOVED)
    spec = importlib.util.spec_from_file_location("moved_mod", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.moved


def test_errors_follow_a_function_moved_in_its_file(tmp_path):
    """The cache key covers where a function is: the generated code names its lines."""
    path = tmp_path / "moved_mod.py"
    for blank_lines in (0, 3):
        moved = _import_moved(path, blank_lines)
        with pytest.raises(st_ad.StAdError) as info:
            st_ad.grad(moved)(np.array(1.5))  # a loop over x.shape[0] of a 0-d array
        line = line_of(moved, "for i in range")
        check_error(info, st_ad.StAdError, line, "tuple index out of range", str(path))


DAMAGE_MAIN = """
import math


def bump(r):
    return 2.0 * math.sin(r) * r


def energy(x):
    e = 0.0
    for i in range(x.shape[0]):
        e += bump(x[i])
    return e
"""

DAMAGE_CHILD = """
import json
import numpy as np
import st_ad
from st_ad import cache
from damage_mod import energy

grad = st_ad.grad(energy)
g = grad(np.array([0.5, -1.25, 2.0]))
counts = {"loaded": sum(grad.stats.cache_hits.values()), "compiled": len(grad.stats.cache_misses)}
print(json.dumps({"grad": g.tolist(), "numba": counts, "repaired": cache.REPAIRED["numba"]}))
"""


def _run_damage_child(project: Path, cache_root: Path) -> dict:
    env = dict(os.environ)
    env["ST_AD_CACHE_DIR"] = str(cache_root)
    env["NUMBA_CACHE_DIR"] = str(cache_root / "numba")
    env.pop("NUMBA_OPT", None)  # numba at -O0 does not cache calls to other dispatchers
    env["PYTHONPATH"] = os.pathsep.join([str(project), str(REPO)])
    done = subprocess.run(
        [sys.executable, "-c", DAMAGE_CHILD],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_damaged_numba_cache_files_are_recompiled(tmp_path):
    project, cache_root = tmp_path / "project", tmp_path / "cache"
    project.mkdir()
    (project / "damage_mod.py").write_text(textwrap.dedent(DAMAGE_MAIN))
    x = np.array([0.5, -1.25, 2.0])
    want = (2.0 * (np.cos(x) * x + np.sin(x))).tolist()
    first = _run_damage_child(project, cache_root)
    assert first["grad"] == pytest.approx(want, rel=1e-13)
    numba_dir = cache_root / "numba"
    # the typed gradient's module (energy_grad_*) and the callee derivative it calls
    index = sorted(numba_dir.rglob("energy_grad_*.nbi"))
    data = sorted(numba_dir.rglob("energy_grad_*.nbc")) + sorted(
        numba_dir.rglob("bump_reverse_*.nbc")
    )
    assert index and data
    for path in index:  # garbage in the index
        path.write_bytes(b"\x80\x04garbage" * 7)
    second = _run_damage_child(project, cache_root)
    assert second["grad"] == first["grad"] and second["repaired"] >= 1
    assert second["numba"]["compiled"] == 1
    for path in data:  # truncated data files
        path.write_bytes(path.read_bytes()[:40])
    third = _run_damage_child(project, cache_root)
    assert third["grad"] == first["grad"] and third["repaired"] >= 1
    # the files written back are whole: the next process loads them
    fourth = _run_damage_child(project, cache_root)
    assert fourth["grad"] == first["grad"]
    assert fourth["numba"] == {"loaded": 1, "compiled": 0} and fourth["repaired"] == 0


# 8. check_grad with a rule for reverse mode only --------------------------------------------
def soft_a(x):
    return np.log(1.0 + np.exp(x))


def soft_b(x):
    return np.log(1.0 + np.exp(x))


def uses_soft_a(x):
    return np.sum(soft_a(x) * x)


def uses_soft_b(x):
    return np.sum(soft_b(x) * x)


def test_check_grad_with_a_vjp_only_rule():
    @st_ad.register_vjp(soft_a)
    def soft_vjp(g, y, x):
        return (g / (1.0 + np.exp(-x)),)

    with pytest.warns(st_ad.StAdWarning, match="the dot-product test was skipped"):
        err = st_ad.check_grad(uses_soft_a, X3)
    assert isinstance(err, float) and err < 1e-6


def test_check_grad_with_a_wrong_vjp_only_rule():
    @st_ad.register_vjp(soft_b)
    def soft_vjp_wrong(g, y, x):
        return (3.0 * g / (1.0 + np.exp(-x)),)  # three times the truth

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        err = st_ad.check_grad(uses_soft_b, X3)
    assert err > 0.1
    assert any("register one with @st_ad.register_jvp(soft_b)" in str(w.message) for w in seen)


# 9. default values of the differentiated function -------------------------------------------
def with_defaults(x, a=2.0, flip=False, bias=None):
    y = np.sum(np.sin(x) * a)
    if flip:
        y = -y
    if bias is not None:
        y = y + bias * np.sum(x)
    return y


def test_defaults_left_out_are_bound():
    g = transform("grad", with_defaults)
    np.testing.assert_allclose(g(X3), 2.0 * np.cos(X3), rtol=1e-15)
    np.testing.assert_allclose(g(X3, 3.0), 3.0 * np.cos(X3), rtol=1e-15)
    np.testing.assert_allclose(g(X3, 3.0, True), -3.0 * np.cos(X3), rtol=1e-15)
    np.testing.assert_allclose(g(X3, 1.0, False, 0.5), np.cos(X3) + 0.5, rtol=1e-15)
    value, grad_a = transform("value_and_grad", with_defaults, 1)(X3)
    assert value == pytest.approx(with_defaults(X3), rel=1e-15)
    assert grad_a == pytest.approx(float(np.sum(np.sin(X3))), rel=1e-15)


def test_defaults_from_njit_code():
    g = transform("grad", with_defaults)

    @numba.njit
    def call(x):
        return g(x), g(x, 3.0, True, 0.5)

    left_out, passed = call(X3)
    np.testing.assert_allclose(left_out, 2.0 * np.cos(X3), rtol=1e-15)
    np.testing.assert_allclose(passed, -3.0 * np.cos(X3) + 0.5, rtol=1e-15)


def test_vjp_and_jvp_take_every_argument():
    df = transform("jvp", with_defaults)
    _, d = df(X3, 2.0, False, None, np.ones(3))
    assert d == pytest.approx(2.0 * float(np.sum(np.cos(X3))), rel=1e-14)
    with pytest.raises(st_ad.StAdError) as info:
        df(X3, np.ones(3))
    check_error(
        info,
        st_ad.StAdError,
        line_of(with_defaults, "def with_defaults"),
        "defaults included, then one tangent per differentiated argument (dx); got 2",
    )


def test_check_grad_binds_defaults():
    assert st_ad.check_grad(with_defaults, X3) < 1e-6


def array_default(x, w=W3):
    return np.sum(x * w)


def test_a_non_literal_default_is_rejected():
    with pytest.raises(st_ad.UnsupportedError) as info:
        st_ad.grad(array_default)
    check_error(
        info,
        st_ad.UnsupportedError,
        line_of(array_default, "def array_default"),
        "the default value of `w` is ndarray",
    )
