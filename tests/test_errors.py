"""Unsupported constructs and bad arguments raise st_ad errors naming the line and source."""

import math

import numpy as np
import pytest

import st_ad


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


def uses_yield(x):
    yield x * 2.0


def uses_lambda(x):
    f = lambda t: t * 2.0  # noqa: E731
    return f(x)


def uses_nested_def(x):
    def inner(t):
        return t * 2.0

    return inner(x)


def uses_class(x):
    class Box:
        pass

    return x


COUNTER = 0.0


def uses_global(x):
    global COUNTER
    COUNTER = x
    return x * 2.0


def uses_opaque_call(x):
    return np.linalg.pinv(x)[0, 0] * 2.0


def uses_python_helper(x):
    return _helper_with_try(x) + 1.0


def _helper_with_try(t):
    try:
        return t * 2.0
    finally:
        pass


CASES = [
    (uses_try, "try", "try"),
    (uses_with, "with", 'with open("f") as fh:'),
    (uses_yield, "yield", "yield x * 2.0"),
    (uses_lambda, "lambda", "f = lambda t: t * 2.0"),
    (uses_nested_def, "nested def", "def inner(t):"),
    (uses_class, "class", "class Box:"),
    (uses_global, "global", "global COUNTER"),
    (uses_opaque_call, "no derivative rule", "np.linalg.pinv(x)[0, 0] * 2.0"),
    (uses_python_helper, "try", "try"),  # the error points into the callee
]


@pytest.mark.parametrize("fn,what,text", CASES, ids=[c[0].__name__ for c in CASES])
def test_unsupported_construct(fn, what, text):
    with pytest.raises(st_ad.UnsupportedError) as info:
        st_ad.grad(fn)
    message = str(info.value)
    assert what in message
    assert text.split(":")[0].strip() in message
    assert __file__ in message
    assert info.value.lineno is not None and info.value.lineno > fn.__code__.co_firstlineno
    assert "What to do" in message


def vector_out(x):
    return x * 2.0


def test_grad_of_array_output_is_an_st_ad_error():
    g = st_ad.grad(vector_out)
    with pytest.raises(st_ad.StAdError) as info:
        g(np.ones(3))
    assert "float scalar" in str(info.value)
    assert "return x * 2.0" in str(info.value)  # the return that gives the array
    assert "TypingError" not in str(info.value)


def scalar(x, n):
    return math.sin(x) * n


@pytest.mark.parametrize("wrt", [5, "z", -3, (0, 0), 1.5, ()])
def test_bad_wrt(wrt):
    with pytest.raises(st_ad.StAdError) as info:
        st_ad.grad(scalar, wrt=wrt)
    assert "wrt" in str(info.value)


def test_integer_argument_cannot_be_differentiated():
    g = st_ad.grad(scalar, wrt=1)
    with pytest.raises(st_ad.StAdError) as info:
        g(0.5, 3)
    assert "float" in str(info.value)


def test_argnums_alias_and_names():
    x = 0.3
    by_position = st_ad.grad(scalar, argnums=0)(x, 2.0)
    by_name = st_ad.grad(scalar, wrt="x")(x, 2.0)
    assert by_position == pytest.approx(2.0 * math.cos(x), rel=1e-14)
    assert by_name == pytest.approx(2.0 * math.cos(x), rel=1e-14)


def builtin_abs_of_array(x):
    y = np.sin(x)
    z = abs(y)
    return np.sum(z)


def test_numba_typing_error_points_to_the_users_line():
    with pytest.raises(st_ad.StAdError) as info:
        st_ad.grad(builtin_abs_of_array)(np.ones(3))
    text = str(info.value)
    assert "z = abs(y)" in text and "abs(array(float64" in text
    assert "test_errors.py" in text
    assert "Traceback" not in text and "\x1b[" not in text
