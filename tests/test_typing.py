"""The typing pass (st_ad/analysis/typing.py): the type of every name of a normalised program
for one signature, checked against what numba computes when it compiles the user's function."""

import numba
import numpy as np
import pytest
from numba.core import types

from st_ad import StAdError, ir, transform

from . import corpus
from .callees import smooth, square


def typed(f, *args, wrt=0):
    p = transform.program(f, wrt)
    return p, transform.program_types(p, tuple(numba.typeof(a) for a in args))


def loop_with_float32(x, n):
    acc = 0.0
    y = x * x
    for i in range(n):
        t = y[i] * 2.0
        acc += t
        y[i] = t
    w = y[1:]
    return acc + np.sum(w)


def test_types_follow_numba_promotions():
    x = np.linspace(0.1, 1.0, 5).astype(np.float32)
    _, t = typed(loop_with_float32, x, 3)
    assert t["x"] == types.float32[::1]
    assert t["y"] == types.float32[::1]  # an array op keeps float32
    assert t["t"] == types.float64  # a float32 scalar times a Python float
    assert t["acc"] == types.float64
    assert t["i"] == types.int64
    assert isinstance(t["w"], types.Array) and t["w"].dtype == types.float32
    assert t["w"].ndim == 1
    assert t.result == types.float64


def rebound(x, a):
    s = 0.0
    for k in range(3):
        s = s + a * x[k]
    s = np.sum(x) * s  # a new web: its own name
    v = x.reshape((2, 2))
    return s + v[0, 1] + square(a) + smooth(a)


def test_every_name_is_typed_and_webs_have_their_own_names():
    x = np.arange(4.0)
    p, t = typed(rebound, x, 0.5)
    defined = {ir.defined_name(s) for s in ir.walk(p.fn.body)} - {None}
    loops = {s.var for s in ir.walk(p.fn.body) if isinstance(s, ir.For)}
    assert defined | loops | set(p.fn.params) <= set(t.names)
    assert t["s"] == types.float64 and t["s2"] == types.float64
    assert t["v"].ndim == 2 and t["v"].dtype == types.float64
    assert not t.is_array("a") and t.is_array("x")


def test_a_user_line_numba_cannot_type_is_named():
    def index_by_float(x, n):
        y = np.sin(x)
        z = y[n]  # marker: float index
        return z

    p = transform.program(index_by_float, 0)
    with pytest.raises(StAdError) as info:
        transform.program_types(p, (types.float64[::1], types.float64))
    err = info.value
    assert err.lineno == index_by_float.__code__.co_firstlineno + 2
    assert "z = y[n]" in str(err)
    assert "numba cannot type" in str(err)


CASE_NAMES = [
    "s_while_return",
    "a_float32_loop",
    "a_rebind_then_write",
    "v_matvec",
    "v_early_return",
]
CASES = {c.fn.__name__: c for c in corpus.CASES if c.fn.__name__ in CASE_NAMES}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_result_type_is_numbas(name):
    """The result's type is the type of the value numba's own compile of f returns."""
    case = CASES[name]
    args = case.args(0)
    _, t = typed(case.fn, *args, wrt=case.wrt)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    actual = numba.typeof(numba.njit(case.fn)(*copies))
    if isinstance(actual, types.Array):
        assert (t.result.dtype, t.result.ndim) == (actual.dtype, actual.ndim)
    else:
        assert t.result == actual


def constant_test(x):
    flag = 1.0
    y = x * 2.0
    if flag > 2.0:
        z = np.sin(x)
        y = y + z
    return y


def test_a_branch_numba_would_prune_is_typed_too():
    _, t = typed(constant_test, 0.5)
    assert t["z"] == types.float64
