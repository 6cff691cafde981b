"""Array-level benchmark problems: a small MLP, logistic regression and a log-determinant.

For each problem this module holds

* the primal as plain Python in numba-compatible NumPy (the input handed to ``st_ad``):
  straight-line array code only, no loops;
* the numba-compiled primal (``*_nb``);
* a hand-written numba gradient (``*_grad_nb``), the baseline st_ad is compared against;
* a data generator with a fixed seed (``*_data``), returning the argument tuple.
"""

import numba
import numpy as np

MLP_BATCH = 256
MLP_IN = 784
MLP_HIDDEN = 128
MLP_OUT = 10
LOGISTIC_M = 4096
LOGISTIC_N = 256
LOGDET_N = 64

# ---------------------------------------------------------------------------
# Plain-Python primals (inputs to st_ad)
# ---------------------------------------------------------------------------


def mlp_loss(W1, b1, W2, b2, X, Y):
    """Mean softmax cross-entropy of a tanh MLP on batch ``X`` with one-hot labels ``Y``.

    The log-sum-exp is shifted by the global maximum of the logits for stability.
    """
    n = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    m = np.max(logits)
    lse = m + np.log(np.sum(np.exp(logits - m), axis=1))
    return np.sum(lse - np.sum(Y * logits, axis=1)) / n


def logistic(w, A, y):
    """Negative log-likelihood of logistic regression with design ``A`` and 0/1 labels ``y``."""
    return np.sum(np.log(1.0 + np.exp(A @ w))) - y @ (A @ w)


def logdet(X, S):
    """``<S, X> - log det X`` for a symmetric positive definite ``X``."""
    return np.sum(S * X) - np.log(np.linalg.det(X))


# ---------------------------------------------------------------------------
# numba-compiled primals
# ---------------------------------------------------------------------------

mlp_loss_nb = numba.njit(mlp_loss)
logistic_nb = numba.njit(logistic)
logdet_nb = numba.njit(logdet)


# ---------------------------------------------------------------------------
# Hand-written gradients (numba; matrix products go to BLAS)
# ---------------------------------------------------------------------------


@numba.njit
def mlp_loss_grad_nb(W1, b1, W2, b2, X, Y):
    """Gradient of ``mlp_loss``; returns (dW1, db1, dW2, db2)."""
    n = X.shape[0]
    nh = W1.shape[1]
    nc = W2.shape[1]
    inv_n = 1.0 / n
    # forward: h = tanh(X W1 + b1), in place on the product
    h = X @ W1
    for i in range(n):
        for j in range(nh):
            h[i, j] = np.tanh(h[i, j] + b1[j])
    # d = dloss/dlogits = (softmax(logits) - Y) / n, row by row, in place
    d = h @ W2
    for i in range(n):
        m = -np.inf
        for k in range(nc):
            v = d[i, k] + b2[k]
            d[i, k] = v
            m = max(m, v)
        s = 0.0
        for k in range(nc):
            e = np.exp(d[i, k] - m)
            d[i, k] = e
            s += e
        c = inv_n / s
        for k in range(nc):
            d[i, k] = d[i, k] * c - Y[i, k] * inv_n
    dW2 = h.T @ d
    db2 = np.zeros(nc)
    for i in range(n):
        for k in range(nc):
            db2[k] += d[i, k]
    # back through tanh: dz = (d W2^T) * (1 - h^2), in place
    dz = d @ W2.T
    db1 = np.zeros(nh)
    for i in range(n):
        for j in range(nh):
            hij = h[i, j]
            v = dz[i, j] * (1.0 - hij * hij)
            dz[i, j] = v
            db1[j] += v
    dW1 = X.T @ dz
    return dW1, db1, dW2, db2


@numba.njit
def logistic_grad_nb(w, A, y):
    """Gradient of ``logistic`` w.r.t. ``w``: ``A^T (sigmoid(A w) - y)``."""
    r = A @ w
    for i in range(r.shape[0]):
        r[i] = 1.0 / (1.0 + np.exp(-r[i])) - y[i]
    return A.T @ r


@numba.njit
def logdet_grad_nb(X, S):
    """Gradient of ``logdet`` w.r.t. ``X``: ``S - inv(X)^T`` (one LU inverse)."""
    Xinv = np.linalg.inv(X)
    n = X.shape[0]
    g = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            g[i, j] = S[i, j] - Xinv[j, i]
    return g


# ---------------------------------------------------------------------------
# Problem inputs
# ---------------------------------------------------------------------------


def mlp_data(seed=0):
    """(W1, b1, W2, b2, X, Y) for a 784-128-10 MLP on a batch of 256 one-hot labelled inputs."""
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((MLP_IN, MLP_HIDDEN)) / np.sqrt(MLP_IN)
    b1 = 0.1 * rng.standard_normal(MLP_HIDDEN)
    W2 = rng.standard_normal((MLP_HIDDEN, MLP_OUT)) / np.sqrt(MLP_HIDDEN)
    b2 = 0.1 * rng.standard_normal(MLP_OUT)
    X = rng.uniform(0.0, 1.0, size=(MLP_BATCH, MLP_IN))
    Y = np.zeros((MLP_BATCH, MLP_OUT))
    Y[np.arange(MLP_BATCH), rng.integers(0, MLP_OUT, size=MLP_BATCH)] = 1.0
    return W1, b1, W2, b2, X, Y


def logistic_data(seed=0):
    """(w, A, y): a 4096x256 design with A w of order one, and 0/1 labels drawn from the model."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((LOGISTIC_M, LOGISTIC_N)) / np.sqrt(LOGISTIC_N)
    w = rng.standard_normal(LOGISTIC_N)
    p = 1.0 / (1.0 + np.exp(-(A @ w)))
    y = (rng.uniform(size=LOGISTIC_M) < p).astype(np.float64)
    return w, A, y


def logdet_data(seed=0):
    """(X, S): a well-conditioned 64x64 SPD matrix ``X`` and a random (non-symmetric) ``S``."""
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((LOGDET_N, LOGDET_N))
    X = B @ B.T / LOGDET_N + np.eye(LOGDET_N)
    S = rng.standard_normal((LOGDET_N, LOGDET_N))
    return X, S
