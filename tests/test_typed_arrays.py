"""Typed array specialisation (``codegen/shapes.py``, ``codegen/specialise.py``): where the
argument types and symbolic shapes decide a helper, the adjoint writes out what a person would
(``np.sum(g)``, ``np.sum(g, 0)``, ``np.outer(g, x)``, ``x.copy()``), and its numbers stay right."""

import numpy as np
import pytest

import st_ad


def scalar_times_array(x, a):
    y = np.sin(x) * a
    return np.sum(y * y)


def row_broadcast(X):
    m = np.sum(X, axis=0)
    return np.sum(np.sin(X * m))


def rebound(x):
    y = np.sin(x)
    s = np.sum(y * y)
    y = np.cos(x)
    return s + np.sum(y * x)


def writes_its_argument(x):
    x[0] = x[0] * 2.0
    return np.sum(x * x)


def row_norms(x):
    r = np.sum(x * x, axis=1)
    return np.sum(np.sqrt(r))


def matrix_vector(A, x):
    return np.sum(np.tanh(A @ x))


def matrix_matrix(A, B):
    return np.sum(np.tanh(np.dot(A, B)))


def vector_matrix(v, B):
    return np.sum(np.cos(v @ B))


def inner(u, v):
    return np.sin(np.dot(u, v))


def mixed_ranks(X, v):
    # x's rows times an unrelated vector: equal ranks of unknown sizes keep the runtime sum
    return np.sum(np.cos(X * v))


def log_det(X):
    return np.log(np.linalg.det(X)) + np.sum(X)


def log_abs_det(X):
    sign, ld = np.linalg.slogdet(X)
    return ld * 2.0


def sine_times_product(x):
    return np.sum(np.sin(x)) * np.prod(x)


def _fd_grad(f, args, k, h=1e-6):
    """Central differences of ``f`` in argument ``k`` (an array)."""
    x = np.asarray(args[k], dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        a_up = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        a_down = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        a_up[k], a_down[k] = up, down
        out[i] = (f(*a_up) - f(*a_down)) / (2 * h)
    return out


def _grad_function(source: str, name: str) -> str:
    return source.split(f"def {name}_grad(")[1].split("\ndef ")[0]


V = np.linspace(0.1, 0.9, 4)
M = np.linspace(0.1, 1.2, 12).reshape(3, 4)
SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, 0.2], [0.1, 0.2, 1.0]])

CASES = [
    # function, arguments, what the adjoint writes, helpers it no longer calls
    (scalar_times_array, (V, 0.5), ["np.sum(", "np.full("], ["st.unbroadcast"]),
    (row_broadcast, (M,), ["np.sum(", "np.expand_dims("], ["st.unbroadcast", "st.unreduce"]),
    (rebound, (V,), [], ["st.unbroadcast"]),
    (writes_its_argument, (V,), ["x = x.copy()"], ["st.keep", "st.unbroadcast"]),
    (row_norms, (M,), ["np.broadcast_to("], ["st.unreduce", "st.unbroadcast"]),
    (matrix_vector, (M, V), ["np.outer("], ["st.dot_vjp", "st.unbroadcast"]),
    (matrix_matrix, (M, M.T.copy()), [".T)"], ["st.dot_vjp", "st.unbroadcast"]),
    (vector_matrix, (V[:3].copy(), M), ["np.outer("], ["st.dot_vjp", "st.unbroadcast"]),
    (inner, (V, V[::-1].copy()), [], ["st.inner_vjp", "st.unbroadcast"]),
    (mixed_ranks, (M, V), ["st.unbroadcast"], []),
    # runtime derivative helpers shaped like an argument (shapes.DERIVATIVE_LIKE_ARG)
    (log_det, (SPD,), ["X_bar += st.det_vjp("], ["st.unbroadcast"]),
    (log_abs_det, (SPD,), ["X_bar += st.slogdet_vjp("], ["st.unbroadcast"]),
    (sine_times_product, (V,), ["st.prod_partials(x, None)\n"], ["st.unbroadcast"]),
]


@pytest.mark.parametrize("f, args, written, gone", CASES, ids=[c[0].__name__ for c in CASES])
def test_typed_array_adjoint(f, args, written, gone):
    wrt = tuple(range(len(args))) if len(args) > 1 else 0
    body = _grad_function(st_ad.source(f, *args, wrt=wrt), f.__name__)
    for text in written:
        assert text in body, body
    for text in gone:
        assert text not in body, body
    passed = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = st_ad.grad(f, wrt=wrt)(*passed)
    got = got if isinstance(got, tuple) else (got,)
    for k, g in enumerate(got):
        truth = _fd_grad(f, args, k)
        np.testing.assert_allclose(g, truth, rtol=1e-6, atol=1e-8)
    for a, b in zip(passed, args, strict=True):  # nothing the caller passed is changed
        np.testing.assert_array_equal(a, b)
