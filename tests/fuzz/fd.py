"""Finite-difference references at two step sizes, for kink detection.

The Jacobian of the plain Python function w.r.t. each ``wrt`` argument is computed by central
differences in float64 on promoted copies of the arguments (``tests.conftest.fd_partial``)
with two relative steps. Where the two estimates of a derivative disagree the point is at a
kink or a branch switch, and the check is skipped (``kink``), never reported as wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tests.conftest import fd_partial, promote_args

SMALL_STEP = 1e-6
LARGE_STEP = 1e-4


class Jacobians:
    """Finite-difference Jacobians of ``fn`` at ``args``, per wrt argument, at two steps.

    ``jac[h][k]`` has shape ``args[idx[k]].shape + output shape``.
    """

    def __init__(self, fn: Callable, args: Sequence, indices: Sequence[int]) -> None:
        self.fn = fn
        self.args = promote_args(tuple(args))
        self.indices = tuple(indices)
        self._cache: dict[float, list[np.ndarray]] = {}

    def at(self, step: float) -> list[np.ndarray]:
        if step not in self._cache:
            self._cache[step] = [
                np.asarray(fd_partial(self.fn, self.args, i, step), dtype=np.float64)
                for i in self.indices
            ]
        return self._cache[step]

    def both(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return self.at(SMALL_STEP), self.at(LARGE_STEP)

    # -- derived quantities, one array per wrt argument ----------------------------------------

    def vjp(self, step: float, u: np.ndarray) -> list[np.ndarray]:
        """``J^T u`` per argument (shape of that argument)."""
        out = []
        for jac, i in zip(self.at(step), self.indices, strict=True):
            nd = np.ndim(self.args[i])
            axes = tuple(range(nd, jac.ndim))
            out.append(np.sum(jac * u, axis=axes) if axes else jac * u)
        return out

    def jvp(self, step: float, tangents: Sequence) -> np.ndarray:
        """``J v`` (shape of the output), all arguments perturbed together."""
        total = None
        for jac, i, v in zip(self.at(step), self.indices, tangents, strict=True):
            nd = np.ndim(self.args[i])
            v = np.asarray(v, dtype=np.float64)
            term = np.tensordot(v, jac, axes=(tuple(range(nd)), tuple(range(nd))))
            total = term if total is None else total + term
        return np.asarray(total, dtype=np.float64)
