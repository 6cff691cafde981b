"""Derivative corpus: st_ad grad / value_and_grad / jvp / vjp / check_grad vs references.

References are analytic gradients where ``tests/corpus.py`` provides them and
central finite differences (``tests/conftest.py``) otherwise.  Every st_ad
transform is built once per (mode, function, wrt) and cached in ``_TRANSFORMS``
(building one costs a source transformation plus a numba compile).
"""

import zlib

import numpy as np
import pytest

from . import corpus
from .conftest import (
    as_tuple,
    assert_close,
    copy_args,
    fd_grad,
    fd_jvp,
    fd_vjp,
    promote_args,
    wrt_indices,
)

ANALYTIC_RTOL = 1e-10
FD_RTOL = 1e-6
VALUE_RTOL = 1e-12
DOT_RTOL = 1e-10
EXTRA_SEEDS = (1, 2)

SCALAR = corpus.SCALAR_CASES
VECTOR = corpus.VECTOR_CASES

# value_and_grad and vjp share grad's adjoint, but each entry point is a separate numba
# compile that costs a sizeable fraction of the adjoint's own, so they run on subsets
# chosen to cover every construct family (overwritten variables, loops with
# break/continue/return, branches, subscripts, linear algebra, float32, wrt forms).
VALUE_AND_GRAD_IDS = {
    "s_poly",
    "s_unary_neg",
    "s_np_scalar",
    "s_pow_var",
    "s_augassign",
    "s_tuple_unpack",
    "s_tuple_swap_loop",
    "s_overwrite",
    "s_overwrite_two",
    "s_while_counter",
    "s_while_data",
    "s_while_and",
    "s_while_and_counter_stops",
    "s_break",
    "s_continue",
    "s_early_return_loop",
    "s_early_return_loop_falls_through",
    "s_return_branches_neg",
    "s_if_elif_else",
    "s_ifexp_neg",
    "s_bool_ops",
    "s_nested_triangular",
    "s_range_forms",
    "a_horner",
    "a_prefix_product",
    "a_subscript_augassign",
    "a_copy_modify",
    "a_augassign_arrays",
    "a_2d_write",
    "a_matmat",
    "a_float32_loop",
    "a_wrt_name_tuple",
    "a_while_array",
    "a_break_array",
    "a_early_return_array",
    "a_early_return_array_falls_through",
    "a_ifexp_array",
    "s_while_return",
    "s_break_while_in_for",
    "a_rebind_then_write",
}
VJP_SCALAR_IDS = {
    "s_unary_neg",
    "s_overwrite",
    "s_while_and",
    "s_break",
    "s_early_return_loop",
    "s_if_elif_elif",
    "a_horner",
    "a_prefix_product",
    "a_slices",
    "a_copy_modify",
    "a_2d_index",
    "a_transpose",
    "a_float32_sum",
    "a_wrt_name",
    "a_wrt_mixed_int_name",
    "a_early_return_array",
}
VAG_CASES = [c for c in SCALAR if c.id in VALUE_AND_GRAD_IDS]
VJP_SCALAR_CASES = [c for c in SCALAR if c.id in VJP_SCALAR_IDS]
assert len(VAG_CASES) == len(VALUE_AND_GRAD_IDS)
assert len(VJP_SCALAR_CASES) == len(VJP_SCALAR_IDS)


def _ids(cases):
    return [c.id for c in cases]


# ---------------------------------------------------------------------------
# caches
# ---------------------------------------------------------------------------

_TRANSFORMS = {}


def transform(mode, fn, wrt, **kw):
    """st_ad.<mode>(fn, wrt=wrt), built once per (mode, fn, wrt, kw)."""
    key = (mode, fn, wrt, tuple(sorted(kw.items())))
    if key not in _TRANSFORMS:
        import st_ad

        if kw:
            _TRANSFORMS[key] = getattr(st_ad, mode)(fn, **kw)
        else:
            _TRANSFORMS[key] = getattr(st_ad, mode)(fn, wrt=wrt)
    return _TRANSFORMS[key]


_TRUTH = {}


def truth_grad(case, seed=0):
    """(reference gradients as a tuple, rtol) for a scalar-output case."""
    key = (case.id, seed)
    if key not in _TRUTH:
        args = case.args(seed)
        _, multi = wrt_indices(case.fn, case.wrt)
        if case.grad is not None:
            g = case.grad(*promote_args(args))
            rtol = ANALYTIC_RTOL
        else:
            g = fd_grad(case.fn, args, case.wrt)
            rtol = FD_RTOL
        if case.rtol is not None:
            rtol = case.rtol
        _TRUTH[key] = (as_tuple(g, multi), rtol)
    return _TRUTH[key]


def _rng(case, salt=""):
    return np.random.default_rng(zlib.crc32((case.id + salt).encode()))


def _like(rng, a):
    """Random value shaped and typed like argument/output ``a``."""
    if isinstance(a, np.ndarray):
        return rng.standard_normal(a.shape).astype(a.dtype)
    if isinstance(a, np.floating):
        return type(a)(rng.standard_normal())
    return float(rng.standard_normal())


def _value_rtol(case):
    return case.rtol if case.rtol is not None else VALUE_RTOL


# ---------------------------------------------------------------------------
# shared checks
# ---------------------------------------------------------------------------


def check_grad_structure(case, args, result, what):
    """One output per wrt arg, each with the shape (and float dtype) of its arg."""
    idxs, multi = wrt_indices(case.fn, case.wrt)
    if multi:
        assert isinstance(result, tuple), f"{what}: expected a tuple, got {type(result)}"
        assert len(result) == len(idxs), f"{what}: {len(result)} grads for {len(idxs)} args"
    else:
        assert not isinstance(result, tuple), f"{what}: single wrt must not give a tuple"
    results = as_tuple(result, multi)
    for k, (i, g) in enumerate(zip(idxs, results, strict=True)):
        a = args[i]
        if isinstance(a, np.ndarray):
            assert isinstance(g, np.ndarray), f"{what}[{k}]: expected ndarray, got {type(g)}"
            assert g.shape == a.shape, f"{what}[{k}]: shape {g.shape} != {a.shape}"
            assert g.dtype == a.dtype, f"{what}[{k}]: dtype {g.dtype} != {a.dtype}"
        else:
            assert np.ndim(g) == 0, f"{what}[{k}]: expected a scalar, got shape {np.shape(g)}"
            assert isinstance(g, (float, np.floating, np.ndarray)), (
                f"{what}[{k}]: expected a float, got {type(g)}"
            )
    return results


def assert_args_unchanged(before, after, what):
    for k, (b, a) in enumerate(zip(before, after, strict=True)):
        if isinstance(b, np.ndarray):
            assert np.array_equal(a, b), f"{what}: argument {k} was modified in place"


def compare_grads(got, want, rtol, what):
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_close(g, w, rtol, f"{what}[{k}]")


# ---------------------------------------------------------------------------
# corpus self-check (pure Python; validates analytic gradients and inputs)
# ---------------------------------------------------------------------------


def _seeds(case):
    return (0, *EXTRA_SEEDS) if case.robust else (0,)


@pytest.mark.parametrize("case", corpus.CASES, ids=_ids(corpus.CASES))
def test_corpus_selfcheck(case):
    for seed in _seeds(case):
        args = case.args(seed)
        out = case.fn(*args)
        assert np.all(np.isfinite(out))
        if case.vector:
            assert isinstance(out, np.ndarray)
            continue
        assert np.ndim(out) == 0
        # smoothness: FD at two step sizes agree -> no kink/branch switch nearby
        g1 = fd_grad(case.fn, args, case.wrt, h=1e-6)
        g2 = fd_grad(case.fn, args, case.wrt, h=1e-5)
        _, multi = wrt_indices(case.fn, case.wrt)
        compare_grads(as_tuple(g1, multi), as_tuple(g2, multi), 1e-6, f"smooth seed={seed}")
        if case.grad is not None:
            want = as_tuple(case.grad(*promote_args(args)), multi)
            compare_grads(want, as_tuple(g1, multi), 1e-6, f"analytic seed={seed}")


# ---------------------------------------------------------------------------
# reverse mode
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", SCALAR, ids=_ids(SCALAR))
def test_grad(case):
    g = transform("grad", case.fn, case.wrt)
    args = case.args()
    call_args = copy_args(args)
    result = g(*call_args)
    assert_args_unchanged(args, call_args, "grad")
    results = check_grad_structure(case, args, result, "grad")
    want, rtol = truth_grad(case)
    compare_grads(results, want, rtol, "grad")


_SEEDED = [(c, s) for c in SCALAR if c.robust for s in EXTRA_SEEDS]


@pytest.mark.parametrize("case,seed", _SEEDED, ids=[f"{c.id}-seed{s}" for c, s in _SEEDED])
def test_grad_other_inputs(case, seed):
    """Same compiled gradient, different inputs (catches state kept across calls)."""
    g = transform("grad", case.fn, case.wrt)
    args = case.args(seed)
    results = check_grad_structure(case, args, g(*copy_args(args)), "grad")
    want, rtol = truth_grad(case, seed)
    compare_grads(results, want, rtol, "grad")


@pytest.mark.parametrize("case", VAG_CASES, ids=_ids(VAG_CASES))
def test_value_and_grad(case):
    vg = transform("value_and_grad", case.fn, case.wrt)
    args = case.args()
    value, grads = vg(*copy_args(args))
    assert np.ndim(value) == 0
    assert_close(value, case.fn(*args), _value_rtol(case), "value")
    results = check_grad_structure(case, args, grads, "value_and_grad")
    want, rtol = truth_grad(case)
    compare_grads(results, want, rtol, "value_and_grad")


@pytest.mark.parametrize("case", VJP_SCALAR_CASES, ids=_ids(VJP_SCALAR_CASES))
def test_vjp_scalar_output(case):
    """vjp of a scalar function with cotangent c equals c * grad."""
    bf = transform("vjp", case.fn, case.wrt)
    args = case.args()
    c = 1.75
    result = bf(*copy_args(args), c)
    results = check_grad_structure(case, args, result, "vjp")
    want, rtol = truth_grad(case)
    compare_grads(results, tuple(c * np.asarray(w) for w in want), rtol, "vjp")


# ---------------------------------------------------------------------------
# forward mode
# ---------------------------------------------------------------------------


def _tangents(case, args, salt="t"):
    idxs, _ = wrt_indices(case.fn, case.wrt)
    rng = _rng(case, salt)
    return tuple(_like(rng, args[i]) for i in idxs)


@pytest.mark.parametrize("case", SCALAR, ids=_ids(SCALAR))
def test_jvp_scalar_output(case):
    df = transform("jvp", case.fn, case.wrt)
    args = case.args()
    tangents = _tangents(case, args)
    call_args = copy_args(args)
    out, tout = df(*call_args, *tangents)
    assert_args_unchanged(args, call_args, "jvp")
    assert np.ndim(out) == 0 and np.ndim(tout) == 0
    assert_close(out, case.fn(*args), _value_rtol(case), "jvp primal")
    want, rtol = truth_grad(case)
    terms = [
        np.asarray(w, np.float64) * np.asarray(v, np.float64)
        for w, v in zip(want, tangents, strict=True)
    ]
    expected = sum(float(np.sum(t)) for t in terms)
    scale = max(1.0, sum(float(np.sum(np.abs(t))) for t in terms))
    assert abs(float(tout) - expected) <= rtol * scale, (
        f"jvp tangent {float(tout)!r} != grad . v = {expected!r}"
    )


@pytest.mark.parametrize("case", VECTOR, ids=_ids(VECTOR))
def test_jvp_array_output(case):
    df = transform("jvp", case.fn, case.wrt)
    args = case.args()
    tangents = _tangents(case, args)
    call_args = copy_args(args)
    out, tout = df(*call_args, *tangents)
    assert_args_unchanged(args, call_args, "jvp")
    ref = case.fn(*args)
    assert isinstance(out, np.ndarray) and out.shape == ref.shape
    assert np.shape(tout) == ref.shape
    assert out.dtype == ref.dtype, f"primal dtype {out.dtype} != {ref.dtype}"
    assert_close(out, ref, _value_rtol(case), "jvp primal")
    want = fd_jvp(case.fn, args, case.wrt, tangents)
    assert_close(tout, want, case.rtol or FD_RTOL, "jvp tangent vs FD")


@pytest.mark.parametrize("case", VECTOR, ids=_ids(VECTOR))
def test_vjp_array_output(case):
    bf = transform("vjp", case.fn, case.wrt)
    args = case.args()
    ref = case.fn(*args)
    u = _like(_rng(case, "u"), ref)
    call_args = copy_args(args)
    result = bf(*call_args, u)
    assert_args_unchanged(args, call_args, "vjp")
    results = check_grad_structure(case, args, result, "vjp")
    _, multi = wrt_indices(case.fn, case.wrt)
    want = as_tuple(fd_vjp(case.fn, args, case.wrt, u), multi)
    compare_grads(results, want, case.rtol or FD_RTOL, "vjp vs FD")


@pytest.mark.parametrize("case", VECTOR, ids=_ids(VECTOR))
def test_dot_product_identity(case):
    """<vjp(u), v> == <u, jvp(v)> for several random (u, v)."""
    df = transform("jvp", case.fn, case.wrt)
    bf = transform("vjp", case.fn, case.wrt)
    args = case.args()
    _, multi = wrt_indices(case.fn, case.wrt)
    rtol = case.rtol or DOT_RTOL
    ref = case.fn(*args)
    for trial in range(3):
        v = _tangents(case, args, salt=f"v{trial}")
        u = _like(_rng(case, f"u{trial}"), ref)
        _, jv = df(*copy_args(args), *v)
        ju = as_tuple(bf(*copy_args(args), u), multi)
        lhs_terms = [
            np.asarray(a, np.float64) * np.asarray(b, np.float64)
            for a, b in zip(ju, v, strict=True)
        ]
        rhs_terms = np.asarray(u, np.float64) * np.asarray(jv, np.float64)
        lhs = sum(float(np.sum(t)) for t in lhs_terms)
        rhs = float(np.sum(rhs_terms))
        scale = max(
            1e-300,
            sum(float(np.sum(np.abs(t))) for t in lhs_terms),
            float(np.sum(np.abs(rhs_terms))),
        )
        assert abs(lhs - rhs) <= rtol * scale, (
            f"trial {trial}: <vjp(u), v> = {lhs!r} != <u, jvp(v)> = {rhs!r}"
        )


# ---------------------------------------------------------------------------
# API odds and ends
# ---------------------------------------------------------------------------

_BY_ID = {c.id: c for c in corpus.CASES}
CHECK_GRAD_IDS = [
    "s_sin",
    "s_if_elif_elif",
    "a_prefix_product",
    "a_matvec_at",
]


@pytest.mark.parametrize("case_id", CHECK_GRAD_IDS)
def test_check_grad(case_id):
    import st_ad

    case = _BY_ID[case_id]
    # a wrt of (0, 1) is differentiated w.r.t. its first argument only here
    wrt = case.wrt[0] if isinstance(case.wrt, tuple) else case.wrt
    err = st_ad.check_grad(case.fn, *case.args(), wrt=wrt)
    assert np.ndim(err) == 0
    assert 0.0 <= float(err) < 1e-5, f"check_grad reported {err!r}"


def test_argnums_alias():
    case = _BY_ID["a_matvec_dot"]
    g = transform("grad", case.fn, None, argnums=(0, 1))
    args = case.args()
    results = check_grad_structure(case, args, g(*args), "grad(argnums=)")
    compare_grads(results, truth_grad(case)[0], ANALYTIC_RTOL, "grad(argnums=)")


def test_wrt_name_matches_index():
    case = _BY_ID["a_matvec_at"]  # wrt="x" is parameter 1
    args = case.args()
    by_name = transform("grad", case.fn, "x")(*args)
    by_index = transform("grad", case.fn, 1)(*args)
    assert_close(by_name, by_index, 1e-14, "wrt='x' vs wrt=1")


def test_transforms_are_reusable_across_shapes():
    """The same gradient callable works for inputs of different lengths."""
    case = _BY_ID["a_loop_sum"]
    g = transform("grad", case.fn, case.wrt)
    for n in (1, 3, 11):
        x = np.linspace(-1.0, 1.0, n)
        assert_close(g(x, n), corpus.a_loop_sum_grad(x, n), ANALYTIC_RTOL, f"n={n}")
