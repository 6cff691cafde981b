"""Per-signature derivatives: each argument-type signature gets source generated for its types
(helpers written out, scalar adjoints as plain arithmetic), compiled on its first call."""

import math
import re
from pathlib import Path

import numba
import numpy as np
import pytest

import st_ad
from st_ad.__main__ import main
from tests.golden_funcs import damped_sum

GOLDEN = Path(__file__).parent / "golden" / "damped_sum_adjoint_float64.py.txt"


def scalar_loop(a, b, n):
    s = 0.0
    for _ in range(n):
        t = a * s + b
        s = s + math.sin(t) * t
        if s > 10.0:
            s = s * 0.5
    return s * s


def _functions(source: str) -> dict[str, str]:
    """The generated functions of a module, by name."""
    out, name = {}, None
    for line in source.splitlines():
        if line.startswith("def "):
            name = line[4 : line.index("(")]
            out[name] = ""
        elif name is not None:
            out[name] += line + "\n"
    return out


def _fd(f, args, k, h=1e-6):
    up, down = list(args), list(args)
    up[k] += h
    down[k] -= h
    return (f(*up) - f(*down)) / (2 * h)


def test_scalar_loop_adjoint_calls_no_helper():
    source = st_ad.source(scalar_loop, 0.3, 0.7, 5)
    functions = _functions(source)
    for entry in ("scalar_loop_grad", "scalar_loop_value_and_grad", "scalar_loop_vjp"):
        assert "st." not in functions[entry], functions[entry]
    assert (
        "st."
        not in _functions(st_ad.source(scalar_loop, 0.3, 0.7, 5, mode="forward"))[
            "scalar_loop_tangent"
        ]
    )
    # the code that runs is that code, and its numbers are right
    g = st_ad.grad(scalar_loop, wrt=(0, 1))
    args = (0.3, 0.7, 5)
    got = g(*args)
    assert "st." not in _functions(g.sources["float64, float64, int64"])["scalar_loop_grad"]
    for k in (0, 1):
        assert math.isclose(got[k], _fd(scalar_loop, args, k), rel_tol=1e-7)
    out, d_out = st_ad.jvp(scalar_loop, wrt=0)(*args, 1.0)
    assert math.isclose(d_out, got[0], rel_tol=1e-12)


def test_typed_adjoint_matches_golden_file():
    source = st_ad.source(damped_sum, "float64[::1]", "int64")
    body = "\n".join(source.splitlines()[2:]) + "\n"  # the header names the user's file
    if not GOLDEN.exists():  # first run writes it; review and commit
        GOLDEN.write_text(body)
    assert body == GOLDEN.read_text()
    assert "# For the argument types (array(float64, 1d, C), int64)." in body


def test_typed_and_type_blind_derivatives_agree():
    x = np.linspace(0.1, 0.9, 6)
    typed = st_ad.grad(damped_sum)
    blind = typed.st_generic  # the type-blind module's compiled gradient
    np.testing.assert_array_equal(typed(x, 6), blind(x, 6))
    tangent = st_ad.jvp(damped_sum)
    v = np.cos(x)
    np.testing.assert_array_equal(tangent(x, 6, v)[1], tangent.st_generic(x, 6, v)[1])


def test_each_signature_gets_its_own_source():
    g = st_ad.grad(damped_sum)
    x = np.linspace(0.1, 0.9, 6)
    g64 = g(x, 6)
    g32 = g(x.astype(np.float32), 6)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=1e-5)
    sources = g.sources
    assert set(sources) == {"array(float64, 1d, C), int64", "array(float32, 1d, C), int64"}
    assert "# For the argument types (array(float32, 1d, C), int64)." in "".join(sources.values())


def test_njit_code_calls_a_signature_first_seen_there():
    g = st_ad.grad(damped_sum)

    @numba.njit
    def step(x, n):
        return x - 0.1 * g(x, n)

    x = np.linspace(0.1, 0.9, 6).astype(np.float32)
    np.testing.assert_allclose(step(x, 6), x - 0.1 * g(x, 6), rtol=1e-6)


def test_source_takes_types_and_rejects_a_bad_type_string():
    assert st_ad.source(damped_sum, numba.float64[::1], numba.int64) == st_ad.source(
        damped_sum, np.ones(3), 3
    )
    with pytest.raises(st_ad.StAdError, match=re.escape("'float64[' is not a numba type")) as info:
        st_ad.source(damped_sum, "float64[", "int64")
    assert "float64[:, ::1]" in info.value.hint
    with pytest.raises(st_ad.StAdError, match="1 example argument"):
        st_ad.source(damped_sum, np.ones(3))


def test_show_with_types(capsys):
    assert main(["show", "tests.golden_funcs:damped_sum", "--types", "float64[::1], int64"]) == 0
    out = capsys.readouterr().out
    assert out == st_ad.source(damped_sum, "float64[::1]", "int64")


@numba.njit
def _pair_term(r2):
    return 1.0 / r2**3 - 1.0 / r2


def summed_pair_terms(x):
    e = 0.0
    for i in range(x.shape[0]):
        r2 = x[i] * x[i] + 1.0
        e += _pair_term(r2)
    return e


def test_unused_calls_of_scalar_functions_are_dropped():
    # vjp kept a whole forward loop whose only work was `e_t1 = _pair_term(r2)`, and every
    # entry called `_pair_term` again in the reverse sweep for a value nothing read: a call
    # with scalar arguments changes nothing else, so an unused one goes like any dead store
    x = np.linspace(0.2, 1.4, 6)
    functions = _functions(st_ad.source(summed_pair_terms, x, mode="reverse"))
    for entry in ("summed_pair_terms_grad", "summed_pair_terms_vjp"):
        code = "\n".join(r for r in functions[entry].splitlines() if not r.strip().startswith("#"))
        assert "_pair_term(" not in code, code
        assert code.count("for i in") == 1, code  # the reverse loop
    assert "_pair_term(" in functions["summed_pair_terms_value_and_grad"]  # for the value
    want = np.array(
        [
            (summed_pair_terms(x + h * e) - summed_pair_terms(x - h * e)) / (2 * h)
            for e in np.eye(6)
            for h in [1e-6]
        ]
    )
    np.testing.assert_allclose(st_ad.grad(summed_pair_terms)(x), want, rtol=1e-6)
    np.testing.assert_allclose(st_ad.vjp(summed_pair_terms)(x, 2.0), 2.0 * want, rtol=1e-6)


def jumps(x, a):
    s = 0.0
    t = a
    for i in range(x.shape[0]):
        t = t * 1.5
        if x[i] > 0.5:
            s = s + t * x[i]
            continue
        s = s * x[i] - t
        if s < -3.0:
            break
    return s + t * t


@pytest.mark.parametrize(
    "x", [np.array([0.7, 0.2, 0.9, 0.1]), np.array([0.1, 0.2, 0.3, 0.9]), np.full(4, 0.8)]
)
def test_tidy_follows_break_and_continue(x):
    # tidy used to leave functions with break or continue as generated (`v = 0.0` then
    # `v += e`, dead stores); it now follows the jumps: a break goes to what follows the
    # loop, a continue to its head, in liveness and in the certainly-zero analysis
    source = st_ad.source(jumps, x, 0.4)
    grad_body = _functions(source)["jumps_grad"]
    assert "_bar = 0.0" not in grad_body, grad_body  # each adjoint bound by its first use
    for body in _functions(source).values():
        assert "range(0 + " not in body and " * 1," not in body, body  # folded bounds
    fd_x = np.array(
        [(jumps(x + 1e-6 * e, 0.4) - jumps(x - 1e-6 * e, 0.4)) / 2e-6 for e in np.eye(4)]
    )
    fd_a = _fd(lambda a: jumps(x, a), [0.4], 0)
    gx, ga = st_ad.grad(jumps, wrt=(0, 1))(x, 0.4)
    np.testing.assert_allclose(gx, fd_x, rtol=1e-6, atol=1e-8)
    assert ga == pytest.approx(fd_a, rel=1e-6)
    v = np.array([0.3, -1.0, 0.5, 2.0])
    value, dvalue = st_ad.jvp(jumps, wrt=(0, 1))(x, 0.4, v, 0.7)
    assert value == pytest.approx(jumps(x, 0.4), rel=1e-12)
    assert dvalue == pytest.approx(fd_x @ v + fd_a * 0.7, rel=1e-6)
