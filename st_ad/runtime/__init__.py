"""Helpers called by generated derivative code.

Generated modules import this package as ``st``. Each helper is resolved by numba at compile
time on the argument types (``numba.extending.overload``), so one generated source serves
scalars and arrays of any rank at no run-time cost.
"""

from .adjoint import keep, reset, unbroadcast, zeros_adj
from .checks import assert_differentiable, assert_scalar_output
from .linalg import dot_vjp_a, dot_vjp_b
from .tape import new_tape, pop, push, reserve, reserve_slots, trip_count

__all__ = [
    "assert_differentiable",
    "assert_scalar_output",
    "dot_vjp_a",
    "dot_vjp_b",
    "keep",
    "new_tape",
    "pop",
    "push",
    "reserve",
    "reserve_slots",
    "reset",
    "trip_count",
    "unbroadcast",
    "zeros_adj",
]
