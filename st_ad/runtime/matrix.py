"""Tangents (JVPs) and cotangents (VJPs) of ``np.linalg`` functions.

Each helper is callable from Python and from numba nopython code (``register_jitable``, or an
``overload`` whose stub also carries a plain-NumPy body). Inputs may be float32 or float64 and of
any memory layout; results keep the input dtype. Notation: ``Phi(X)`` is the lower triangle of
``X`` with its diagonal halved, ``sym(X) = (X + X.T) / 2``, ``<X, Y> = sum(X * Y)``.

Constants are applied in place (``out *= 0.5``) because numba types ``0.5 * float32_array`` as
float64, and ``np.trace`` as float64 for float32 input, whereas in-place ops and ``np.sum`` keep
float32.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.core.errors import TypingError
from numba.extending import overload, register_jitable

# ----------------------------------------------------------------------------- private helpers


@register_jitable
def _c(a):
    """Return ``a`` as a C-contiguous array (no copy when it already is one)."""
    return np.ascontiguousarray(a)


@register_jitable
def _phi(x):
    """Phi(X): a new array holding the lower triangle of ``X`` with its diagonal halved."""
    p = np.tril(x)
    for i in range(min(p.shape[0], p.shape[1])):
        p[i, i] *= 0.5
    return p


@register_jitable
def _sym(m):
    """sym(M) = (M + M.T) / 2 as a new array of M's dtype."""
    out = m + m.T
    out *= 0.5
    return out


@register_jitable
def _columns(x):
    """View a 1-D (n,) or 2-D (n, k) array as 2-D (n, 1) or (n, k), C-contiguous."""
    xc = np.ascontiguousarray(x)
    return xc.reshape((xc.shape[0], -1))


@register_jitable
def _eig_gaps(w):
    """F with F[i, j] = 1 / (w[j] - w[i]) for i != j and F[i, i] = 0."""
    wc = np.ascontiguousarray(w)
    n = wc.shape[0]
    gaps = wc.reshape((1, n)) - wc.reshape((n, 1))
    np.fill_diagonal(gaps, np.inf)
    return np.ones_like(gaps) / gaps


@register_jitable
def _normal_solve(A, g):
    """z = (A.T A)^-1 g through the R of A = QR (g 1-D or 2-D), avoiding forming A.T A."""
    r = np.ascontiguousarray(np.linalg.qr(_c(A))[1])
    return np.linalg.solve(r, np.linalg.solve(_c(r.T), _c(g)))


# ----------------------------------------------------------------------------- cholesky


@register_jitable
def cholesky_jvp(L, dA):
    """dL = L @ Phi(L^-1 dA L^-T) for L = cholesky(A) and symmetric dA."""
    L = _c(L)
    x = np.linalg.solve(L, _c(dA))  # L^-1 dA
    p = np.linalg.solve(L, _c(x.T)).T  # (L^-1 (L^-1 dA)^T)^T = L^-1 dA L^-T
    return np.dot(L, _c(_phi(p)))


@register_jitable
def cholesky_vjp(L, L_bar):
    """A_bar = sym(L^-T Phi(L^T L_bar) L^-1) for L = cholesky(A) (symmetric, as in JAX)."""
    L = _c(L)
    lt = _c(L.T)
    q = _phi(np.dot(lt, _c(L_bar)))  # Phi(L^T L_bar)
    y = np.linalg.solve(lt, q)  # L^-T Phi(.)
    s = np.linalg.solve(lt, _c(y.T)).T  # (L^-T y^T)^T = y L^-1
    return _sym(s)


# ----------------------------------------------------------------------------- eigh


@register_jitable
def eigh_values_jvp(v, dA):
    """dw[i] = v[:, i]^T dA v[:, i] for w, v = eigh(A)."""
    v = _c(v)
    return np.sum(v * np.dot(_c(dA), v), axis=0)


@register_jitable
def eigh_values_vjp(v, w_bar):
    """A_bar = v @ diag(w_bar) @ v.T for w, v = eigh(A)."""
    v = _c(v)
    vw = v * _c(w_bar).reshape((1, v.shape[1]))
    return np.dot(vw, _c(v.T))


@register_jitable
def eigh_vectors_jvp(w, v, dA):
    """dv = v @ (F * (v.T @ dA @ v)), F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    v = _c(v)
    vt = _c(v.T)
    c = np.dot(vt, np.dot(_c(dA), v))
    return np.dot(v, c * _eig_gaps(w))


@register_jitable
def eigh_vectors_vjp(w, v, v_bar):
    """A_bar = sym(v @ (F * (v.T @ v_bar)) @ v.T), F[i, j] = 1 / (w[j] - w[i]), F[i, i] = 0."""
    v = _c(v)
    vt = _c(v.T)
    c = np.dot(vt, _c(v_bar)) * _eig_gaps(w)
    return _sym(np.dot(np.dot(v, c), vt))


# ----------------------------------------------------------------------------- solve


def solve_vjp_a(b_bar, x):
    """A_bar = -outer(b_bar, x) (x 1-D) or -(b_bar @ x.T) (x 2-D) for x = solve(A, b)."""
    if np.ndim(x) == 1:
        return -np.outer(b_bar, x)
    return -np.dot(b_bar, np.transpose(x))


@overload(solve_vjp_a)
def _solve_vjp_a(b_bar, x):
    if not isinstance(x, types.Array) or not isinstance(b_bar, types.Array):
        raise TypingError("st_ad: solve_vjp_a needs array arguments")
    if x.ndim == 1 and b_bar.ndim == 1:
        return lambda b_bar, x: -np.outer(b_bar, x)
    if x.ndim == 2 and b_bar.ndim == 2:
        return lambda b_bar, x: -np.dot(_c(b_bar), _c(x).T)
    raise TypingError(f"st_ad: solve_vjp_a of ranks ({b_bar.ndim}, {x.ndim}) is not supported")


# ----------------------------------------------------------------------------- lstsq


@register_jitable
def lstsq_jvp(A, b, x, dA, db):
    """dx = M^-1 (dA^T r - A^T dA x + A^T db), M = A^T A, r = b - A x, x = lstsq(A, b)[0]."""
    A = _c(A)
    dA = _c(dA)
    x = _c(x)
    r = _c(b) - np.dot(A, x)
    rhs = np.dot(_c(dA.T), r) - np.dot(_c(A.T), np.dot(dA, x)) + np.dot(_c(A.T), _c(db))
    return _c(_normal_solve(A, rhs))


@register_jitable
def lstsq_vjp_a(g, A, b, x):
    """A_bar = r z^T - (A z) x^T, z = (A^T A)^-1 g, r = b - A x, x = lstsq(A, b)[0]."""
    A = _c(A)
    x = _c(x)
    z = _normal_solve(A, g)
    r = _c(b) - np.dot(A, x)
    az = np.dot(A, z)
    return np.dot(_columns(r), _columns(z).T) - np.dot(_columns(az), _columns(x).T)


@register_jitable
def lstsq_vjp_b(g, A, b, x):
    """b_bar = A z, z = (A^T A)^-1 g, x = lstsq(A, b)[0]."""
    A = _c(A)
    return np.dot(A, _normal_solve(A, g))


# ----------------------------------------------------------------------------- det / inv


@register_jitable
def det_vjp(g, d, X):
    """X_bar = g * d * inv(X).T for d = det(X)."""
    out = np.ascontiguousarray(np.linalg.inv(_c(X)).T)
    out *= g * d
    return out


@register_jitable
def slogdet_vjp(g, X):
    """X_bar = g * inv(X).T for the log|det X| output of slogdet(X)."""
    out = np.ascontiguousarray(np.linalg.inv(_c(X)).T)
    out *= g
    return out


@register_jitable
def logdet_jvp(X, dX):
    """d log|det X| = trace(solve(X, dX))."""
    return np.sum(np.diag(np.linalg.solve(_c(X), _c(dX))))


@register_jitable
def inv_vjp(g, Y):
    """X_bar = -Y.T @ g @ Y.T for Y = inv(X)."""
    yt = _c(_c(Y).T)
    return -np.dot(np.dot(yt, _c(g)), yt)


@register_jitable
def inv_jvp(Y, dX):
    """dY = -Y @ dX @ Y for Y = inv(X)."""
    Y = _c(Y)
    return -np.dot(np.dot(Y, _c(dX)), Y)
